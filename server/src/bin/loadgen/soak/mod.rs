//! The endurance load: for half an hour, visitors chat with the built-in assistant at a steady
//! pace (half the highest sustained rate by default), ask for a person now and then and send
//! files, dropping their sockets and resuming as browser tabs do; agents go live, take the
//! chats offered to them, answer with text and files, hand the chats back and go offline;
//! supervisors keep the whole inbox open. Meanwhile the server's resident memory, its open
//! sockets and the database files are sampled. It answers "does Switchboard stay flat while it
//! serves for a long time?", "how many database pages does one stored message cost?" and
//! "where does a message's time go?" (from the server's stage timings in `/metrics`).

mod team;
mod visitor;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::measure::status_field;
use crate::setup::Http;

#[derive(clap::Args, Clone)]
pub struct SoakArgs {
    /// Switchboard's address, e.g. http://127.0.0.1:3000 (seeded with the demo workspace).
    #[arg(long)]
    pub switchboard: String,
    /// Switchboard's process id, for its resident memory and open sockets.
    #[arg(long)]
    pub switchboard_pid: u32,
    /// Switchboard's data directory, whose database files are sampled.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Visitors chatting at once.
    #[arg(long, default_value_t = 1000)]
    pub visitors: usize,
    /// Milliseconds between one visitor's messages (each wait is drawn from ±50 % of it). With
    /// the defaults, 1,000 visitor messages a second and as many answers: half the highest rate
    /// BENCHMARKS.md reports sustained.
    #[arg(long, default_value_t = 1000)]
    pub interval_ms: u64,
    /// A visitor reconnects after a time drawn from this many seconds to twice as many.
    #[arg(long, default_value_t = 20)]
    pub reconnect_secs: u64,
    /// One visitor message in this many starts asking for a person: it and the next two ask,
    /// as the demo's escalation threshold wants three requests (0: never).
    #[arg(long, default_value_t = 2000)]
    pub human_every: u64,
    /// One visitor message in this many carries a file (0: never); keep a visitor under the
    /// 30 files an hour a chat accepts.
    #[arg(long, default_value_t = 200)]
    pub file_every: u64,
    /// An agent stays live from this many seconds to twice as many, then goes offline and
    /// closes the console; a supervisor reloads the inbox as often.
    #[arg(long, default_value_t = 60)]
    pub live_secs: u64,
    /// An agent stays offline from this many seconds to twice as many.
    #[arg(long, default_value_t = 15)]
    pub offline_secs: u64,
    /// An agent hands a chat back to the assistant after this many seconds to twice as many.
    #[arg(long, default_value_t = 5)]
    pub hold_secs: u64,
    /// How long the load runs.
    #[arg(long, default_value_t = 1800)]
    pub seconds: u64,
    /// Seconds between two samples of the server and the files.
    #[arg(long, default_value_t = 10)]
    pub sample_secs: u64,
    /// Switchboard's `metrics_token`: with it, the pages written per stored message and the
    /// time a message spends in each stage are read from `/metrics` before and after the load.
    #[arg(long, env = "SWITCHBOARD_METRICS_TOKEN")]
    pub metrics_token: Option<String>,
}

/// The demo's agents (in the operator group of its workflow) and the members who supervise.
const AGENTS: [&str; 2] = ["agent1@demo.switchboard.test", "agent2@demo.switchboard.test"];
const SUPERVISORS: [&str; 3] = [
    "owner@demo.switchboard.test",
    "admin@demo.switchboard.test",
    "supervisor@demo.switchboard.test",
];

/// Switchboard's `/metrics`, each unlabelled series (and each `_sum`/`_count`) by name.
async fn scrape(server: SocketAddr, token: &str) -> Result<HashMap<String, f64>, String> {
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
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.contains('{'))
        .filter_map(|l| {
            let (name, value) = l.split_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect())
}

/// What the server's counters moved by over the load: the pages written per stored message
/// and where a message's time went, stage by stage (means).
fn stages(before: &HashMap<String, f64>, after: &HashMap<String, f64>) -> Result<(), String> {
    let moved = |name: &str| -> Result<f64, String> {
        let at = |m: &HashMap<String, f64>| m.get(name).copied().ok_or_else(|| format!("/metrics has no {name}"));
        Ok(at(after)? - at(before)?)
    };
    let mean_ms = |histogram: &str| -> Result<f64, String> {
        Ok(moved(&format!("{histogram}_sum"))? * 1000.0 / moved(&format!("{histogram}_count"))?.max(1.0))
    };
    let pages = moved("switchboard_sqlite_pages_written_total")?;
    let stored = moved("switchboard_messages_stored")?.max(1.0);
    println!(
        "soak: {pages} pages written for {stored} stored messages: {:.2} pages ({:.1} KiB) a message",
        pages / stored,
        pages * 4.0 / stored,
    );
    let batches = moved("switchboard_commit_batch_seconds_count")?.max(1.0);
    println!(
        "soak: a message's time, means over the load: {:.2} ms waiting for its batch, {:.2} ms the batch's \
         transaction ({:.1} messages a batch); published {:.2} ms and written to a socket {:.2} ms after it \
         reached the server; write transactions waited {:.2} ms for the writer; {:.1}% of the messages \
         stepped on the commit task's own thread",
        mean_ms("switchboard_commit_queue_seconds")?,
        mean_ms("switchboard_commit_batch_seconds")?,
        moved("switchboard_commit_messages_total")? / batches,
        mean_ms("switchboard_message_publish_seconds")?,
        mean_ms("switchboard_message_delivery_seconds")?,
        mean_ms("switchboard_db_write_wait_seconds")?,
        moved("switchboard_commit_direct_messages_total")? * 100.0
            / moved("switchboard_commit_messages_total")?.max(1.0),
    );
    Ok(())
}

/// One sample of the data directory and the server process.
#[derive(Clone, Copy, Default)]
struct Sample {
    at_secs: u64,
    db: u64,
    wal: u64,
    rss: u64,
    /// Of the resident memory: anonymous pages (the heap, thread stacks) and pages of files
    /// (the program's code, shared libraries, shared memory).
    anon: u64,
    files: u64,
    threads: u64,
    /// Bytes the allocator holds free, not given back (from `/metrics`).
    free: u64,
    /// Bytes in the server's live allocations, and of them SQLite's heap (from `/metrics`; 0
    /// without the token or where the allocator does not count).
    allocated: u64,
    sqlite: u64,
    sockets: u64,
    acknowledged: u64,
}

/// What every task of the load adds to.
#[derive(Default)]
pub struct Counters {
    sent: AtomicU64,
    acknowledged: AtomicU64,
    answers: AtomicU64,
    people_answered: AtomicU64,
    asked_for_a_person: AtomicU64,
    files_sent: AtomicU64,
    files_opened: AtomicU64,
    reconnects: AtomicU64,
    resent: AtomicU64,
    went_live: AtomicU64,
    went_offline: AtomicU64,
    offers: AtomicU64,
    accepted: AtomicU64,
    agent_replies: AtomicU64,
    handed_back: AtomicU64,
    supervisor_events: AtomicU64,
    reloads: AtomicU64,
    refusals: AtomicU64,
    errors: AtomicU64,
    /// The first few different errors and refusals, for the report.
    said: Mutex<Vec<String>>,
}

impl Counters {
    fn remember(&self, what: String) {
        let mut said = self.said.lock().expect("not poisoned");
        if said.len() < 12 && !said.contains(&what) {
            said.push(what);
        }
    }

    /// Something went wrong that a person would notice.
    pub fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.remember(format!("error: {what}"));
    }

    /// The server refused a console's command and said why (two agents accepting one pooled
    /// chat: the second is told it is taken).
    pub fn refusal(&self, what: String) {
        self.refusals.fetch_add(1, Ordering::Relaxed);
        self.remember(format!("refused: {what}"));
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Set once when the load ends; tasks check it between steps and wake on it while they wait.
#[derive(Clone)]
pub struct Stop(tokio::sync::watch::Receiver<bool>);

impl Stop {
    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    pub async fn wait_forever(&self) {
        let _ = self.0.clone().wait_for(|stopped| *stopped).await;
    }

    /// Waits `d`, or less if the load ends first.
    pub async fn wait(&self, d: Duration) {
        let _ = tokio::time::timeout(d, self.wait_forever()).await;
    }
}

fn file_size(dir: &Path, name: &str) -> u64 {
    std::fs::metadata(dir.join(name)).map(|m| m.len()).unwrap_or(0)
}

/// `VmRSS`, `RssAnon`, `RssFile` + `RssShmem` (bytes) and `Threads` from `/proc/<pid>/status`.
fn resident_parts(pid: u32) -> (u64, u64, u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| status_field(&status, name).unwrap_or(0);
    (
        field("VmRSS:") * 1024,
        field("RssAnon:") * 1024,
        (field("RssFile:") + field("RssShmem:")) * 1024,
        field("Threads:"),
    )
}

/// The process's open sockets (each client connection is one).
fn open_sockets(pid: u32) -> u64 {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count() as u64
}

async fn sample(args: &SoakArgs, server: SocketAddr, began: Instant, counters: &Counters) -> Sample {
    let metrics = match &args.metrics_token {
        Some(token) => scrape(server, token).await.unwrap_or_default(),
        None => HashMap::new(),
    };
    let gauge = |name: &str| metrics.get(name).copied().unwrap_or(0.0) as u64;
    let (rss, anon, files, threads) = resident_parts(args.switchboard_pid);
    Sample {
        at_secs: began.elapsed().as_secs(),
        db: file_size(&args.data_dir, "switchboard.db"),
        wal: file_size(&args.data_dir, "switchboard.db-wal"),
        rss,
        anon,
        files,
        threads,
        free: gauge("switchboard_heap_free_bytes"),
        allocated: gauge("switchboard_heap_allocated_bytes"),
        sqlite: gauge("switchboard_sqlite_memory_bytes"),
        sockets: open_sockets(args.switchboard_pid),
        acknowledged: Counters::get(&counters.acknowledged),
    }
}

/// A small deterministic generator (xorshift) so runs are repeatable and no crate is needed.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A duration drawn evenly from `low..high` milliseconds.
    pub fn between(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low).max(1))
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub async fn run(args: SoakArgs, tokens: Vec<String>) -> Result<(), String> {
    let server = crate::clients::loopback(&args.switchboard)?;
    let http = Arc::new(Http::new(server));
    let counters = Arc::new(Counters::default());
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let stop = Stop(stop);
    let before = match &args.metrics_token {
        Some(token) => Some(scrape(server, token).await?),
        None => None,
    };
    let mut tasks = Vec::new();
    for (n, email) in AGENTS.iter().enumerate() {
        let cookie = http.sign_in(email).await?;
        let me = team::me(&http, &cookie).await?;
        let task = team::agent(
            server,
            http.clone(),
            cookie,
            me,
            n,
            args.clone(),
            counters.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(task));
    }
    for (n, email) in SUPERVISORS.iter().enumerate() {
        let cookie = http.sign_in(email).await?;
        let task = team::supervisor(server, cookie, n, args.clone(), counters.clone(), stop.clone());
        tasks.push(tokio::spawn(task));
    }
    let began = Instant::now();
    for (n, token) in tokens.into_iter().enumerate() {
        let task = visitor::visitor(
            server,
            http.clone(),
            token,
            n,
            args.clone(),
            counters.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(task));
    }
    let mut samples = vec![sample(&args, server, began, &counters).await];
    let end = began + Duration::from_secs(args.seconds);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(args.sample_secs)).await;
        let s = sample(&args, server, began, &counters).await;
        eprintln!(
            "[soak] {:>4} s  acknowledged {:>8}  rss {:>9} (anon {:>9}, files {:>8})  threads {:>3}  allocated {:>9}  free {:>9}  sqlite {:>9}  sockets {:>5}  db {:>10}  wal {:>9}  errors {}",
            s.at_secs,
            s.acknowledged,
            mib(s.rss),
            mib(s.anon),
            mib(s.files),
            s.threads,
            mib(s.allocated),
            mib(s.free),
            mib(s.sqlite),
            s.sockets,
            mib(s.db),
            mib(s.wal),
            Counters::get(&counters.errors),
        );
        samples.push(s);
    }
    let _ = stopping.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    report(&args, &samples, &counters);
    if let (Some(token), Some(before)) = (&args.metrics_token, before) {
        stages(&before, &scrape(server, token).await?)?;
    }
    Ok(())
}

/// What the load did, the server over time (about every five minutes, as a Markdown table) and
/// the errors seen.
fn report(args: &SoakArgs, samples: &[Sample], counters: &Counters) {
    let get = Counters::get;
    println!(
        "soak: {} visitors for {} s: {} messages sent, {} acknowledged, {} answers from the assistant, \
         {} from agents, {} asked for a person, {} files sent and {} opened, {} reconnects ({} messages sent again after one)",
        args.visitors,
        args.seconds,
        get(&counters.sent),
        get(&counters.acknowledged),
        get(&counters.answers),
        get(&counters.people_answered),
        get(&counters.asked_for_a_person),
        get(&counters.files_sent),
        get(&counters.files_opened),
        get(&counters.reconnects),
        get(&counters.resent),
    );
    println!(
        "soak: agents went live {} times and offline {}, were offered {} chats, took {}, sent {} replies \
         and handed {} back; supervisors' consoles got {} events over {} reloads",
        get(&counters.went_live),
        get(&counters.went_offline),
        get(&counters.offers),
        get(&counters.accepted),
        get(&counters.agent_replies),
        get(&counters.handed_back),
        get(&counters.supervisor_events),
        get(&counters.reloads),
    );
    println!(
        "soak: {} errors, {} refusals",
        get(&counters.errors),
        get(&counters.refusals)
    );
    for said in counters.said.lock().expect("not poisoned").iter() {
        println!("soak:   {said}");
    }
    println!();
    println!("| minute | visitor messages acknowledged a second | server memory (RSS) | of it anonymous / files | threads | in live allocations | of which SQLite's heap | free in the allocator | open sockets | database | write-ahead log |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let every = (300 / args.sample_secs.max(1)).max(1) as usize;
    let mut previous = samples[0];
    for s in samples.iter().skip(every).step_by(every).chain(samples.last()) {
        if s.at_secs == previous.at_secs {
            continue;
        }
        let rate = (s.acknowledged - previous.acknowledged) as f64 / (s.at_secs - previous.at_secs).max(1) as f64;
        println!(
            "| {:.1} | {:.0} | {} | {} / {} | {} | {} | {} | {} | {} | {} | {} |",
            s.at_secs as f64 / 60.0,
            rate,
            mib(s.rss),
            mib(s.anon),
            mib(s.files),
            s.threads,
            mib(s.allocated),
            mib(s.sqlite),
            mib(s.free),
            s.sockets,
            mib(s.db),
            mib(s.wal)
        );
        previous = *s;
    }
    // Flat is the target: after the first five minutes, how far memory and sockets move.
    let settled: Vec<&Sample> = samples.iter().filter(|s| s.at_secs >= 300).collect();
    if let (Some(lo), Some(hi)) = (
        settled.iter().min_by_key(|s| s.rss),
        settled.iter().max_by_key(|s| s.rss),
    ) {
        let sockets = settled.iter().map(|s| s.sockets);
        println!(
            "\nsoak: after the first 5 minutes, server memory between {} and {} (live allocations between {} and {}, \
             SQLite's heap between {} and {}), open sockets between {} and {}; the largest write-ahead log {}",
            mib(lo.rss),
            mib(hi.rss),
            mib(settled.iter().map(|s| s.allocated).min().unwrap_or(0)),
            mib(settled.iter().map(|s| s.allocated).max().unwrap_or(0)),
            mib(settled.iter().map(|s| s.sqlite).min().unwrap_or(0)),
            mib(settled.iter().map(|s| s.sqlite).max().unwrap_or(0)),
            sockets.clone().min().unwrap_or(0),
            sockets.max().unwrap_or(0),
            mib(samples.iter().map(|s| s.wal).max().unwrap_or(0)),
        );
    }
}
