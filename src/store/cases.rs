//! Case snapshots pushed by the state's case system.
//!
//! The gateway keeps the latest canonical snapshot of every case it exchanges, with a
//! version that grows by one on every change. Outbound messages name the case and the
//! version they were built from, so a replay can rebuild them from the case as it is now.
//!
//! The snapshot carries full SSNs: it is sealed at rest under `cases:<case_id>` (see
//! [`super::sealing`]); every function here seals on write and opens on read.

use crate::store::sealing::place;
use crate::store::{Db, DbTx, Sealer, StoreError};
use crate::{on_read, on_tx};

/// A stored case snapshot.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredCase {
    /// The IV-D case id.
    pub case_id: String,
    /// Grows by one on every stored change.
    pub version: i64,
    /// The canonical JSON of the case.
    pub snapshot: String,
    /// When it was last stored (ms since the epoch).
    pub updated_at: i64,
}

/// Stores `snapshot` as the latest state of `case_id`; returns the new version. An
/// identical snapshot keeps its version, so a state system that pushes the same case
/// twice does not make the gateway think anything changed.
pub async fn put(
    tx: &mut DbTx,
    case_id: &str,
    snapshot: &str,
    now: i64,
) -> Result<(i64, bool), StoreError> {
    let existing: Option<(i64, String)> = on_tx!(tx, c => {
        sqlx::query_as("SELECT version, snapshot FROM cases WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(c)
            .await?
    });
    let here = place::case(case_id);
    let existing = match existing {
        Some((version, stored)) => Some((version, tx.sealer().open_text(stored, &here)?)),
        None => None,
    };
    let sealed = tx.sealer().seal(snapshot.as_bytes(), &here)?;
    match existing {
        Some((version, stored)) if stored == snapshot => Ok((version, false)),
        Some((version, _)) => {
            on_tx!(tx, c => {
                sqlx::query("UPDATE cases SET version = $1, snapshot = $2, updated_at = $3 WHERE case_id = $4")
                    .bind(version + 1)
                    .bind(&sealed)
                    .bind(now)
                    .bind(case_id)
                    .execute(c)
                    .await?
            .rows_affected()
            });
            Ok((version + 1, true))
        }
        None => {
            on_tx!(tx, c => {
                sqlx::query("INSERT INTO cases (case_id, version, snapshot, updated_at) VALUES ($1, 1, $2, $3)")
                    .bind(case_id)
                    .bind(&sealed)
                    .bind(now)
                    .execute(c)
                    .await?
            .rows_affected()
            });
            Ok((1, true))
        }
    }
}

fn opened(sealer: &Sealer, mut case: StoredCase) -> Result<StoredCase, StoreError> {
    case.snapshot = sealer.open_text(case.snapshot, &place::case(&case.case_id))?;
    Ok(case)
}

/// Reads the latest snapshot of a case.
pub async fn get(db: &Db, case_id: &str) -> Result<Option<StoredCase>, StoreError> {
    let row = on_read!(db, c => {
        sqlx::query_as::<_, StoredCase>(
            "SELECT case_id, version, snapshot, updated_at FROM cases WHERE case_id = $1",
        )
        .bind(case_id)
        .fetch_optional(c)
        .await?
    });
    row.map(|case| opened(db.sealer(), case)).transpose()
}

/// Reads the latest snapshot of a case inside a transaction.
pub async fn get_in(tx: &mut DbTx, case_id: &str) -> Result<Option<StoredCase>, StoreError> {
    let row = on_tx!(tx, c => {
        sqlx::query_as::<_, StoredCase>(
            "SELECT case_id, version, snapshot, updated_at FROM cases WHERE case_id = $1",
        )
        .bind(case_id)
        .fetch_optional(c)
        .await?
    });
    row.map(|case| opened(tx.sealer(), case)).transpose()
}

/// Up to `limit` cases whose id is greater than `after`, in id order: how jobs walk every
/// case page by page.
pub async fn page_after(db: &Db, after: &str, limit: i64) -> Result<Vec<StoredCase>, StoreError> {
    let rows = on_read!(db, c => {
        sqlx::query_as::<_, StoredCase>(
            "SELECT case_id, version, snapshot, updated_at FROM cases WHERE case_id > $1 \
             ORDER BY case_id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(c)
        .await?
    });
    rows.into_iter()
        .map(|case| opened(db.sealer(), case))
        .collect()
}

/// Every case, in id order, inside a transaction (the offset exchange compares them all
/// with what is certified).
pub async fn all_in(tx: &mut DbTx) -> Result<Vec<StoredCase>, StoreError> {
    let rows = on_tx!(tx, c => {
        sqlx::query_as::<_, StoredCase>(
            "SELECT case_id, version, snapshot, updated_at FROM cases ORDER BY case_id",
        )
        .fetch_all(c)
        .await?
    });
    rows.into_iter()
        .map(|case| opened(tx.sealer(), case))
        .collect()
}
