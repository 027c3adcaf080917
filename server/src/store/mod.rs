//! Storage: the only module that knows SQL and the database in use. Business logic calls the
//! methods of `Store` and sees domain types; no SQLite type leaves this module.
//!
//! SQLite permits one writer at a time, so writes go through a pool of one connection and
//! reads through a pool of several, all in WAL mode with a busy timeout.

mod attachments;
mod canned;
mod contacts;
mod conversations;
mod inbox;
mod members;
mod qualifications;
mod routing;
pub mod workspaces;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use attachments::AttachmentRecord;
pub use canned::CannedRecord;
pub use conversations::{Appended, ChannelRecord, ConversationRecord, Handling, NewMessage, Refusal, WorkflowRecord};
pub use inbox::InboxFilter;
pub use members::{MemberRecord, NewMember, SessionRecord};
pub use qualifications::RunRecord;
pub use routing::Gate;

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

#[derive(Clone)]
pub struct Store {
    read: SqlitePool,
    write: SqlitePool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

impl Store {
    /// Opens (creating if missing) the database at `url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // The connections are local files that cannot drop: testing one before each use (the
        // pool's default) would cost a round trip to its worker thread for every statement.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options.read_only(false))
            .await?;
        Ok(Store { read, write })
    }

    /// Applies the migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.write).await?;
        Ok(())
    }

    /// Answers whether the database responds, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}
