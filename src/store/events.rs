//! The durable feed of inbound events for the state's case system.
//!
//! `GET /state/v1/events?after=CURSOR&limit=N` reads it. The cursor is the event id. The
//! feed is at-least-once (a client that crashes before saving its cursor reads some events
//! again) and its order is stable: event ids are handed out and committed in the same
//! order, because every append takes the feed's ordered-log lock (see
//! [`DbTx::lock_ordered_log`]). Without that, on PostgreSQL a transaction holding id 7
//! could commit after another holding id 8 had been read, and a client whose cursor had
//! moved to 8 would never see 7.
//!
//! Payloads carry transactions and cases with full SSNs: each is sealed at rest under
//! `events:<id>` (see [`super::sealing`]). The id is taken before the insert (the identity
//! sequence on PostgreSQL, `sqlite_sequence` under SQLite's single writer), so one
//! statement writes the row already sealed. [`list_after`] opens them: the feed serves
//! clear payloads to the state system.

use serde::Serialize;

use crate::store::sealing::place;
use crate::store::{Backend, Db, DbTx, OrderedLog, StoreError};
use crate::{on_read, on_tx};

/// An event to append.
#[derive(Clone, Debug)]
pub struct NewEvent<'a> {
    /// What happened, e.g. `inbound.received`.
    pub kind: &'a str,
    /// The partner it came from, when there is one.
    pub partner: Option<&'a str>,
    /// The case it concerns, when known.
    pub case_id: Option<&'a str>,
    /// The inbound receipt it came from, when there is one.
    pub receipt_id: Option<&'a str>,
    /// Event details (canonical JSON).
    pub payload: serde_json::Value,
}

/// An event as the feed serves it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The cursor value of this event.
    pub id: i64,
    /// What happened.
    pub kind: String,
    /// The partner it came from.
    pub partner: Option<String>,
    /// The case it concerns.
    pub case_id: Option<String>,
    /// The inbound receipt it came from.
    pub receipt_id: Option<String>,
    /// Details, as stored JSON text.
    #[serde(skip)]
    pub payload: String,
    /// When it was recorded (ms since the epoch).
    pub created_at: i64,
}

impl Event {
    /// The details as JSON.
    pub fn payload_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.payload).unwrap_or(serde_json::Value::Null)
    }
}

/// Appends an event in the caller's transaction and returns its id.
pub async fn append(tx: &mut DbTx, event: &NewEvent<'_>, now: i64) -> Result<i64, StoreError> {
    tx.lock_ordered_log(OrderedLog::Events).await?;
    let next_id = match tx.backend() {
        Backend::Postgres => "SELECT nextval(pg_get_serial_sequence('events', 'id'))",
        // The write lock is held (BEGIN IMMEDIATE): nobody else takes this id. With
        // AUTOINCREMENT, sqlite_sequence is never below the greatest id ever used.
        Backend::Sqlite => {
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) + 1"
        }
    };
    let (id,): (i64,) = on_tx!(tx, c => {
        sqlx::query_as(next_id).fetch_one(c).await?
    });
    let payload = tx
        .sealer()
        .seal(event.payload.to_string().as_bytes(), &place::event(id))?;
    let insert = match tx.backend() {
        Backend::Postgres => {
            "INSERT INTO events (id, kind, partner, case_id, receipt_id, payload, created_at) \
             OVERRIDING SYSTEM VALUE VALUES ($7, $1, $2, $3, $4, $5, $6)"
        }
        Backend::Sqlite => {
            "INSERT INTO events (id, kind, partner, case_id, receipt_id, payload, created_at) \
             VALUES ($7, $1, $2, $3, $4, $5, $6)"
        }
    };
    on_tx!(tx, c => {
        sqlx::query(insert)
        .bind(event.kind)
        .bind(event.partner)
        .bind(event.case_id)
        .bind(event.receipt_id)
        .bind(&payload)
        .bind(now)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(id)
}

/// Events with an id greater than `after`, oldest first, at most `limit`.
pub async fn list_after(db: &Db, after: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
    let rows: Vec<Event> = on_read!(db, c => {
        sqlx::query_as::<_, Event>(
            "SELECT id, kind, partner, case_id, receipt_id, payload, created_at FROM events \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(c)
        .await?
    });
    rows.into_iter()
        .map(|mut event| {
            event.payload = db
                .sealer()
                .open_text(event.payload, &place::event(event.id))?;
            Ok(event)
        })
        .collect()
}
