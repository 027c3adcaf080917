//! The endurance load: visitors chatting with the built-in assistant at a steady pace for
//! minutes, reconnecting now and then as browsers do, while the database files under the data
//! directory and the server's memory are sampled. It answers "does the disk stay bounded while
//! Switchboard serves?" and "how many database pages does one stored message cost?".

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use app::events::{SenderKind, VisitorCommand, VisitorEvent};

use crate::clients::connect;
use crate::measure::read_proc;

#[derive(clap::Args, Clone)]
pub struct SoakArgs {
    /// Switchboard's address, e.g. http://127.0.0.1:3000 (seeded with the demo workspace).
    #[arg(long)]
    pub switchboard: String,
    /// Switchboard's process id, for its resident memory.
    #[arg(long)]
    pub switchboard_pid: u32,
    /// Switchboard's data directory, whose database files are sampled.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Visitors chatting at once.
    #[arg(long, default_value_t = 200)]
    pub visitors: usize,
    /// Milliseconds between one visitor's messages (each wait is drawn from ±50 % of it).
    #[arg(long, default_value_t = 2000)]
    pub interval_ms: u64,
    /// A visitor reconnects after a time drawn from this many seconds to twice as many.
    #[arg(long, default_value_t = 20)]
    pub reconnect_secs: u64,
    /// How long the load runs.
    #[arg(long, default_value_t = 720)]
    pub seconds: u64,
    /// Seconds between two samples of the files and the memory.
    #[arg(long, default_value_t = 5)]
    pub sample_secs: u64,
    /// Switchboard's `metrics_token`: with it, the pages written per stored message are read
    /// from `/metrics` before and after the load.
    #[arg(long, env = "SWITCHBOARD_METRICS_TOKEN")]
    pub metrics_token: Option<String>,
}

/// Pages written and messages stored, from Switchboard's `/metrics`.
async fn pages_and_messages(server: SocketAddr, token: &str) -> Result<(i64, i64), String> {
    let text = reqwest::Client::new()
        .get(format!("http://{server}/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("/metrics: {e}"))?
        .text()
        .await
        .map_err(|e| format!("/metrics: {e}"))?;
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<i64>().ok())
            .ok_or_else(|| format!("/metrics has no {name}"))
    };
    Ok((
        value("switchboard_sqlite_pages_written_total")?,
        value("switchboard_messages_stored")?,
    ))
}

/// One sample of the data directory and the server process.
#[derive(Clone, Copy, Default)]
struct Sample {
    at_secs: u64,
    db: u64,
    wal: u64,
    shm: u64,
    rss: u64,
    acknowledged: u64,
}

/// What every visitor task adds to.
#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    acknowledged: AtomicU64,
    answers: AtomicU64,
    reconnects: AtomicU64,
    errors: AtomicU64,
}

fn file_size(dir: &Path, name: &str) -> u64 {
    std::fs::metadata(dir.join(name)).map(|m| m.len()).unwrap_or(0)
}

fn sample(args: &SoakArgs, began: Instant, counters: &Counters) -> Sample {
    Sample {
        at_secs: began.elapsed().as_secs(),
        db: file_size(&args.data_dir, "switchboard.db"),
        wal: file_size(&args.data_dir, "switchboard.db-wal"),
        shm: file_size(&args.data_dir, "switchboard.db-shm"),
        rss: read_proc(args.switchboard_pid).map(|r| r.rss_bytes).unwrap_or(0),
        acknowledged: counters.acknowledged.load(Ordering::Relaxed),
    }
}

/// A small deterministic generator (xorshift) so runs are repeatable and no crate is needed.
struct Dice(u64);

impl Dice {
    fn new(seed: u64) -> Dice {
        Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A duration drawn evenly from `low..high` milliseconds.
    fn between(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low).max(1))
    }
}

/// What the visitors say: questions the demo's built-in assistant knows, and some it does not.
const LINES: [&str; 6] = [
    "What are your opening hours?",
    "How long does shipping take to Lisbon?",
    "Can I return a jacket I bought last week?",
    "Do you have the blue one in medium?",
    "My order number is 48213, where is it?",
    "Thanks, that helps a lot",
];

/// One visitor: connect, chat for a while, drop the socket, connect again, until `stop`.
async fn visitor(
    server: SocketAddr,
    token: String,
    n: usize,
    args: SoakArgs,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let mut dice = Dice::new(n as u64 + 1);
    let mut said = 0u64;
    // What this visitor has seen, so a reconnect resumes after it as the widget does.
    let mut last_seq = 0i64;
    // Spread the first messages over one interval so the visitors do not speak in step.
    tokio::time::sleep(dice.between(0, args.interval_ms)).await;
    while !stop.load(Ordering::Relaxed) {
        let Ok(ws) = connect(server, "/ws/visitor", None, n).await else {
            counters.errors.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        let (mut sink, mut stream) = ws.split();
        let resume = serde_json::to_string(&VisitorCommand::Resume {
            token: token.to_string(),
            last_seq,
        })
        .expect("serialises");
        if sink.send(Message::Text(resume.into())).await.is_err() {
            counters.errors.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let session_ends =
            tokio::time::Instant::now() + dice.between(args.reconnect_secs * 1000, args.reconnect_secs * 2000);
        let mut next_send = tokio::time::Instant::now();
        // Keys of this connection's messages not yet echoed back as stored.
        let mut waiting: Vec<String> = Vec::new();
        loop {
            if stop.load(Ordering::Relaxed) || tokio::time::Instant::now() >= session_ends {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(next_send) => {
                    let key = format!("soak-{n}-{said}");
                    said += 1;
                    let body = LINES[(said as usize + n) % LINES.len()].to_string();
                    let frame = serde_json::to_string(&VisitorCommand::Send {
                        body,
                        idempotency_key: key.clone(),
                        attachments: vec![],
                    })
                    .expect("serialises");
                    if sink.send(Message::Text(frame.into())).await.is_err() {
                        counters.errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    counters.sent.fetch_add(1, Ordering::Relaxed);
                    waiting.push(key);
                    next_send = tokio::time::Instant::now()
                        + dice.between(args.interval_ms / 2, args.interval_ms * 3 / 2);
                }
                frame = stream.next() => {
                    let Some(Ok(frame)) = frame else {
                        counters.errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    };
                    let Message::Text(text) = frame else { continue };
                    match serde_json::from_str::<VisitorEvent>(&text) {
                        Ok(VisitorEvent::Ack { idempotency_key, seq }) => {
                            last_seq = last_seq.max(seq);
                            if let Some(i) = waiting.iter().position(|k| *k == idempotency_key) {
                                waiting.swap_remove(i);
                                counters.acknowledged.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Ok(VisitorEvent::Message { message }) => {
                            last_seq = last_seq.max(message.seq);
                            if message.sender_kind == SenderKind::Ai {
                                counters.answers.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        // Unacknowledged sends are sent again after the reconnect with the same key by a real
        // widget; here they simply count as sent and not acknowledged.
        let _ = sink.close().await;
        counters.reconnects.fetch_add(1, Ordering::Relaxed);
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub async fn run(args: SoakArgs, tokens: Vec<String>) -> Result<(), String> {
    let server = crate::clients::loopback(&args.switchboard)?;
    let counters = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let before = match &args.metrics_token {
        Some(token) => Some(pages_and_messages(server, token).await?),
        None => None,
    };
    let began = Instant::now();
    let tasks: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(n, token)| tokio::spawn(visitor(server, token, n, args.clone(), counters.clone(), stop.clone())))
        .collect();
    let mut samples = vec![sample(&args, began, &counters)];
    let end = began + Duration::from_secs(args.seconds);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(args.sample_secs)).await;
        let s = sample(&args, began, &counters);
        eprintln!(
            "[soak] {:>4} s  acknowledged {:>7}  db {:>10}  wal {:>10}  shm {:>9}  rss {:>9}",
            s.at_secs,
            s.acknowledged,
            mib(s.db),
            mib(s.wal),
            mib(s.shm),
            mib(s.rss)
        );
        samples.push(s);
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    let last = *samples.last().expect("one sample at least");
    let max = |f: fn(&Sample) -> u64| samples.iter().map(f).max().unwrap_or(0);
    println!(
        "soak: {} visitors for {} s: {} sent, {} acknowledged, {} answers, {} reconnects, {} errors",
        args.visitors,
        args.seconds,
        counters.sent.load(Ordering::Relaxed),
        counters.acknowledged.load(Ordering::Relaxed),
        counters.answers.load(Ordering::Relaxed),
        counters.reconnects.load(Ordering::Relaxed),
        counters.errors.load(Ordering::Relaxed),
    );
    println!(
        "soak: largest WAL {}, -shm {}, server RSS {}; at the end the database {} and the WAL {}",
        mib(max(|s| s.wal)),
        mib(max(|s| s.shm)),
        mib(max(|s| s.rss)),
        mib(last.db),
        mib(last.wal),
    );
    if let (Some(token), Some((pages0, messages0))) = (&args.metrics_token, before) {
        let (pages, messages) = pages_and_messages(server, token).await?;
        let stored = (messages - messages0).max(1);
        println!(
            "soak: {} pages written for {} stored messages: {:.2} pages ({:.1} KiB) a message",
            pages - pages0,
            stored,
            (pages - pages0) as f64 / stored as f64,
            (pages - pages0) as f64 * 4.0 / stored as f64,
        );
    }
    Ok(())
}
