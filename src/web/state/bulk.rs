//! The bulk case push: `POST /state/v1/cases/bulk`, a stream of cases in, a stream of
//! verdicts out.
//!
//! A state system's first load, or its nightly sync, is hundreds of thousands of cases. One
//! `PUT` a case would cost a request, a transaction and a commit each; here the state system
//! sends them all in one request, as NDJSON (`application/x-ndjson`), one line a case:
//!
//! ```json
//! {"case": {…the case, exactly as PUT /state/v1/cases/{id} takes it…}}
//! {"case": {…}, "transaction": {"partner": "state-19", "format": "case-json"}}
//! ```
//!
//! `transaction`, when present, is what `POST /state/v1/cases/{id}/transactions` takes: it
//! is enqueued for the line's case as that case stands after the line.
//!
//! # What comes back
//!
//! `200` with NDJSON, one verdict a line, in the order of the lines, as they are decided:
//!
//! ```json
//! {"line":1,"caseId":"MN-0001234","outcome":"accepted","version":1}
//! {"line":2,"caseId":"MN-0001235","outcome":"unchanged","version":4,"transaction":{"messageId":7,"idempotencyKey":"case-MN-0001235-v4","duplicate":false}}
//! {"line":3,"caseId":"MN-0001236","outcome":"rejected","errors":[{"field":"case.participants[0].person.ssn","code":"SSN_AREA","message":"…"}]}
//! {"summary":{"lines":3,"accepted":1,"unchanged":1,"rejected":1,"complete":true}}
//! ```
//!
//! - `accepted`: the case is stored, new or changed (`version` is its version now);
//!   `unchanged`: it is stored already, identical (its version stays). Either way the
//!   line's transaction, if it has one, is in the outbox (`duplicate` when it was there
//!   already under the same idempotency key).
//! - `rejected`: nothing of the line is stored, neither the case nor its transaction; every
//!   problem is listed with its field (`case.…` in the case, `transaction.…` in the
//!   request, `line` for the line as a whole), its stable code and a message. The case id
//!   is given when the line names a valid one. No verdict carries a value of the case
//!   other than its id (never an SSN or a name).
//! - Blank lines are skipped: they keep their number and get no verdict.
//! - The last line is the `summary`. `complete: false` says the push stopped before the
//!   end of the body: `stoppedAfterLine` is the last line that has its verdict, `code` and
//!   `message` say why (`BODY_TOO_LARGE`, `BODY_READ_FAILED`, `BODY_TIMEOUT`,
//!   `STORAGE_UNAVAILABLE`, `INTERNAL_ERROR`). Lines after it were not stored; send them
//!   again. Every line can be sent again safely: an identical case is `unchanged`, and a transaction of an
//!   unchanged case is recognised by its idempotency key (`duplicate`).
//!
//! # Durability
//!
//! A line's verdict is written only after the database transaction holding it has
//! committed (synchronous commit on PostgreSQL, `synchronous=FULL` on SQLite): an
//! `accepted` line survives a crash of the gateway and a power cut. A rejected line is
//! decided without the database, but its verdict still waits for the lines before it.
//!
//! # Throughput and bounded memory
//!
//! Three stages run at once. The **reader** takes the body as it arrives and cuts it into
//! lines; groups of up to [`PARSE_GROUP`] lines are parsed and checked (the canonical model,
//! the transaction against the partner's agreement: the CPU work, most of a push's) on the
//! blocking pool, as many groups at once as there are cores. The **writer** takes up to [`BATCH_LINES`] parsed lines (fewer
//! when no more arrive within [`BATCH_WAIT`], or when [`BATCH_TRANSACTIONS`] of them carry a
//! transaction) and stores them in one database transaction: runs of lines without a
//! transaction go through [`super::store_cases`] together (a few statements per 500 cases),
//! each line with a transaction in a savepoint of its own, so that a transaction refused
//! only by the database (a message its format cannot build) undoes its own line and no
//! other. On SQLite that one transaction is a unit of the group-commit writer
//! ([`crate::store::writer`]); the outbox dispatcher's writes queue behind one batch at
//! most. Then the **response** carries the batch's verdicts out.
//!
//! Each stage waits for the next when it is ahead: at most [`QUEUED_GROUPS`] groups of
//! lines are being parsed or wait for the writer, taken by it in order, and at most [`QUEUED_BATCHES`] batches of verdicts for the client.
//! A client must read its verdicts while it sends (full duplex, as HTTP/1.1 and HTTP/2
//! allow); one that reads nothing holds its own upload back, and the gateway's memory
//! stays bounded. A line longer than `server.bulk_max_line_bytes` is rejected
//! (`LINE_TOO_LONG`) and skipped without being held; the body as a whole is bounded by
//! `server.bulk_max_bytes`, not by `server.max_body_bytes`; a body that sends nothing for
//! `server.idle_timeout_secs` is ended (`BODY_TIMEOUT`).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{
    CheckedTransaction, PushedCase, TransactionError, TransactionQueued, TransactionRequest,
    store_cases,
};
use crate::store::{DbTx, StoreError, now_ms};
use crate::web::{ApiError, AppState, Bearer, FieldProblem, StateSystemRole};

/// The media type of the request and of the answer.
pub const NDJSON: &str = "application/x-ndjson";

/// Most lines stored in one database transaction.
pub const BATCH_LINES: usize = 500;
/// Most lines with a transaction in one batch: each is several statements and a savepoint,
/// and a batch holds SQLite's single writer while it runs.
pub const BATCH_TRANSACTIONS: usize = 100;
/// How long the writer waits for more lines before it stores a batch that is not full.
pub const BATCH_WAIT: Duration = Duration::from_millis(3);
/// Most lines in one group parsed on the blocking pool.
pub const PARSE_GROUP: usize = 64;
/// Groups being parsed or waiting for the writer (at most 2,048 lines).
pub const QUEUED_GROUPS: usize = 32;
/// Batches of verdicts waiting for the client to read them (some 50 KB each).
pub const QUEUED_BATCHES: usize = 64;

/// One line as the state system sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    case: ivd_model::Case,
    #[serde(default)]
    transaction: Option<TransactionRequest>,
}

/// Just the case id of a line that did not parse, if it names a valid one.
#[derive(Deserialize)]
struct LineCaseId {
    case: Option<CaseIdOnly>,
}

#[derive(Deserialize)]
struct CaseIdOnly {
    id: Option<String>,
}

/// A line after the reader: ready to store, or already rejected.
enum Parsed {
    Ready {
        case: Box<PushedCase>,
        transaction: Option<CheckedTransaction>,
    },
    Rejected {
        case_id: Option<String>,
        errors: Vec<FieldProblem>,
    },
}

/// What the reader hands the writer.
enum FromReader {
    /// Lines numbered from `first` on, being parsed on the blocking pool (a blank line is
    /// `None`).
    Lines {
        first: u64,
        parsed: tokio::task::JoinHandle<Vec<Option<Parsed>>>,
    },
    /// The body ended after `lines` lines; nothing more comes.
    End { lines: u64 },
    /// The reader stopped before the end of the body; nothing more comes.
    Stopped { lines: u64, stop: Stop },
}

/// Why a push stopped before the end of its body.
#[derive(Clone, Copy, Debug)]
enum Stop {
    TooLarge(u64),
    ReadFailed,
    Timeout(u64),
    Storage,
    Internal,
}

impl Stop {
    fn code(self) -> &'static str {
        match self {
            Stop::TooLarge(_) => "BODY_TOO_LARGE",
            Stop::ReadFailed => "BODY_READ_FAILED",
            Stop::Timeout(_) => "BODY_TIMEOUT",
            Stop::Storage => "STORAGE_UNAVAILABLE",
            Stop::Internal => "INTERNAL_ERROR",
        }
    }

    fn message(self) -> String {
        match self {
            Stop::TooLarge(limit) => format!(
                "the push is larger than {limit} bytes (server.bulk_max_bytes); send the rest in another push"
            ),
            Stop::ReadFailed => "the body could not be read to its end".to_string(),
            Stop::Timeout(secs) => format!("the body sent nothing for {secs} s"),
            Stop::Storage => {
                "the database could not store the next lines; send them again".to_string()
            }
            Stop::Internal => {
                "the gateway failed while reading the next lines; send them again".to_string()
            }
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    Accepted,
    Unchanged,
    Rejected,
}

/// The verdict of one line.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Verdict {
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    case_id: Option<String>,
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction: Option<TransactionQueued>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldProblem>,
}

impl Verdict {
    fn rejected(line: u64, case_id: Option<String>, errors: Vec<FieldProblem>) -> Verdict {
        Verdict {
            line,
            case_id,
            outcome: Outcome::Rejected,
            version: None,
            transaction: None,
            errors,
        }
    }

    fn stored(
        line: u64,
        case_id: &str,
        (version, changed): (i64, bool),
        transaction: Option<TransactionQueued>,
    ) -> Verdict {
        Verdict {
            line,
            case_id: Some(case_id.to_string()),
            outcome: if changed {
                Outcome::Accepted
            } else {
                Outcome::Unchanged
            },
            version: Some(version),
            transaction,
            errors: Vec::new(),
        }
    }
}

/// The last line of the answer.
#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    /// Lines read (blank ones included).
    lines: u64,
    accepted: u64,
    unchanged: u64,
    rejected: u64,
    complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped_after_line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

impl Summary {
    fn count(&mut self, verdict: &Verdict) {
        match verdict.outcome {
            Outcome::Accepted => self.accepted += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Rejected => self.rejected += 1,
        }
    }
}

/// `POST /state/v1/cases/bulk`: see the module documentation.
pub async fn post_cases(
    State(state): State<AppState>,
    _: Bearer<StateSystemRole>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if media_type.as_deref() != Some(NDJSON) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            format!("a bulk push is {NDJSON}: one JSON object a line"),
        ));
    }
    let (lines, parsed) = mpsc::channel(QUEUED_GROUPS);
    let (verdicts, answer) =
        mpsc::channel::<Result<Bytes, std::convert::Infallible>>(QUEUED_BATCHES);
    tokio::spawn(read_lines(state.clone(), body, lines));
    tokio::spawn(write_batches(state, parsed, verdicts));
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, NDJSON)],
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(answer)),
    )
        .into_response())
}

/// The reader: cuts the body into lines, parses and checks each, hands them on in order.
/// Returns when the body ends, when it stops early (the last message says why), or when
/// the writer has gone (the client left).
async fn read_lines(state: AppState, body: Body, out: mpsc::Sender<FromReader>) {
    let server = &state.settings.server;
    let max_bytes = server.bulk_max_bytes;
    let max_line = server.bulk_max_line_bytes;
    let idle = Duration::from_secs(server.idle_timeout_secs);
    let mut stream = body.into_data_stream();
    let mut cutter = LineCutter::new(max_line);
    let mut pieces = Vec::new();
    // Lines read so far; the next group starts after it.
    let mut number: u64 = 0;
    let mut read: u64 = 0;
    let stop = loop {
        let chunk = match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => break Some(Stop::Timeout(idle.as_secs())),
            Ok(None) => break None,
            Ok(Some(Err(_))) => break Some(Stop::ReadFailed),
            Ok(Some(Ok(chunk))) => chunk,
        };
        // Only the bytes within the bound are read; a line they cut short is not.
        let allowed = usize::try_from(max_bytes.saturating_sub(read)).unwrap_or(usize::MAX);
        let within = &chunk[..chunk.len().min(allowed)];
        read += within.len() as u64;
        cutter.feed(within, &mut pieces);
        while !pieces.is_empty() {
            let group: Vec<Piece> = pieces.drain(..pieces.len().min(PARSE_GROUP)).collect();
            if !hand_on(&state, &out, &mut number, group, max_line).await {
                return;
            }
        }
        if within.len() < chunk.len() {
            break Some(Stop::TooLarge(max_bytes));
        }
    };
    // The last line may lack its newline.
    if stop.is_none()
        && let Some(piece) = cutter.finish()
        && !hand_on(&state, &out, &mut number, vec![piece], max_line).await
    {
        return;
    }
    let last = match stop {
        None => FromReader::End { lines: number },
        Some(stop) => FromReader::Stopped {
            lines: number,
            stop,
        },
    };
    let _ = out.send(last).await;
}

/// Starts parsing `group` (the lines after line `number`) on the blocking pool and hands
/// it on; false when the writer has gone. Groups are parsed at once on as many cores as
/// there are, and the writer takes them in order.
async fn hand_on(
    state: &AppState,
    out: &mpsc::Sender<FromReader>,
    number: &mut u64,
    group: Vec<Piece>,
    max_line: usize,
) -> bool {
    let first = *number + 1;
    *number += group.len() as u64;
    let state = state.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        group
            .into_iter()
            .map(|piece| piece.parse(&state, max_line))
            .collect()
    });
    out.send(FromReader::Lines { first, parsed }).await.is_ok()
}

/// What [`LineCutter`] cuts a body into, one a line.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    /// A whole line, without its newline.
    Line(Vec<u8>),
    /// A line longer than the bound; its bytes were dropped.
    TooLong,
}

impl Piece {
    /// Parses and checks the line; `None` for a blank line.
    fn parse(self, state: &AppState, max_line: usize) -> Option<Parsed> {
        match self {
            Piece::Line(bytes) => parse_line(state, &bytes),
            Piece::TooLong => Some(Parsed::Rejected {
                case_id: None,
                errors: vec![FieldProblem {
                    field: "line".to_string(),
                    code: "LINE_TOO_LONG".to_string(),
                    message: format!(
                        "the line is longer than {max_line} bytes (server.bulk_max_line_bytes)"
                    ),
                }],
            }),
        }
    }
}

/// Cuts a body, as its chunks arrive, into lines of at most `max` bytes (without the
/// newline). A longer line is reported once, as soon as it passes the bound, and its
/// bytes are dropped up to its newline: what is held never exceeds `max`.
struct LineCutter {
    max: usize,
    /// The start of the line being read.
    line: Vec<u8>,
    /// The line being read is too long: its bytes are dropped up to its newline.
    skipping: bool,
}

impl LineCutter {
    fn new(max: usize) -> Self {
        LineCutter {
            max,
            line: Vec::new(),
            skipping: false,
        }
    }

    /// Cuts `chunk`; the lines it completes go to `out`.
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<Piece>) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let (part, ended) = match rest.iter().position(|b| *b == b'\n') {
                Some(at) => (&rest[..at], true),
                None => (rest, false),
            };
            rest = if ended { &rest[part.len() + 1..] } else { &[] };
            if self.skipping {
                self.skipping = !ended;
                continue;
            }
            if self.line.len() + part.len() > self.max {
                self.line = Vec::new();
                self.skipping = !ended;
                out.push(Piece::TooLong);
                continue;
            }
            self.line.extend_from_slice(part);
            if ended {
                out.push(Piece::Line(std::mem::take(&mut self.line)));
            }
        }
    }

    /// The last line, when the body does not end with a newline.
    fn finish(self) -> Option<Piece> {
        (!self.skipping && !self.line.is_empty()).then_some(Piece::Line(self.line))
    }
}

/// Parses and checks one line (without its newline); `None` for a blank line.
fn parse_line(state: &AppState, bytes: &[u8]) -> Option<Parsed> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let line: Line = match ivd_casejson::parse_json(bytes, "line") {
        Ok(line) => line,
        Err(errors) => {
            return Some(Parsed::Rejected {
                case_id: case_id_of(bytes),
                errors: errors.into_iter().map(FieldProblem::from).collect(),
            });
        }
    };
    let case_id = Some(line.case.id.as_str().to_string());
    let mut errors: Vec<FieldProblem> = match ivd_casejson::validate_case(&line.case, "case.") {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(FieldProblem::from).collect(),
    };
    let transaction = match line.transaction.as_ref().map(|t| t.check(state)) {
        None => None,
        Some(Ok(checked)) => Some(checked),
        Some(Err(refusal)) => {
            errors.push(refusal.problem("transaction"));
            None
        }
    };
    if !errors.is_empty() {
        return Some(Parsed::Rejected { case_id, errors });
    }
    let Some(case) = PushedCase::new(line.case) else {
        return Some(Parsed::Rejected {
            case_id,
            errors: vec![FieldProblem {
                field: "case".to_string(),
                code: "INVALID_VALUE".to_string(),
                message: "the case cannot be serialised".to_string(),
            }],
        });
    };
    Some(Parsed::Ready {
        case: Box::new(case),
        transaction,
    })
}

/// The case id a line that did not parse names, when it is a valid one (a case id is not
/// personal data; anything else of the line may be).
fn case_id_of(bytes: &[u8]) -> Option<String> {
    let line: LineCaseId = serde_json::from_slice(bytes).ok()?;
    let id = line.case?.id?;
    ivd_model::CaseId::parse(&id).ok()?;
    Some(id)
}

/// The writer: takes the parsed lines in batches, stores each batch in one transaction and
/// sends its verdicts once it has committed; ends with the summary.
async fn write_batches(
    state: AppState,
    mut lines: mpsc::Receiver<FromReader>,
    out: mpsc::Sender<Result<Bytes, std::convert::Infallible>>,
) {
    let mut summary = Summary::default();
    let mut last_verdict: u64 = 0;
    // The last line handed over (lines read, when the writer stops first).
    let mut received: u64 = 0;
    let mut ended: Option<(u64, Option<Stop>)> = None;
    let started = std::time::Instant::now();
    while ended.is_none() {
        let Some(first) = lines.recv().await else {
            // The reader is gone without a last word: it cannot happen but by a panic.
            ended = Some((received, Some(Stop::Internal)));
            break;
        };
        let mut batch: Vec<(u64, Parsed)> = Vec::new();
        let mut transactions = 0;
        let deadline = tokio::time::Instant::now() + BATCH_WAIT;
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                FromReader::Lines { first, parsed } => match parsed.await {
                    Ok(group) => {
                        for (number, parsed) in (first..).zip(group) {
                            received = number;
                            let Some(parsed) = parsed else { continue };
                            if matches!(
                                parsed,
                                Parsed::Ready {
                                    transaction: Some(_),
                                    ..
                                }
                            ) {
                                transactions += 1;
                            }
                            batch.push((number, parsed));
                        }
                    }
                    Err(error) => {
                        tracing::error!(error = %error, "Parsing lines of a bulk case push failed.");
                        ended = Some((received, Some(Stop::Internal)));
                    }
                },
                FromReader::End { lines } => ended = Some((lines, None)),
                FromReader::Stopped { lines, stop } => ended = Some((lines, Some(stop))),
            }
            if ended.is_some() || batch.len() >= BATCH_LINES || transactions >= BATCH_TRANSACTIONS {
                break;
            }
            next = match lines.try_recv() {
                Ok(message) => Some(message),
                Err(mpsc::error::TryRecvError::Disconnected) => None,
                Err(mpsc::error::TryRecvError::Empty) => {
                    tokio::time::timeout_at(deadline, lines.recv())
                        .await
                        .ok()
                        .flatten()
                }
            };
        }
        if batch.is_empty() {
            continue;
        }
        let verdicts = match store_batch(&state, batch).await {
            Ok(verdicts) => verdicts,
            Err(error) => {
                tracing::error!(error = %error, after_line = last_verdict, "A bulk case push stopped: storage failed.");
                ended = Some((received, Some(Stop::Storage)));
                break;
            }
        };
        let mut chunk = Vec::with_capacity(verdicts.len() * 96);
        for verdict in &verdicts {
            summary.count(verdict);
            last_verdict = verdict.line;
            if serde_json::to_writer(&mut chunk, verdict).is_ok() {
                chunk.push(b'\n');
            }
        }
        if out.send(Ok(Bytes::from(chunk))).await.is_err() {
            // The client left; what committed stays committed.
            tracing::info!(
                after_line = last_verdict,
                "A bulk case push ended: the client stopped reading its verdicts."
            );
            return;
        }
    }
    let (lines_read, stop) = ended.unwrap_or((last_verdict, None));
    summary.lines = lines_read;
    summary.complete = stop.is_none();
    if let Some(stop) = stop {
        summary.stopped_after_line = Some(last_verdict);
        summary.code = Some(stop.code());
        summary.message = Some(stop.message());
    }
    tracing::info!(
        lines = summary.lines,
        accepted = summary.accepted,
        unchanged = summary.unchanged,
        rejected = summary.rejected,
        complete = summary.complete,
        seconds = started.elapsed().as_secs_f64(),
        "A bulk case push ended."
    );
    let mut last =
        serde_json::to_vec(&serde_json::json!({ "summary": summary })).unwrap_or_default();
    last.push(b'\n');
    let _ = out.send(Ok(Bytes::from(last))).await;
}

/// Stores one batch in one transaction; the verdicts of its lines, in order, once it has
/// committed. A storage failure fails the whole batch (nothing of it is kept).
async fn store_batch(
    state: &AppState,
    batch: Vec<(u64, Parsed)>,
) -> Result<Vec<Verdict>, StoreError> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let mut verdicts: Vec<Option<Verdict>> = Vec::with_capacity(batch.len());
    // Lines without a transaction, stored together when a line with one (or the end)
    // comes: (index in the batch, line number, case).
    let mut run: Vec<(usize, u64, &PushedCase)> = Vec::new();
    let mut enqueued = false;
    for (number, parsed) in &batch {
        match parsed {
            Parsed::Rejected { case_id, errors } => {
                verdicts.push(Some(Verdict::rejected(
                    *number,
                    case_id.clone(),
                    errors.clone(),
                )));
            }
            Parsed::Ready {
                case,
                transaction: None,
            } => {
                run.push((verdicts.len(), *number, case));
                verdicts.push(None);
            }
            Parsed::Ready {
                case,
                transaction: Some(transaction),
            } => {
                store_run(&mut tx, state, &mut run, &mut verdicts, now).await?;
                let verdict =
                    store_with_transaction(&mut tx, state, *number, case, transaction, now).await?;
                enqueued |= verdict
                    .transaction
                    .as_ref()
                    .is_some_and(|queued| !queued.duplicate);
                verdicts.push(Some(verdict));
            }
        }
    }
    store_run(&mut tx, state, &mut run, &mut verdicts, now).await?;
    tx.commit().await?;
    if enqueued {
        state.dispatcher_wake.notify_one();
    }
    Ok(verdicts.into_iter().flatten().collect())
}

/// Stores the lines of `run` together and fills in their verdicts.
async fn store_run(
    tx: &mut DbTx,
    state: &AppState,
    run: &mut Vec<(usize, u64, &PushedCase)>,
    verdicts: &mut [Option<Verdict>],
    now: i64,
) -> Result<(), StoreError> {
    if run.is_empty() {
        return Ok(());
    }
    let cases: Vec<&PushedCase> = run.iter().map(|(_, _, case)| *case).collect();
    let written = store_cases(tx, &state.lookup_key, &cases, now).await?;
    for ((at, number, case), written) in run.drain(..).zip(written) {
        verdicts[at] = Some(Verdict::stored(
            number,
            case.case.id.as_str(),
            written,
            None,
        ));
    }
    Ok(())
}

/// Stores one line with a transaction, in a savepoint: a transaction the database refuses
/// (a message its format cannot build from the case) undoes the line's case too, and
/// nothing else.
async fn store_with_transaction(
    tx: &mut DbTx,
    state: &AppState,
    number: u64,
    case: &PushedCase,
    transaction: &CheckedTransaction,
    now: i64,
) -> Result<Verdict, StoreError> {
    savepoint(tx, "SAVEPOINT bulk_line").await?;
    let written = store_cases(tx, &state.lookup_key, &[case], now).await?[0];
    let case_id = case.case.id.as_str();
    match super::enqueue_transaction(tx, case_id, transaction, now).await {
        Ok(queued) => {
            savepoint(tx, "RELEASE bulk_line").await?;
            Ok(Verdict::stored(number, case_id, written, Some(queued)))
        }
        Err(TransactionError::Refused(refusal)) => {
            savepoint(tx, "ROLLBACK TO bulk_line; RELEASE bulk_line").await?;
            Ok(Verdict::rejected(
                number,
                Some(case_id.to_string()),
                vec![refusal.problem("transaction")],
            ))
        }
        Err(TransactionError::Store(error)) => Err(error),
    }
}

async fn savepoint(tx: &mut DbTx, sql: &'static str) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => {
        sqlx::raw_sql(sql).execute(c).await?;
    });
    Ok(())
}

#[cfg(test)]
mod tests;
