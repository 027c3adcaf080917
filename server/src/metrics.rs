//! `/metrics`: Prometheus text for whoever holds the configured `metrics_token`: how the
//! database files are kept (the log's size, its checkpoints, the pages written and the messages
//! stored: their ratio is what one message costs the disk), HTTP requests by kind of route and
//! status, open sockets, customers' messages by channel, and replies through providers by
//! channel and outcome with the outbox's backlog, webhook delivery attempts by outcome, the
//! assistant's turns, routing's offers, operators by status, queues by workflow, and how long a
//! message takes through each stage: waiting for its batch, the batch's transaction, publication
//! and the write to each socket.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::{LazyLock, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::AppState;

/// Counters kept since the process started, each by its labels.
#[derive(Default)]
pub struct Counters {
    /// (route kind, status) → requests.
    http: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// channel kind → customers' messages stored.
    received: Mutex<BTreeMap<&'static str, u64>>,
    /// (channel kind, outcome) → replies through a provider.
    deliveries: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// outcome → webhook delivery attempts.
    webhooks: Mutex<BTreeMap<&'static str, u64>>,
    /// outcome → the assistant's turns (`answered`, `failed`).
    assistant: Mutex<BTreeMap<&'static str, u64>>,
    /// outcome → routing's offers (`offered`, `accepted`, `declined`, `expired`).
    offers: Mutex<BTreeMap<&'static str, u64>>,
    /// From a message reaching the server to its publication to open sockets.
    publish: Histogram,
    /// From a message reaching the server to its being written to each socket it goes to.
    socket_write: Histogram,
    /// How long a write transaction waited for the database's one writer.
    write_wait: Histogram,
    /// From a message reaching the group commit to the start of its batch's transaction.
    commit_queue: Histogram,
    /// One batch's transaction, from its first statement to the commit.
    commit_batch: Histogram,
    /// Messages that went through the group commit (over the batches: the mean batch).
    committed: std::sync::atomic::AtomicU64,
    /// Of those, the ones stepped on the commit task's thread (`store/direct.rs`).
    committed_directly: std::sync::atomic::AtomicU64,
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// A Prometheus histogram: counts per bucket (not cumulative here), the sum and the count.
#[derive(Default)]
struct Histogram {
    buckets: [std::sync::atomic::AtomicU64; BUCKETS.len()],
    over: std::sync::atomic::AtomicU64,
    sum_micros: std::sync::atomic::AtomicU64,
}

impl Histogram {
    fn observe(&self, seconds: f64) {
        let seconds = seconds.max(0.0);
        match BUCKETS.iter().position(|b| seconds <= *b) {
            Some(i) => self.buckets[i].fetch_add(1, Ordering::Relaxed),
            None => self.over.fetch_add(1, Ordering::Relaxed),
        };
        self.sum_micros.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.over.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
    }
}

pub static COUNTERS: LazyLock<Counters> = LazyLock::new(Counters::default);

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    *map.lock().unwrap_or_else(|p| p.into_inner()).entry(key).or_default() += 1;
}

impl Counters {
    /// A request answered (`path` is reduced to its kind: `api`, `ws`, `webhooks`, a page …).
    pub fn request(&self, path: &str, status: u16) {
        bump(&self.http, (route_kind(path), status));
    }

    /// A customer's message stored, by the channel it came on.
    pub fn received(&self, channel: app::lifecycle::ChannelKind) {
        bump(&self.received, channel.as_str());
    }

    /// A reply handed to a provider (`accepted`), refused or given up on (`failed`), or put
    /// back for another try (`retried`).
    pub fn delivery(&self, channel: app::lifecycle::ChannelKind, outcome: &'static str) {
        bump(&self.deliveries, (channel.as_str(), outcome));
    }

    /// The assistant answered, or failed to (and the fallback answered).
    pub fn assistant(&self, answered: bool) {
        bump(&self.assistant, if answered { "answered" } else { "failed" });
    }

    /// Routing offered a conversation, or an offer was accepted, declined or lapsed.
    pub fn offer(&self, outcome: &'static str) {
        bump(&self.offers, outcome);
    }

    /// A message published `seconds` after it reached the server.
    pub fn published(&self, seconds: f64) {
        self.publish.observe(seconds);
    }

    /// A message written to a socket `seconds` after it reached the server.
    pub fn written_to_socket(&self, seconds: f64) {
        self.socket_write.observe(seconds);
    }

    /// A write transaction began after waiting `seconds` for the writer.
    pub fn write_waited(&self, seconds: f64) {
        self.write_wait.observe(seconds);
    }

    /// A batch of `messages` began its transaction `waited` seconds after each arrived and
    /// committed `took` seconds later.
    pub fn batch_committed(&self, waited: impl Iterator<Item = f64>, took: f64, messages: usize) {
        for seconds in waited {
            self.commit_queue.observe(seconds);
        }
        self.commit_batch.observe(took);
        self.committed.fetch_add(messages as u64, Ordering::Relaxed);
    }

    /// Messages of a batch stepped on the commit task's thread (SQLite's common path).
    pub fn stored_directly(&self, messages: usize) {
        self.committed_directly.fetch_add(messages as u64, Ordering::Relaxed);
    }

    /// A webhook delivery attempt that the endpoint took (`delivered`) or not (`failed`).
    pub fn webhook(&self, delivered: bool) {
        bump(&self.webhooks, if delivered { "delivered" } else { "failed" });
    }
}

/// A request path's kind, for a label with few values.
fn route_kind(path: &str) -> &'static str {
    const KINDS: [&str; 10] = [
        "api",
        "ws",
        "webhooks",
        "ingest",
        "attachments",
        "pkg",
        "widget",
        "healthz",
        "readyz",
        "metrics",
    ];
    let first = path.trim_start_matches('/').split('/').next().unwrap_or_default();
    let first = first.split('.').next().unwrap_or_default();
    KINDS.iter().find(|k| **k == first).copied().unwrap_or("page")
}

/// Compares two secrets without telling by its timing how much of them matched.
fn same_secret(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

/// `/metrics` on the main address: only with `metrics_token` set, and with it.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.config.metrics_token.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    on_own_address(State(state), headers).await
}

/// `/metrics` on `metrics_listen`: asks for `metrics_token` when one is set.
pub async fn on_own_address(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        return answer(&state).await;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| same_secret(g, token.expose())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "/metrics needs the metrics token as a bearer token.",
        )
            .into_response();
    }
    answer(&state).await
}

async fn answer(state: &AppState) -> Response {
    match render(state).await {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not read the metrics");
            (StatusCode::SERVICE_UNAVAILABLE, "the database does not answer").into_response()
        }
    }
}

async fn render(state: &AppState) -> Result<String, crate::store::StoreError> {
    let store = &state.store;
    let health = store.wal_health();
    let messages = store.messages_stored().await?;
    // SQLite's own upkeep: its log, its pages, its search index (PostgreSQL keeps its own).
    let pages = if store.is_postgres() {
        None
    } else {
        Some(store.pages_written().await?)
    };
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: i64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    };
    if let Some(pages) = pages {
        metric(
            "switchboard_sqlite_wal_bytes",
            "gauge",
            "Size of the write-ahead log file at the last upkeep round.",
            health.wal_bytes.load(Ordering::Relaxed) as i64,
        );
        metric(
            "switchboard_sqlite_checkpoints_complete_total",
            "counter",
            "Upkeep rounds that copied the whole log into the database.",
            health.complete.load(Ordering::Relaxed) as i64,
        );
        metric(
            "switchboard_sqlite_checkpoints_blocked_total",
            "counter",
            "Upkeep rounds whose log was over the restart size and could not be restarted.",
            health.blocked.load(Ordering::Relaxed) as i64,
        );
        metric(
            "switchboard_sqlite_pages_written_total",
            "counter",
            "Database pages the writer connection wrote to the log since the server started.",
            pages,
        );
        metric(
            "switchboard_sqlite_memory_bytes",
            "gauge",
            "Heap memory SQLite holds across its connections (page caches, prepared statements).",
            crate::store::sqlite_memory_used(),
        );
        metric(
            "switchboard_messages_indexed_total",
            "counter",
            "Messages added to the search index since the server started.",
            health.indexed.load(Ordering::Relaxed) as i64,
        );
    }
    if let Some(heap) = crate::heap::usage() {
        metric(
            "switchboard_heap_allocated_bytes",
            "gauge",
            "Bytes the process's allocations hold now (malloc's count, SQLite's heap included).",
            heap.allocated as i64,
        );
        metric(
            "switchboard_heap_free_bytes",
            "gauge",
            "Bytes malloc holds free in its arenas, not given back to the system.",
            heap.free as i64,
        );
    }
    metric(
        "switchboard_assistant_replies_in_flight",
        "gauge",
        "Replies the assistant is generating now.",
        state.conversations.replies_in_flight() as i64,
    );
    metric(
        "switchboard_messages_stored",
        "gauge",
        "Messages stored in the database (the highest message id).",
        messages,
    );
    metric(
        "switchboard_outbox_pending",
        "gauge",
        "Replies through a provider (SMS, e-mail) stored and not yet handed to it.",
        store.pending_deliveries().await?,
    );
    let (visitors, members) = state.limits.open_sockets();
    let _ = writeln!(
        out,
        "# HELP switchboard_sockets_open WebSockets open now, by kind.\n# TYPE switchboard_sockets_open gauge\n\
         switchboard_sockets_open{{kind=\"visitor\"}} {visitors}\nswitchboard_sockets_open{{kind=\"operator\"}} {members}"
    );
    let c = &*COUNTERS;
    let _ = writeln!(out, "# HELP switchboard_http_requests_total HTTP requests answered, by kind of route and status.\n# TYPE switchboard_http_requests_total counter");
    for ((route, status), n) in c.http.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = writeln!(
            out,
            "switchboard_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
        );
    }
    let _ = writeln!(out, "# HELP switchboard_messages_received_total Customers' messages stored, by channel.\n# TYPE switchboard_messages_received_total counter");
    for (channel, n) in c.received.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = writeln!(out, "switchboard_messages_received_total{{channel=\"{channel}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP switchboard_deliveries_total Replies through providers, by channel and outcome.\n# TYPE switchboard_deliveries_total counter");
    for ((channel, outcome), n) in c.deliveries.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = writeln!(
            out,
            "switchboard_deliveries_total{{channel=\"{channel}\",outcome=\"{outcome}\"}} {n}"
        );
    }
    let _ = writeln!(out, "# HELP switchboard_assistant_turns_total The assistant's turns, by outcome.\n# TYPE switchboard_assistant_turns_total counter");
    for (outcome, n) in c.assistant.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = writeln!(out, "switchboard_assistant_turns_total{{outcome=\"{outcome}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP switchboard_routing_offers_total Routing's offers to operators, by outcome.\n# TYPE switchboard_routing_offers_total counter");
    for (outcome, n) in c.offers.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = writeln!(out, "switchboard_routing_offers_total{{outcome=\"{outcome}\"}} {n}");
    }
    c.publish.render(
        &mut out,
        "switchboard_message_publish_seconds",
        "From a message reaching the server to its publication to open sockets (storing it included).",
    );
    c.socket_write.render(
        &mut out,
        "switchboard_message_delivery_seconds",
        "From a message reaching the server to its being written to a socket, once per socket it goes to.",
    );
    c.write_wait.render(
        &mut out,
        "switchboard_db_write_wait_seconds",
        "How long a write transaction waited for the database's writer connection (SQLite has one).",
    );
    c.commit_queue.render(
        &mut out,
        "switchboard_commit_queue_seconds",
        "From a message reaching the group commit to the start of its batch's transaction.",
    );
    c.commit_batch.render(
        &mut out,
        "switchboard_commit_batch_seconds",
        "One batch of messages' transaction, from its first statement to the commit.",
    );
    let _ = writeln!(
        out,
        "# HELP switchboard_commit_messages_total Messages stored through the group commit.\n# TYPE switchboard_commit_messages_total counter\nswitchboard_commit_messages_total {}",
        c.committed.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP switchboard_commit_direct_messages_total Of those, messages stepped on the commit task's own thread (SQLite's common path).\n# TYPE switchboard_commit_direct_messages_total counter\nswitchboard_commit_direct_messages_total {}",
        c.committed_directly.load(Ordering::Relaxed)
    );
    let _ = writeln!(out, "# HELP switchboard_db_pool_connections Database connections by pool and state.\n# TYPE switchboard_db_pool_connections gauge");
    for (pool, size, idle) in store.pool_connections() {
        let _ = writeln!(
            out,
            "switchboard_db_pool_connections{{pool=\"{pool}\",state=\"idle\"}} {idle}"
        );
        let _ = writeln!(
            out,
            "switchboard_db_pool_connections{{pool=\"{pool}\",state=\"busy\"}} {}",
            (size as usize).saturating_sub(idle)
        );
    }
    let gauges = state.router.gauges();
    let _ = writeln!(out, "# HELP switchboard_operators Operators present, by status (offline: connected since the start and gone).\n# TYPE switchboard_operators gauge");
    for (status, n) in &gauges.operators {
        let _ = writeln!(out, "switchboard_operators{{status=\"{status}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP switchboard_queue_length Conversations waiting in routing's queue, by workflow.\n# TYPE switchboard_queue_length gauge");
    for (workflow, n, _) in &gauges.queues {
        let _ = writeln!(out, "switchboard_queue_length{{workflow=\"{workflow}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP switchboard_queue_oldest_wait_seconds How long the first in each workflow's queue has waited.\n# TYPE switchboard_queue_oldest_wait_seconds gauge");
    let now = crate::store::now_ms();
    for (workflow, _, oldest) in &gauges.queues {
        let wait = oldest.map_or(0.0, |since| (now - since).max(0) as f64 / 1000.0);
        let _ = writeln!(
            out,
            "switchboard_queue_oldest_wait_seconds{{workflow=\"{workflow}\"}} {wait}"
        );
    }
    let _ = writeln!(out, "# HELP switchboard_webhook_attempts_total Webhook delivery attempts, by outcome.\n# TYPE switchboard_webhook_attempts_total counter");
    for (outcome, n) in c.webhooks.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = writeln!(out, "switchboard_webhook_attempts_total{{outcome=\"{outcome}\"}} {n}");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn routes_are_counted_by_kind() {
        assert_eq!(super::route_kind("/api/inbox/conversations"), "api");
        assert_eq!(super::route_kind("/webhooks/twilio/k/inbound"), "webhooks");
        assert_eq!(super::route_kind("/widget.js"), "widget");
        assert_eq!(super::route_kind("/inbox/42"), "page");
        assert_eq!(super::route_kind("/"), "page");
    }

    #[test]
    fn secrets_are_equal_only_when_equal() {
        assert!(super::same_secret("0123456789abcdef", "0123456789abcdef"));
        assert!(!super::same_secret("0123456789abcdeX", "0123456789abcdef"));
        assert!(!super::same_secret("", "0123456789abcdef"));
    }
}
