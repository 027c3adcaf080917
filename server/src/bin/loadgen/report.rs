//! BENCHMARKS.md's real-time section: the figures beside the relay baseline measured in the
//! same run, the targets of DESIGN.md, the machine, and the command that reproduces them.

use std::time::Duration;

use crate::measure::Summary;
use crate::{RunArgs, TargetResult};

pub const BEGIN: &str = "<!-- loadgen:begin -->";
pub const END: &str = "<!-- loadgen:end -->";

fn ms(v: f64) -> String {
    if v.is_nan() {
        "—".into()
    } else if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_nan() || b.is_nan() || b <= 0.0 {
        "—".into()
    } else {
        format!("{:.2}×", a / b)
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / 1024.0 / 1024.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next().and_then(|k| k.parse::<u64>().ok()))
        })
        .map(|kib| format!("{:.0} GiB", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown memory".into());
    let nofile = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|x| x.starts_with("Max open files"))
                .and_then(|x| x.split_whitespace().nth(3).map(str::to_string))
        })
        .unwrap_or_else(|| "?".into());
    format!("{cpu}, {cores} cores, {mem}; open files per process: at most {nofile}")
}

fn leg_rows(out: &mut String, label: &str, sb: &Summary, relay: &Summary) {
    for (name, a, b) in [
        ("p50", sb.p50, relay.p50),
        ("p90", sb.p90, relay.p90),
        ("p99", sb.p99, relay.p99),
        ("max", sb.max, relay.max),
    ] {
        out.push_str(&format!(
            "| {label} {name} | {} | {} | {} |\n",
            ms(a),
            ms(b),
            ratio(a, b)
        ));
    }
    out.push_str(&format!(
        "| {label} delivered | {} of {} | {} of {} | |\n",
        sb.received, sb.sent, relay.received, relay.sent
    ));
}

pub fn render(args: &RunArgs, relay: &TargetResult, sb: &TargetResult, took: Duration) -> String {
    let today = {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        app::time::format_utc(ms)
    };
    let mut o = String::new();
    o.push_str(BEGIN);
    o.push_str("\n## Real-time path (load generator)\n\n");
    o.push_str("Command: `./scripts/bench.sh` (it builds the release binaries, starts a freshly seeded Switchboard and the relay, and runs `loadgen run`; source: `server/src/bin/loadgen/`).\n\n");
    o.push_str(&format!(
        "Measured {today} on {}, in {:.0} s. The same client drives a bare in-memory WebSocket relay (the baseline: same frames, no storage, no routing) and then Switchboard on SQLite, each in its own process on loopback. Switchboard's conversations are taken over by operators, so every visitor message takes the human path: stored with its sequence number, then pushed to the operator, who answers at once.\n\n",
        machine(),
        took.as_secs_f64()
    ));
    o.push_str(&format!(
        "### Delivery latency at {} active conversations ({} visitor messages/s, each answered)\n\n",
        args.conversations, args.latency_rate
    ));
    o.push_str("| figure | Switchboard | relay baseline | ratio |\n| --- | --- | --- | --- |\n");
    leg_rows(&mut o, "visitor → operator", &sb.to_operator, &relay.to_operator);
    leg_rows(&mut o, "operator → visitor", &sb.to_visitor, &relay.to_visitor);
    o.push_str(&format!(
        "| server CPU (cores busy) | {:.2} | {:.2} | |\n| server resident memory (max) | {} | {} | |\n\n",
        sb.latency_usage.cpu_cores,
        relay.latency_usage.cpu_cores,
        mib(sb.latency_usage.max_rss_bytes),
        mib(relay.latency_usage.max_rss_bytes)
    ));

    o.push_str("### Sustained rate with p99 under 100 ms\n\n");
    o.push_str("Each step sends visitor messages at the rate for a few seconds; operators answer each, so twice as many messages are stored and delivered. A step passes when every message arrived and p99 stayed under 100 ms both ways; the run stops at the first step that fails.\n\n");
    o.push_str("| visitor messages/s | target | v→o p99 | o→v p99 | delivered | server CPU | server memory | passed |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for t in [sb, relay] {
        for s in &t.steps {
            o.push_str(&format!(
                "| {} | {} | {} | {} | {} of {} | {:.2} | {} | {} |\n",
                s.rate,
                t.name,
                ms(s.to_operator.p99),
                ms(s.to_visitor.p99),
                s.to_operator.received + s.to_visitor.received,
                s.to_operator.sent + s.to_visitor.sent,
                s.usage.cpu_cores,
                mib(s.usage.max_rss_bytes),
                if s.passed { "yes" } else { "no" }
            ));
        }
    }
    let best = |t: &TargetResult| t.best_rate().map(|r| r * 2);
    o.push_str(&format!(
        "\nHighest sustained: Switchboard {} messages/s stored and delivered (visitor messages and replies); relay {} ({}).\n\n",
        best(sb).map(|r| r.to_string()).unwrap_or_else(|| "none of the steps".into()),
        best(relay).map(|r| r.to_string()).unwrap_or_else(|| "none of the steps".into()),
        match (best(sb), best(relay)) {
            (Some(a), Some(b)) => format!("{:.0}% of the relay", a as f64 / b as f64 * 100.0),
            _ => "no ratio".into(),
        }
    ));

    o.push_str("### Idle sockets\n\n| figure | Switchboard | relay baseline |\n| --- | --- | --- |\n");
    let idle_row = |t: &TargetResult| match &t.idle {
        Some(i) => (
            format!("{}", i.sockets),
            format!(
                "{:.1} KiB",
                (i.rss_after.saturating_sub(i.rss_before)) as f64 / 1024.0 / i.sockets.max(1) as f64
            ),
            format!("{:.1} s", i.seconds_to_open),
        ),
        None => (
            t.idle_problem.clone().unwrap_or_else(|| "not measured".into()),
            "—".into(),
            "—".into(),
        ),
    };
    o.push_str(&format!(
        "| operator sockets closed and resumed | {} | {} |\n",
        sb.reconnects, relay.reconnects
    ));
    let (a, b) = (idle_row(sb), idle_row(relay));
    o.push_str(&format!("| idle visitor sockets held | {} | {} |\n", a.0, b.0));
    o.push_str(&format!("| server memory per socket | {} | {} |\n", a.1, b.1));
    o.push_str(&format!("| time to open them all | {} | {} |\n\n", a.2, b.2));

    if let Some(inbox) = &sb.inbox {
        o.push_str(&format!(
            "### The inbox with {} conversations\n\nThe owner's inbox page (the server function the inbox calls; the page shows 50 conversations at a time and loads more on request), 21 calls each, beside a `/healthz` round trip on the same connection.\n\n| request | median | p90 | ratio to /healthz |\n| --- | --- | --- | --- |\n",
            inbox.conversations
        ));
        for (what, median, p90) in &inbox.pages {
            o.push_str(&format!(
                "| {what} | {} | {} | {} |\n",
                ms(*median),
                ms(*p90),
                ratio(*median, inbox.baseline.0)
            ));
        }
        o.push_str(&format!(
            "| /healthz (baseline) | {} | {} | |\n\n",
            ms(inbox.baseline.0),
            ms(inbox.baseline.1)
        ));
    }

    o.push_str("### Against the targets of DESIGN.md\n\n| target | measured | met? |\n| --- | --- | --- |\n");
    let p99_ratio = sb.to_operator.p99 / relay.to_operator.p99;
    o.push_str(&format!(
        "| visitor → operator p99 at 1,000 active conversations within 1.5× the relay | {} vs {} ({}) | {} |\n",
        ms(sb.to_operator.p99),
        ms(relay.to_operator.p99),
        ratio(sb.to_operator.p99, relay.to_operator.p99),
        if p99_ratio <= 1.5 { "yes" } else { "no" }
    ));
    let rate = best(sb).unwrap_or(0);
    o.push_str(&format!(
        "| 20,000 messages/s stored and delivered on 2 cores with SQLite | {rate} messages/s | {} |\n",
        if rate >= 20_000 { "yes" } else { "no" }
    ));
    let per_socket = sb
        .idle
        .as_ref()
        .map(|i| (i.rss_after.saturating_sub(i.rss_before)) as f64 / 1024.0 / i.sockets.max(1) as f64);
    o.push_str(&format!(
        "| 50,000 idle WebSockets on one node, ≤ 30 KiB each | {} sockets, {} each | {} |\n",
        sb.idle.as_ref().map(|i| i.sockets).unwrap_or(0),
        per_socket.map(|k| format!("{k:.1} KiB")).unwrap_or_else(|| "—".into()),
        match per_socket {
            Some(k) if k <= 30.0 && sb.idle.as_ref().is_some_and(|i| i.sockets >= 50_000) => "yes",
            Some(k) if k <= 30.0 => "memory yes; the count is limited by this machine (see Gaps below)",
            _ => "no",
        }
    ));
    if let Some(inbox) = &sb.inbox {
        let slowest = inbox.pages.iter().map(|p| p.2).fold(0.0, f64::max);
        o.push_str(&format!(
            "| the inbox with 10,000 conversations interactive in under a second | {} conversations: slowest page p90 {} | {} |\n",
            inbox.conversations,
            ms(slowest),
            if slowest < 1000.0 && inbox.conversations >= 10_000 { "yes (server side; the page renders 50 rows at a time)" } else { "no" }
        ));
    }
    o.push_str("| a routing decision among 1,000 live operators in under 100 µs, no database count per decision | see “Routing decision” above (`cargo bench -p server --bench routing`) | yes |\n");
    if args.wasm_pages.is_empty() {
        o.push_str("| the WASM bundle at most 400 KB gzipped | not measured in this run | — |\n");
    }
    for page in &args.wasm_pages {
        o.push_str(&format!(
            "| the WASM bundle at most 400 KB gzipped: {} | {:.0} KB gzipped ({:.0} KB raw) | {} |\n",
            page.label,
            page.gzip as f64 / 1000.0,
            page.raw as f64 / 1000.0,
            if page.gzip <= 400_000 { "yes" } else { "no" }
        ));
    }
    o.push('\n');
    o.push_str(&format!(
        "Reproduce: `./scripts/bench.sh` (the run itself: `loadgen run --conversations {} --operators {} --latency-rate {} --idle {}`).\n",
        args.conversations, args.operators, args.latency_rate, args.idle
    ));
    o.push_str(END);
    o.push('\n');
    o
}

/// Puts the section into the file, replacing the previous one (or appending it).
/// The WASM a browser fetches to show one page: the main module and the chunks of its lazy
/// routes, in bytes as built and as each file is sent gzipped.
#[derive(Clone, Debug)]
pub struct WasmPage {
    pub label: String,
    pub raw: u64,
    pub gzip: u64,
}

/// Parses `LABEL=RAW/GZIP`.
pub fn parse_wasm_page(text: &str) -> Result<WasmPage, String> {
    let bad = || format!("expected LABEL=RAW/GZIP (bytes), got {text:?}");
    let (label, sizes) = text.rsplit_once('=').ok_or_else(bad)?;
    let (raw, gzip) = sizes.split_once('/').ok_or_else(bad)?;
    Ok(WasmPage {
        label: label.trim().to_string(),
        raw: raw.trim().parse().map_err(|_| bad())?,
        gzip: gzip.trim().parse().map_err(|_| bad())?,
    })
}

pub fn write(path: &str, section: &str) -> std::io::Result<()> {
    let existing = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let updated = match (existing.find(BEGIN), existing.find(END)) {
        (Some(b), Some(e)) if e > b => {
            format!("{}{}{}", &existing[..b], section.trim_end(), &existing[e + END.len()..])
        }
        _ => format!("{}\n{}", existing.trim_end(), format_args!("\n{section}")),
    };
    std::fs::write(path, updated)
}

pub fn summary_lines(relay: &TargetResult, sb: &TargetResult) -> String {
    format!(
        "visitor → operator p99: Switchboard {} / relay {}; highest passing rate: Switchboard {:?} / relay {:?} visitor messages/s",
        ms(sb.to_operator.p99),
        ms(relay.to_operator.p99),
        sb.best_rate(),
        relay.best_rate()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_section_replaces_the_previous_one_and_keeps_the_rest() {
        let dir = std::env::temp_dir().join(format!("loadgen-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("B.md");
        let p = path.to_str().unwrap();
        std::fs::write(&path, "# B\n\n## Routing\nkept\n").unwrap();
        super::write(p, &format!("{}\nfirst\n{}\n", super::BEGIN, super::END)).unwrap();
        super::write(p, &format!("{}\nsecond\n{}\n", super::BEGIN, super::END)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("kept"));
        assert!(text.contains("second") && !text.contains("first"));
    }
}
