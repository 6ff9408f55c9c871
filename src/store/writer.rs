//! SQLite's single writer, with group commit.
//!
//! SQLite commits one transaction at a time, and with `synchronous=FULL` every commit waits
//! for an fsync of the WAL (about 0.4 ms on the benchmark machine, so at most ~2,500
//! commits a second however little each one writes). When many callers each write a
//! little — the state system's requests each enqueueing one message, the outbox
//! dispatcher's claims and results — the fsyncs, not the work, set the pace, and callers
//! queue behind each other's fsyncs.
//!
//! So the writer shares commits: each [`SqliteUnit`] (what [`crate::store::Db::begin`]
//! returns on SQLite) runs in a group's outer transaction, which the first unit opens and
//! each later unit joins behind a `SAVEPOINT`. When a unit commits while other units are
//! already waiting for the writer, the next unit runs in the same outer transaction; the
//! last unit of the group (or a closer task queued behind the units that were waiting)
//! commits the outer transaction once, and every unit of the group gets its answer only
//! then. Nothing is acknowledged before it is durable, a unit that is dropped or fails is
//! undone (to its savepoint) without touching the others, and a failed outer commit fails
//! every unit of the group. A unit that finds nobody waiting commits at once, as a plain
//! transaction would, with the same statements; so does one whose group has been open for
//! more than a few milliseconds (big transactions gain nothing from sharing).
//!
//! Units still run one at a time, in the order they asked (the mutex is fair), so what one
//! unit reads is exactly what the units before it wrote; the group only shares the
//! commit.
//!
//! sqlx runs every SQLite statement on the connection's own thread: each call is a hand-off
//! to that thread and back, and under load the hand-offs, not SQLite, set the latency. So
//! a joining unit opens its savepoint in the same call as its first statement
//! ([`SqliteUnit::opening`]), releasing the previous unit's savepoint in that call too,
//! and its commit makes no call at all: a unit that enqueues one message is one call.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use crate::store::StoreError;

/// Most units that share one commit: bounds how long the first of them waits.
const MAX_GROUP: usize = 64;

/// By default, a group open longer than this commits instead of taking in more units
/// ([`SqliteWriter::set_group_window`]). Sharing pays
/// when units are short and the fsync dominates; a group that has run for milliseconds
/// has nothing to gain from growing, and a big one (a new-hire intake chunk of 2,000
/// records) only makes the units before it wait and SQLite hold more for the
/// transaction (a million-record intake peaked at ~150 MB RSS without this bound, 80 MB
/// with plain transactions).
const GROUP_WINDOW: std::time::Duration = std::time::Duration::from_millis(5);

/// The writer of one SQLite database: its single write connection and the open group.
pub struct SqliteWriter {
    pool: SqlitePool,
    group: Arc<Mutex<Group>>,
    /// Callers of [`SqliteWriter::begin`] waiting for the writer.
    waiting: AtomicUsize,
    /// Outer transactions committed.
    commits: Arc<AtomicU64>,
    /// [`GROUP_WINDOW`] or what [`SqliteWriter::set_group_window`] set, in microseconds.
    window_us: AtomicU64,
}

impl std::fmt::Debug for SqliteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteWriter")
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The outer transaction of a group and the units waiting for its commit.
struct Group {
    outer: Option<Transaction<'static, Sqlite>>,
    /// When `outer` was opened.
    opened_at: std::time::Instant,
    /// The writer's count of outer commits.
    commits: Arc<AtomicU64>,
    /// A unit was dropped without committing; undo it before anything else.
    dropped_unit: Option<Undo>,
    /// Units released into this group, waiting for its commit.
    committed: Vec<oneshot::Sender<Result<(), String>>>,
    /// A closer is queued for this group.
    closer_queued: bool,
    /// The savepoint the next unit opens: never the name of the one before it, so
    /// undoing a unit can never reach another's.
    next_savepoint: Savepoint,
    /// The previous unit's savepoint (the other name) is open still: that unit committed
    /// into the group, and the next unit releases its savepoint in the same call that
    /// opens its own (the outer commit releases whatever is left).
    unreleased: bool,
}

impl SqliteWriter {
    /// The writer over `pool` (which must hold exactly one connection).
    pub fn new(pool: SqlitePool) -> Arc<SqliteWriter> {
        let commits = Arc::new(AtomicU64::new(0));
        Arc::new(SqliteWriter {
            pool,
            group: Arc::new(Mutex::new(Group {
                outer: None,
                opened_at: std::time::Instant::now(),
                commits: commits.clone(),
                dropped_unit: None,
                committed: Vec::new(),
                closer_queued: false,
                next_savepoint: Savepoint::A,
                unreleased: false,
            })),
            waiting: AtomicUsize::new(0),
            commits,
            window_us: AtomicU64::new(GROUP_WINDOW.as_micros() as u64),
        })
    }

    /// How long a group may stay open taking in more units (default 5 ms).
    pub fn set_group_window(&self, window: std::time::Duration) {
        self.window_us
            .store(window.as_micros() as u64, Ordering::Release);
    }

    /// Callers waiting for the writer now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// Transactions committed so far (each shared by one or more units).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Starts a unit: waits for the writer, then opens a group (`BEGIN IMMEDIATE`, see
    /// [`crate::store::Db::begin`]) or joins the open one behind a savepoint.
    pub async fn begin(self: &Arc<Self>) -> Result<SqliteUnit, StoreError> {
        let mut group = {
            let _waiting = Waiting::enter(&self.waiting);
            self.group.clone().lock_owned().await
        };
        group.settle().await;
        let undo = match group.outer.as_mut() {
            // The first unit of a group has the transaction to itself: undoing it is a
            // rollback, and it needs no savepoint (two statements fewer, and a unit that
            // finds nobody waiting is a plain transaction).
            None => {
                group.outer = Some(self.pool.begin_with("BEGIN IMMEDIATE").await?);
                group.opened_at = std::time::Instant::now();
                Undo::Whole
            }
            // A unit that joins a group opens its savepoint with its first statement
            // ([`SqliteUnit::connection`], [`SqliteUnit::opening`]): until it writes there
            // is nothing to undo.
            Some(_) => Undo::Nothing,
        };
        Ok(SqliteUnit {
            group: Some(group),
            undo,
            writer: self.clone(),
        })
    }

    /// Queues a task behind the units waiting now that commits whatever group is open
    /// when its turn comes: a group never stays open for want of a last unit.
    fn queue_closer(self: &Arc<Self>, group: &mut Group) {
        if group.closer_queued {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        group.closer_queued = true;
        let group = self.group.clone();
        runtime.spawn(async move {
            let mut group = group.lock_owned().await;
            group.finish().await;
        });
    }
}

impl Group {
    /// Undoes a unit that was dropped without committing.
    async fn settle(&mut self) {
        let Some(undo) = self.dropped_unit.take() else {
            return;
        };
        let Some(outer) = self.outer.take() else {
            return;
        };
        let undone = match undo {
            Undo::Whole => outer.rollback().await,
            Undo::ToSavepoint(savepoint) => {
                let outer = self.outer.insert(outer);
                sqlx::raw_sql(savepoint.undo())
                    .execute(&mut **outer)
                    .await
                    .map(drop)
            }
            Undo::Nothing => {
                self.outer = Some(outer);
                Ok(())
            }
        };
        if let Err(error) = undone {
            self.fail(&error.to_string());
        }
    }

    /// Commits the outer transaction (if one is open) and answers its units.
    async fn finish(&mut self) {
        self.settle().await;
        self.closer_queued = false;
        self.unreleased = false;
        let result = match self.outer.take() {
            Some(outer) => {
                let committed = outer.commit().await.map_err(|e| e.to_string());
                if committed.is_ok() {
                    self.commits.fetch_add(1, Ordering::AcqRel);
                }
                committed
            }
            None => Ok(()),
        };
        for unit in self.committed.drain(..) {
            let _ = unit.send(result.clone());
        }
    }

    /// Abandons the outer transaction (dropping it rolls back) and fails its units.
    fn fail(&mut self, reason: &str) {
        self.outer = None;
        self.dropped_unit = None;
        self.unreleased = false;
        for unit in self.committed.drain(..) {
            let _ = unit.send(Err(reason.to_string()));
        }
    }
}

/// One caller's transaction on SQLite: a savepoint in the writer's open group. Statements
/// run on [`SqliteUnit::connection`] (which opens the savepoint first if need be) or with
/// [`SqliteUnit::opening`]; dropping it without [`SqliteUnit::commit`] rolls back what it
/// wrote and nothing else.
pub struct SqliteUnit {
    group: Option<OwnedMutexGuard<Group>>,
    undo: Undo,
    writer: Arc<SqliteWriter>,
}

/// How a unit is undone.
#[derive(Clone, Copy, Debug)]
enum Undo {
    /// The first unit of its group: roll the transaction back.
    Whole,
    /// A unit that joined a group and has written: roll back to its savepoint.
    ToSavepoint(Savepoint),
    /// A unit that joined a group and has not written yet: its savepoint is not open.
    Nothing,
}

impl std::fmt::Debug for SqliteUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteUnit").finish_non_exhaustive()
    }
}

impl SqliteUnit {
    /// The connection to run the unit's statements on, its savepoint opened first if the
    /// unit joined a group and has not written yet.
    pub async fn connection(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        if let Some(opening) = self.open_savepoint() {
            let group = self
                .group
                .as_mut()
                .expect("a unit is used before it commits");
            let outer = group.outer.as_mut().expect("a unit runs in an open group");
            if let Err(error) = sqlx::raw_sql(sqlx::AssertSqlSafe(opening))
                .execute(&mut **outer)
                .await
            {
                // Whatever this group held is lost with it; its units hear why.
                group.fail(&error.to_string());
                return Err(error.into());
            }
        }
        let group = self
            .group
            .as_mut()
            .expect("a unit is used before it commits");
        Ok(group.outer.as_mut().expect("a unit runs in an open group"))
    }

    /// `sql` to run as the unit's next call to the connection, led by the `SAVEPOINT`
    /// the unit still has to open: one hand-off to sqlx's worker thread instead of two
    /// (each is a wake-up of that thread and then of the caller, and under load the
    /// hand-offs, not SQLite, set the latency). The caller must run what this returns,
    /// and only that, next, with [`SqliteUnit::connection`].
    pub fn opening<'q>(&mut self, sql: &'q str) -> std::borrow::Cow<'q, str> {
        match self.open_savepoint() {
            Some(opening) => std::borrow::Cow::Owned(format!("{opening} {sql}")),
            None => std::borrow::Cow::Borrowed(sql),
        }
    }

    /// The statements that open the unit's savepoint (releasing the previous unit's
    /// first), if the unit has not opened it yet; from then on the unit is undone to it.
    /// If the call that runs them fails before the savepoint is open, undoing the unit
    /// fails (`ROLLBACK TO` names a savepoint that does not exist) and with it the whole
    /// group: nothing is acknowledged that did not commit, and no other unit's work is
    /// undone in its place.
    fn open_savepoint(&mut self) -> Option<&'static str> {
        let Undo::Nothing = self.undo else {
            return None;
        };
        let group = self
            .group
            .as_mut()
            .expect("a unit is used before it commits");
        let savepoint = group.next_savepoint;
        group.next_savepoint = savepoint.other();
        self.undo = Undo::ToSavepoint(savepoint);
        let release_previous = std::mem::take(&mut group.unreleased);
        Some(savepoint.open(release_previous))
    }

    /// Commits the unit: returns once the outer transaction holding it has committed.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let mut group = self.group.take().expect("a unit commits once");
        if let Undo::ToSavepoint(_) = self.undo {
            // Released by the next unit's first call or by the outer commit: a
            // hand-off to sqlx's thread saved.
            group.unreleased = true;
        }
        let (answer, answered) = oneshot::channel();
        group.committed.push(answer);
        if self.writer.waiting.load(Ordering::Acquire) > 0
            && group.committed.len() < MAX_GROUP
            && group.opened_at.elapsed().as_micros()
                < u128::from(self.writer.window_us.load(Ordering::Acquire))
        {
            // Others are waiting: let them write into this group, and make sure someone
            // commits it after them.
            self.writer.queue_closer(&mut group);
            drop(group);
        } else {
            group.finish().await;
            drop(group);
        }
        match answered.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(StoreError::Batch(reason)),
            Err(_) => Err(StoreError::Batch(
                "the shared SQLite transaction was abandoned".to_string(),
            )),
        }
    }
}

impl Drop for SqliteUnit {
    fn drop(&mut self) {
        if let Some(mut group) = self.group.take() {
            if !matches!(self.undo, Undo::Nothing) {
                group.dropped_unit = Some(self.undo);
            }
            // Roll back now if nobody else comes for the writer.
            self.writer.queue_closer(&mut group);
            drop(group);
        }
    }
}

/// The two savepoint names units take in turn. Two, not one: a unit that opens its
/// savepoint releases the previous unit's in the same call, and if that call fails
/// half-way, undoing the unit must fail (its name is not open) rather than roll back the
/// previous unit's work. Not a new name per unit: sqlx prepares and caches a statement
/// per distinct SQL text, and the opening statements lead the unit's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Savepoint {
    A,
    B,
}

impl Savepoint {
    fn other(self) -> Savepoint {
        match self {
            Savepoint::A => Savepoint::B,
            Savepoint::B => Savepoint::A,
        }
    }

    /// Opens this savepoint, releasing the other one first if `release_other`.
    fn open(self, release_other: bool) -> &'static str {
        match (release_other, self) {
            (false, Savepoint::A) => "SAVEPOINT unit_a;",
            (false, Savepoint::B) => "SAVEPOINT unit_b;",
            (true, Savepoint::A) => "RELEASE unit_b; SAVEPOINT unit_a;",
            (true, Savepoint::B) => "RELEASE unit_a; SAVEPOINT unit_b;",
        }
    }

    /// Undoes what was written since this savepoint opened, and closes it.
    fn undo(self) -> &'static str {
        match self {
            Savepoint::A => "ROLLBACK TO unit_a; RELEASE unit_a",
            Savepoint::B => "ROLLBACK TO unit_b; RELEASE unit_b",
        }
    }
}

/// Counts a caller as waiting for the writer until it has it (or gives up).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
