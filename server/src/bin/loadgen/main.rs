//! Switchboard's load generator. `loadgen relay` serves the bare WebSocket relay baseline;
//! `loadgen run` drives a running Switchboard and the relay, one after the other with the same
//! client, over their real sockets and HTTP, and writes the figures into BENCHMARKS.md:
//! delivery latency at 1,000 active conversations, the highest sustained message rate with
//! p99 under 100 ms, idle sockets held with the server's memory per socket, and the server's
//! CPU and resident memory throughout. It only ever talks to loopback addresses, and every
//! phase is bounded in count and time.

mod clients;
mod measure;
mod nodes;
mod relay;
mod report;
mod setup;
mod soak;
mod sockets;

use setup::{operators_watching, take_over_all, tokens, Http};

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use futures_util::{stream, StreamExt};

use clients::{Stats, Visitor};
use measure::{read_proc, Sampler, Summary, Usage};

#[derive(Parser)]
#[command(about = "Load generator and benchmark report for Switchboard")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the bare in-memory WebSocket relay (the baseline) until stopped.
    Relay {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
    },
    /// Drive Switchboard and the relay and write the report.
    Run(RunArgs),
    /// Visitors chatting with the assistant for minutes while the database files and the
    /// server's memory are sampled (the endurance load).
    Soak(soak::SoakArgs),
    /// Idle visitor sockets opened in steps, with the server's memory after each: the memory
    /// one socket costs, and whether it grows in a straight line.
    Sockets(sockets::SocketsArgs),
    /// The real-time path across two nodes of one Switchboard: the customers' chats on the
    /// operators' node, then on the other, in one run; prints the section for BENCHMARKS.md.
    Nodes(nodes::NodesArgs),
}

#[derive(clap::Args, Clone)]
pub struct RunArgs {
    /// Switchboard's address, e.g. http://127.0.0.1:3000 (seeded with the demo workspace).
    #[arg(long)]
    switchboard: String,
    /// Switchboard's process id, for its CPU and memory.
    #[arg(long)]
    switchboard_pid: u32,
    /// The relay's address (from `loadgen relay`).
    #[arg(long)]
    relay: String,
    #[arg(long)]
    relay_pid: u32,
    /// Active conversations (one visitor each) in the latency and throughput phases.
    #[arg(long, default_value_t = 1000)]
    conversations: usize,
    /// Operator sockets sharing those conversations.
    #[arg(long, default_value_t = 10)]
    operators: usize,
    /// Visitor messages a second in the latency phase (operators answer each).
    #[arg(long, default_value_t = 500)]
    latency_rate: u64,
    /// Idle visitor sockets to hold open.
    #[arg(long, default_value_t = 16_000)]
    idle: usize,
    /// Where to write the report.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: String,
    /// Stop everything after this many seconds.
    #[arg(long, default_value_t = 540)]
    deadline_secs: u64,
    /// Shorter phases (for trying the tool out; not for the report).
    #[arg(long)]
    quick: bool,
    /// Measure the relay only and print the figures (for working on the baseline).
    #[arg(long)]
    relay_only: bool,
    /// Conversations in Switchboard's inbox when its page is timed.
    #[arg(long, default_value_t = 10_000)]
    inbox: usize,
    /// What a browser fetches to show a page, as `LABEL=RAW/GZIP` in bytes (measured by
    /// bench.sh from the release site's split manifest); repeat for each page.
    #[arg(long = "wasm-page", value_parser = report::parse_wasm_page)]
    wasm_pages: Vec<report::WasmPage>,
}

/// The demo workspace's members whose sessions the operator sockets use.
const ACCOUNTS: [&str; 5] = [
    "owner@demo.switchboard.test",
    "admin@demo.switchboard.test",
    "supervisor@demo.switchboard.test",
    "agent1@demo.switchboard.test",
    "agent2@demo.switchboard.test",
];
const PASSWORD: &str = "switchboard-demo";

/// The rates of the throughput phase, in visitor messages a second (operators answer each).
const STEPS: [u64; 7] = [250, 500, 1000, 2000, 4000, 8000, 16000];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Relay,
    Switchboard,
}

pub struct Step {
    pub rate: u64,
    pub to_operator: Summary,
    pub to_visitor: Summary,
    pub usage: Usage,
    pub passed: bool,
}

pub struct Idle {
    pub sockets: usize,
    pub rss_before: u64,
    pub rss_after: u64,
    pub seconds_to_open: f64,
}

/// How long the first page of the inbox takes with many conversations (Switchboard only).
pub struct InboxTiming {
    pub conversations: usize,
    /// (what was asked, median ms, p90 ms)
    pub pages: Vec<(&'static str, f64, f64)>,
    /// The same for `/healthz`, the baseline: what any request costs.
    pub baseline: (f64, f64),
}

pub struct TargetResult {
    pub name: &'static str,
    pub inbox: Option<InboxTiming>,
    pub to_operator: Summary,
    pub to_visitor: Summary,
    pub latency_usage: Usage,
    pub steps: Vec<Step>,
    pub idle: Option<Idle>,
    pub idle_problem: Option<String>,
    /// Operator sockets the server closed (they fell behind) that reconnected and resumed.
    pub reconnects: u64,
}

impl TargetResult {
    /// The highest rate whose phase kept p99 under 100 ms both ways with nothing lost.
    pub fn best_rate(&self) -> Option<u64> {
        self.steps.iter().filter(|s| s.passed).map(|s| s.rate).max()
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Relay { listen } => {
            if !listen.ip().is_loopback() {
                eprintln!("the relay only listens on loopback addresses");
                std::process::exit(2);
            }
            let listener = tokio::net::TcpListener::bind(listen).await.expect("the relay binds");
            println!(
                "relay listening on http://{}",
                listener.local_addr().expect("an address")
            );
            // The same transport settings as Switchboard's: frames leave at once.
            use axum::serve::ListenerExt;
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, relay::router()).await.expect("the relay serves");
        }
        Command::Sockets(args) => {
            let result = async {
                let addr = clients::loopback(&args.switchboard)?;
                let most = args.steps.iter().copied().max().unwrap_or(0);
                let tokens = tokens(Kind::Switchboard, &Http::new(addr), most, 0).await?;
                sockets::run(args, addr, tokens).await
            }
            .await;
            if let Err(e) = result {
                eprintln!("loadgen: {e}");
                std::process::exit(1);
            }
        }
        Command::Nodes(args) => {
            if let Err(e) = nodes::run(args).await {
                eprintln!("loadgen: {e}");
                std::process::exit(1);
            }
        }
        Command::Soak(args) => {
            let result = async {
                let http = Http::new(clients::loopback(&args.switchboard)?);
                let tokens = tokens(Kind::Switchboard, &http, args.visitors, 0).await?;
                soak::run(args, tokens).await
            }
            .await;
            if let Err(e) = result {
                eprintln!("loadgen: {e}");
                std::process::exit(1);
            }
        }
        Command::Run(args) => {
            let deadline = Duration::from_secs(args.deadline_secs);
            match tokio::time::timeout(deadline, run(args.clone())).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    eprintln!("loadgen: {e}");
                    std::process::exit(1);
                }
                Err(_) => {
                    eprintln!("loadgen: stopped after {} s (the deadline)", args.deadline_secs);
                    std::process::exit(1);
                }
            }
        }
    }
}

async fn run(args: RunArgs) -> Result<(), String> {
    let began = Instant::now();
    let relay_addr = clients::loopback(&args.relay)?;
    let switchboard_addr = clients::loopback(&args.switchboard)?;
    let relay = measure_target(Kind::Relay, relay_addr, args.relay_pid, &args).await?;
    if args.relay_only {
        println!(
            "relay: v→o p50 {:.2} p99 {:.2} ms; o→v p50 {:.2} p99 {:.2} ms; best rate {:?}",
            relay.to_operator.p50,
            relay.to_operator.p99,
            relay.to_visitor.p50,
            relay.to_visitor.p99,
            relay.best_rate()
        );
        return Ok(());
    }
    let switchboard = measure_target(Kind::Switchboard, switchboard_addr, args.switchboard_pid, &args).await?;
    let took = began.elapsed();
    let text = report::render(&args, &relay, &switchboard, took);
    report::write(&args.out, &text).map_err(|e| format!("writing {}: {e}", args.out))?;
    println!("{}", report::summary_lines(&relay, &switchboard));
    println!("wrote {} in {:.0} s", args.out, took.as_secs_f64());
    Ok(())
}

fn say(what: &str) {
    eprintln!("[loadgen] {what}");
}

async fn measure_target(kind: Kind, addr: SocketAddr, pid: u32, args: &RunArgs) -> Result<TargetResult, String> {
    let name = match kind {
        Kind::Relay => "relay",
        Kind::Switchboard => "Switchboard",
    };
    say(&format!("{name}: setting up {} conversations", args.conversations));
    let stats = Stats::new();
    let http = Http::new(addr);
    let cookies: Vec<Option<String>> = match kind {
        Kind::Relay => vec![None; ACCOUNTS.len()],
        Kind::Switchboard => {
            let mut c = Vec::new();
            for email in ACCOUNTS {
                c.push(Some(http.sign_in(email).await?));
            }
            c
        }
    };
    let active_tokens = tokens(kind, &http, args.conversations, 0).await?;
    let first = (kind == Kind::Switchboard).then_some("Hello, I have a question");
    let visitors: Vec<Visitor> = stream::iter(active_tokens.iter().enumerate())
        .map(|(i, t)| clients::visitor(addr, t, i, stats.clone(), first))
        .buffered(50)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let conversation_ids: Vec<i64> = visitors
        .iter()
        .enumerate()
        .map(|(i, v)| v.conversation.unwrap_or(i as i64 + 1))
        .collect();
    if kind == Kind::Switchboard {
        take_over_all(&http, &cookies, &conversation_ids).await?;
    }
    let operators = operators_watching(addr, &cookies, args.operators, &conversation_ids, &stats).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let (latency_secs, step_secs, drain) = if args.quick { (5, 3, 2) } else { (15, 6, 3) };
    say(&format!(
        "{name}: latency at {} conversations, {} messages/s",
        args.conversations, args.latency_rate
    ));
    let sampler = Sampler::start(pid);
    clients::drive(&visitors, &stats, 1, args.latency_rate, latency_secs).await;
    tokio::time::sleep(Duration::from_secs(drain)).await;
    let latency_usage = sampler.finish();
    let to_operator = stats.to_operator[1].summary();
    let to_visitor = stats.to_visitor[1].summary();

    let mut steps = Vec::new();
    for (i, rate) in STEPS.into_iter().enumerate() {
        let phase = i + 2;
        say(&format!("{name}: {rate} visitor messages/s (and as many replies)"));
        let sampler = Sampler::start(pid);
        clients::drive(&visitors, &stats, phase, rate, step_secs).await;
        tokio::time::sleep(Duration::from_secs(drain)).await;
        let usage = sampler.finish();
        let (o, v) = (stats.to_operator[phase].summary(), stats.to_visitor[phase].summary());
        let passed = o.complete() && v.complete() && o.p99 < 100.0 && v.p99 < 100.0;
        steps.push(Step {
            rate,
            to_operator: o,
            to_visitor: v,
            usage,
            passed,
        });
        if !passed {
            // Let the backlog clear before the next target or phase.
            tokio::time::sleep(Duration::from_secs(5)).await;
            break;
        }
    }

    let inbox = if kind == Kind::Switchboard && args.inbox > 0 {
        say(&format!(
            "{name}: timing the inbox with {} more conversations",
            args.inbox
        ));
        Some(inbox_timing(addr, pid, &http, cookies[0].as_deref(), args.inbox, args.conversations).await?)
    } else {
        None
    };

    say(&format!("{name}: holding {} idle sockets", args.idle));
    let (idle, idle_problem) = match idle_sockets(kind, addr, pid, &http, args.idle, args.conversations).await {
        Ok(i) => (Some(i), None),
        Err(e) => (None, Some(e)),
    };
    // Close every socket before the next target.
    drop(visitors);
    drop(operators);
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(TargetResult {
        reconnects: stats.reconnects.load(std::sync::atomic::Ordering::Relaxed),
        name,
        inbox,
        to_operator,
        to_visitor,
        latency_usage,
        steps,
        idle,
        idle_problem,
    })
}

/// Fills the inbox (the demo workflow monitors every conversation, and each new visitor writes
/// once), then times its first page, a search and a filter as the owner sees them.
async fn inbox_timing(
    addr: SocketAddr,
    pid: u32,
    http: &Http,
    owner: Option<&str>,
    count: usize,
    offset: usize,
) -> Result<InboxTiming, String> {
    let form = [
        ("id", "1"),
        ("name", "Support Assistant"),
        ("live_routing", "on"),
        ("handoff_mode", "always_on"),
        ("escalation_threshold", "3"),
        ("escalate_on_frustration", "on"),
        ("handoff_message", "A human agent will be with you shortly."),
        ("greeting", "Hi! How can I help you today?"),
        ("fallback_answer", "I'm not sure about that one."),
        ("routing_mode", "assigned"),
        ("accept_timeout_secs", "30"),
        ("practice_script", "Hello"),
        ("ai_provider", "builtin"),
        ("openai_base_url", ""),
        ("openai_model", ""),
        ("openai_api_key", ""),
        ("ai_timeout_secs", "20"),
    ];
    http.call("workflows/update", &form, owner).await?;
    let tokens = tokens(Kind::Switchboard, http, count, offset).await?;
    let stats = Stats::new();
    let results: Vec<Result<(), String>> = stream::iter(tokens.iter().enumerate())
        .map(|(i, t)| {
            let stats = stats.clone();
            async move {
                clients::visitor(
                    addr,
                    t,
                    offset + i,
                    stats,
                    Some(&format!("Question {i} about my invoice")),
                )
                .await
                .map(|_| ())
            }
        })
        .buffer_unordered(100)
        .collect()
        .await;
    for r in results {
        r?;
    }
    // The assistant answers every one of those first messages; time the inbox once that is done.
    settle(pid).await;
    let time = |endpoint: &'static str, form: Vec<(&'static str, &'static str)>| async move {
        let mut samples = Vec::new();
        for _ in 0..21 {
            let began = Instant::now();
            if endpoint == "healthz" {
                http.client
                    .get(format!("{}/healthz", http.base))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
            } else {
                http.call(endpoint, &form, owner)
                    .await?
                    .bytes()
                    .await
                    .map_err(|e| e.to_string())?;
            }
            samples.push(began.elapsed().as_secs_f64() * 1000.0);
        }
        samples.sort_by(|a, b| a.total_cmp(b));
        Ok::<(f64, f64), String>((samples[10], samples[18]))
    };
    let mut pages = Vec::new();
    for (what, form) in [
        ("first page (50 of all)", vec![]),
        ("search for a word in the messages", vec![("q", "invoice 9999")]),
        (
            "filter: status open, web chat",
            vec![("status", "open"), ("channel", "web")],
        ),
        ("the next page", vec![("before", "99999999999999:999999999")]),
    ] {
        let (median, p90) = time("inbox/conversations", form).await?;
        pages.push((what, median, p90));
    }
    let baseline = time("healthz", vec![]).await?;
    Ok(InboxTiming {
        conversations: count + offset,
        pages,
        baseline,
    })
}

/// Waits (at most a minute) until the server uses under a tenth of a core.
async fn settle(pid: u32) {
    for _ in 0..60 {
        let before = read_proc(pid).map(|r| r.cpu_secs).unwrap_or(0.0);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = read_proc(pid).map(|r| r.cpu_secs).unwrap_or(0.0);
        if after - before < 0.1 {
            return;
        }
    }
}

async fn idle_sockets(
    kind: Kind,
    addr: SocketAddr,
    pid: u32,
    http: &Http,
    count: usize,
    offset: usize,
) -> Result<Idle, String> {
    let tokens = tokens(kind, http, count, offset).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = read_proc(pid).ok_or("the server's process is gone")?.rss_bytes;
    let opened = Instant::now();
    let sockets: Vec<_> = stream::iter(tokens.iter().enumerate())
        .map(|(i, t)| clients::idle_visitor(addr, t, offset + i))
        .buffer_unordered(200)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let seconds_to_open = opened.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = read_proc(pid).ok_or("the server's process is gone")?.rss_bytes;
    let held = sockets.len();
    drop(sockets);
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(Idle {
        sockets: held,
        rss_before: before,
        rss_after: after,
        seconds_to_open,
    })
}
