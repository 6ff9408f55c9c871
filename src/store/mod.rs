//! Storage on SQLite (the embedded default) and PostgreSQL (shared by many instances).
//!
//! One [`Db`] value stands for either backend, chosen by the database URL
//! (`sqlite://…` or `postgres://…`). Queries are written once with `$1`-style parameters,
//! which both sqlx drivers understand, and run through the [`on_db!`] and [`on_tx!`]
//! macros, which expand the same code for each backend so each gets its own statically
//! typed driver. Where the SQL has to differ (claiming outbox messages, serialising
//! appends to the audit chain and the event feed) the module says so at that spot.
//!
//! Schema rules that keep one Rust code path for both backends:
//! - times are `BIGINT` / `INTEGER` milliseconds since the Unix epoch, passed in by the
//!   caller ("now" is an argument, so tests own the clock);
//! - integers are 64-bit on both sides; bytes are `BYTEA` / `BLOB`;
//! - states are `TEXT` columns with a named `CHECK`, never a PostgreSQL enum.
//!
//! Values that can carry an SSN or federal tax information are sealed at rest by the
//! store functions that write them and opened by those that read them ([`sealing`]); the
//! data keys travel with the [`Db`] ([`Db::with_data_keys`]) and every [`DbTx`] begun
//! from it, as does the key that links the audit chain ([`Db::with_audit_key`]).
//!
//! SQLite has one writer: the write pool holds a single connection, so transactions in
//! this process queue in order instead of failing with `SQLITE_BUSY`, and those that queue
//! share commits ([`writer`]); reads use a second pool, which WAL lets run beside the
//! writer.

pub mod accounts;
pub mod cases;
pub mod employer_accounts;
pub mod events;
pub mod requests;
pub mod sealing;
pub mod serials;
pub mod tokens;
pub mod writer;

use crate::privacy::DataKeys;
pub use sealing::Sealer;
pub use writer::{SqliteUnit, SqliteWriter};

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, SqlitePool, Transaction};

/// The SQLite migrations, embedded in the binary.
pub static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("schemas/migrations/sqlite");
/// The PostgreSQL migrations, embedded in the binary.
pub static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("schemas/migrations/postgres");

/// The page size of a new SQLite database (SQLite's default is 4 KiB).
///
/// Why: SQLite moves one page per system call (`pwrite64` to the WAL, again at checkpoint,
/// `pread64` back), and the big writers, the new-hire intake and NDNH transmissions, write
/// hundreds of megabytes of rows and outbox payloads. With 4 KiB pages a million-record
/// intake made 8.6 million `pwrite64` and 4.3 million `pread64` calls and spent 37 s in the
/// kernel; with 16 KiB pages (and the writer's cache below) 3.3 and 1.1 million, 25 s.
/// Larger pages (64 KiB) cut the calls further but write more bytes for the random-order
/// duplicate index (a whole page per touched entry). Durability is unchanged: every commit
/// is still fsynced (`synchronous=FULL`).
pub const SQLITE_PAGE_SIZE: u32 = 16 * 1024;

/// The writer connection's page cache, in KiB (SQLite's default is 2,000 KiB).
///
/// Why: with 16 KiB pages the default holds only 125 pages, fewer than the intake's
/// duplicate index touches in one transaction, so pages were written out (spilled) and read
/// back within a transaction. It is memory, though: 16 MiB cut the calls further (2.9 and
/// 0.9 million) but raised the million-record intake's peak RSS to 207–217 MB, over its
/// 200 MB budget; with 8 MiB it is 172 MB. Readers keep the default: they hold no dirty
/// pages.
pub const SQLITE_WRITER_CACHE_KIB: u32 = 8 * 1024;

/// Pages in the WAL before a commit checkpoints it (SQLite's default is 1,000 pages).
///
/// Why: a page written by several transactions between checkpoints is copied into the
/// database file once per checkpoint, and the intake's commits rewrite the same pages of the
/// duplicate index; at the default (16 MiB of 16 KiB pages) almost every intake commit
/// checkpoints. 4,096 pages is a WAL of up to 64 MiB on disk (measured together with the
/// two settings above; see `tools/bench/newhire-intake.sh`).
pub const SQLITE_CHECKPOINT_PAGES: u32 = 4096;

/// A connection pool on one of the two supported backends.
#[derive(Clone, Debug)]
pub enum Db {
    /// The embedded default: one writer connection, several readers.
    Sqlite {
        /// The single writer connection.
        write: SqlitePool,
        /// Readers; WAL lets them run beside the writer.
        read: SqlitePool,
        /// The data keys that seal and open values at rest ([`sealing`]).
        keys: Sealer,
        /// Transactions on `write`, sharing commits ([`writer`]).
        writer: std::sync::Arc<SqliteWriter>,
    },
    /// A shared PostgreSQL server, and the data keys that seal and open values at rest.
    Postgres(PgPool, Sealer),
}

/// An open transaction on either backend. Dropping it without [`DbTx::commit`] rolls back.
#[derive(Debug)]
pub enum DbTx {
    /// SQLite transaction (a unit of the writer's group commit, [`writer`]), with the
    /// [`Db`]'s data keys.
    Sqlite(SqliteUnit, Sealer),
    /// PostgreSQL transaction, with the [`Db`]'s data keys and the outbox keys it enqueued
    /// to, whose heads it settles just before it commits
    /// ([`crate::outbox::store::settle_heads`]).
    Postgres(Transaction<'static, Postgres>, Sealer, Vec<OutboxKey>),
}

/// An outbox ordering key: (partner, ordering key).
pub type OutboxKey = (String, String);

/// Which backend a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names no supported backend.
    #[error("unsupported database URL scheme (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// A driver error.
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// The PostgreSQL server could not be reached when the gateway started (which host and
    /// port, and what it answered).
    #[error("{0}")]
    Unreachable(String),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data could not be turned into what was asked for (a stored record that no
    /// longer parses, a file that cannot be written).
    #[error("stored data is inconsistent: {0}")]
    Invalid(String),
    /// A value sealed at rest could not be sealed or opened (no data keys attached, the
    /// key it names is not loaded, or it was altered or moved from another row). The text
    /// names the place and the key id, never the value.
    #[error("sealed value at {place}: {source}")]
    Sealed {
        /// Where the value lives (table and row key).
        place: String,
        /// Why it did not open.
        source: crate::privacy::SealError,
    },
    /// A transaction shared by several callers (the outbox recorder's group commit) failed
    /// and was rolled back; each caller gets the error's text.
    #[error("database error in a shared transaction: {0}")]
    Batch(String),
    /// An audit entry was to be appended or verified through a handle without the audit
    /// key ([`Db::with_audit_key`]).
    #[error("no audit key is attached to the database handle (audit.key_file, IVD_AUDIT__KEY)")]
    NoAuditKey,
    /// Creating the directory of the SQLite file failed.
    #[error("cannot create the database directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Creating the SQLite file owner-only, or taking group and other access away from
    /// one, failed.
    #[error("cannot make the database file {path} owner-only: {source}")]
    FileMode {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Runs `$body` with `$c` bound to the backend's pool (the writer pool for SQLite).
#[macro_export]
macro_rules! on_db {
    ($db:expr, $c:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite { write: $c, .. } => $body,
            $crate::store::Db::Postgres($c, ..) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to a read pool.
#[macro_export]
macro_rules! on_read {
    ($db:expr, $c:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite { read: $c, .. } => $body,
            $crate::store::Db::Postgres($c, ..) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the transaction's connection (`&mut *tx`).
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::store::DbTx::Sqlite(unit, ..) => {
                let $c = unit.connection().await?;
                $body
            }
            $crate::store::DbTx::Postgres(tx, ..) => {
                let $c = &mut **tx;
                $body
            }
        }
    };
}

/// Creates the SQLite file `path` owner-only when it is missing (with its directory), and
/// takes group and other access away from it and its `-wal` and `-shm` files when an
/// earlier version created them open.
fn prepare_sqlite_file(path: &std::path::Path) -> Result<(), StoreError> {
    use crate::privacy::files;
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        files::create_private_dir_all(dir).map_err(|source| StoreError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let mode_error = |path: &std::path::Path| {
        let path = path.display().to_string();
        move |source| StoreError::FileMode { path, source }
    };
    match files::private_options()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(mode_error(path)(error)),
    }
    let siblings = ["-wal", "-shm"].map(|suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    });
    for file in std::iter::once(path.to_path_buf()).chain(siblings) {
        if let Some(was) = files::make_private(&file).map_err(mode_error(&file))? {
            tracing::warn!(
                file = %file.display(),
                mode = format!("{was:04o}"),
                "A database file was open to other users; it is now owner-only (0600)."
            );
        }
    }
    Ok(())
}

/// How long a starting gateway tries to reach PostgreSQL before it says it cannot.
const POSTGRES_REACH_LIMIT: Duration = Duration::from_secs(5);

/// Connects once to the server `options` name, trying again for a few seconds while it
/// refuses or is starting up, so that a server that is not there is said at once, by host
/// and port, instead of after the pool's 30-second acquire timeout as "pool timed out".
async fn reach_postgres(options: &PgConnectOptions) -> Result<(), StoreError> {
    use sqlx::Connection as _;
    let (host, port) = (options.get_host().to_string(), options.get_port());
    let deadline = tokio::time::Instant::now() + POSTGRES_REACH_LIMIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let error =
            match tokio::time::timeout(left, sqlx::PgConnection::connect_with(options)).await {
                Ok(Ok(connection)) => {
                    let _ = connection.close().await;
                    return Ok(());
                }
                Ok(Err(error)) => {
                    // Refused, or "the database system is starting up" (57P03): worth another
                    // try; a refused password or a missing database is not.
                    let passing = matches!(&error, sqlx::Error::Io(_))
                        || error
                            .as_database_error()
                            .is_some_and(|e| e.code().as_deref() == Some("57P03"));
                    if !passing {
                        let said = error
                            .as_database_error()
                            .map(|e| e.message().to_string())
                            .unwrap_or_else(|| error.to_string());
                        return Err(StoreError::Unreachable(format!(
                            "PostgreSQL at {host}:{port} refused the connection: {said}"
                        )));
                    }
                    error.to_string()
                }
                Err(_) => format!("no answer within {} s", POSTGRES_REACH_LIMIT.as_secs()),
            };
        if tokio::time::Instant::now() + Duration::from_millis(250) >= deadline {
            return Err(StoreError::Unreachable(format!(
                "PostgreSQL at {host}:{port} cannot be reached: {error}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

impl Db {
    /// Connects to the database named by `url`. A SQLite file is created (with its
    /// directory) when missing and opened in WAL mode with full synchronous commits:
    /// a committed outbox row survives a power cut, not only a process crash.
    ///
    /// The SQLite file is created owner-only (0600, its directory 0700) before SQLite opens
    /// it, and SQLite gives its `-wal` and `-shm` files the database file's mode; a file an
    /// earlier version left open to others is made owner-only (with a warning).
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                // Before WAL is switched on (sqlx sets `page_size` first), so a new
                // database gets it; an existing one keeps the page size it was made with.
                .page_size(SQLITE_PAGE_SIZE)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30));
            prepare_sqlite_file(options.get_filename())?;
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(60))
                .connect_with(
                    options
                        .clone()
                        .pragma("cache_size", format!("-{SQLITE_WRITER_CACHE_KIB}"))
                        .pragma("wal_autocheckpoint", SQLITE_CHECKPOINT_PAGES.to_string()),
                )
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(60))
                .connect_with(options)
                .await?;
            Ok(Db::Sqlite {
                writer: SqliteWriter::new(write.clone()),
                write,
                read,
                keys: Sealer::default(),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            reach_postgres(&options).await?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool, Sealer::default()))
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    /// This database with `keys` sealing and opening the values kept at rest (see
    /// [`sealing`]). Every pool clone and every transaction begun from it carries them.
    pub fn with_data_keys(self, keys: DataKeys) -> Db {
        let keys = self.sealer().clone().with_data_keys(keys);
        self.with_sealer(keys)
    }

    /// This database with `key` linking the audit chain ([`crate::audit`]); appends through
    /// a handle without it fail ([`StoreError::NoAuditKey`]) rather than write an unkeyed
    /// link.
    pub fn with_audit_key(self, key: crate::audit::AuditKey) -> Db {
        let keys = self.sealer().clone().with_audit_key(key);
        self.with_sealer(keys)
    }

    fn with_sealer(self, keys: Sealer) -> Db {
        match self {
            Db::Sqlite {
                write,
                read,
                writer,
                ..
            } => Db::Sqlite {
                write,
                read,
                keys,
                writer,
            },
            Db::Postgres(pool, _) => Db::Postgres(pool, keys),
        }
    }

    /// The data keys this database seals and opens with.
    pub fn sealer(&self) -> &Sealer {
        match self {
            Db::Sqlite { keys, .. } | Db::Postgres(_, keys) => keys,
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(..) => Backend::Postgres,
        }
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Db::Postgres(pool, _) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// True when the database answers and every embedded migration is applied.
    pub async fn is_ready(&self) -> Result<bool, StoreError> {
        let migrator = match self.backend() {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let applied: Result<Vec<(i64,)>, sqlx::Error> = on_read!(self, c => {
            sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_all(c)
                .await
        });
        let applied: Vec<i64> = match applied {
            Ok(rows) => rows.into_iter().map(|(v,)| v).collect(),
            // No migration table yet: the database answers, nothing is applied.
            Err(sqlx::Error::Database(_)) => Vec::new(),
            Err(other) => return Err(other.into()),
        };
        Ok(migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .all(|m| applied.contains(&m.version)))
    }

    /// Starts a transaction (on SQLite, a unit on the single writer connection, which may
    /// share its commit with the units queued behind it: [`writer`]).
    ///
    /// SQLite transactions begin `IMMEDIATE`: they take the write lock at once, waiting
    /// (busy timeout) for another process's writer if there is one. A deferred transaction
    /// that read first and then tried to write after another process had committed would
    /// fail with `SQLITE_BUSY` without waiting, since its snapshot is stale.
    pub async fn begin(&self) -> Result<DbTx, StoreError> {
        Ok(match self {
            Db::Sqlite { writer, keys, .. } => DbTx::Sqlite(writer.begin().await?, keys.clone()),
            Db::Postgres(pool, keys) => {
                DbTx::Postgres(pool.begin().await?, keys.clone(), Vec::new())
            }
        })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match self {
            Db::Sqlite { write, read, .. } => {
                write.close().await;
                read.close().await;
            }
            Db::Postgres(pool, _) => pool.close().await,
        }
    }
}

impl DbTx {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            DbTx::Sqlite(tx, _) => tx.commit().await?,
            DbTx::Postgres(mut tx, _, enqueued) => {
                // Messages enqueued here get their key's head (when the key had none) now,
                // under the keys' locks, when every earlier commit of those keys is
                // visible: deciding at the insert could miss a head that finishes
                // meanwhile (see `settle_heads`).
                if !enqueued.is_empty() {
                    crate::outbox::store::settle_heads_on_postgres(&mut tx, &enqueued).await?;
                }
                tx.commit().await?
            }
        }
        Ok(())
    }

    /// `sql` to run as the transaction's next statement. On SQLite a unit that has not
    /// written yet opens its savepoint in the same call ([`SqliteUnit::opening`]); the
    /// caller must run what this returns, and nothing else, next.
    pub fn opening<'q>(&mut self, sql: &'q str) -> std::borrow::Cow<'q, str> {
        match self {
            DbTx::Sqlite(unit, _) => unit.opening(sql),
            DbTx::Postgres(..) => std::borrow::Cow::Borrowed(sql),
        }
    }

    /// The data keys this transaction seals and opens with.
    pub fn sealer(&self) -> &Sealer {
        match self {
            DbTx::Sqlite(_, keys) | DbTx::Postgres(_, keys, _) => keys,
        }
    }

    /// Which backend this transaction runs on.
    pub fn backend(&self) -> Backend {
        match self {
            DbTx::Sqlite(..) => Backend::Sqlite,
            DbTx::Postgres(..) => Backend::Postgres,
        }
    }

    /// Serialises appends to an ordered log (the audit chain, the event feed) until this
    /// transaction ends. PostgreSQL takes a transaction-scoped advisory lock; SQLite needs
    /// nothing, because its single writer already orders every transaction.
    pub async fn lock_ordered_log(&mut self, log: OrderedLog) -> Result<(), StoreError> {
        if let DbTx::Postgres(tx, ..) = self {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(log as i64)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

/// Logs whose appends must commit in the order of their sequence numbers, so that a
/// reader following a cursor never skips a row that commits late.
#[derive(Clone, Copy, Debug)]
#[repr(i64)]
pub enum OrderedLog {
    /// The hash-chained audit log.
    Audit = 0x1bd_0001,
    /// The state system's event feed.
    Events = 0x1bd_0002,
}

/// Milliseconds since the Unix epoch, the time unit of every table.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

/// `ms` (milliseconds since the Unix epoch, as the tables keep time) as an RFC 3339 time,
/// for a person to read; None when it is out of range.
pub fn rfc3339_of_ms(ms: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// `server_url` (a PostgreSQL URL) with its database name replaced by `database`, any query
/// kept: how the load driver and the tests reach a scratch database on the same server.
pub fn postgres_url_with_database(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server_url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut url = format!("{}/{}", &base[..path_start], database);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

#[cfg(test)]
mod url_tests {
    use super::postgres_url_with_database;

    #[test]
    fn a_scratch_database_replaces_only_the_name() {
        assert_eq!(
            postgres_url_with_database("postgres://u@h:5432/test?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(
            postgres_url_with_database("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }
}

#[cfg(test)]
mod sqlite_settings_tests {
    use super::{Db, SQLITE_CHECKPOINT_PAGES, SQLITE_PAGE_SIZE, SQLITE_WRITER_CACHE_KIB};

    async fn pragma(pool: &sqlx::SqlitePool, name: &str) -> i64 {
        let (value,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
            .fetch_one(pool)
            .await
            .unwrap();
        value
    }

    #[tokio::test]
    async fn a_new_database_gets_large_pages_and_every_commit_stays_fsynced() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("new.db").display());
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let Db::Sqlite { write, read, .. } = &db else {
            unreachable!("a sqlite:// URL opens SQLite")
        };
        assert_eq!(
            pragma(write, "page_size").await,
            i64::from(SQLITE_PAGE_SIZE)
        );
        assert_eq!(
            pragma(write, "cache_size").await,
            -i64::from(SQLITE_WRITER_CACHE_KIB)
        );
        assert_eq!(
            pragma(write, "wal_autocheckpoint").await,
            i64::from(SQLITE_CHECKPOINT_PAGES)
        );
        // The promise to callers: a commit is durable when it returns (FULL = 2).
        assert_eq!(pragma(write, "synchronous").await, 2);
        assert_eq!(pragma(read, "synchronous").await, 2);
        db.close().await;
    }

    #[tokio::test]
    async fn a_database_made_with_small_pages_keeps_them_and_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        // Made by an earlier version: SQLite's default 4 KiB pages, already in WAL mode.
        {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            sqlx::query("CREATE TABLE kept (v INTEGER)")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query("INSERT INTO kept VALUES (42)")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let Db::Sqlite { write, .. } = &db else {
            unreachable!("a sqlite:// URL opens SQLite")
        };
        assert_eq!(pragma(write, "page_size").await, 4096);
        let (kept,): (i64,) = sqlx::query_as("SELECT v FROM kept")
            .fetch_one(write)
            .await
            .unwrap();
        assert_eq!(kept, 42);
        db.close().await;
    }
}
