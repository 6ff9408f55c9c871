//! Case snapshots pushed by the state's case system.
//!
//! The gateway keeps the latest canonical snapshot of every case it exchanges, with a
//! version that grows by one on every change. Outbound messages name the case and the
//! version they were built from, so a replay can rebuild them from the case as it is now.
//!
//! The snapshot carries full SSNs: it is sealed at rest under `cases:<case_id>` (see
//! [`super::sealing`]); every function here seals on write and opens on read.

use crate::store::sealing::place;
use crate::store::{Backend, Db, DbTx, Sealer, StoreError};
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

/// Whether a read of cases by id may run as a prepared statement kept on its connection.
///
/// Not on PostgreSQL. A kept statement is planned with its parameters for its first five
/// runs, and then PostgreSQL may settle on a generic plan and keep it as long as the
/// connection lives, whatever the table becomes. A first load begins with an empty
/// `cases` table whose sealed snapshots are stored out of line, so a page holds dozens of
/// cases: a generic plan chosen then reads the one page by a sequential scan, and it went
/// on scanning the whole table at every line with a transaction as the load grew it (the
/// bulk push fell to 473 cases/s at 100,000 cases; 2,851 sequential scans of `cases`
/// sampled at 43,000). An unnamed statement is planned at every run with the table's
/// current size (PostgreSQL scales the density it last measured by the pages the table
/// has now, analyzed or not), and by the key from a few pages on: a parse and a plan per
/// read, against a scan of every case. SQLite plans without statistics (none are
/// gathered here) and keeps nothing stale.
fn plan_may_be_kept(backend: Backend) -> bool {
    backend == Backend::Sqlite
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
    let written = put_many(tx, &[(case_id, snapshot)], now).await?;
    Ok(written[0])
}

/// Most cases one statement of [`put_many`] reads or writes (4 parameters each: well under
/// SQLite's and PostgreSQL's limits on bound parameters).
const CHUNK: usize = 500;

/// Stores each `(case_id, snapshot)` of `cases`, in order, as [`put`] would one after the
/// other, and returns each one's `(version, changed)`: the same case twice in `cases`
/// gets two versions (or one, when the second snapshot is the first again).
///
/// A handful of statements per 500 cases instead of two per case: one read of the
/// versions and snapshots stored, one insert of the new cases and one of the changed
/// ones, whatever their number. That is what lets a bulk push store thousands of cases a
/// second on PostgreSQL, where every statement is a round trip; the single `PUT` takes the
/// same path with one case.
///
/// On PostgreSQL the stored rows are read `FOR UPDATE`: two pushes of the same case queue
/// instead of both building on the version they read. A new case inserted by another
/// transaction meanwhile fails the insert (the key is taken), as two first pushes of one
/// case always did; the caller answers "try again".
pub async fn put_many(
    tx: &mut DbTx,
    cases: &[(&str, &str)],
    now: i64,
) -> Result<Vec<(i64, bool)>, StoreError> {
    let mut written = Vec::with_capacity(cases.len());
    for chunk in cases.chunks(CHUNK) {
        written.extend(put_chunk(tx, chunk, now).await?);
    }
    Ok(written)
}

async fn put_chunk(
    tx: &mut DbTx,
    cases: &[(&str, &str)],
    now: i64,
) -> Result<Vec<(i64, bool)>, StoreError> {
    use std::collections::HashMap;

    let mut ids: Vec<&str> = cases.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let backend = tx.backend();
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let rows: Vec<(String, i64, String)> = on_tx!(tx, c => {
        let mut select =
            sqlx::QueryBuilder::new("SELECT case_id, version, snapshot FROM cases WHERE case_id IN (");
        let mut list = select.separated(", ");
        for id in &ids {
            list.push_bind(*id);
        }
        // In key order: two transactions locking overlapping cases lock them in the same
        // order, and so wait for each other instead of deadlocking.
        select.push(") ORDER BY case_id");
        select.push(lock);
        select
            .build_query_as()
            .persistent(plan_may_be_kept(backend))
            .fetch_all(c)
            .await?
    });
    // What is stored now (opened), then what each case of `cases` leaves behind.
    let mut stored: HashMap<String, (i64, String)> = HashMap::with_capacity(rows.len());
    for (case_id, version, sealed) in rows {
        let snapshot = tx.sealer().open_text(sealed, &place::case(&case_id))?;
        stored.insert(case_id, (version, snapshot));
    }
    let mut latest: HashMap<&str, (i64, &str)> = HashMap::with_capacity(ids.len());
    let mut written = Vec::with_capacity(cases.len());
    for (case_id, snapshot) in cases {
        let current = latest
            .get(case_id)
            .map(|(version, snapshot)| (*version, *snapshot))
            .or_else(|| {
                stored
                    .get(*case_id)
                    .map(|(version, snapshot)| (*version, snapshot.as_str()))
            });
        match current {
            Some((version, current)) if current == *snapshot => written.push((version, false)),
            Some((version, _)) => {
                latest.insert(*case_id, (version + 1, *snapshot));
                written.push((version + 1, true));
            }
            None => {
                latest.insert(*case_id, (1, *snapshot));
                written.push((1, true));
            }
        }
    }
    // New cases are inserted plainly (a key taken meanwhile fails the insert); changed
    // ones replace the rows this transaction read (and, on PostgreSQL, holds locked).
    let mut new_rows = Vec::new();
    let mut changed_rows = Vec::new();
    for id in &ids {
        let Some((version, snapshot)) = latest.get(id) else {
            continue;
        };
        let sealed = tx.sealer().seal(snapshot.as_bytes(), &place::case(id))?;
        if stored.contains_key(*id) {
            changed_rows.push((*id, *version, sealed));
        } else {
            new_rows.push((*id, *version, sealed));
        }
    }
    for (rows, upsert) in [(new_rows, false), (changed_rows, true)] {
        if rows.is_empty() {
            continue;
        }
        on_tx!(tx, c => {
            let mut insert =
                sqlx::QueryBuilder::new("INSERT INTO cases (case_id, version, snapshot, updated_at) ");
            insert.push_values(&rows, |mut row, (id, version, sealed)| {
                row.push_bind(*id)
                    .push_bind(*version)
                    .push_bind(sealed.as_str())
                    .push_bind(now);
            });
            if upsert {
                insert.push(
                    " ON CONFLICT (case_id) DO UPDATE SET version = excluded.version, \
                     snapshot = excluded.snapshot, updated_at = excluded.updated_at",
                );
            }
            insert.build().execute(c).await?.rows_affected()
        });
    }
    Ok(written)
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
        .persistent(plan_may_be_kept(db.backend()))
        .fetch_optional(c)
        .await?
    });
    row.map(|case| opened(db.sealer(), case)).transpose()
}

/// Reads the latest snapshot of a case inside a transaction.
pub async fn get_in(tx: &mut DbTx, case_id: &str) -> Result<Option<StoredCase>, StoreError> {
    let backend = tx.backend();
    let row = on_tx!(tx, c => {
        sqlx::query_as::<_, StoredCase>(
            "SELECT case_id, version, snapshot, updated_at FROM cases WHERE case_id = $1",
        )
        .bind(case_id)
        .persistent(plan_may_be_kept(backend))
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
