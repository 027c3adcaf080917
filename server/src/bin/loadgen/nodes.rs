//! `loadgen nodes`: the real-time path across two nodes on one database. The same load runs
//! twice in one run: with the customers' chats on the operators' node (one node's path), then
//! with the chats on the other node, so every message and every reply crosses the bus. The
//! ratio of the two is the cost of the crossing on this machine at that moment.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{stream, StreamExt};

use crate::clients::{self, Stats, Visitor};
use crate::measure::Summary;
use crate::setup::{operators_watching, take_over_all, tokens, Http};
use crate::{say, Kind, ACCOUNTS};

#[derive(clap::Args, Clone)]
pub struct NodesArgs {
    /// The node the operators' consoles are on, e.g. http://127.0.0.1:3000 (seeded with the
    /// demo workspace).
    #[arg(long)]
    pub a: String,
    /// Another node of the same Switchboard (the same database and key).
    #[arg(long)]
    pub b: String,
    /// Conversations (one customer each).
    #[arg(long, default_value_t = 200)]
    pub conversations: usize,
    /// Operator consoles sharing them.
    #[arg(long, default_value_t = 5)]
    pub operators: usize,
    /// Customer messages a second (operators answer each). The default stays under what one
    /// node on PostgreSQL sustains here (it falls behind between 100 and 200 a second, with as
    /// many replies), so the two setups compare the crossing, not a backlog.
    #[arg(long, default_value_t = 100)]
    pub rate: u64,
    /// How long each setup is driven.
    #[arg(long, default_value_t = 15)]
    pub secs: u64,
    /// How the nodes' events cross (for the report), e.g. "PostgreSQL LISTEN/NOTIFY".
    #[arg(long, default_value = "the bus")]
    pub bus: String,
}

/// One setup's figures.
struct Measured {
    label: &'static str,
    to_operator: Summary,
    to_visitor: Summary,
}

pub async fn run(args: NodesArgs) -> Result<(), String> {
    let a = clients::loopback(&args.a)?;
    let b = clients::loopback(&args.b)?;
    let mut measured = Vec::new();
    for (label, chats_at) in [("one node", a), ("across nodes", b)] {
        say(&format!(
            "nodes: {label}: {} conversations at {} messages/s",
            args.conversations, args.rate
        ));
        measured.push(measure(label, a, chats_at, &args).await?);
    }
    println!("{}", report(&args, &measured));
    Ok(())
}

async fn measure(
    label: &'static str,
    operators_at: SocketAddr,
    chats_at: SocketAddr,
    args: &NodesArgs,
) -> Result<Measured, String> {
    let stats = Stats::new();
    let console = Http::new(operators_at);
    let mut cookies = Vec::new();
    for email in ACCOUNTS {
        cookies.push(Some(console.sign_in(email).await?));
    }
    let chat = Http::new(chats_at);
    let tokens = tokens(Kind::Switchboard, &chat, args.conversations, 0).await?;
    let visitors: Vec<Visitor> = stream::iter(tokens.iter().enumerate())
        .map(|(i, t)| clients::visitor(chats_at, t, i, stats.clone(), Some("Hello, I have a question")))
        .buffered(50)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let ids: Vec<i64> = visitors.iter().filter_map(|v| v.conversation).collect();
    // Taken over on the operators' node: the assistant is quiet, every message is the human path.
    take_over_all(&console, &cookies, &ids).await?;
    let operators = operators_watching(operators_at, &cookies, args.operators, &ids, &stats).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    clients::drive(&visitors, &stats, 1, args.rate, args.secs).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let measured = Measured {
        label,
        to_operator: stats.to_operator[1].summary(),
        to_visitor: stats.to_visitor[1].summary(),
    };
    drop(visitors);
    drop(operators);
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(measured)
}

fn ms(v: f64) -> String {
    if v.is_nan() {
        "—".into()
    } else {
        format!("{v:.2} ms")
    }
}

/// The section for BENCHMARKS.md.
fn report(args: &NodesArgs, measured: &[Measured]) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "{} conversations, {} operator consoles on node A, {} customer messages a second for {} s, each answered at once by its operator; events between the nodes over {}.\n\n",
        args.conversations, args.operators, args.rate, args.secs, args.bus
    ));
    o.push_str("| customers' chats on | customer → operator p50 | p99 | operator → customer p50 | p99 | delivered (to operators / to customers) |\n");
    o.push_str("| --- | ---: | ---: | ---: | ---: | ---: |\n");
    for m in measured {
        o.push_str(&format!(
            "| {} | {} | {} | {} | {} | {}/{} / {}/{} |\n",
            if m.label == "one node" {
                "node A (one node's path)"
            } else {
                "node B (every message crosses)"
            },
            ms(m.to_operator.p50),
            ms(m.to_operator.p99),
            ms(m.to_visitor.p50),
            ms(m.to_visitor.p99),
            m.to_operator.received,
            m.to_operator.sent,
            m.to_visitor.received,
            m.to_visitor.sent,
        ));
    }
    if let [one, across] = measured {
        o.push_str(&format!(
            "\nAcross nodes ÷ one node, p99: customer → operator {:.2}×, operator → customer {:.2}× (target: within 2×).\n",
            across.to_operator.p99 / one.to_operator.p99,
            across.to_visitor.p99 / one.to_visitor.p99
        ));
    }
    o
}
