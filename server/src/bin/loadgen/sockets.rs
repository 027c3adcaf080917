//! `loadgen sockets`: idle visitor sockets opened in steps and held, with the server's resident
//! memory after each step. A line fitted through the steps gives the memory one socket costs
//! and how well a straight line explains the growth, and projects it to 50,000 sockets (more
//! than one process may open on these machines).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{stream, StreamExt};

use crate::clients;
use crate::measure::read_proc;

#[derive(clap::Args, Clone)]
pub struct SocketsArgs {
    /// Switchboard's address (seeded with the demo workspace).
    #[arg(long)]
    pub switchboard: String,
    /// Switchboard's process id, for its memory.
    #[arg(long)]
    pub switchboard_pid: u32,
    /// Sockets held after each step, ascending, comma separated.
    #[arg(long, value_delimiter = ',', default_values_t = [2_500usize, 5_000, 10_000, 15_000, 19_000])]
    pub steps: Vec<usize>,
}

/// One step: sockets held, and the server's resident memory then.
struct Step {
    sockets: usize,
    rss: u64,
}

pub async fn run(args: SocketsArgs, addr: SocketAddr, tokens: Vec<String>) -> Result<(), String> {
    let pid = args.switchboard_pid;
    let rss = || {
        read_proc(pid)
            .map(|r| r.rss_bytes)
            .ok_or("the server's process is gone")
    };
    // Settled: what the server holds with no idle socket open.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut steps = vec![Step {
        sockets: 0,
        rss: rss()?,
    }];
    let mut held = Vec::new();
    for &target in &args.steps {
        let from = held.len();
        let opened: Vec<_> = stream::iter(tokens[from..target].iter().enumerate())
            .map(|(i, t)| clients::idle_visitor(addr, t, from + i))
            .buffer_unordered(200)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        held.extend(opened);
        // Let the server finish setting the new sockets up before reading its memory.
        tokio::time::sleep(Duration::from_secs(3)).await;
        steps.push(Step {
            sockets: held.len(),
            rss: rss()?,
        });
        println!(
            "{:>6} sockets: server resident {:>7.1} MiB",
            held.len(),
            steps.last().map_or(0.0, |s| s.rss as f64 / 1_048_576.0)
        );
    }
    report(&steps);
    drop(held);
    Ok(())
}

/// The table and the fitted line, as Markdown for BENCHMARKS.md.
fn report(steps: &[Step]) {
    let points: Vec<(f64, f64)> = steps.iter().map(|s| (s.sockets as f64, s.rss as f64)).collect();
    let (slope, intercept, r2) = fit(&points);
    println!("\n| idle sockets | server resident memory | KiB per socket since none |");
    println!("| ---: | ---: | ---: |");
    let base = steps[0].rss as f64;
    for s in steps {
        let per = if s.sockets == 0 {
            "–".to_string()
        } else {
            format!("{:.1}", (s.rss as f64 - base) / s.sockets as f64 / 1024.0)
        };
        println!("| {} | {:.1} MiB | {per} |", s.sockets, s.rss as f64 / 1_048_576.0);
    }
    println!(
        "\nFitted line: {:.2} KiB per socket over {:.1} MiB (R² = {:.4}); at 50,000 sockets: {:.0} MiB.",
        slope / 1024.0,
        intercept / 1_048_576.0,
        r2,
        (intercept + slope * 50_000.0) / 1_048_576.0
    );
}

/// Least squares: slope, intercept, and the share of the variance the line explains.
fn fit(points: &[(f64, f64)]) -> (f64, f64, f64) {
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let slope = if sxx == 0.0 { 0.0 } else { sxy / sxx };
    let intercept = my - slope * mx;
    let total: f64 = points.iter().map(|(_, y)| (y - my).powi(2)).sum();
    let residual: f64 = points.iter().map(|(x, y)| (y - intercept - slope * x).powi(2)).sum();
    let r2 = if total == 0.0 { 1.0 } else { 1.0 - residual / total };
    (slope, intercept, r2)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_straight_line_is_fitted_exactly() {
        let points = [(0.0, 10.0), (1000.0, 2010.0), (3000.0, 6010.0)];
        let (slope, intercept, r2) = super::fit(&points);
        assert!((slope - 2.0).abs() < 1e-9 && (intercept - 10.0).abs() < 1e-6 && (r2 - 1.0).abs() < 1e-12);
    }
}
