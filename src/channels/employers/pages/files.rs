//! Sending a file of new hires, and checking it first (`/employer/files`).

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ivd_newhire::Format;
use maud::{Markup, html};

use super::view::{FormError, error_summary, page};
use super::{Employer, expired, html_page, problem_page, problem_text, rules};
use crate::channels::employers::routes::{self as employer, UploadOutcome};
use crate::web::{ApiError, AppState};

/// Most bad records listed on a "check my file" page (the count is always complete).
const CHECK_LIST_LIMIT: usize = 500;

fn formats_select(selected: &str) -> Markup {
    let options = [
        ("auto", "Work it out from the file"),
        ("w4", "W4 (fixed width, the national format)"),
        ("xx", "XX (fixed width, vendor)"),
        ("csv", "CSV (spreadsheet, with a header row)"),
        ("xml", "XML"),
    ];
    html! {
        div.field {
            label for="format" { "File format" }
            select id="format" name="format" {
                @for (value, label) in options {
                    option value=(value) selected[value == selected] { (label) }
                }
            }
        }
    }
}

fn files_page(employer: &Employer, errors: &[FormError], result: Option<Markup>) -> Markup {
    let file_errors: Vec<&FormError> = errors.iter().filter(|e| e.field == "file").collect();
    let content = html! {
        (error_summary(errors))
        @if let Some(result) = result { (result) }
        p { "Send many new hires at once in a file. First " strong { "check" } " the file: we read every record and tell you what to fix, and we keep nothing. "
            "When it is right, " strong { "send" } " it. You get a receipt you can print or download." }
        form method="post" action="/employer/files/check" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(employer.session.csrf);
            div.field.invalid[!file_errors.is_empty()] {
                label for="file" { "Your file" }
                span.hint id="file-hint" { "W4, XX, CSV or XML. For a very large file, use the file transfer API." }
                span.field-error id="file-error" aria-live="polite" { @for e in &file_errors { (e.message) ". " } }
                input type="file" id="file" name="file" required aria-describedby="file-hint file-error"
                    aria-invalid=[(!file_errors.is_empty()).then_some("true")];
            }
            (formats_select("auto"))
            div.buttons {
                button.action type="submit" { "Check my file" }
                " "
                button.action.secondary type="submit" formaction="/employer/files" { "Send my file" }
            }
        }
    };
    page(
        "Send a file of new hires",
        "/employer/files",
        Some(&employer.viewer()),
        content,
    )
}

pub(super) async fn files_form(employer: Employer) -> Response {
    html_page(StatusCode::OK, files_page(&employer, &[], None))
}

/// A posted file form: its CSRF token, the file's bytes and the format chosen.
struct PostedFile {
    csrf: String,
    name: String,
    bytes: bytes::Bytes,
    format: Option<Format>,
}

async fn read_file_form(mut form: Multipart) -> Result<PostedFile, String> {
    let mut posted = PostedFile {
        csrf: String::new(),
        name: String::new(),
        bytes: bytes::Bytes::new(),
        format: None,
    };
    let broken = |_| "The upload was cut off. Try again".to_string();
    while let Some(field) = form.next_field().await.map_err(broken)? {
        match field.name() {
            Some("csrf") => posted.csrf = field.text().await.map_err(broken)?,
            Some("format") => {
                let text = field.text().await.map_err(broken)?;
                posted.format = text.parse::<Format>().ok();
            }
            Some("file") => {
                posted.name = field.file_name().unwrap_or("").to_string();
                posted.bytes = field.bytes().await.map_err(broken)?;
            }
            _ => {}
        }
    }
    Ok(posted)
}

/// The file and its format, or the error to show on the file field.
fn file_and_format(posted: &PostedFile) -> Result<Format, FormError> {
    let on_file = |message: &str| FormError {
        field: "file".into(),
        message: message.into(),
    };
    if posted.bytes.is_empty() {
        return Err(on_file("Choose a file. The file you chose is empty"));
    }
    posted
        .format
        .or_else(|| Format::detect(&posted.bytes[..posted.bytes.len().min(4096)]))
        .ok_or_else(|| {
            on_file(
                "We cannot tell the file's format. Choose it in the list \"File format\" and try again",
            )
        })
}

/// The file and format a files form posted, its CSRF token checked; otherwise the files
/// page with the problem tied to the file field (or the expired-form page).
async fn posted_file(
    employer: &Employer,
    form: Multipart,
) -> Result<(PostedFile, Format), Response> {
    let posted = read_file_form(form).await.map_err(|message| {
        let errors = [FormError {
            field: "file".into(),
            message,
        }];
        html_page(StatusCode::BAD_REQUEST, files_page(employer, &errors, None))
    })?;
    if !employer.session.csrf_matches(&posted.csrf) {
        return Err(expired());
    }
    let format = file_and_format(&posted).map_err(|error| {
        html_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            files_page(employer, &[error], None),
        )
    })?;
    Ok((posted, format))
}

pub(super) async fn files_check(
    State(state): State<AppState>,
    employer: Employer,
    form: Multipart,
) -> Response {
    let (posted, format) = match posted_file(&employer, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    // The adapter's reader and rules, as the intake uses them; nothing is stored.
    let rules = rules(&state);
    let scope = employer.holder.feins.clone();
    let bytes = posted.bytes.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let (mut records, mut bad, mut outside) = (0u64, Vec::new(), 0u64);
        for outcome in ivd_newhire::read_new_hires(format, bytes.as_ref(), &rules) {
            records += 1;
            let foreign = outcome
                .new_hire
                .as_ref()
                .is_some_and(|n| !scope.iter().any(|f| f == n.employer.fein.expose()));
            if foreign {
                outside += 1;
            }
            if (!outcome.errors.is_empty() || foreign) && bad.len() < CHECK_LIST_LIMIT {
                bad.push((outcome, foreign));
            }
        }
        (records, bad, outside)
    })
    .await;
    let Ok((records, bad, outside)) = checked else {
        return problem_page(
            &employer,
            ApiError::bad_request("the file could not be read"),
        );
    };
    let invalid = bad.iter().filter(|(o, _)| !o.errors.is_empty()).count();
    let result = html! {
        section.check-result aria-labelledby="check-title" {
            h2 id="check-title" { "Check of " (if posted.name.is_empty() { "your file" } else { posted.name.as_str() }) }
            p role="status" id="check-summary" {
                (records) " record(s) read as " (format.name().to_uppercase()) ". "
                @if invalid == 0 && outside == 0 {
                    strong { "Every record is right." } " Choose the file again and select \u{201c}Send my file\u{201d}."
                } @else {
                    strong { (invalid) " record(s) need fixing" }
                    @if outside > 0 { ", and " (outside) " record(s) are for an employer you may not report for" }
                    ". Fix them in your payroll system, make the file again, and check it again. Records that are right will be accepted when you send the file."
                }
            }
            @if !bad.is_empty() {
                table id="check-problems" {
                    caption { "Records to fix" }
                    thead { tr { th.num scope="col" { "Record" } th scope="col" { "Field" } th.num scope="col" { "Position" } th scope="col" { "What to fix" } } }
                    tbody {
                        @for (outcome, foreign) in &bad {
                            @for error in &outcome.errors {
                                tr { td.num { (outcome.record) } td { (error.field) } td.num { (error.position.map(|p| p.to_string()).unwrap_or_else(|| "—".into())) } td { (problem_text(error)) "." } }
                            }
                            @if *foreign {
                                tr { td.num { (outcome.record) } td { "employer_fein" } td.num { "—" } td { "This employer's FEIN is not one you may report for. Ask the state to add it to your account." } }
                            }
                        }
                    }
                }
                @if bad.len() == CHECK_LIST_LIMIT { p.muted { "Only the first " (CHECK_LIST_LIMIT) " records with problems are listed." } }
            }
        }
    };
    html_page(StatusCode::OK, files_page(&employer, &[], Some(result)))
}

pub(super) async fn files_submit(
    State(state): State<AppState>,
    employer: Employer,
    form: Multipart,
) -> Response {
    let (posted, format) = match posted_file(&employer, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let body = futures::stream::iter([Ok::<_, std::io::Error>(posted.bytes.clone())]);
    match employer::receive_new_hires(
        &state,
        &employer.holder,
        format.media_type(),
        Some(format),
        body,
    )
    .await
    {
        Ok(UploadOutcome::Received {
            receipt_id,
            summary,
        }) if summary.all_outside_scope() => {
            problem_page(&employer, employer::outside_scope(&receipt_id))
        }
        Ok(UploadOutcome::Duplicate {
            receipt_id,
            summary: Some(summary),
        }) if summary.all_outside_scope() => {
            problem_page(&employer, employer::outside_scope(&receipt_id))
        }
        Ok(
            UploadOutcome::Received { receipt_id, .. } | UploadOutcome::Processing { receipt_id },
        ) => Redirect::to(&format!("/employer/receipts/{receipt_id}?sent=file")).into_response(),
        Ok(UploadOutcome::Duplicate { receipt_id, .. }) => {
            Redirect::to(&format!("/employer/receipts/{receipt_id}?sent=again")).into_response()
        }
        Err(error) => problem_page(&employer, error),
    }
}
