//! The employer pages' HTML: one layout, form fields whose errors are tied to them, and
//! the error summary. Markup is built with `maud`, which escapes every value it is given.

use maud::{DOCTYPE, Markup, html};

/// The pages of the navigation bar.
pub const NAV: [(&str, &str); 5] = [
    ("/employer", "Home"),
    ("/employer/new-hire", "Report a new hire"),
    ("/employer/files", "Send a file"),
    ("/employer/history", "Past reports"),
    ("/employer/orders", "Withholding orders"),
];

/// Who is signed in, for the page header.
pub struct Viewer<'a> {
    /// The account's name.
    pub name: &'a str,
    /// The CSRF token forms carry.
    pub csrf: &'a str,
}

/// A whole page: skip link, header, navigation (the current page marked), content.
pub fn page(title: &str, current: &str, viewer: Option<&Viewer<'_>>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Employer services" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/employer/assets/employer.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to main content" }
                header.top {
                    a href="/employer" { "Employer services" }
                    @if let Some(viewer) = viewer {
                        nav aria-label="Main" {
                            @for (href, label) in NAV {
                                @if href == current {
                                    a href=(href) aria-current="page" { (label) } " "
                                } @else {
                                    a href=(href) { (label) } " "
                                }
                            }
                        }
                        div.who {
                            span { "Signed in as " (viewer.name) }
                            form method="post" action="/employer/sign-out" {
                                input type="hidden" name="csrf" value=(viewer.csrf);
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// One problem found in a form, tied to the field it is about (`field` is the input's
/// id; empty for a problem with the whole form).
#[derive(Clone, Debug)]
pub struct FormError {
    /// The input's id.
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// The error summary at the top of a form: each problem links to its field.
pub fn error_summary(errors: &[FormError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" id="error-summary" {
                h2 id="error-summary-title" { "There is a problem" }
                ul {
                    @for error in errors {
                        @if error.field.is_empty() {
                            li { (error.message) }
                        } @else {
                            li { a href=(format!("#{}", error.field)) { (error.message) } }
                        }
                    }
                }
            }
        }
    }
}

/// What a text input needs besides its id.
pub struct Input<'a> {
    /// The input's id and name.
    pub id: &'a str,
    /// The label.
    pub label: &'a str,
    /// A hint under the label (format, example).
    pub hint: Option<&'a str>,
    /// The value to show.
    pub value: &'a str,
    /// Required.
    pub required: bool,
    /// A rule the page script checks as the user types (`ssn`, `date`, `zip`, `state`).
    pub rule: Option<&'a str>,
    /// `autocomplete` value.
    pub autocomplete: &'a str,
    /// `inputmode` value.
    pub inputmode: Option<&'a str>,
    /// Most characters.
    pub maxlength: u32,
}

/// A labelled text input with its hint and its error, both tied to it by
/// `aria-describedby`; `aria-invalid` when the server found a problem.
pub fn text_input(input: &Input<'_>, errors: &[FormError]) -> Markup {
    let messages: Vec<&str> = errors
        .iter()
        .filter(|e| e.field == input.id)
        .map(|e| e.message.as_str())
        .collect();
    let hint_id = format!("{}-hint", input.id);
    let error_id = format!("{}-error", input.id);
    let described = match input.hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    html! {
        div.field.invalid[!messages.is_empty()] {
            label for=(input.id) {
                (input.label)
                @if !input.required { span.muted { " (optional)" } }
            }
            @if let Some(hint) = input.hint {
                span.hint id=(hint_id) { (hint) }
            }
            span.field-error id=(error_id) aria-live="polite" {
                @for message in &messages { (message) ". " }
            }
            input type="text" id=(input.id) name=(input.id) value=(input.value)
                required[input.required] autocomplete=(input.autocomplete)
                inputmode=[input.inputmode] maxlength=(input.maxlength)
                data-rule=[input.rule] aria-describedby=(described)
                aria-invalid=[(!messages.is_empty()).then_some("true")];
        }
    }
}

/// A time as `2026-11-28 09:12 UTC`; a dash when there is none.
pub fn when(at_ms: Option<i64>) -> String {
    crate::web::dashboard::when(at_ms)
}
