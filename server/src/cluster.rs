//! Several nodes on one PostgreSQL database: which node leads routing, which nodes are alive,
//! and routing's calls from the other nodes to the leader.
//!
//! Routing keeps its state in memory and decides in microseconds (`crate::routing`); with
//! several nodes it runs on one of them, the leader: the node holding a PostgreSQL advisory
//! lock on a connection of its own. The others wait for that lock, which PostgreSQL hands to
//! one of them the moment the leader lets go: when it stops (it unlocks first), dies (its
//! session ends) or freezes (its connection, which pings every beat, ends when idle for
//! `dead_after`). Taking
//! it bumps the term in `router_lease`; a leader that finds another term there, or cannot
//! ping, steps down. The other nodes send what routing must hear or decide (an operator's
//! socket opened, they go live, accept an offer, a conversation needs a person) over the bus
//! as `Wire::Ask`, and the leader answers; what routing tells people (offers, presence, the
//! live board) crosses back as ordinary events. Every node beats in `cluster_nodes`; the
//! leader sweeps nodes whose beat is older than `dead_after` and their operators' sockets with
//! them. On one node (SQLite, or no bus) this node always leads and nothing crosses.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::{AppError, Me};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::postgres::PgPool;
use sqlx::Connection;
use tokio::sync::{mpsc, oneshot, watch, Notify};

use crate::bus::Wire;
use crate::hub::Hub;
use crate::routing::Call;

/// The advisory lock whose holder leads routing.
const LEAD_LOCK: i64 = 0x5357_4252_4f55_5445; // "SWBROUTE"

/// How often nodes beat, and after how long without a beat a node counts as dead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timers {
    pub beat: Duration,
    pub dead_after: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            beat: Duration::from_secs(1),
            dead_after: Duration::from_secs(10),
        }
    }
}

impl Timers {
    /// How long a node waits for the leader's answer before telling the person to try again:
    /// long enough for a new leader to take over.
    fn ask_timeout(&self) -> Duration {
        self.dead_after + self.beat * 3
    }
}

/// A call waiting for the leader's answer.
struct Waiting {
    call: Call,
    answer: oneshot::Sender<Result<Value, AppError>>,
}

/// A call for routing that reached the leader, with where to send its answer.
pub struct Asked {
    pub from: String,
    pub id: Option<u64>,
    pub call: Call,
}

pub struct Cluster {
    node: String,
    /// Whether there are other nodes (PostgreSQL with a bus); without, this node always leads.
    shared: bool,
    /// `Some(term)` while this node leads.
    leading: watch::Sender<Option<i64>>,
    hub: Arc<Hub>,
    /// Calls for routing, on the leader (from this node or others).
    calls: mpsc::UnboundedSender<Asked>,
    /// Calls sent to the leader and not answered yet: sent again to a new leader.
    waiting: Mutex<HashMap<u64, Waiting>>,
    next_ask: AtomicU64,
    /// This node's operator sockets by member, to tell a new leader what is here.
    local: Mutex<HashMap<i64, (Me, u32)>>,
    /// Set once this node is leaving: it gives up the lead.
    leaving: Notify,
    /// A routing write was refused for its term: the lease is looked at now, not at the next
    /// beat.
    recheck: Notify,
    left: AtomicBool,
    pub timers: Timers,
    /// The shared database (none on one node).
    pool: Option<PgPool>,
    /// Presence to save for the next leader, written in order by one task.
    saving: Option<mpsc::UnboundedSender<(SavedPresence, i64)>>,
}

/// An operator's presence as the leader saves it for the next one (`operator_presence`).
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct SavedPresence {
    pub member_id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub status: String,
    /// The live workflows' ids, as JSON.
    pub live_ids: String,
    pub since_ms: i64,
    pub live_since_ms: i64,
}

impl Cluster {
    /// One node: it leads from the start, and calls stay in the process.
    pub fn single(hub: Arc<Hub>) -> (Arc<Cluster>, mpsc::UnboundedReceiver<Asked>) {
        let (cluster, calls) = Cluster::new("local".into(), None, hub, Timers::default());
        cluster.leading.send_replace(Some(0));
        (cluster, calls)
    }

    fn new(
        node: String,
        pool: Option<PgPool>,
        hub: Arc<Hub>,
        timers: Timers,
    ) -> (Arc<Cluster>, mpsc::UnboundedReceiver<Asked>) {
        let (calls, calls_rx) = mpsc::unbounded_channel();
        let saving = pool.clone().map(|pool| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(save_presence(pool, rx));
            tx
        });
        let cluster = Arc::new(Cluster {
            node,
            shared: pool.is_some(),
            pool,
            saving,
            leading: watch::channel(None).0,
            hub,
            calls,
            waiting: Mutex::default(),
            next_ask: AtomicU64::new(1),
            local: Mutex::default(),
            leaving: Notify::new(),
            recheck: Notify::new(),
            left: AtomicBool::new(false),
            timers,
        });
        (cluster, calls_rx)
    }

    /// Several nodes on PostgreSQL: this node beats, competes for the lead, and hears the
    /// others' calls and answers through the hub's bus.
    pub fn start_postgres(
        node: String,
        pool: PgPool,
        url: String,
        hub: Arc<Hub>,
        timers: Timers,
    ) -> (Arc<Cluster>, mpsc::UnboundedReceiver<Asked>) {
        let (cluster, calls) = Cluster::new(node, Some(pool.clone()), hub.clone(), timers);
        let (tx, rx) = mpsc::unbounded_channel();
        hub.cluster_to(tx);
        tokio::spawn(cluster.clone().hear(rx));
        tokio::spawn(cluster.clone().beat(pool));
        tokio::spawn(cluster.clone().elect(url));
        (cluster, calls)
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Whether this node leads routing now.
    pub fn leads(&self) -> bool {
        self.leading.borrow().is_some()
    }

    /// Whether other nodes may exist (what this node does must then be shared).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// Follows this node's lead: `Some(term)` while it leads.
    pub fn leading(&self) -> watch::Receiver<Option<i64>> {
        self.leading.subscribe()
    }

    /// Sends a call to the leader and waits for its answer. Sent while no node leads (or
    /// while the leader is dying), the call goes again to the next leader when it announces
    /// itself.
    pub async fn ask<T: DeserializeOwned>(&self, call: Call) -> Result<T, AppError> {
        let id = self.next_ask.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.lock_waiting().insert(
            id,
            Waiting {
                call: call.clone(),
                answer: tx,
            },
        );
        self.hub.send_to_nodes(Wire::Ask { id: Some(id), call });
        let answer = tokio::time::timeout(self.timers.ask_timeout(), rx).await;
        self.lock_waiting().remove(&id);
        match answer {
            Ok(Ok(Ok(value))) => serde_json::from_value(value).map_err(|e| {
                tracing::error!(error = %e, "the routing leader's answer could not be read");
                AppError::Internal
            }),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(_)) | Err(_) => Err(AppError::Unavailable(
                "Routing is moving to another server; try again in a moment.".into(),
            )),
        }
    }

    /// Sends a call to the leader without waiting for it (a lost one is repaired by the
    /// leader's rescans).
    pub fn tell(&self, call: Call) {
        self.hub.send_to_nodes(Wire::Ask { id: None, call });
    }

    /// The leader's answer to a call from `to` (nothing to send for this node's own calls).
    pub fn answer(&self, to: String, id: u64, result: Result<Value, AppError>) {
        if to == self.node {
            self.answered(id, result);
        } else {
            self.hub.send_to_nodes(Wire::Answer { id, to, result });
        }
    }

    fn answered(&self, id: u64, result: Result<Value, AppError>) {
        if let Some(waiting) = self.lock_waiting().remove(&id) {
            let _ = waiting.answer.send(result);
        }
    }

    /// The calls this node still waits on, for a new leader: sent to it over the bus, or run
    /// here when this node is the one leading now.
    pub fn ask_again(&self) {
        let pending: Vec<(u64, Call)> = self
            .lock_waiting()
            .iter()
            .map(|(id, w)| (*id, w.call.clone()))
            .collect();
        for (id, call) in pending {
            if self.leads() {
                let _ = self.calls.send(Asked {
                    from: self.node.clone(),
                    id: Some(id),
                    call,
                });
            } else {
                self.hub.send_to_nodes(Wire::Ask { id: Some(id), call });
            }
        }
    }

    /// An operator's socket opened on this node.
    pub fn socket_opened(&self, me: &Me) {
        let mut local = self.lock_local();
        local.entry(me.member_id).or_insert_with(|| (me.clone(), 0)).1 += 1;
    }

    /// An operator's socket on this node closed.
    pub fn socket_closed(&self, member_id: i64) {
        let mut local = self.lock_local();
        if let Some(entry) = local.get_mut(&member_id) {
            entry.1 = entry.1.saturating_sub(1);
            if entry.1 == 0 {
                local.remove(&member_id);
            }
        }
    }

    /// What this node holds, as calls telling the leader so.
    pub fn attachments(&self) -> Vec<Call> {
        self.lock_local()
            .values()
            .map(|(me, sockets)| Call::Attach {
                me: me.clone(),
                node: self.node.clone(),
                sockets: *sockets,
            })
            .collect()
    }

    /// Keeps the operator's presence for the next leader (nothing on one node).
    pub fn save_presence(&self, presence: SavedPresence, term: i64) {
        if let Some(saving) = &self.saving {
            let _ = saving.send((presence, term));
        }
    }

    /// A routing write decided in this node's term was refused: another node's term has begun.
    /// The lead is checked at once (and given up) rather than at the next beat.
    pub fn recheck(&self) {
        self.recheck.notify_one();
    }

    /// The operators' presence as the last leader left it.
    pub async fn saved_presence(&self) -> Vec<SavedPresence> {
        let Some(pool) = &self.pool else { return Vec::new() };
        sqlx::query_as("SELECT * FROM operator_presence")
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "could not read the operators' presence");
                Vec::new()
            })
    }

    /// The nodes alive now, by their beats (the database's clock): those whose last beat is
    /// older than `dead_after` are removed first. `None` when the database cannot say.
    pub async fn live_nodes(&self) -> Option<Vec<String>> {
        let pool = self.pool.as_ref()?;
        // One statement: the rows it deletes are still in its snapshot, hence the NOT IN.
        let live = sqlx::query_scalar(
            "WITH dead AS (DELETE FROM cluster_nodes WHERE heartbeat_at < now() - make_interval(secs => $1) RETURNING node_id) \
             SELECT node_id FROM cluster_nodes WHERE node_id NOT IN (SELECT node_id FROM dead)",
        )
        .bind(self.timers.dead_after.as_secs_f64())
        .fetch_all(pool)
        .await;
        live.map_err(|e| tracing::warn!(error = %e, "could not look for dead nodes"))
            .ok()
    }

    /// This node is leaving (shutting down): it gives up the lead at once so another takes it.
    pub fn leave(&self) {
        self.left.store(true, Ordering::SeqCst);
        self.leaving.notify_one();
    }

    fn lock_waiting(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Waiting>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_local(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (Me, u32)>> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Calls and answers from the other nodes.
    async fn hear(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<(String, Wire)>) {
        while let Some((from, wire)) = rx.recv().await {
            match wire {
                Wire::Ask { id, call } if self.leads() => {
                    let _ = self.calls.send(Asked { from, id, call });
                }
                Wire::Answer { id, to, result } if to == self.node => self.answered(id, result),
                // Another node leads now: it learns what is here from this node, and gets the
                // calls the last leader did not answer.
                Wire::Leader { term } => {
                    tracing::info!(leader = %from, term, "another node leads routing");
                    for call in self.attachments() {
                        self.tell(call);
                    }
                    self.ask_again();
                }
                _ => {}
            }
        }
    }

    /// Shows every beat that this node is alive. A beat that finds the node's row gone (the
    /// leader counted it dead while it was frozen or cut off) tells the leader again what
    /// sockets are here.
    async fn beat(self: Arc<Self>, pool: PgPool) {
        let mut ticker = tokio::time::interval(self.timers.beat);
        loop {
            ticker.tick().await;
            if self.left.load(Ordering::SeqCst) {
                let _ = sqlx::query("DELETE FROM cluster_nodes WHERE node_id = $1")
                    .bind(&self.node)
                    .execute(&pool)
                    .await;
                return;
            }
            let beat = sqlx::query_scalar::<_, bool>(
                "INSERT INTO cluster_nodes (node_id) VALUES ($1) \
                 ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = now() RETURNING (xmax = 0)",
            )
            .bind(&self.node)
            .fetch_one(&pool)
            .await;
            match beat {
                Ok(true) if !self.leads() => {
                    for call in self.attachments() {
                        self.tell(call);
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not show this node is alive"),
            }
        }
    }

    /// Competes for the lead, leads while the lock holds, and steps down when it does not.
    async fn elect(self: Arc<Self>, url: String) {
        let beat = self.timers.beat;
        loop {
            if self.left.load(Ordering::SeqCst) {
                return;
            }
            let mut conn = match sqlx::postgres::PgConnection::connect(&url).await {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "could not connect to compete for the routing lead");
                    tokio::time::sleep(beat).await;
                    continue;
                }
            };
            // A frozen leader's session ends by itself once idle that long, which frees the
            // lock; a follower's wait for the lock is cut at the same bound and started again,
            // so a connection that died under it is noticed.
            let bound = self.timers.dead_after.as_millis();
            for set in [
                format!("SET idle_session_timeout = {bound}"),
                format!("SET lock_timeout = {bound}"),
            ] {
                if let Err(e) = sqlx::query(&set).execute(&mut conn).await {
                    tracing::warn!(error = %e, "could not set the lead connection's timeouts");
                }
            }
            // Follow: wait for the lock, which PostgreSQL grants the moment the leader lets go
            // of it or its session ends (a leader stopping, dying or frozen past the bound).
            let term = loop {
                if self.left.load(Ordering::SeqCst) {
                    return;
                }
                let took = tokio::select! {
                    took = sqlx::query("SELECT pg_advisory_lock($1)").bind(LEAD_LOCK).execute(&mut conn) => took,
                    _ = self.leaving.notified() => return,
                };
                match took {
                    Ok(_) => {}
                    // Waited as long as the bound: wait again.
                    Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the connection waiting for the routing lead");
                        break None;
                    }
                }
                let bumped = sqlx::query_scalar::<_, i64>(
                    "UPDATE router_lease SET term = term + 1, holder = $1, acquired_at = now() WHERE id = 1 RETURNING term",
                )
                .bind(&self.node)
                .fetch_one(&mut conn)
                .await;
                match bumped {
                    Ok(term) => break Some(term),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not take the routing lead's term");
                        break None;
                    }
                }
            };
            let Some(term) = term else {
                tokio::time::sleep(beat).await;
                continue;
            };
            tracing::info!(term, node = %self.node, "this node leads routing");
            self.leading.send_replace(Some(term));
            self.hub.send_to_nodes(Wire::Leader { term });
            // Lead while the connection answers and the term is still ours.
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(beat) => {}
                    _ = self.recheck.notified() => {}
                    _ = self.leaving.notified() => {
                        self.leading.send_replace(None);
                        let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(LEAD_LOCK).execute(&mut conn).await;
                        tracing::info!(term, "gave up the routing lead on leaving");
                        return;
                    }
                }
                // A slow answer (a busy machine) is not a lost lead: only one slower than half
                // the bound, by which time the database may be about to end the session.
                let held = tokio::time::timeout(
                    self.timers.dead_after / 2,
                    sqlx::query_scalar::<_, i64>("SELECT term FROM router_lease WHERE id = 1").fetch_one(&mut conn),
                )
                .await;
                match held {
                    Ok(Ok(now)) if now == term => {}
                    Ok(Ok(now)) => {
                        tracing::warn!(term, now, "stale term, stepping down: another node leads routing");
                        break;
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, term, "lost the connection holding the routing lead; stepping down");
                        break;
                    }
                    Err(_) => {
                        tracing::warn!(
                            term,
                            "the connection holding the routing lead stopped answering; stepping down"
                        );
                        break;
                    }
                }
            }
            self.leading.send_replace(None);
        }
    }
}

/// Writes presence in the order it changed, the latest of each member when several wait, each
/// fenced by the term of the leader that saw it (a leader whose term has passed saves nothing).
async fn save_presence(pool: PgPool, mut rx: mpsc::UnboundedReceiver<(SavedPresence, i64)>) {
    while let Some(first) = rx.recv().await {
        let mut latest: HashMap<i64, (SavedPresence, i64)> = HashMap::from([(first.0.member_id, first)]);
        while let Ok(next) = rx.try_recv() {
            latest.insert(next.0.member_id, next);
        }
        for (p, term) in latest.into_values() {
            let saved = sqlx::query(
                "INSERT INTO operator_presence (member_id, workspace_id, name, status, live_ids, since_ms, live_since_ms) \
                 SELECT $1, $2, $3, $4, $5, $6, $7 WHERE $8 = (SELECT term FROM router_lease WHERE id = 1 FOR SHARE) \
                 ON CONFLICT (member_id) DO UPDATE SET status = $4, live_ids = $5, since_ms = $6, live_since_ms = $7, name = $3",
            )
            .bind(p.member_id)
            .bind(p.workspace_id)
            .bind(&p.name)
            .bind(&p.status)
            .bind(&p.live_ids)
            .bind(p.since_ms)
            .bind(p.live_since_ms)
            .bind(term)
            .execute(&pool)
            .await;
            match saved {
                Ok(done) if done.rows_affected() == 0 => {
                    tracing::warn!(
                        term,
                        member_id = p.member_id,
                        "presence not saved: another node's term has begun"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not save an operator's presence for the next leader"),
            }
        }
    }
}
