//! Storage: the only module that knows SQL and the database in use. Business logic calls the
//! methods of `Store` and sees domain types; no SQLite type leaves this module.
//!
//! SQLite permits one writer at a time, so writes go through a pool of one connection and
//! reads through a pool of several, all in WAL mode with a busy timeout. A third connection
//! belongs to the upkeep task (`upkeep.rs`), which checkpoints the write-ahead log.

mod api;
mod append;
mod attachments;
mod canned;
pub mod channels;
mod commit;
mod contacts;
mod conversations;
mod deliveries;
mod digest;
mod inbox;
#[cfg(test)]
mod lifecycle_conformance;
mod mail;
mod members;
mod messages;
mod plans;
mod qualifications;
pub mod reports;
mod routing;
pub mod sealed;
mod upkeep;
pub mod webhooks;
mod workflows;
pub mod workspaces;

use std::future::Future;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::query::QueryAs;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::Sqlite;

pub use api::{ApiTokenRecord, Claim, TokenCaller};
pub use append::{Appended, NewMessage, Refusal};
pub use attachments::AttachmentRecord;
pub use canned::CannedRecord;
pub use channels::ChannelRecord;
pub use commit::CommitPolicy;
pub use contacts::Erased;
pub use conversations::ConversationRecord;
pub use deliveries::{Moved, Outgoing};
pub use digest::{DigestLine, DigestReader};
pub use inbox::InboxFilter;
pub use mail::ImapCursor;
pub use members::{MemberRecord, NewMember, SessionRecord};
pub use qualifications::RunRecord;
pub use routing::{Gate, SilentConversation};
pub use upkeep::{Upkeep, UpkeepPolicy, WalHealth};
pub use workflows::WorkflowRecord;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; `what` names the rule in words the caller can show.
    #[error("already exists: {what}")]
    Duplicate { what: &'static str },
    #[error("not found")]
    NotFound,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Sealed(#[from] sealed::Unopenable),
    #[error("secrets cannot be kept: the store was opened without the server's key")]
    NoSealer,
}

impl From<StoreError> for app::AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { what } => app::AppError::Conflict(format!("{what} already exists.")),
            StoreError::NotFound => app::AppError::not_found("That record"),
            other => {
                tracing::error!(error = %other, "storage failed");
                app::AppError::Internal
            }
        }
    }
}

/// Turns a uniqueness violation into `Duplicate`, leaving other errors as they are.
fn unique_as(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation => {
            StoreError::Duplicate { what }
        }
        _ => StoreError::Database(e),
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Reading the rows of a statement that writes (`INSERT … RETURNING` and the like).
///
/// Never `fetch_one` or `fetch_optional` for those: sqlx stops at the first row and resets the
/// statement, and a write finished by a reset rather than by stepping to its end never runs
/// SQLite's automatic checkpoint (its WAL hook runs only then). Every message used to be stored
/// that way, and the write-ahead log grew by gigabytes an hour without ever being copied back.
pub(crate) trait Returning<'q, O> {
    /// The one row the statement returns (an error when it returns none).
    fn fetch_written<'e, 'c: 'e, E>(self, executor: E) -> impl Future<Output = Result<O, sqlx::Error>> + Send + 'e
    where
        'q: 'e,
        O: 'e,
        E: 'e + sqlx::Executor<'c, Database = Sqlite>;

    /// The row the statement returns, if any.
    fn fetch_written_optional<'e, 'c: 'e, E>(
        self,
        executor: E,
    ) -> impl Future<Output = Result<Option<O>, sqlx::Error>> + Send + 'e
    where
        'q: 'e,
        O: 'e,
        E: 'e + sqlx::Executor<'c, Database = Sqlite>;
}

impl<'q, O> Returning<'q, O> for QueryAs<'q, Sqlite, O, SqliteArguments<'q>>
where
    O: Send + Unpin + for<'r> sqlx::FromRow<'r, SqliteRow>,
{
    fn fetch_written<'e, 'c: 'e, E>(self, executor: E) -> impl Future<Output = Result<O, sqlx::Error>> + Send + 'e
    where
        'q: 'e,
        O: 'e,
        E: 'e + sqlx::Executor<'c, Database = Sqlite>,
    {
        let rows = self.fetch_all(executor);
        async move { rows.await?.into_iter().next().ok_or(sqlx::Error::RowNotFound) }
    }

    fn fetch_written_optional<'e, 'c: 'e, E>(
        self,
        executor: E,
    ) -> impl Future<Output = Result<Option<O>, sqlx::Error>> + Send + 'e
    where
        'q: 'e,
        O: 'e,
        E: 'e + sqlx::Executor<'c, Database = Sqlite>,
    {
        let rows = self.fetch_all(executor);
        async move { Ok(rows.await?.into_iter().next()) }
    }
}

/// A write transaction that takes the write lock at once (`BEGIN IMMEDIATE`). A deferred one
/// that reads first and writes later must upgrade its lock, and SQLite refuses that upgrade
/// without waiting (SQLITE_BUSY) when the snapshot it read moved on meanwhile, as it does
/// while the upkeep task restarts the log.
pub(crate) async fn begin_write(write: &SqlitePool) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
    let asked = std::time::Instant::now();
    let tx = write.begin_with("BEGIN IMMEDIATE").await;
    crate::metrics::COUNTERS.write_waited(asked.elapsed().as_secs_f64());
    tx
}

#[derive(Clone)]
pub struct Store {
    read: SqlitePool,
    write: SqlitePool,
    /// The upkeep task's own connection: checkpoints wait on it, never on the writer's.
    upkeep: SqlitePool,
    /// The database file (none in memory).
    path: Option<PathBuf>,
    health: Arc<WalHealth>,
    /// Messages are stored through it, in batches (`commit.rs`).
    committer: commit::Committer,
    /// Seals and opens secrets at rest (`sealed.rs`); set once by `use_sealer`.
    sealer: Arc<std::sync::OnceLock<sealed::Sealer>>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

impl Store {
    /// Opens (creating if missing) the database at `url`, batching messages as `CommitPolicy`'s
    /// default says.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, CommitPolicy::default()).await
    }

    /// Opens the database at `url`, batching messages by `policy`.
    pub async fn open_with(url: &str, policy: CommitPolicy) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // The log file is cut back to this size whenever it starts again.
            .pragma(
                "journal_size_limit",
                (UpkeepPolicy::default().restart_bytes).to_string(),
            );
        let path = options
            .get_filename()
            .to_str()
            .filter(|f| !f.is_empty() && *f != ":memory:")
            .map(PathBuf::from);
        // The connections are local files that cannot drop: testing one before each use (the
        // pool's default) would cost a round trip to its worker thread for every statement.
        // Nor are they closed when idle: the writer's statement cache is worth keeping.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(
                options
                    .clone()
                    .pragma("wal_autocheckpoint", upkeep::BACKSTOP_PAGES.to_string()),
            )
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        let upkeep = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.busy_timeout(UpkeepPolicy::default().wait))
            .await?;
        Ok(Store {
            read,
            committer: commit::Committer::start(write.clone(), policy),
            write,
            upkeep,
            path,
            health: Arc::new(WalHealth::default()),
            sealer: Arc::default(),
        })
    }

    /// Seals secrets at rest with this key from now on (once; later calls change nothing).
    pub fn use_sealer(&self, sealer: sealed::Sealer) {
        let _ = self.sealer.set(sealer);
    }

    /// `plain` as it is kept at rest.
    pub(crate) fn seal(&self, plain: &str) -> Result<String, StoreError> {
        Ok(self.sealer.get().ok_or(StoreError::NoSealer)?.seal(plain))
    }

    /// A kept secret as it was given (`None` stays `None`).
    pub(crate) fn open_secret(&self, stored: Option<String>) -> Result<Option<String>, StoreError> {
        match stored {
            None => Ok(None),
            Some(s) => Ok(Some(self.sealer.get().ok_or(StoreError::NoSealer)?.open(&s)?)),
        }
    }

    /// Seals every kept secret that is plain (from before sealing existed) or sealed with the
    /// previous key; one that opens with neither is left as it is and counted.
    pub async fn seal_stored_secrets(&self) -> Result<sealed::Resealed, StoreError> {
        let sealer = self.sealer.get().ok_or(StoreError::NoSealer)?;
        let mut done = sealed::Resealed::default();
        for (table, column) in sealed::COLUMNS {
            let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
                "SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} != ''"
            ))
            .fetch_all(&self.read)
            .await?;
            for (id, stored) in rows {
                match sealer.open_with(&stored) {
                    Ok((plain, true)) => {
                        sqlx::query(&format!(
                            "UPDATE {table} SET {column} = $2 WHERE id = $1 AND {column} = $3"
                        ))
                        .bind(id)
                        .bind(sealer.seal(&plain))
                        .bind(&stored)
                        .execute(&self.write)
                        .await?;
                        done.sealed += 1;
                    }
                    Ok((_, false)) => {}
                    Err(_) => done.unopenable += 1,
                }
            }
        }
        Ok(done)
    }

    /// A write transaction on the writer (see `begin_write`).
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
        begin_write(&self.write).await
    }

    /// Applies the migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.write).await?;
        Ok(())
    }

    /// Each pool's connections: (name, open, idle), for `/metrics`.
    pub fn pool_connections(&self) -> [(&'static str, u32, usize); 3] {
        [
            ("read", self.read.size(), self.read.num_idle()),
            ("write", self.write.size(), self.write.num_idle()),
            ("upkeep", self.upkeep.size(), self.upkeep.num_idle()),
        ]
    }

    /// Answers whether the database responds, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Writes a consistent, compacted copy of the database to `file` (which must not exist),
    /// from one read transaction: writers carry on meanwhile.
    pub async fn vacuum_into(&self, file: &std::path::Path) -> Result<(), StoreError> {
        sqlx::query("VACUUM INTO $1")
            .bind(file.to_string_lossy().to_string())
            .execute(&self.read)
            .await?;
        Ok(())
    }

    /// Indexes what is left to index, copies the log into the database and closes.
    pub async fn close(&self) {
        if let Err(e) = self.index_for_search().await {
            tracing::warn!(error = %e, "could not index the last messages for search before closing");
        }
        if let Err(e) = self.checkpoint_now().await {
            tracing::warn!(error = %e, "could not checkpoint the write-ahead log before closing");
        }
        self.read.close().await;
        self.upkeep.close().await;
        self.write.close().await;
    }
}
