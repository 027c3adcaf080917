//! What the load generator measures: latency samples and their percentiles, message counts,
//! and a server process's CPU and resident memory read from `/proc`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Latencies of one leg (visitor → operator, or back) in one phase, in microseconds.
#[derive(Default)]
pub struct Leg {
    samples: Mutex<Vec<u32>>,
    pub sent: AtomicU64,
}

impl Leg {
    pub fn record(&self, micros: u64) {
        self.samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(micros.min(u32::MAX as u64) as u32);
    }

    pub fn summary(&self) -> Summary {
        let mut s = self.samples.lock().unwrap_or_else(|p| p.into_inner()).clone();
        s.sort_unstable();
        let at = |q: f64| -> f64 {
            if s.is_empty() {
                return f64::NAN;
            }
            let i = ((s.len() as f64 - 1.0) * q).round() as usize;
            s[i] as f64 / 1000.0
        };
        Summary {
            sent: self.sent.load(Ordering::Relaxed),
            received: s.len() as u64,
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

/// A leg's figures; latencies in milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub sent: u64,
    pub received: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Summary {
    /// Everything sent arrived.
    pub fn complete(&self) -> bool {
        self.sent > 0 && self.received >= self.sent
    }
}

/// CPU time and resident memory of a process, from `/proc/<pid>`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcReading {
    /// CPU seconds used so far (user + system).
    pub cpu_secs: f64,
    pub rss_bytes: u64,
}

/// The number after `name` (say `"VmRSS:"`, in KiB) in the text of `/proc/<pid>/status`.
pub fn status_field(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

pub fn read_proc(pid: u32) -> Option<ProcReading> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces; fields follow the last ')'.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status_field(&status, "VmRSS:")?;
    Some(ProcReading {
        cpu_secs: ticks / 100.0,
        rss_bytes: rss_kib * 1024,
    })
}

/// Average CPU (as a share of one core) and the highest resident memory seen while a phase ran.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub cpu_cores: f64,
    pub max_rss_bytes: u64,
}

/// Samples a process every 250 ms until stopped.
pub struct Sampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<Usage>>,
}

impl Sampler {
    pub fn start(pid: u32) -> Sampler {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let began = Instant::now();
            let first = read_proc(pid).unwrap_or_default();
            let mut max_rss = first.rss_bytes;
            let mut last = first;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                if let Some(r) = read_proc(pid) {
                    max_rss = max_rss.max(r.rss_bytes);
                    last = r;
                }
            }
            let secs = began.elapsed().as_secs_f64().max(0.001);
            Usage {
                cpu_cores: (last.cpu_secs - first.cpu_secs) / secs,
                max_rss_bytes: max_rss,
            }
        });
        Sampler {
            stop,
            handle: Some(handle),
        }
    }

    pub fn finish(mut self) -> Usage {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.take().and_then(|h| h.join().ok()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_sorted_samples() {
        let leg = Leg::default();
        for us in (1..=100).rev() {
            leg.record(us * 1000);
        }
        leg.sent.store(100, Ordering::Relaxed);
        let s = leg.summary();
        assert_eq!((s.p50, s.p90, s.p99, s.max), (51.0, 90.0, 99.0, 100.0));
        assert!(s.complete());
    }

    #[test]
    fn this_process_can_be_read() {
        let r = read_proc(std::process::id()).unwrap();
        assert!(r.rss_bytes > 0);
    }
}
