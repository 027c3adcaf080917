//! Routing decisions among 1,000 live operators with 10,000 conversations queued: the router's
//! own decision path (borrowed operator views, `routing::choose`), no database. Prints a
//! Markdown table for BENCHMARKS.md. Run: `cargo bench -p server --bench routing`.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use app::live::OperatorStatus;
use server::routing::{choose, Need, Operator};

const OPERATORS: usize = 1_000;
const QUEUED: usize = 10_000;
const WORKFLOWS: i64 = 20;
const RUNS: usize = 7;

/// A small deterministic PRNG (xorshift64*), so every run routes the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the router keeps per operator (the fields routing reads).
struct Live {
    workspace_id: i64,
    status: OperatorStatus,
    live_ids: Vec<i64>,
    load: u32,
    limit: u32,
    seated: bool,
    last_assigned_ms: i64,
}

fn operators(rng: &mut Rng) -> HashMap<i64, Live> {
    (0..OPERATORS as i64)
        .map(|id| {
            let status = match rng.below(10) {
                0 => OperatorStatus::Away,
                1 => OperatorStatus::Busy,
                _ => OperatorStatus::Online,
            };
            let n = 1 + rng.below(3);
            let live_ids = (0..n).map(|_| 1 + rng.below(WORKFLOWS as u64) as i64).collect();
            let limit = 3 + rng.below(4) as u32;
            // Room for everyone in the queue: spread 10,000 over about 4,000 free slots would
            // fill up; give operators generous limits so most decisions find someone.
            (
                id,
                Live {
                    workspace_id: 1,
                    status,
                    live_ids,
                    load: rng.below(limit as u64) as u32,
                    limit: limit * 4,
                    seated: true,
                    last_assigned_ms: rng.below(1_000_000) as i64,
                },
            )
        })
        .collect()
}

/// The router's decision: filter the workspace's live operators into borrowed views and choose.
fn decide(ops: &HashMap<i64, Live>, workflow_id: i64) -> Option<i64> {
    let views = ops
        .iter()
        .filter(|(_, o)| o.workspace_id == 1 && !o.live_ids.is_empty())
        .map(|(id, o)| Operator {
            member_id: *id,
            status: o.status,
            live_workflows: &o.live_ids,
            qualified: &[],
            load: o.load,
            limit: o.limit,
            seated: o.seated,
            last_assigned_ms: o.last_assigned_ms,
        });
    choose(
        views,
        &Need {
            workflow_id,
            requires_qualification: false,
            passed_over: &[],
            only: None,
        },
        true,
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let mut decision_ns = Vec::new();
    let mut scan_ns = Vec::new();
    let mut assigned_total = 0;
    for run in 0..RUNS {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ run as u64);
        let mut ops = operators(&mut rng);
        let queue: Vec<i64> = (0..QUEUED).map(|_| 1 + rng.below(WORKFLOWS as u64) as i64).collect();

        // Baseline: one bare pass over the same operators (the floor of any scan).
        let started = Instant::now();
        for _ in 0..QUEUED {
            let sum: u64 = ops.values().map(|o| o.load as u64 + o.live_ids.len() as u64).sum();
            black_box(sum);
        }
        scan_ns.push(started.elapsed().as_nanos() as f64 / QUEUED as f64);

        // The decisions, each followed by the assignment it leads to.
        let started = Instant::now();
        let mut assigned = 0;
        for (i, workflow) in queue.iter().enumerate() {
            if let Some(id) = decide(&ops, *workflow) {
                let o = ops.get_mut(&id).unwrap();
                o.load += 1;
                o.last_assigned_ms = 2_000_000 + i as i64;
                assigned += 1;
            }
        }
        decision_ns.push(started.elapsed().as_nanos() as f64 / QUEUED as f64);
        assigned_total = assigned;
    }
    let decision = median(decision_ns);
    let scan = median(scan_ns);
    println!("| figure | value |");
    println!("| --- | --- |");
    println!("| operators live | {OPERATORS} (80% online, on 1–3 of {WORKFLOWS} workflows) |");
    println!("| conversations routed in one pass | {QUEUED} ({assigned_total} found an operator) |");
    println!(
        "| routing decision, median of {RUNS} runs | {:.1} µs |",
        decision / 1000.0
    );
    println!(
        "| baseline: bare pass over the same operators | {:.1} µs |",
        scan / 1000.0
    );
    println!("| ratio decision / bare pass | {:.2} |", decision / scan);
    println!("| target | under 100 µs per decision, no database round trip |");
}
