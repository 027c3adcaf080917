//! The database files while Switchboard serves: the write-ahead log stays bounded under steady
//! writes with readers busy at every moment, and a server killed with a large log starts again
//! with every acknowledged message, once.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::events::{VisitorCommand, VisitorEvent};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::helpers::*;
use crate::process::*;
use crate::sockets::*;

/// Things visitors ask that the demo assistant answers without handing over.
const LINES: [&str; 4] = [
    "What are your opening hours?",
    "How long does shipping take?",
    "Can I pay by card?",
    "Thanks for the information",
];

const MIB: u64 = 1024 * 1024;

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// How many messages a visitor sends: `count`, or fewer once the log has outgrown `log_above`.
#[derive(Clone, Copy)]
struct Until {
    count: usize,
    log_above: u64,
}

impl Until {
    fn sent(count: usize) -> Self {
        Until {
            count,
            log_above: u64::MAX,
        }
    }
}

/// A visitor sends messages, each once the previous one was acknowledged (stored), noting the
/// log's size after each; gives the acknowledged keys.
async fn chat(
    mut visitor: VisitorSocket,
    prefix: String,
    until: Until,
    wal: PathBuf,
    largest: Arc<AtomicU64>,
) -> Vec<String> {
    let mut acknowledged = Vec::with_capacity(until.count);
    for i in 0..until.count {
        if largest.load(Ordering::Relaxed) > until.log_above {
            break;
        }
        let key = format!("{prefix}-{i}");
        visitor
            .send(&VisitorCommand::Send {
                body: LINES[i % LINES.len()].to_string(),
                idempotency_key: key.clone(),
                attachments: vec![],
            })
            .await;
        visitor
            .wait_for("the message acknowledged", |ev| match ev {
                VisitorEvent::Ack { idempotency_key, .. } if *idempotency_key == key => Some(()),
                _ => None,
            })
            .await;
        largest.fetch_max(size(&wal), Ordering::Relaxed);
        acknowledged.push(key);
    }
    visitor.close().await;
    acknowledged
}

/// The visitors here send as fast as the server acknowledges: far above what one person may.
const BUSY_VISITORS: &[(&str, &str)] = &[("SWITCHBOARD_VISITOR_MESSAGES_PER_MINUTE", "1000000")];

/// `count` visitors, connected one after another.
async fn sockets<F, Fut>(count: usize, mut connect: F) -> Vec<VisitorSocket>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = VisitorSocket>,
{
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(connect().await);
    }
    out
}

/// The visitors chat at once (keys `<prefix>-<visitor>-<n>`): every key acknowledged, and the
/// largest the log was seen after an acknowledgement.
async fn chat_all(visitors: Vec<VisitorSocket>, prefix: &str, each: Until, wal: &Path) -> (Vec<String>, u64) {
    let largest = Arc::new(AtomicU64::new(0));
    let chats: Vec<_> = visitors
        .into_iter()
        .enumerate()
        .map(|(v, socket)| {
            tokio::spawn(chat(
                socket,
                format!("{prefix}-{v}"),
                each,
                wal.to_path_buf(),
                largest.clone(),
            ))
        })
        .collect();
    let mut acknowledged = Vec::new();
    for c in chats {
        acknowledged.extend(c.await.expect("the visitor finishes"));
    }
    (acknowledged, largest.load(Ordering::Relaxed))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_ahead_log_stays_bounded_while_readers_are_busy() {
    if on_postgres() {
        eprintln!("SQLite's write-ahead log only: PostgreSQL keeps its own");
        return;
    }
    let app = spawn_app_with(BUSY_VISITORS).await;
    let wal = app.data_dir.join("switchboard.db-wal");
    let db = app.data_dir.join("switchboard.db");

    // Readers at every moment: supervisors paging through the inbox, over and over.
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..3 {
        let client = TestApp::client_signed_in(&app, SUPERVISOR).await;
        let base = app.base.clone();
        let stop = stop.clone();
        readers.push(tokio::spawn(async move {
            let all = app::inbox::ListConversations {
                view: Some("all".into()),
                ..inbox_filter()
            };
            let mut pages = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let res = send_at(&base, &client, &all).await;
                assert_eq!(res.status(), 200);
                pages += 1;
            }
            pages
        }));
    }

    // 20 visitors × 100 messages; the assistant answers each: 4,000 messages stored. Before the
    // log was checkpointed, that was about 200 MB of log and a 4 KB database.
    let (acknowledged, largest) =
        chat_all(sockets(20, || app.visitor()).await, "bounded", Until::sent(100), &wal).await;
    let acknowledged = acknowledged.len();
    stop.store(true, Ordering::Relaxed);
    let mut pages = 0;
    for r in readers {
        pages += r.await.expect("the reader finishes");
    }

    assert_eq!(acknowledged, 2_000);
    assert!(
        pages > 20,
        "the readers kept reading while the messages were written ({pages} pages)"
    );
    assert!(
        largest <= 64 * MIB,
        "the write-ahead log reached {:.1} MiB; it must stay under 64 MiB",
        largest as f64 / MIB as f64
    );
    // The data is in the database itself, not only in the log.
    eventually(
        "the database file to hold the messages",
        Duration::from_secs(10),
        || async { (size(&db) > MIB / 2).then_some(()) },
    )
    .await;
}

/// Tells a connection not to checkpoint when it closes, as a process that dies would not.
async fn no_checkpoint_on_close(conn: &mut sqlx::SqliteConnection) {
    let mut handle = conn.lock_handle().await.unwrap();
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is the connection's open handle, locked for this call; the option takes an
    // int (1: on) and an optional out-pointer, here null.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            1 as std::ffi::c_int,
            std::ptr::null_mut::<std::ffi::c_int>(),
        )
    };
    assert_eq!(rc, libsqlite3_sys::SQLITE_OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_with_a_large_log_starts_again_with_every_acknowledged_message() {
    if on_postgres() {
        eprintln!("SQLite's write-ahead log only: PostgreSQL keeps its own");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let seeded = switchboard(dir.path(), &["seed-demo"]).output().unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let db = dir.path().join("switchboard.db");
    let wal = dir.path().join("switchboard.db-wal");
    let first_log = dir.path().join("first.log");
    let mut first = serve_with(dir.path(), &first_log, BUSY_VISITORS);

    // Another program reading the database and never finishing (a backup tool, a stuck
    // script) holds an old snapshot: no checkpoint can copy past it, and the log grows.
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", db.display())).unwrap();
    let mut pin = options.connect().await.unwrap();
    no_checkpoint_on_close(&mut pin).await;
    sqlx::query("BEGIN").execute(&mut pin).await.unwrap();
    sqlx::query("SELECT COUNT(*) FROM messages")
        .fetch_one(&mut pin)
        .await
        .unwrap();

    let until = Until {
        count: 2_000,
        log_above: 17 * MIB,
    };
    let (acknowledged, _) = chat_all(sockets(10, || first.visitor()).await, "killed", until, &wal).await;
    assert!(
        size(&wal) > 16 * MIB,
        "the pinned snapshot kept the log from being restarted ({:.1} MiB)",
        size(&wal) as f64 / MIB as f64
    );
    // The server said so, in words an operator can act on.
    let said = eventually("the server to warn about the log", Duration::from_secs(10), || async {
        let log = std::fs::read_to_string(&first_log).unwrap_or_default();
        log.contains("the write-ahead log cannot be checkpointed")
            .then_some(log)
    })
    .await;
    assert!(said.contains("wal_mib"), "{said}");

    // SIGKILL: no shutdown, no final checkpoint; then the reader goes too, leaving the log.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    pin.close().await.unwrap();
    assert!(size(&wal) > 16 * MIB, "the log is still there after the kill");

    let second = serve(dir.path(), &dir.path().join("second.log"));
    second.assert_ready().await;

    // Every acknowledged message is there, once.
    let mut reader = options.read_only(true).connect().await.unwrap();
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT idempotency_key, COUNT(*) FROM messages WHERE idempotency_key LIKE 'killed-%' GROUP BY idempotency_key",
    )
    .fetch_all(&mut reader)
    .await
    .unwrap();
    reader.close().await.unwrap();
    assert_eq!(stored.len(), acknowledged.len(), "every acknowledged message was kept");
    assert!(stored.iter().all(|(_, n)| *n == 1), "none twice");
    let keys: std::collections::HashSet<&str> = stored.iter().map(|(k, _)| k.as_str()).collect();
    assert!(acknowledged.iter().all(|k| keys.contains(k.as_str())));

    // And the restarted server copies the old log into the database and empties it.
    eventually(
        "the old log to be checkpointed and emptied",
        Duration::from_secs(20),
        || async { (size(&wal) < MIB).then_some(()) },
    )
    .await;
    assert!(size(&db) > MIB / 2, "the database file holds the messages");
}
