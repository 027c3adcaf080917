//! The two databases a store runs on, SQLite (one machine, the default) and PostgreSQL
//! (several nodes), and the two macros that let each query be written once for both.
//!
//! A store method's body is written once inside `on_db!`, which expands it twice: once where
//! `read` and `write` are SQLite pools and once where both are the PostgreSQL pool. Each copy is
//! compiled against its own database's native types, so nothing is converted at run time and
//! the SQL text (with `$1` placeholders, which both accept) is shared. Where the dialects
//! differ, `side::PG` tells which copy is running.
//!
//! Helpers that take a connection are declared inside `dual!`, which makes a module `lite` and
//! a module `pg` of them, each seeing `Db`, `Conn` and `Tx` as its database's types. `on_db!`
//! brings the module of the running side into scope as `side`, with the shared helpers below
//! (`begin_write`, `PG`).

use std::path::PathBuf;
use std::sync::Arc;

use sqlx::sqlite::SqlitePool;
use sqlx::PgPool;

/// The database behind a store.
#[derive(Clone)]
pub(crate) enum Engine {
    Sqlite(Arc<Lite>),
    Postgres(PgPool),
}

/// SQLite's pools: one writer (SQLite has one), several readers, and the upkeep task's own.
pub(crate) struct Lite {
    pub(crate) read: SqlitePool,
    pub(crate) write: SqlitePool,
    /// The upkeep task's own connection: checkpoints wait on it, never on the writer's.
    pub(crate) upkeep: SqlitePool,
    /// The database file (none in memory).
    pub(crate) path: Option<PathBuf>,
}

/// Runs `$body` against the store's database, with `$read` and `$write` bound to its pools and
/// `side` to the running side's helpers (the module's own `dual!` ones included).
macro_rules! on_db {
    ($engine:expr, |$read:ident, $write:ident| $body:expr) => {
        match &$engine {
            $crate::store::engine::Engine::Sqlite(lite) => {
                #[allow(unused_variables)]
                let $read = &lite.read;
                #[allow(unused_variables)]
                let $write = &lite.write;
                #[allow(unused_imports)]
                use self::lite as side;
                $body
            }
            $crate::store::engine::Engine::Postgres(pool) => {
                #[allow(unused_variables)]
                let $read = pool;
                #[allow(unused_variables)]
                let $write = pool;
                #[allow(unused_imports)]
                use self::pg as side;
                $body
            }
        }
    };
}

/// Declares helpers once for both databases: `lite::…` on SQLite, `pg::…` on PostgreSQL.
macro_rules! dual {
    ($($item:item)*) => {
        #[allow(dead_code, unused_imports)]
        pub(crate) mod lite {
            use super::*;
            pub(crate) use $crate::store::engine::lite::*;
            $($item)*
        }
        #[allow(dead_code, unused_imports)]
        pub(crate) mod pg {
            use super::*;
            pub(crate) use $crate::store::engine::pg::*;
            $($item)*
        }
    };
}

/// SQLite's side.
pub(crate) mod lite {
    pub(crate) type Db = sqlx::Sqlite;
    pub(crate) type Conn = sqlx::SqliteConnection;
    pub(crate) type Pool = sqlx::SqlitePool;
    pub(crate) type Tx<'c> = sqlx::Transaction<'c, Db>;
    pub(crate) const PG: bool = false;
    /// Where a text occurs in another, from 1 (0 when it does not): `POSITION(haystack, needle)`.
    pub(crate) const POSITION: &str = "instr";
    /// The larger of two values: `GREATEST(a, b)`.
    pub(crate) const GREATEST: &str = "MAX";
    /// Builds a JSON object from keys and values: `JSON_OBJECT('key', value, …)`.
    pub(crate) const JSON_OBJECT: &str = "json_object";

    /// A boolean column as JSON's `true` or `false` inside a `JSON_OBJECT`.
    pub(crate) fn json_bool(column: &str) -> String {
        format!("json(CASE WHEN {column} THEN 'true' ELSE 'false' END)")
    }

    // Each store file's helpers on this side, by the file's name.
    pub(crate) use crate::store::{
        append::lite as append, conversations::lite as conversations, inbox::lite as inbox, messages::lite as messages,
        webhooks::lite as webhooks, workspaces::lite as workspaces,
    };

    pub(in crate::store) use crate::store::direct::store_leading;

    /// A write transaction that takes the write lock at once (`BEGIN IMMEDIATE`). A deferred
    /// one that reads first and writes later must upgrade its lock, and SQLite refuses that
    /// upgrade without waiting (SQLITE_BUSY) when the snapshot it read moved on meanwhile, as
    /// it does while the upkeep task restarts the log.
    pub(crate) async fn begin_write(write: &Pool) -> Result<Tx<'static>, sqlx::Error> {
        let asked = std::time::Instant::now();
        let tx = write.begin_with("BEGIN IMMEDIATE").await;
        crate::metrics::COUNTERS.write_waited(asked.elapsed().as_secs_f64());
        tx
    }

    /// Holds a row until the transaction ends, so that another writer wanting it waits. A
    /// SQLite write transaction already keeps every other writer out.
    pub(crate) async fn lock_row(_tx: &mut Conn, _table: &str, _id: i64) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

/// PostgreSQL's side.
pub(crate) mod pg {
    pub(crate) type Db = sqlx::Postgres;
    pub(crate) type Conn = sqlx::PgConnection;
    pub(crate) type Pool = sqlx::PgPool;
    pub(crate) type Tx<'c> = sqlx::Transaction<'c, Db>;
    pub(crate) const PG: bool = true;
    pub(crate) const POSITION: &str = "strpos";
    pub(crate) const GREATEST: &str = "GREATEST";
    pub(crate) const JSON_OBJECT: &str = "json_build_object";

    pub(crate) fn json_bool(column: &str) -> String {
        column.to_string()
    }

    // Each store file's helpers on this side, by the file's name.
    pub(crate) use crate::store::{
        append::pg as append, conversations::pg as conversations, inbox::pg as inbox, messages::pg as messages,
        webhooks::pg as webhooks, workspaces::pg as workspaces,
    };

    /// A transaction that will write. PostgreSQL takes row locks as it goes; statements that
    /// must not interleave lock their rows (`FOR UPDATE`) or compare and set.
    pub(crate) async fn begin_write(write: &Pool) -> Result<Tx<'static>, sqlx::Error> {
        let asked = std::time::Instant::now();
        let tx = write.begin().await;
        crate::metrics::COUNTERS.write_waited(asked.elapsed().as_secs_f64());
        tx
    }

    /// PostgreSQL's statements are not handed to a thread of their own: every message of a
    /// batch goes the full way (SQLite's side steps the common ones directly, `direct.rs`).
    pub(in crate::store) async fn store_leading(
        _tx: &mut Conn,
        _batch: &[crate::store::commit::Pending],
        _results: &mut Vec<Result<crate::store::append::Appended, crate::store::append::Refusal>>,
        _recent: &mut crate::store::direct::RecentKeys,
    ) -> Result<usize, sqlx::Error> {
        Ok(0)
    }

    pub(crate) async fn lock_row(tx: &mut Conn, table: &str, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query(&format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE"))
            .bind(id)
            .execute(tx)
            .await?;
        Ok(())
    }
}
