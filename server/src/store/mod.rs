//! Storage: the only module that knows SQL and the database in use. Business logic calls the
//! methods of `Store` and sees domain types; no SQLite type leaves this module.
//!
//! SQLite permits one writer at a time, so writes go through a pool of one connection and
//! reads through a pool of several, all in WAL mode with a busy timeout. A third connection
//! belongs to the upkeep task (`upkeep.rs`), which checkpoints the write-ahead log.

#[macro_use]
mod engine;
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
mod direct;
mod inbox;
#[cfg(test)]
mod lifecycle_conformance;
mod mail;
mod members;
mod messages;
mod offers;
mod plans;
mod qualifications;
pub mod reports;
mod routing;
pub mod sealed;
mod unique;
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
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use api::{ApiTokenRecord, Claim, TokenCaller};
pub use append::{Appended, NewMessage, Refusal};
pub use attachments::AttachmentRecord;
pub use canned::CannedRecord;
pub use channels::ChannelRecord;
pub use commit::CommitPolicy;
pub use contacts::{ContactFields, Erased};
pub use conversations::ConversationRecord;
pub use deliveries::{Moved, Outgoing};
pub use digest::{DigestLine, DigestReader};
pub use inbox::InboxFilter;
pub use mail::ImapCursor;
pub use members::{InvitationRecord, MemberRecord, NewMember, PasswordReset, SessionRecord};
pub use offers::OpenOffer;
pub use qualifications::RunRecord;
pub use routing::{Gate, Holder, OperatorSession, SilentConversation};
pub use upkeep::{sqlite_memory_used, Upkeep, UpkeepPolicy, WalHealth};
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
pub(crate) trait Returning<'q, O, DB: sqlx::Database> {
    /// The one row the statement returns (an error when it returns none).
    fn fetch_written<'e, 'c: 'e, E>(self, executor: E) -> impl Future<Output = Result<O, sqlx::Error>> + Send + 'e
    where
        'q: 'e,
        O: 'e,
        E: 'e + sqlx::Executor<'c, Database = DB>;

    /// The row the statement returns, if any.
    fn fetch_written_optional<'e, 'c: 'e, E>(
        self,
        executor: E,
    ) -> impl Future<Output = Result<Option<O>, sqlx::Error>> + Send + 'e
    where
        'q: 'e,
        O: 'e,
        E: 'e + sqlx::Executor<'c, Database = DB>;
}

impl<'q, O, DB> Returning<'q, O, DB> for QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    O: Send + Unpin + for<'r> sqlx::FromRow<'r, DB::Row>,
{
    fn fetch_written<'e, 'c: 'e, E>(self, executor: E) -> impl Future<Output = Result<O, sqlx::Error>> + Send + 'e
    where
        'q: 'e,
        O: 'e,
        E: 'e + sqlx::Executor<'c, Database = DB>,
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
        E: 'e + sqlx::Executor<'c, Database = DB>,
    {
        let rows = self.fetch_all(executor);
        async move { Ok(rows.await?.into_iter().next()) }
    }
}

#[derive(Clone)]
pub struct Store {
    db: engine::Engine,
    health: Arc<WalHealth>,
    /// Messages are stored through it, in batches (`commit.rs`).
    committer: commit::Committer,
    /// Seals and opens secrets at rest (`sealed.rs`); set once by `use_sealer`.
    sealer: Arc<std::sync::OnceLock<sealed::Sealer>>,
}

dual! {}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Whether `url` names a PostgreSQL database (anything else is SQLite's).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl Store {
    /// Opens (creating if missing) the database at `url`, batching messages as `CommitPolicy`'s
    /// default says.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, CommitPolicy::default()).await
    }

    /// Opens the database at `url`, batching messages by `policy`.
    pub async fn open_with(url: &str, policy: CommitPolicy) -> Result<Store, StoreError> {
        let db = if is_postgres(url) {
            engine::Engine::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(16)
                    .connect(url)
                    .await?,
            )
        } else {
            engine::Engine::Sqlite(Arc::new(open_sqlite(url).await?))
        };
        Ok(Store {
            committer: commit::Committer::start(db.clone(), policy),
            db,
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
            on_db!(self.db, |read, write| {
                let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
                    "SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} != ''"
                ))
                .fetch_all(read)
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
                            .execute(write)
                            .await?;
                            done.sealed += 1;
                        }
                        Ok((_, false)) => {}
                        Err(_) => done.unopenable += 1,
                    }
                }
            })
        }
        Ok(done)
    }

    /// Applies the migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.db {
            engine::Engine::Sqlite(lite) => MIGRATOR.run(&lite.write).await?,
            engine::Engine::Postgres(pool) => PG_MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    /// Each pool's connections: (name, open, idle), for `/metrics`.
    pub fn pool_connections(&self) -> Vec<(&'static str, u32, usize)> {
        match &self.db {
            engine::Engine::Sqlite(lite) => vec![
                ("read", lite.read.size(), lite.read.num_idle()),
                ("write", lite.write.size(), lite.write.num_idle()),
                ("upkeep", lite.upkeep.size(), lite.upkeep.num_idle()),
            ],
            engine::Engine::Postgres(pool) => vec![("postgres", pool.size(), pool.num_idle())],
        }
    }

    /// SQLite's pools, when the store is on SQLite.
    pub(crate) fn lite(&self) -> Option<&engine::Lite> {
        match &self.db {
            engine::Engine::Sqlite(lite) => Some(lite),
            engine::Engine::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, when the store is on PostgreSQL (for the bus between nodes).
    pub fn postgres_pool(&self) -> Option<sqlx::PgPool> {
        match &self.db {
            engine::Engine::Sqlite(_) => None,
            engine::Engine::Postgres(pool) => Some(pool.clone()),
        }
    }

    /// Whether this store is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.db, engine::Engine::Postgres(_))
    }

    /// Answers whether the database responds, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("SELECT 1").execute(read).await?;
        });
        Ok(())
    }

    /// Writes a consistent, compacted copy of the SQLite database to `file` (which must not
    /// exist), from one read transaction: writers carry on meanwhile. A PostgreSQL database is
    /// backed up with its own tools (`pg_dump`); this answers `None` for it.
    pub async fn vacuum_into(&self, file: &std::path::Path) -> Result<Option<()>, StoreError> {
        let engine::Engine::Sqlite(lite) = &self.db else {
            return Ok(None);
        };
        sqlx::query("VACUUM INTO $1")
            .bind(file.to_string_lossy().to_string())
            .execute(&lite.read)
            .await?;
        Ok(Some(()))
    }

    /// Indexes what is left to index, copies the log into the database and closes.
    pub async fn close(&self) {
        if let Err(e) = self.index_for_search().await {
            tracing::warn!(error = %e, "could not index the last messages for search before closing");
        }
        if let Err(e) = self.checkpoint_now().await {
            tracing::warn!(error = %e, "could not checkpoint the write-ahead log before closing");
        }
        match &self.db {
            engine::Engine::Sqlite(lite) => {
                lite.read.close().await;
                lite.upkeep.close().await;
                lite.write.close().await;
            }
            engine::Engine::Postgres(pool) => pool.close().await,
        }
    }
}

/// Opens (creating if missing) the SQLite database at `url`.
async fn open_sqlite(url: &str) -> Result<engine::Lite, StoreError> {
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
    Ok(engine::Lite {
        read,
        write,
        upkeep,
        path,
    })
}
