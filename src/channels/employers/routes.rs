//! The employers' API: new-hire uploads and their receipts, income withholding order
//! acknowledgments. Every route takes an employer token, scoped to the FEINs it may act
//! for; operators may read any receipt.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ivd_newhire::Format;
use serde::Deserialize;

use crate::channels::employers::iwo::{self, ACK_CHANNEL};
use crate::channels::employers::newhire::{self, CHANNEL, NewHireIntake, Summary};
use crate::intake::spool::{self, SpoolError, SpooledUpload};
use crate::intake::{self, Inbound, Received};
use crate::store::now_ms;
use crate::store::tokens::{Role, TokenHolder};
use crate::web::{ApiError, AppState, Bearer, EmployerRole, ReceiptReaderRoles};

/// The employer routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/employer/v1/new-hires",
            // The upload is streamed to disk with its own limit
            // (`employers.max_upload_bytes`), not buffered under the API's body limit.
            post(upload_new_hires).layer(DefaultBodyLimit::disable()),
        )
        .route("/employer/v1/new-hires/{receipt}", get(get_receipt))
        .route(
            "/employer/v1/iwo-acknowledgments",
            post(post_acknowledgments),
        )
}

#[derive(Deserialize)]
struct UploadQuery {
    /// `w4`, `xx`, `csv` or `xml`; otherwise taken from Content-Type or the content.
    format: Option<String>,
}

pub(crate) fn new_hire_intake(state: &AppState) -> NewHireIntake {
    NewHireIntake {
        db: state.db.clone(),
        settings: state.settings.clone(),
        key: state.lookup_key.clone(),
    }
}

/// What became of a new-hire file handed to the intake.
pub(crate) enum UploadOutcome {
    /// The same bytes were received before; nothing was applied again.
    Duplicate {
        /// The earlier receipt.
        receipt_id: String,
        /// Its totals.
        summary: Option<Summary>,
    },
    /// Stored; processing stopped and will be resumed.
    Processing {
        /// The receipt.
        receipt_id: String,
    },
    /// Stored and judged record by record.
    Received {
        /// The receipt.
        receipt_id: String,
        /// The totals.
        summary: Summary,
    },
}

/// Spools, registers and processes a new-hire file sent by `holder`: the one path every
/// upload takes, from the API or from the employer pages. `named` is the format the
/// sender named; otherwise it is taken from the content.
pub(crate) async fn receive_new_hires<S, E>(
    state: &AppState,
    holder: &TokenHolder,
    content_type: &str,
    named: Option<Format>,
    body: S,
) -> Result<UploadOutcome, ApiError>
where
    S: futures::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    if holder.feins.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "No employer scope",
            "this token is not scoped to any FEIN",
        ));
    }
    let now = now_ms();
    let submitter = newhire::Submitter {
        account_id: Some(holder.account_id),
        name: &holder.name,
    };
    let settings = &state.settings.employers;
    let spooled = spool::receive_stream(
        &state.db,
        &settings.spool_dir,
        &SpooledUpload {
            partner: &holder.name,
            channel: CHANNEL,
            content_type,
        },
        body,
        settings.max_upload_bytes,
        now,
    )
    .await
    .map_err(|error| match error {
        SpoolError::TooLarge { limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "File too large",
            format!("a new-hire file may be at most {limit} bytes; split it and send the parts"),
        ),
        SpoolError::Empty => ApiError::bad_request("the file is empty"),
        SpoolError::Interrupted(_) => {
            ApiError::bad_request("the upload was interrupted; send it again")
        }
        SpoolError::Store(store) => store.into(),
        SpoolError::Io { .. } => {
            tracing::error!(error = %error, "Spooling a new-hire upload failed.");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Storage unavailable",
                "the file could not be stored; try again",
            )
        }
    })?;
    crate::telemetry::metrics::Metrics::partner(&state.metrics.inbound_received, "employers");
    let receipt_id = spooled.received.receipt_id().to_string();
    let intake = new_hire_intake(state);
    if let Received::Duplicate { .. } = spooled.received {
        let summary = newhire::summary(&state.db, &receipt_id).await?;
        return Ok(UploadOutcome::Duplicate {
            receipt_id,
            summary,
        });
    }
    let format = match named {
        Some(format) => format,
        None => {
            let path = spool::spool_path(&state.db, &receipt_id).await?;
            let prefix = match path {
                Some(path) => {
                    read_prefix(path, state.db.sealer().keys().cloned(), receipt_id.clone()).await
                }
                None => Vec::new(),
            };
            match Format::detect(&prefix) {
                Some(format) => format,
                None => {
                    // The bytes are kept (raw first); the receipt says why nothing was read.
                    intake
                        .register(&receipt_id, submitter, &holder.feins, Format::W4, now)
                        .await?;
                    return Err(ApiError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "Unknown file format",
                        format!(
                            "receipt {receipt_id}: the format could not be recognised; name it with \
                             ?format=w4|xx|csv|xml or a Content-Type such as text/csv"
                        ),
                    ));
                }
            }
        }
    };
    intake
        .register(&receipt_id, submitter, &holder.feins, format, now)
        .await?;
    let summary = match intake.process(&receipt_id, now).await {
        Ok(summary) => summary,
        Err(error) => {
            tracing::warn!(receipt_id, error = %error, "Processing a new-hire upload stopped; it will be resumed.");
            return Ok(UploadOutcome::Processing { receipt_id });
        }
    };
    tracing::info!(
        receipt_id,
        records = summary.records,
        accepted = summary.accepted,
        "New-hire file received."
    );
    Ok(UploadOutcome::Received {
        receipt_id,
        summary,
    })
}

/// `POST /employer/v1/new-hires`: a new-hire file. Answers with the receipt id and the
/// totals; the per-record report is at `GET /employer/v1/new-hires/{receipt}`.
async fn upload_new_hires(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<EmployerRole>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let named = match &query.format {
        Some(name) => Some(
            name.parse::<Format>()
                .map_err(|_| ApiError::bad_request("format must be one of w4, xx, csv, xml"))?,
        ),
        None => Format::from_media_type(&content_type),
    };
    let outcome = receive_new_hires(
        &state,
        &holder,
        &content_type,
        named,
        body.into_data_stream(),
    )
    .await?;
    let (receipt_id, summary) = match outcome {
        UploadOutcome::Duplicate {
            receipt_id,
            summary,
        } => {
            if summary.as_ref().is_some_and(Summary::all_outside_scope) {
                return Err(outside_scope(&receipt_id));
            }
            return Ok((
                StatusCode::OK,
                Json(serde_json::json!({
                    "status": "duplicate",
                    "receiptId": receipt_id,
                    "detail": "this file was received before; nothing was applied again",
                    "summary": summary,
                })),
            )
                .into_response());
        }
        UploadOutcome::Processing { receipt_id } => {
            return Ok((
                StatusCode::ACCEPTED,
                Json(serde_json::json!({
                    "status": "processing",
                    "receiptId": receipt_id,
                    "detail": "the file is stored and will be processed; check the receipt later",
                })),
            )
                .into_response());
        }
        UploadOutcome::Received {
            receipt_id,
            summary,
        } => (receipt_id, summary),
    };
    if summary.all_outside_scope() {
        return Err(outside_scope(&receipt_id));
    }
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "status": "received",
            "receiptId": receipt_id,
            "summary": summary,
        })),
    )
        .into_response())
}

/// The answer to a file whose every record is for a FEIN outside the account's scope.
pub(crate) fn outside_scope(receipt_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "FEIN outside your scope",
        format!(
            "receipt {receipt_id}: every record is for a FEIN this account may not report for; nothing was accepted"
        ),
    )
}

/// The first bytes of a spooled upload, clear (the spool file is sealed on disk).
async fn read_prefix(
    path: std::path::PathBuf,
    keys: Option<crate::privacy::DataKeys>,
    receipt_id: String,
) -> Vec<u8> {
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut prefix = vec![0u8; 4096];
        let Ok(mut file) = spool::open(&path, keys.as_ref(), &receipt_id) else {
            return Vec::new();
        };
        let mut filled = 0;
        while filled < prefix.len() {
            match file.read(&mut prefix[filled..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => filled += n,
            }
        }
        prefix.truncate(filled);
        prefix
    })
    .await
    .unwrap_or_default()
}

#[derive(Deserialize)]
struct ReceiptQuery {
    /// Records after this record number (paging).
    #[serde(default)]
    after: i64,
    /// Most records in one page (JSON only; CSV has them all).
    limit: Option<i64>,
}

async fn may_read(
    state: &AppState,
    holder: &TokenHolder,
    receipt_id: &str,
) -> Result<Summary, ApiError> {
    let not_found = || ApiError::not_found(format!("no new-hire receipt {receipt_id}"));
    let submitter = newhire::submitter_account(&state.db, receipt_id)
        .await?
        .ok_or_else(not_found)?;
    if holder.role == Role::Employer && submitter != Some(holder.account_id) {
        // The same answer as for a receipt that does not exist: ids are not confirmed to
        // other employers.
        return Err(not_found());
    }
    newhire::summary(&state.db, receipt_id)
        .await?
        .ok_or_else(not_found)
}

/// `GET /employer/v1/new-hires/{receipt}`: the per-record report, as JSON pages or as CSV
/// (`Accept: text/csv`).
async fn get_receipt(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<ReceiptReaderRoles>,
    Path(receipt_id): Path<String>,
    Query(query): Query<ReceiptQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let summary = may_read(&state, &holder, &receipt_id).await?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if wants_csv {
        return Ok(csv_report(state, receipt_id));
    }
    let limit = query.limit.unwrap_or(1000).clamp(1, 10_000);
    let records = newhire::records(&state.db, &receipt_id, query.after, limit).await?;
    let next_after = (records.len() as i64 == limit)
        .then(|| records.last().map(|r| r.record_no))
        .flatten();
    let records: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            let mut value = serde_json::to_value(r).unwrap_or_default();
            value["problems"] = serde_json::Value::Array(r.problems_json());
            value
        })
        .collect();
    Ok(Json(serde_json::json!({
        "receiptId": receipt_id,
        "summary": summary,
        "records": records,
        "nextAfter": next_after,
    }))
    .into_response())
}

/// The whole report as CSV, streamed page by page so a million-record receipt never sits
/// in memory: `record,status,field,position,code,severity,message,duplicate_of,ndnh_status`,
/// one line per problem (one line with empty problem columns for a clean record).
pub(crate) fn csv_report(state: AppState, receipt_id: String) -> Response {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let header = csv_lines(|out| {
            out.write_record([
                "record",
                "status",
                "field",
                "position",
                "code",
                "severity",
                "message",
                "duplicate_of",
                "ndnh_status",
            ])
        });
        if sender.send(Ok(header)).await.is_err() {
            return;
        }
        let mut after = 0;
        loop {
            let page = match newhire::records(&state.db, &receipt_id, after, 5_000).await {
                Ok(page) => page,
                Err(error) => {
                    let _ = sender
                        .send(Err(std::io::Error::other(error.to_string())))
                        .await;
                    return;
                }
            };
            let Some(last) = page.last().map(|r| r.record_no) else {
                break;
            };
            let chunk = csv_lines(|out| {
                for record in &page {
                    let problems: Vec<newhire::Problem> = record
                        .problems
                        .as_deref()
                        .and_then(|p| serde_json::from_str(p).ok())
                        .unwrap_or_default();
                    let number = record.record_no.to_string();
                    let duplicate = record.duplicate_of.clone().unwrap_or_default();
                    let ndnh = record.ndnh_status.clone().unwrap_or_default();
                    if problems.is_empty() {
                        out.write_record([
                            &number,
                            &record.status,
                            "",
                            "",
                            "",
                            "",
                            "",
                            &duplicate,
                            &ndnh,
                        ])?;
                    }
                    for p in &problems {
                        let position = p.position.map(|p| p.to_string()).unwrap_or_default();
                        out.write_record([
                            &number,
                            &record.status,
                            &p.field,
                            &position,
                            &p.code,
                            &p.severity,
                            &p.message,
                            &duplicate,
                            &ndnh,
                        ])?;
                    }
                }
                Ok(())
            });
            if sender.send(Ok(chunk)).await.is_err() {
                return;
            }
            after = last;
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(receiver);
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"new-hire-receipt.csv\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// CSV lines written by `write` (quoting as CSV requires).
fn csv_lines(write: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>) -> bytes::Bytes {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let _ = write(&mut out);
    bytes::Bytes::from(out.into_inner().unwrap_or_default())
}

/// What became of an acknowledgment file.
pub(crate) enum AckOutcome {
    /// Received now and applied.
    Received {
        /// The receipt.
        receipt_id: String,
        /// The processor's outcome text.
        outcome: Option<String>,
        /// The file as read (verdicts, envelope errors).
        file: Box<ivd_eiwo::AckFile>,
    },
    /// The same file was received before; nothing was applied again.
    Duplicate {
        /// The earlier receipt.
        receipt_id: String,
    },
}

/// Receives and applies an e-IWO acknowledgment file from `holder`: the one path every
/// answer takes, a file posted to the API or a form filled in on the employer pages.
pub(crate) async fn receive_acknowledgments(
    state: &AppState,
    holder: &TokenHolder,
    body: &[u8],
) -> Result<AckOutcome, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("the file is empty"));
    }
    let file = ivd_eiwo::read_acknowledgments(body);
    if let Some(outside) = iwo::feins_outside_scope(&file, &holder.feins) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "FEIN outside your scope",
            format!(
                "acknowledgment record {outside} is for a FEIN this account may not act for; nothing was applied"
            ),
        ));
    }
    let now = now_ms();
    let message_id = iwo::ack_message_id(&file, body);
    let received = intake::receive(
        &state.db,
        &Inbound {
            partner: &holder.name,
            channel: ACK_CHANNEL,
            message_id: Some(&message_id),
            content_type: "text/plain",
            body,
        },
        now,
    )
    .await?;
    match received {
        Received::New { receipt_id } => {
            let processor =
                crate::intake::ProcessorFor::for_channel(state.processors.as_ref(), ACK_CHANNEL);
            let outcome = intake::process_outcome(&state.db, processor, &receipt_id, now).await?;
            Ok(AckOutcome::Received {
                receipt_id,
                outcome,
                file: Box::new(file),
            })
        }
        Received::Duplicate { receipt_id } => Ok(AckOutcome::Duplicate { receipt_id }),
    }
}

/// `POST /employer/v1/iwo-acknowledgments`: an e-IWO acknowledgment file (FHA … FTA).
/// Every acknowledgment must be for a FEIN the token may act for.
async fn post_acknowledgments(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<EmployerRole>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    match receive_acknowledgments(&state, &holder, &body).await? {
        AckOutcome::Received {
            receipt_id,
            outcome,
            file,
        } => {
            let verdicts: Vec<serde_json::Value> = file
                .verdicts
                .iter()
                .map(|v| serde_json::from_str(&v.to_json_line()).unwrap_or_default())
                .collect();
            Ok((
                StatusCode::CREATED,
                Json(serde_json::json!({
                    "status": "received",
                    "receiptId": receipt_id,
                    "outcome": outcome,
                    "envelopeErrors": file.envelope_errors.iter().map(|e| serde_json::json!({
                        "field": e.field, "code": e.code.as_str(), "message": e.message,
                    })).collect::<Vec<_>>(),
                    "records": verdicts,
                })),
            )
                .into_response())
        }
        AckOutcome::Duplicate { receipt_id } => Ok((
            StatusCode::OK,
            Json(serde_json::json!({
                "status": "duplicate",
                "receiptId": receipt_id,
                "detail": "this acknowledgment file was received before; nothing was applied again",
            })),
        )
            .into_response()),
    }
}
