//! Key rotation: `ivd-gateway keys rotate` and `ivd-gateway keys list`.
//!
//! Rotation writes a new data key (`<data_key_dir>/<id>.key`, owner-only, an id greater
//! than every existing one, so it is the key that seals) and re-seals every sealed value
//! of every table ([`SEALED_COLUMNS`]) under it, walking each table in primary-key order in
//! batches of [`BATCH`] rows, one short transaction per batch:
//!
//! - **Idempotent and resumable.** A value already under the new key is skipped, so a run
//!   that stopped half way (crash, Ctrl-C, a key missing) is finished by running it again
//!   with the same `--new-key-id` (or none: the newest key is reused when nothing else was
//!   created since).
//! - **Never overwrites a newer write.** Each update is guarded by the value it re-sealed
//!   (`AND column = <old value>`); a row a running gateway changed meanwhile is left as it
//!   is (already sealed under whatever key that gateway holds) and counted as `changed`.
//! - **Clear values from before sealing** (read as they are until then) are sealed by the same pass.
//! - **Old keys are kept**: backups may still need them. Retiring a key is deleting its
//!   file once `keys list` shows no value under it (and no backup you keep needs it).
//!
//! Running gateways load keys at start: restart them after a rotation so they seal under
//! the new key and can open what was re-sealed, then run `keys rotate` again (with the same
//! id) to catch anything written under the old key in between.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::privacy::files::KeyPermissionPolicy;
use crate::privacy::{DataKeys, SealError};
use crate::store::sealing::{self, place};
use crate::store::{Db, StoreError};
use crate::{on_read, on_tx};

/// Rows re-sealed per transaction.
pub const BATCH: i64 = 500;

#[derive(Clone, Copy, Debug)]
enum KeyKind {
    Int,
    Text,
}

#[derive(Clone, Debug)]
enum KeyValue {
    Int(i64),
    Text(String),
}

impl KeyValue {
    fn text(&self) -> String {
        match self {
            KeyValue::Int(value) => value.to_string(),
            KeyValue::Text(value) => value.clone(),
        }
    }
}

/// One sealed column, with the associated data of its rows.
#[derive(Debug)]
pub struct SealedColumn {
    /// Table.
    pub table: &'static str,
    /// Column.
    pub column: &'static str,
    /// BLOB / BYTEA (the sealed text as bytes) rather than TEXT.
    blob: bool,
    /// The row's primary key, in order (walked in this order).
    keys: &'static [(&'static str, KeyKind)],
    /// Further columns the associated data needs.
    extra: &'static [&'static str],
    /// The associated data from the key columns then the extra columns, as text.
    place: fn(&[String]) -> String,
}

use KeyKind::{Int, Text};

/// Every column sealed at rest.
pub static SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        table: "cases",
        column: "snapshot",
        blob: false,
        keys: &[("case_id", Text)],
        extra: &[],
        place: |k| place::case(&k[0]),
    },
    SealedColumn {
        table: "events",
        column: "payload",
        blob: false,
        keys: &[("id", Int)],
        extra: &[],
        place: |k| format!("events:{}", k[0]),
    },
    SealedColumn {
        table: "outbox_payloads",
        column: "payload",
        blob: true,
        keys: &[("message_id", Int)],
        extra: &["partner", "idempotency_key"],
        place: |k| place::outbox(&k[1], &k[2]),
    },
    SealedColumn {
        table: "inbound_receipts",
        column: "body",
        blob: true,
        keys: &[("receipt_id", Text)],
        extra: &[],
        place: |k| place::receipt(&k[0]),
    },
    SealedColumn {
        table: "new_hire_records",
        column: "w4",
        blob: true,
        keys: &[("receipt_id", Text), ("record_no", Int)],
        extra: &[],
        place: |k| format!("new_hire_records:{}:{}", k[0], k[1]),
    },
    SealedColumn {
        table: "offset_certified",
        column: "sealed",
        blob: false,
        keys: &[("ssn_hash", Text), ("case_type", Text)],
        extra: &[],
        place: |k| format!("offset-certified:{}:{}", k[0], k[1]),
    },
    SealedColumn {
        table: "offset_submissions",
        column: "sealed",
        blob: false,
        keys: &[("cycle", Int), ("seq", Int)],
        extra: &[],
        place: |k| format!("offset-submission:{}:{}", k[0], k[1]),
    },
    SealedColumn {
        table: "offset_collections",
        column: "sealed",
        blob: false,
        keys: &[("collection_id", Text)],
        extra: &[],
        place: |k| format!("offset-collection:{}", k[0]),
    },
    SealedColumn {
        table: "offset_reconciliations",
        column: "sealed",
        blob: false,
        keys: &[("run", Int)],
        extra: &[],
        place: |k| format!("offset-reconciliation:{}", k[0]),
    },
    SealedColumn {
        table: "reconcile_runs",
        column: "fti_report",
        blob: false,
        keys: &[("id", Int)],
        extra: &[],
        place: |k| place::reconcile_fti(k[0].parse().unwrap_or_default()),
    },
];

/// What a rotation did to one table.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct TableCount {
    /// Values re-sealed under the new key (including clear values sealed for the first
    /// time).
    pub resealed: u64,
    /// Values already under the new key.
    pub skipped: u64,
    /// Values a running gateway changed between read and write (left as they were).
    pub changed: u64,
}

/// A rotation could not be done.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// Keys could not be created or loaded.
    #[error(transparent)]
    Keys(#[from] SealError),
    /// The new key id does not sort after every existing id, so it would not seal.
    #[error("key id {new} does not sort after the newest key {newest}: it would not seal")]
    NotNewest {
        /// The id asked for.
        new: String,
        /// The greatest existing id.
        newest: String,
    },
    /// The database failed, or a value did not open (the error names the row and the key
    /// id; nothing after it was re-sealed: fix and run again).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The id after `current`: its trailing number plus one, same width (`k0001` → `k0002`).
pub fn next_key_id(current: &str) -> String {
    let digits = current.len() - current.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, number) = current.split_at(current.len() - digits);
    match number.parse::<u64>() {
        Ok(n) => format!("{stem}{:0width$}", n + 1, width = digits),
        Err(_) => format!("{current}-0002"),
    }
}

/// Creates (or, when resuming or when it was given in the environment, reuses) the key
/// `new_key_id` in `dir` and returns the keys with it as the sealing key. `given` are the
/// keys given in the environment (`privacy.data_keys`); `policy` is
/// `privacy.insecure_key_permissions`.
pub fn prepare_key(
    dir: &Path,
    given: Option<&str>,
    new_key_id: Option<&str>,
    policy: KeyPermissionPolicy,
) -> Result<DataKeys, RotateError> {
    let existing = DataKeys::load_with(dir, given, policy)?;
    let new = match new_key_id {
        Some(id) => id.to_string(),
        None => next_key_id(existing.current()),
    };
    if new.as_str() < existing.current() {
        return Err(RotateError::NotNewest {
            new,
            newest: existing.current().to_string(),
        });
    }
    if !existing.ids().any(|id| id == new) {
        DataKeys::create_key(dir, &new)?;
    }
    Ok(DataKeys::load_with(dir, given, policy)?)
}

fn select_sql(column: &SealedColumn, after: bool) -> String {
    let key_list: Vec<&str> = column.keys.iter().map(|(name, _)| *name).collect();
    let keys = key_list.join(", ");
    let mut selected = key_list.clone();
    selected.extend(column.extra);
    let placeholders: Vec<String> = (0..key_list.len()).map(|i| format!("${}", i + 2)).collect();
    let cursor = if after {
        format!(" AND ({keys}) > ({})", placeholders.join(", "))
    } else {
        String::new()
    };
    format!(
        "SELECT {}, {col} FROM {table} WHERE {col} IS NOT NULL{cursor} ORDER BY {keys} LIMIT $1",
        selected.join(", "),
        col = column.column,
        table = column.table,
    )
}

fn update_sql(column: &SealedColumn) -> String {
    let n = column.keys.len();
    let wheres: Vec<String> = column
        .keys
        .iter()
        .enumerate()
        .map(|(i, (name, _))| format!("{name} = ${}", i + 2))
        .collect();
    format!(
        "UPDATE {table} SET {col} = $1 WHERE {} AND {col} = ${}",
        wheres.join(" AND "),
        n + 2,
        table = column.table,
        col = column.column,
    )
}

struct Row {
    keys: Vec<KeyValue>,
    place_parts: Vec<String>,
    value: Vec<u8>,
}

async fn batch(
    db: &Db,
    column: &SealedColumn,
    cursor: Option<&[KeyValue]>,
) -> Result<Vec<Row>, StoreError> {
    use sqlx::Row as _;
    let sql = select_sql(column, cursor.is_some());
    let n = column.keys.len();
    let extra = column.extra.len();
    let rows = on_read!(db, c => {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(BATCH);
        for key in cursor.unwrap_or(&[]) {
            query = match key {
                KeyValue::Int(v) => query.bind(*v),
                KeyValue::Text(v) => query.bind(v.clone()),
            };
        }
        let mut out = Vec::new();
        for row in query.fetch_all(c).await? {
            let mut keys = Vec::with_capacity(n);
            for (i, (_, kind)) in column.keys.iter().enumerate() {
                keys.push(match kind {
                    KeyKind::Int => KeyValue::Int(row.try_get::<i64, _>(i)?),
                    KeyKind::Text => KeyValue::Text(row.try_get::<String, _>(i)?),
                });
            }
            let mut place_parts: Vec<String> = keys.iter().map(KeyValue::text).collect();
            for i in n..n + extra {
                place_parts.push(row.try_get::<String, _>(i)?);
            }
            let value = if column.blob {
                row.try_get::<Vec<u8>, _>(n + extra)?
            } else {
                row.try_get::<String, _>(n + extra)?.into_bytes()
            };
            out.push(Row { keys, place_parts, value });
        }
        out
    });
    Ok(rows)
}

/// Re-seals every value of `column` under `db`'s sealing key.
pub async fn reseal_column(db: &Db, column: &SealedColumn) -> Result<TableCount, StoreError> {
    let keys = db.sealer().keys().ok_or_else(|| StoreError::Sealed {
        place: column.table.to_string(),
        source: SealError::NoKeys,
    })?;
    let current_prefix = sealing::key_prefix(keys.current(), column.blob);
    let update = update_sql(column);
    let mut count = TableCount::default();
    let mut cursor: Option<Vec<KeyValue>> = None;
    loop {
        let rows = batch(db, column, cursor.as_deref()).await?;
        let Some(last) = rows.last() else { break };
        cursor = Some(last.keys.clone());
        let mut tx = db.begin().await?;
        for row in &rows {
            // Empty bodies (spooled uploads keep their bytes in the spool file) hold
            // nothing to seal.
            if row.value.is_empty() || row.value.starts_with(&current_prefix) {
                count.skipped += 1;
                continue;
            }
            let here = (column.place)(&row.place_parts);
            let clear = db.sealer().open_bytes(row.value.clone(), &here)?;
            let sealed = if column.blob {
                sealing::seal_binary(keys, &clear, &here)
            } else {
                keys.seal(&clear, &here).into_bytes()
            };
            let done = on_tx!(&mut tx, c => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(update.as_str()));
                query = if column.blob { query.bind(sealed.clone()) } else { query.bind(String::from_utf8_lossy(&sealed).into_owned()) };
                for key in &row.keys {
                    query = match key {
                        KeyValue::Int(v) => query.bind(*v),
                        KeyValue::Text(v) => query.bind(v.clone()),
                    };
                }
                query = if column.blob {
                    query.bind(row.value.clone())
                } else {
                    query.bind(String::from_utf8_lossy(&row.value).into_owned())
                };
                query.execute(c).await?.rows_affected()
            });
            if done == 1 {
                count.resealed += 1;
            } else {
                count.changed += 1;
            }
        }
        tx.commit().await?;
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    Ok(count)
}

/// Re-seals every sealed column of every table under `db`'s sealing key; counts per table.
pub async fn reseal_all(db: &Db) -> Result<BTreeMap<String, TableCount>, StoreError> {
    let mut counts = BTreeMap::new();
    for column in SEALED_COLUMNS {
        let count = reseal_column(db, column).await?;
        counts.insert(format!("{}.{}", column.table, column.column), count);
    }
    Ok(counts)
}

/// How many values of each column are under each loaded key id, `clear` for values
/// written before sealing existed, `other` for values under a key that is not loaded.
/// Counted in the database (by prefix), not by reading the values.
pub async fn census(db: &Db) -> Result<BTreeMap<String, BTreeMap<String, u64>>, StoreError> {
    let ids: Vec<String> = db
        .sealer()
        .keys()
        .map(|keys| keys.ids().map(str::to_string).collect())
        .unwrap_or_default();
    let mut out = BTreeMap::new();
    for column in SEALED_COLUMNS {
        let (col, table) = (column.column, column.table);
        let total_sql =
            format!("SELECT COUNT(*) FROM {table} WHERE {col} IS NOT NULL AND length({col}) > 0");
        let prefix_sql = format!(
            "SELECT COUNT(*) FROM {table} WHERE {col} IS NOT NULL AND substr({col}, 1, $1) = $2"
        );
        let count_prefix = async |prefix: Vec<u8>| -> Result<u64, StoreError> {
            let length = prefix.len() as i32;
            let (n,): (i64,) = on_read!(db, c => {
                let query = sqlx::query_as(sqlx::AssertSqlSafe(prefix_sql.as_str())).bind(length);
                let query = if column.blob { query.bind(prefix) } else { query.bind(String::from_utf8_lossy(&prefix).into_owned()) };
                query.fetch_one(c).await?
            });
            Ok(n as u64)
        };
        let (total,): (i64,) = on_read!(db, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(total_sql.as_str())).fetch_one(c).await?
        });
        // "ivd1" starts both the text ("ivd1.") and the binary ("ivd1b.") form.
        let sealed = count_prefix(b"ivd1".to_vec()).await?;
        let mut per_key: BTreeMap<String, u64> = BTreeMap::new();
        let mut known = 0;
        for id in &ids {
            let n = count_prefix(sealing::key_prefix(id, column.blob)).await?;
            known += n;
            per_key.insert(id.clone(), n);
        }
        per_key.insert("clear".into(), (total as u64).saturating_sub(sealed));
        per_key.insert("other".into(), sealed.saturating_sub(known));
        out.insert(format!("{table}.{col}"), per_key);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_key_id_sorts_after_the_current_one() {
        assert_eq!(next_key_id("k0001"), "k0002");
        assert_eq!(next_key_id("k0009"), "k0010");
        assert!(next_key_id("k0009").as_str() > "k0009");
        assert_eq!(next_key_id("prod"), "prod-0002");
        assert!(next_key_id("prod").as_str() > "prod");
    }

    #[test]
    fn batches_walk_the_primary_key() {
        let column = &SEALED_COLUMNS[4];
        assert_eq!(
            select_sql(column, true),
            "SELECT receipt_id, record_no, w4 FROM new_hire_records WHERE w4 IS NOT NULL \
             AND (receipt_id, record_no) > ($2, $3) ORDER BY receipt_id, record_no LIMIT $1"
        );
        assert_eq!(
            update_sql(column),
            "UPDATE new_hire_records SET w4 = $1 WHERE receipt_id = $2 AND record_no = $3 AND w4 = $4"
        );
    }
}
