//! What a statement on the writer's SQLite connection costs when sqlx runs it on the
//! connection's worker thread, against the same statements stepped directly on the caller's
//! thread through the connection's raw handle (`lock_handle`, as `Store::pages_written` does).
//!
//! Each stored "message" has the write path's shape: read the conversation's last number, insert
//! the message numbered after it, move the conversation; batches of 13 (the soak's mean batch)
//! in one transaction, on a file in WAL mode with the store's settings. The difference between
//! the two columns is what handing each statement to the worker thread and back costs.
//! Prints a Markdown table for BENCHMARKS.md. Run: `cargo bench -p server --bench statements`.

use std::ffi::{c_int, CStr};
use std::ptr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use libsqlite3_sys as ffi;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

const CONVERSATIONS: i64 = 1_000;
const BATCH: usize = 13;
const BATCHES: usize = 1_500;
const RUNS: usize = 5;

const READ: &CStr = c"SELECT last_seq FROM conversations WHERE id = ?1";
const INSERT: &CStr = c"INSERT INTO messages (conversation_id, seq, body, created_at) VALUES (?1, ?2, ?3, ?4)";
const MOVE: &CStr = c"UPDATE conversations SET last_seq = ?2, last_activity_at = ?3 WHERE id = ?1";

fn text(sql: &CStr) -> &str {
    sql.to_str().expect("ASCII")
}

async fn open(dir: &tempfile::TempDir) -> SqliteConnection {
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let mut conn = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .connect()
        .await
        .unwrap();
    for ddl in [
        "CREATE TABLE conversations (id INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, last_activity_at INTEGER NOT NULL)",
        "CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL, seq INTEGER NOT NULL,
            body TEXT NOT NULL, created_at INTEGER NOT NULL)",
        "CREATE UNIQUE INDEX messages_seq ON messages (conversation_id, seq)",
    ] {
        sqlx::query(ddl).execute(&mut conn).await.unwrap();
    }
    let mut tx = conn.begin().await.unwrap();
    for id in 1..=CONVERSATIONS {
        sqlx::query("INSERT INTO conversations (id, last_seq, last_activity_at) VALUES (?, 0, 0)")
            .bind(id)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    conn
}

/// The conversation of the `n`th message: spread like visitors' chats.
fn conversation(n: usize) -> i64 {
    (n as i64 * 7_919) % CONVERSATIONS + 1
}

async fn through_worker(conn: &mut SqliteConnection, first: usize) {
    for b in 0..BATCHES {
        let mut tx = conn.begin().await.unwrap();
        for m in 0..BATCH {
            let n = first + b * BATCH + m;
            let id = conversation(n);
            let (last,): (i64,) = sqlx::query_as(text(READ)).bind(id).fetch_one(&mut *tx).await.unwrap();
            sqlx::query(text(INSERT))
                .bind(id)
                .bind(last + 1)
                .bind("where is my order?")
                .bind(n as i64)
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query(text(MOVE))
                .bind(id)
                .bind(last + 1)
                .bind(n as i64)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
}

/// A statement prepared once on the raw handle.
struct Stmt(*mut ffi::sqlite3_stmt);

impl Stmt {
    fn prepare(db: *mut ffi::sqlite3, sql: &CStr) -> Stmt {
        let mut stmt = ptr::null_mut();
        // SAFETY: `db` is open and held locked by the caller; `sql` is NUL-terminated.
        let rc = unsafe { ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut stmt, ptr::null_mut()) };
        assert_eq!(rc, ffi::SQLITE_OK, "prepare {sql:?}");
        Stmt(stmt)
    }

    fn int(&self, i: c_int, v: i64) {
        // SAFETY: the statement is prepared and `i` is one of its parameters.
        assert_eq!(unsafe { ffi::sqlite3_bind_int64(self.0, i, v) }, ffi::SQLITE_OK);
    }

    fn text(&self, i: c_int, v: &str) {
        // SAFETY: SQLITE_TRANSIENT makes SQLite copy the bytes before the call returns.
        let rc =
            unsafe { ffi::sqlite3_bind_text(self.0, i, v.as_ptr().cast(), v.len() as c_int, ffi::SQLITE_TRANSIENT()) };
        assert_eq!(rc, ffi::SQLITE_OK);
    }

    /// Steps once; the first column of the row if there is one.
    fn step(&self) -> Option<i64> {
        // SAFETY: the statement is prepared and its parameters bound.
        unsafe {
            let rc = ffi::sqlite3_step(self.0);
            let value = match rc {
                ffi::SQLITE_ROW => Some(ffi::sqlite3_column_int64(self.0, 0)),
                ffi::SQLITE_DONE => None,
                other => panic!("step answered {other}"),
            };
            ffi::sqlite3_reset(self.0);
            value
        }
    }
}

impl Drop for Stmt {
    fn drop(&mut self) {
        // SAFETY: finalised once, while the connection is still open.
        unsafe { ffi::sqlite3_finalize(self.0) };
    }
}

fn exec(db: *mut ffi::sqlite3, sql: &CStr) {
    // SAFETY: `db` is open and held locked by the caller.
    let rc = unsafe { ffi::sqlite3_exec(db, sql.as_ptr(), None, ptr::null_mut(), ptr::null_mut()) };
    assert_eq!(rc, ffi::SQLITE_OK, "{sql:?}");
}

async fn on_this_thread(conn: &mut SqliteConnection, first: usize) {
    for b in 0..BATCHES {
        // One hand-over a batch: the worker parks while this task holds the handle.
        let mut handle = conn.lock_handle().await.unwrap();
        let db = handle.as_raw_handle().as_ptr();
        let (read, insert, moved) = (
            Stmt::prepare(db, READ),
            Stmt::prepare(db, INSERT),
            Stmt::prepare(db, MOVE),
        );
        exec(db, c"BEGIN IMMEDIATE");
        for m in 0..BATCH {
            let n = first + b * BATCH + m;
            let id = conversation(n);
            read.int(1, id);
            let last = read.step().expect("the conversation exists");
            insert.int(1, id);
            insert.int(2, last + 1);
            insert.text(3, "where is my order?");
            insert.int(4, n as i64);
            insert.step();
            moved.int(1, id);
            moved.int(2, last + 1);
            moved.int(3, n as i64);
            moved.step();
        }
        exec(db, c"COMMIT");
        drop((read, insert, moved));
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir).await;
        let messages = BATCH * BATCHES;
        let (mut worker, mut direct) = (Vec::new(), Vec::new());
        // Alternate the two so that both see the same machine and the same growing file.
        for run in 0..RUNS {
            let began = Instant::now();
            through_worker(&mut conn, 2 * run * messages).await;
            worker.push(began.elapsed());
            let began = Instant::now();
            on_this_thread(&mut conn, (2 * run + 1) * messages).await;
            direct.push(began.elapsed());
        }
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM messages")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(count as usize, 2 * RUNS * messages, "every message stored once");
        let per = |d: Duration| d.as_secs_f64() * 1e6 / messages as f64;
        let (w, d) = (per(median(worker)), per(median(direct)));
        println!("| figure | value |");
        println!("| --- | --- |");
        println!("| messages a run (3 statements each, {BATCH} a transaction) | {messages} |");
        println!("| through sqlx's worker thread, median of {RUNS} runs | {w:.1} µs a message |");
        println!("| stepped on the caller's thread (raw handle) | {d:.1} µs a message |");
        println!("| ratio worker / direct | {:.2} |", w / d);
        println!("| handing a statement over and back | {:.1} µs |", (w - d) / 3.0);
    });
}
