//! Events between nodes. Every node publishes its events in its own hub; with a bus, the hub
//! also hands each event to the bus, which carries it to the other nodes' hubs. The bus carries
//! what the hub does (frames already encoded for visitors and operators, the sequence number,
//! the visibility scope) and the closings that cross nodes (a member's rights changed). The
//! database stays the truth: a client that misses an event resumes by sequence number.
//!
//! PostgreSQL's LISTEN/NOTIFY: a relay task sends the events waiting at that moment together,
//! one `pg_notify` per batch (each its own small transaction, after the data's commit), and a
//! listener task on its own connection delivers the other nodes' events. A batch larger than a
//! notification may carry goes through a table (`bus_spill`), the notification naming its
//! row. When the listener's connection drops, notifications sent meanwhile are lost: every
//! socket on this node then closes (1012) and its client reconnects and resumes from its last
//! sequence number.
//!
//! NATS (core, no persistence) for high fan-out: the same batches on one subject, each up to
//! `NATS_BATCH` bytes (no spilling: a server takes a megabyte per message). When the client
//! reconnects after a disconnection, this node's sockets close and resume in the same way.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::mpsc;

use crate::hub::{Closing, Event, Hub, Latest, Topic};
use crate::store::now_ms;

/// The channel every node listens on.
const CHANNEL: &str = "switchboard";
/// A notification's payload must stay under 8,000 bytes; larger batches go through the table.
const NOTIFY_LIMIT: usize = 7_000;
/// Spilled batches are kept this long for the listeners to read.
const SPILL_KEPT_MS: i64 = 60_000;
/// The subject the nodes of one database publish on and subscribe to: this followed by the
/// database's name among others (`cluster_identity`), so that installations sharing a NATS
/// server never hear each other.
const SUBJECT: &str = "switchboard.events";
/// How many bytes of events go in one NATS message.
const NATS_BATCH: usize = 64 * 1024;

/// What travels between nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Wire {
    Event {
        topic: WireTopic,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visitors: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operators: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        facts: Option<app::inbox::Facts>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        supervisors_only: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        received_ms: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latest: Option<Latest>,
    },
    /// A member's rights changed: their sockets on every node close.
    CloseMember(i64),
    /// A call to routing, for the node that leads it (`cluster.rs`); `id` when an answer is
    /// awaited.
    Ask {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        call: crate::routing::Call,
    },
    /// The leader's answer to an `Ask`, for the node that asked.
    Answer {
        id: u64,
        to: String,
        result: Result<serde_json::Value, app::AppError>,
    },
    /// The sending node leads routing now, from this term on.
    Leader { term: i64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireTopic {
    Conversation(i64),
    Workspace(i64),
    Member(i64),
}

impl From<Topic> for WireTopic {
    fn from(t: Topic) -> Self {
        match t {
            Topic::Conversation(id) => WireTopic::Conversation(id),
            Topic::Workspace(id) => WireTopic::Workspace(id),
            Topic::Member(id) => WireTopic::Member(id),
        }
    }
}

impl From<WireTopic> for Topic {
    fn from(t: WireTopic) -> Self {
        match t {
            WireTopic::Conversation(id) => Topic::Conversation(id),
            WireTopic::Workspace(id) => Topic::Workspace(id),
            WireTopic::Member(id) => Topic::Member(id),
        }
    }
}

impl Wire {
    /// The event as it crosses (a subscriber to leave out is this node's own business).
    pub fn event(topic: Topic, e: &Event) -> Wire {
        Wire::Event {
            topic: topic.into(),
            seq: e.seq,
            visitors: e.for_visitors.as_deref().map(str::to_owned),
            operators: e.for_operators.as_deref().map(str::to_owned),
            facts: e.facts,
            supervisors_only: e.supervisors_only,
            received_ms: e.received_ms,
            latest: e.latest,
        }
    }

    /// Hands what arrived from node `from` to this node's hub.
    fn deliver(self, hub: &Hub, from: &str) {
        match self {
            Wire::Event {
                topic,
                seq,
                visitors,
                operators,
                facts,
                supervisors_only,
                received_ms,
                latest,
            } => hub.deliver(
                topic.into(),
                &Event {
                    seq,
                    for_visitors: visitors.map(Arc::from),
                    for_operators: operators.map(Arc::from),
                    facts,
                    except: None,
                    supervisors_only,
                    received_ms,
                    latest,
                },
            ),
            Wire::CloseMember(member) => hub.close_here(Closing::Member(member)),
            routing => hub.to_cluster(from, routing),
        }
    }
}

/// One notification: the sending node and its events, or the row they were spilled to.
#[derive(Debug, Serialize, Deserialize)]
struct Note {
    node: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    wires: Vec<Wire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    spill: Option<i64>,
}

/// Starts carrying this node's events to the others and theirs to this node's hub, over
/// PostgreSQL's LISTEN/NOTIFY on `pool`'s database. Returns once this node listens.
pub async fn start_postgres(pool: PgPool, hub: Arc<Hub>, node: String) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    hub.relay_to(tx);
    tokio::spawn(relay(pool.clone(), node.clone(), rx));
    tokio::spawn(listen(pool, listener, node, hub));
    Ok(())
}

/// Starts carrying events between nodes through the NATS server at `url`. Returns once this
/// node is subscribed.
pub async fn start_nats(url: &str, hub: Arc<Hub>, node: String, pool: Option<PgPool>) -> Result<(), async_nats::Error> {
    let subject = match pool {
        Some(pool) => {
            let name: String = sqlx::query_scalar("SELECT name FROM cluster_identity WHERE id = 1")
                .fetch_one(&pool)
                .await?;
            format!("{SUBJECT}.{name}")
        }
        None => SUBJECT.to_string(),
    };
    let watched = hub.clone();
    let was_down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = async_nats::ConnectOptions::new()
        .event_callback(move |event| {
            let hub = watched.clone();
            let was_down = was_down.clone();
            async move {
                use std::sync::atomic::Ordering;
                match event {
                    async_nats::Event::Disconnected => {
                        tracing::warn!("the connection to the other nodes' events (NATS) dropped");
                        was_down.store(true, Ordering::SeqCst);
                        hub.set_bus_down(true);
                    }
                    // Back: what was sent meanwhile is lost, and the clients here resume.
                    async_nats::Event::Connected if was_down.swap(false, Ordering::SeqCst) => {
                        hub.set_bus_down(false);
                        hub.close_here(Closing::Everyone);
                    }
                    _ => {}
                }
            }
        })
        .connect(url)
        .await?;
    let mut subscription = client.subscribe(subject.clone()).await?;
    client.flush().await?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Wire>();
    hub.relay_to(tx);
    let sender = client.clone();
    let from = node.clone();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut waiting = vec![first];
            while let Ok(next) = rx.try_recv() {
                waiting.push(next);
            }
            for payload in batches(&from, waiting, NATS_BATCH) {
                if let Err(e) = sender.publish(subject.clone(), payload.into()).await {
                    tracing::warn!(error = %e, "could not send events to the other nodes");
                }
            }
        }
    });
    tokio::spawn(async move {
        use futures_util::StreamExt;
        while let Some(message) = subscription.next().await {
            match serde_json::from_slice::<Note>(&message.payload) {
                Ok(note) if note.node != node => {
                    for wire in note.wires {
                        wire.deliver(&hub, &note.node);
                    }
                }
                Ok(_) => {}
                Err(_) => tracing::warn!("an unreadable event arrived from another node"),
            }
        }
    });
    Ok(())
}

/// A node's name among the others, different at every start.
pub fn new_node_id() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
    format!("{:016x}", u64::from_le_bytes(bytes))
}

/// Sends this node's events: all those waiting at that moment in as few notifications as fit.
async fn relay(pool: PgPool, node: String, mut rx: mpsc::UnboundedReceiver<Wire>) {
    let mut last_sweep = now_ms();
    while let Some(first) = rx.recv().await {
        let mut waiting = vec![first];
        while let Ok(next) = rx.try_recv() {
            waiting.push(next);
        }
        for payload in batches(&node, waiting, NOTIFY_LIMIT) {
            if let Err(e) = send(&pool, &node, payload).await {
                tracing::warn!(error = %e, "could not send events to the other nodes");
            }
        }
        if now_ms() - last_sweep > SPILL_KEPT_MS {
            last_sweep = now_ms();
            if let Err(e) = sqlx::query("DELETE FROM bus_spill WHERE created_at < $1")
                .bind(last_sweep - SPILL_KEPT_MS)
                .execute(&pool)
                .await
            {
                tracing::warn!(error = %e, "could not clear old spilled events");
            }
        }
    }
}

/// The events as payloads of at most `limit` bytes each, but for single events larger than
/// that, which go alone (to be spilled).
fn batches(node: &str, wires: Vec<Wire>, limit: usize) -> Vec<String> {
    let encode = |wires: &[Wire]| {
        serde_json::to_string(&Note {
            node: node.to_string(),
            wires: wires.to_vec(),
            spill: None,
        })
        .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut batch: Vec<Wire> = Vec::new();
    for wire in wires {
        batch.push(wire);
        if batch.len() > 1 && encode(&batch).len() > limit {
            let last = batch.pop().expect("just pushed");
            out.push(encode(&batch));
            batch = vec![last];
        }
    }
    if !batch.is_empty() {
        out.push(encode(&batch));
    }
    out
}

async fn send(pool: &PgPool, node: &str, payload: String) -> Result<(), sqlx::Error> {
    let payload = if payload.len() > NOTIFY_LIMIT {
        let (id,): (i64,) = sqlx::query_as("INSERT INTO bus_spill (payload, created_at) VALUES ($1, $2) RETURNING id")
            .bind(&payload)
            .bind(now_ms())
            .fetch_one(pool)
            .await?;
        serde_json::to_string(&Note {
            node: node.to_string(),
            wires: Vec::new(),
            spill: Some(id),
        })
        .unwrap_or_default()
    } else {
        payload
    };
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(pool)
        .await?;
    Ok(())
}

/// Delivers the other nodes' events to this node's hub.
async fn listen(pool: PgPool, mut listener: PgListener, node: String, hub: Arc<Hub>) {
    // Whether the connection failed since the last notification: what was sent meanwhile is
    // lost, and the clients here must resume (once per outage, however long it lasts).
    let mut broken = false;
    loop {
        let notification = match listener.try_recv().await {
            Ok(Some(n)) => n,
            // The connection dropped and is back (the listener reconnects before answering).
            Ok(None) => {
                tracing::warn!("the connection to the other nodes' events dropped; clients here resume");
                hub.set_bus_down(false);
                hub.close_here(Closing::Everyone);
                broken = false;
                continue;
            }
            Err(e) => {
                if !broken {
                    tracing::warn!(error = %e, "the other nodes' events cannot be read; trying again");
                }
                hub.set_bus_down(true);
                broken = true;
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if std::mem::take(&mut broken) {
            hub.set_bus_down(false);
            hub.close_here(Closing::Everyone);
        }
        let Ok(note) = serde_json::from_str::<Note>(notification.payload()) else {
            tracing::warn!("an unreadable event arrived from another node");
            continue;
        };
        if note.node == node {
            continue;
        }
        let wires = match note.spill {
            None => note.wires,
            Some(id) => match spilled(&pool, id).await {
                Ok(wires) => wires,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read events another node spilled");
                    hub.close_here(Closing::Everyone);
                    continue;
                }
            },
        };
        for wire in wires {
            wire.deliver(&hub, &note.node);
        }
    }
}

async fn spilled(pool: &PgPool, id: i64) -> Result<Vec<Wire>, sqlx::Error> {
    let (payload,): (String,) = sqlx::query_as("SELECT payload FROM bus_spill WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await?;
    Ok(serde_json::from_str::<Note>(&payload)
        .map(|n| n.wires)
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(text: &str) -> Wire {
        Wire::Event {
            topic: WireTopic::Conversation(1),
            seq: Some(1),
            visitors: Some(text.to_string()),
            operators: None,
            facts: None,
            supervisors_only: false,
            received_ms: None,
            latest: None,
        }
    }

    #[test]
    fn events_are_packed_into_notifications_that_fit() {
        let small: Vec<Wire> = (0..100).map(|i| wire(&format!("message {i}"))).collect();
        let sent = batches("n", small.clone(), NOTIFY_LIMIT);
        assert!(sent.len() > 1 && sent.len() < 10, "{} notifications", sent.len());
        assert!(sent.iter().all(|p| p.len() <= NOTIFY_LIMIT));
        let back: Vec<Wire> = sent
            .iter()
            .flat_map(|p| serde_json::from_str::<Note>(p).unwrap().wires)
            .collect();
        assert_eq!(back, small, "every event, once, in order");
        // One too large for a notification goes alone, to be spilled.
        let big = wire(&"x".repeat(NOTIFY_LIMIT * 2));
        let sent = batches("n", vec![wire("a"), big.clone(), wire("b")], NOTIFY_LIMIT);
        assert_eq!(sent.len(), 3);
        assert_eq!(serde_json::from_str::<Note>(&sent[1]).unwrap().wires, [big]);
    }
}
