//! Upkeep of the database files while Switchboard serves: the write-ahead log is checkpointed
//! into the database and kept small, and new messages are added to the search index in batches.
//!
//! **The write-ahead log.** SQLite appends every commit to `switchboard.db-wal`; a checkpoint
//! copies those pages into `switchboard.db`, and the log starts again from its beginning once
//! everything is copied and no reader still looks at it. SQLite's own automatic checkpoint runs
//! inside the committing statement (fsyncs included), and only when that statement steps to its
//! end (see `Returning`). Here a task on a connection of its own does the work instead, so
//! neither the copying nor the fsyncs sit on a message's way to the customer:
//!
//! * every tick a PASSIVE checkpoint copies what it can without waiting for anyone;
//! * once the log is larger than `restart_bytes`, a RESTART checkpoint waits a moment for the
//!   readers of older snapshots (under load some reader is always busy, and PASSIVE alone would
//!   copy everything yet never let the log start again);
//! * when nothing was written since the last tick, TRUNCATE empties the file;
//! * `journal_size_limit` trims the file whenever the log starts again.
//!
//! The writer keeps SQLite's automatic checkpoint with a higher threshold, as a backstop should
//! this task ever fall behind. A checkpoint that cannot finish for `BLOCKED_WARNING_AFTER` is
//! logged (with the log's size), once a minute while it lasts, and its end is logged too; under
//! steady load some reader is busy at one round or another, and the next round gets through.
//!
//! **Search.** Indexing each message on its own as it was stored (an FTS5 trigger) wrote about
//! six pages per message. Messages are indexed here, a batch per tick, and the inbox's search
//! brings the index up to date before it asks it (`Store::index_for_search`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::sqlite::SqlitePool;

use super::{Store, StoreError};

/// How long checkpoints must stay blocked before the log says so: one busy round under load is
/// ordinary (the warning used to come several times a minute at 2,000 messages a second while
/// the log never passed 35 MiB); a reader that holds on is what an operator should hear about.
const BLOCKED_WARNING_AFTER: Duration = Duration::from_secs(2);

dual! {}

/// How the log is kept in check. `Default` is what a server runs with.
#[derive(Clone, Copy, Debug)]
pub struct UpkeepPolicy {
    /// Time between two rounds of upkeep.
    pub tick: Duration,
    /// Past this size the log is restarted even while readers are busy.
    pub restart_bytes: u64,
    /// How long a RESTART or TRUNCATE checkpoint waits for readers and the writer.
    pub wait: Duration,
}

impl Default for UpkeepPolicy {
    fn default() -> Self {
        UpkeepPolicy {
            tick: Duration::from_millis(500),
            restart_bytes: 16 * 1024 * 1024,
            wait: Duration::from_millis(200),
        }
    }
}

/// Pages of the automatic checkpoint the writer keeps as a backstop (64 MiB of 4 KiB pages).
pub(super) const BACKSTOP_PAGES: u32 = 16_384;

/// What the upkeep has seen, for logs, tests and the load generator.
#[derive(Debug, Default)]
pub struct WalHealth {
    /// Size of the log file at the last round.
    pub wal_bytes: AtomicU64,
    /// Checkpoints that copied the whole log.
    pub complete: AtomicU64,
    /// Rounds whose log was over `restart_bytes` and could not be restarted.
    pub blocked: AtomicU64,
    /// Messages added to the search index.
    pub indexed: AtomicU64,
}

/// One checkpoint's answer: whether it was blocked, frames in the log, frames copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Checkpoint {
    busy: bool,
    log: i64,
    copied: i64,
}

impl Checkpoint {
    fn complete(&self) -> bool {
        !self.busy && self.copied >= self.log
    }
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    Passive,
    Restart,
    Truncate,
}

async fn checkpoint(conn: &SqlitePool, mode: Mode) -> Result<Checkpoint, sqlx::Error> {
    let sql = match mode {
        Mode::Passive => "PRAGMA wal_checkpoint(PASSIVE)",
        Mode::Restart => "PRAGMA wal_checkpoint(RESTART)",
        Mode::Truncate => "PRAGMA wal_checkpoint(TRUNCATE)",
    };
    let (busy, log, copied): (i64, i64, i64) = sqlx::query_as(sql).fetch_one(conn).await?;
    Ok(Checkpoint {
        busy: busy != 0,
        log,
        copied,
    })
}

/// What the next round should do, from what this one saw: the whole decision, kept pure.
fn next_step(passive: Checkpoint, previous_log: i64, wal_bytes: u64, policy: &UpkeepPolicy) -> Option<Mode> {
    if passive.log <= 0 {
        return None;
    }
    let quiet = passive.log == previous_log;
    if quiet && passive.complete() {
        Some(Mode::Truncate)
    } else if wal_bytes > policy.restart_bytes {
        Some(Mode::Restart)
    } else {
        None
    }
}

/// The running upkeep task; stopped when dropped or by `stop`.
pub struct Upkeep {
    stop: Arc<tokio::sync::Notify>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Upkeep {
    pub async fn stop(mut self) {
        self.stop.notify_one();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Upkeep {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl Store {
    /// Starts the upkeep task for this database.
    pub fn start_upkeep(&self, policy: UpkeepPolicy) -> Upkeep {
        let stop = Arc::new(tokio::sync::Notify::new());
        // PostgreSQL keeps its own log and search index.
        if self.lite().is_none() {
            return Upkeep { stop, task: None };
        }
        let store = self.clone();
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut rounds = Rounds::new(policy);
            loop {
                tokio::select! {
                    _ = stopped.notified() => break,
                    _ = tokio::time::sleep(policy.tick) => {}
                }
                rounds.run(&store).await;
            }
        });
        Upkeep { stop, task: Some(task) }
    }

    /// What the upkeep has seen so far.
    pub fn wal_health(&self) -> &WalHealth {
        &self.health
    }

    /// Adds every message not yet in the search index to it, in batches; returns how many.
    pub async fn index_for_search(&self) -> Result<u64, StoreError> {
        // Each batch holds the writer, which every message waits for: small batches keep that
        // wait to a few milliseconds (2,000 at a time held messages back for tens of them).
        const BATCH: i64 = 100;
        // PostgreSQL indexes each message as it is stored (a generated `tsvector`).
        let Some(lite) = self.lite() else { return Ok(0) };
        let mut total = 0;
        loop {
            let pending: (bool,) = sqlx::query_as(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE id > (SELECT indexed_upto FROM search_progress))",
            )
            .fetch_one(&lite.read)
            .await?;
            if !pending.0 {
                break;
            }
            let mut tx = super::engine::lite::begin_write(&lite.write).await?;
            let done = sqlx::query(
                "INSERT INTO messages_search (rowid, body)
                 SELECT id, body FROM messages WHERE id > (SELECT indexed_upto FROM search_progress)
                 ORDER BY id LIMIT $1",
            )
            .bind(BATCH)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE search_progress SET indexed_upto = (
                     SELECT MAX(id) FROM (SELECT id FROM messages WHERE id > indexed_upto ORDER BY id LIMIT $1))
                 WHERE EXISTS (SELECT 1 FROM messages WHERE id > indexed_upto)",
            )
            .bind(BATCH)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            total += done.rows_affected();
            if done.rows_affected() < BATCH as u64 {
                break;
            }
        }
        self.health.indexed.fetch_add(total, Ordering::Relaxed);
        Ok(total)
    }

    /// Copies the whole log into the database and empties it, waiting for readers up to the
    /// connection's busy timeout; for shutting down and for tests.
    pub async fn checkpoint_now(&self) -> Result<bool, StoreError> {
        match self.lite() {
            Some(lite) => Ok(checkpoint(&lite.upkeep, Mode::Truncate).await?.complete()),
            None => Ok(true),
        }
    }

    /// Pages the writer has written to the log since it opened (SQLite's
    /// `SQLITE_DBSTATUS_CACHE_WRITE`), for measuring what storing a message costs.
    pub async fn pages_written(&self) -> Result<i64, StoreError> {
        let Some(lite) = self.lite() else {
            return Err(StoreError::Database(sqlx::Error::Protocol(
                "pages are counted on SQLite only".into(),
            )));
        };
        let mut conn = lite.write.acquire().await?;
        let mut handle = conn.lock_handle().await?;
        let db = handle.as_raw_handle().as_ptr();
        let (mut current, mut highest) = (0, 0);
        // SAFETY: `db` is this connection's open handle, held locked by `handle` for the call;
        // sqlite3_db_status only reads its counters into the two integers.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_db_status(
                db,
                libsqlite3_sys::SQLITE_DBSTATUS_CACHE_WRITE,
                &mut current,
                &mut highest,
                0,
            )
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            return Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "sqlite3_db_status answered {rc}"
            ))));
        }
        Ok(i64::from(current))
    }

    /// The highest message id: how many messages were ever stored.
    pub async fn messages_stored(&self) -> Result<i64, StoreError> {
        let (n,): (Option<i64>,) = on_db!(self.db, |read, write| {
            sqlx::query_as("SELECT MAX(id) FROM messages").fetch_one(read).await?
        });
        Ok(n.unwrap_or(0))
    }

    fn wal_path(&self) -> Option<std::path::PathBuf> {
        self.lite()?.path.as_ref().map(|p| {
            let mut name = p.as_os_str().to_owned();
            name.push("-wal");
            std::path::PathBuf::from(name)
        })
    }
}

/// The upkeep's memory from one round to the next.
struct Rounds {
    policy: UpkeepPolicy,
    previous_log: i64,
    blocked_since: Option<Instant>,
    last_warning: Option<Instant>,
}

impl Rounds {
    fn new(policy: UpkeepPolicy) -> Rounds {
        Rounds {
            policy,
            previous_log: -1,
            blocked_since: None,
            last_warning: None,
        }
    }

    async fn run(&mut self, store: &Store) {
        let Some(lite) = store.lite() else { return };
        if let Err(e) = store.index_for_search().await {
            tracing::warn!(error = %e, "could not add new messages to the search index");
        }
        let wal_bytes = store
            .wal_path()
            .and_then(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .unwrap_or(0);
        store.health.wal_bytes.store(wal_bytes, Ordering::Relaxed);
        let passive = match checkpoint(&lite.upkeep, Mode::Passive).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "checkpoint of the write-ahead log failed");
                return;
            }
        };
        let step = next_step(passive, self.previous_log, wal_bytes, &self.policy);
        let outcome = match step {
            None => passive,
            Some(mode) => match checkpoint(&lite.upkeep, mode).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, ?mode, "checkpoint of the write-ahead log failed");
                    return;
                }
            },
        };
        // What the log holds now: after a RESTART the same frames until the next write starts
        // it again (an unchanged log next round is quiet, and gets emptied), after a TRUNCATE
        // nothing.
        self.previous_log = outcome.log;
        if outcome.complete() {
            store.health.complete.fetch_add(1, Ordering::Relaxed);
        }
        let over = wal_bytes > self.policy.restart_bytes;
        if over && !outcome.complete() {
            store.health.blocked.fetch_add(1, Ordering::Relaxed);
            let since = *self.blocked_since.get_or_insert_with(Instant::now);
            let lasting = since.elapsed() >= BLOCKED_WARNING_AFTER;
            let due = self.last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(60));
            if lasting && due {
                self.last_warning = Some(Instant::now());
                tracing::warn!(
                    wal_mib = wal_bytes / (1024 * 1024),
                    frames = outcome.log,
                    copied = outcome.copied,
                    blocked_secs = since.elapsed().as_secs(),
                    "the write-ahead log cannot be checkpointed: a reader or writer holds it; it grows until they finish"
                );
            }
        } else if let Some(since) = self.blocked_since.take() {
            if self.last_warning.take().is_some() {
                tracing::info!(
                    blocked_secs = since.elapsed().as_secs(),
                    "the write-ahead log is checkpointed again"
                );
            }
        }
    }
}

/// The heap memory SQLite holds across every connection of this process: page caches and
/// prepared statements, which fill as the database grows (bounded by each connection's
/// `cache_size`), told apart from the server's own memory.
pub fn sqlite_memory_used() -> i64 {
    // SAFETY: sqlite3_memory_used takes no argument and only reads SQLite's global counter.
    unsafe { libsqlite3_sys::sqlite3_memory_used() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(busy: bool, log: i64, copied: i64) -> Checkpoint {
        Checkpoint { busy, log, copied }
    }

    #[test]
    fn an_empty_log_needs_nothing() {
        let p = UpkeepPolicy::default();
        assert!(next_step(c(false, 0, 0), 0, 0, &p).is_none());
    }

    #[test]
    fn a_quiet_copied_log_is_emptied() {
        let p = UpkeepPolicy::default();
        assert!(matches!(
            next_step(c(false, 40, 40), 40, 200_000, &p),
            Some(Mode::Truncate)
        ));
    }

    #[test]
    fn a_busy_small_log_is_left_to_grow_a_little() {
        let p = UpkeepPolicy::default();
        assert!(next_step(c(false, 90, 90), 40, 400_000, &p).is_none());
        assert!(next_step(c(false, 90, 60), 90, 400_000, &p).is_none());
    }

    #[test]
    fn a_large_log_is_restarted_even_while_written() {
        let p = UpkeepPolicy::default();
        let big = p.restart_bytes + 1;
        assert!(matches!(
            next_step(c(false, 9000, 9000), 8000, big, &p),
            Some(Mode::Restart)
        ));
        assert!(matches!(
            next_step(c(false, 9000, 100), 8000, big, &p),
            Some(Mode::Restart)
        ));
    }
}
