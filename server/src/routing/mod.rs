//! Routing: the conversations that need a person, over the members' presence
//! (`crate::presence`). `policy.rs` decides who may and who should take a conversation (pure
//! functions), `queue.rs` keeps the waiting lines and the offers (pure state), and the `Router`
//! here applies them. State lives in memory (one lock, never held across an await), so a
//! decision costs no database round trip; the database records the outcomes.
//!
//! It learns of conversation changes (escalated, claimed, released, a waiting visitor wrote)
//! from the conversation service over a channel, and of operators from their sockets: connect,
//! disconnect, status, going live, accepting and declining offers. Routing calls the
//! conversation service; the conversation service never calls routing. A ticker expires offers and clears the presence
//! of operators whose sockets have been gone longer than the workspace's disconnect timeout.
//!
//! This file is the engine: the state, the start, the conversation changes and the routing
//! decision with its queue. The `Router`'s other methods live by what they serve: `live.rs`
//! (operators' presence, seats and the live board), `offers.rs` (accepting, declining and
//! expiring offers), `transfer.rs` (moving a conversation to someone else) and `settings.rs`
//! (what routing follows when settings, groups, rights or qualifications change).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::events::VisitorEvent;
use app::lifecycle::Status;
use app::live::{LiveBoard, SessionView};
use app::AppError;
use tokio::sync::mpsc;

use crate::conversations::{Change, Conversations};
use crate::hub::{Event, Hub, Topic};
use crate::presence::{Presence, Present};

mod calls;
mod live;
mod nodes;
mod offers;
pub mod policy;
pub mod queue;
mod settings;
mod silence;
mod transfer;

use crate::cluster::{Asked, Cluster};
use crate::store::{Gate, Holder, Store};
pub use calls::Call;
pub use policy::{choose, eligible, pool, Need, Operator};
use queue::{Lines, Offer, Queued};

/// How often offers and presence timeouts are checked.
const TICK: Duration = Duration::from_millis(250);

#[derive(Default)]
struct State {
    presence: Presence,
    gates: HashMap<i64, Gate>,
    /// The waiting lines, one per workflow.
    lines: Lines,
    offers: HashMap<i64, Offer>,
    sessions: HashMap<i64, SessionView>,
    workflow_names: HashMap<i64, String>,
    /// Transfers: the operators a conversation may go to next.
    restrict: HashMap<i64, Vec<i64>>,
    /// Queued conversations of silent-handoff workflows: their customers are not told their
    /// place in line.
    quiet: std::collections::HashSet<i64>,
    /// Operators a conversation's next offer must pass over (its silent operator).
    avoid: HashMap<i64, Vec<i64>>,
    /// When silent operators were last looked for.
    silence_checked: Option<Instant>,
    /// Queued conversations supervisors were alerted of (once each while they wait).
    alerted: std::collections::HashSet<i64>,
    /// The latest plan change routing has followed (Unix ms).
    plans_seen: i64,
    /// When dead nodes were last looked for, and waiting conversations last rescanned
    /// (several nodes only).
    cluster_checked: Option<Instant>,
    rescanned: Option<Instant>,
    /// The term this node leads routing in (several nodes: every routing write names it).
    term: Option<i64>,
}

impl State {
    fn flags_on(&self, workspace_id: i64) -> bool {
        self.gates
            .get(&workspace_id)
            .is_some_and(|g| g.operator_enabled && g.presence_enabled)
    }

    /// The names of the workflows the member may go live on, for the queue views.
    fn know_workflows(&mut self, member_id: i64) {
        if let Some(p) = self.presence.members.get(&member_id) {
            for w in &p.available {
                self.workflow_names.insert(w.id, w.name.clone());
            }
        }
    }

    /// Seats go to those live longest; recomputed when someone goes live or seats change.
    fn assign_seats(&mut self, workspace_id: i64) {
        let seats = self.gates.get(&workspace_id).map_or(0, |g| g.seats);
        self.presence.assign_seats(workspace_id, seats);
    }

    fn board(&self, workspace_id: i64) -> LiveBoard {
        let operators = self.presence.board(workspace_id);
        let queue = self.lines.views(workspace_id, &self.workflow_names);
        let mut sessions: Vec<SessionView> = self
            .sessions
            .values()
            .filter(|s| {
                self.presence
                    .get(s.member_id)
                    .is_some_and(|o| o.workspace_id == workspace_id)
            })
            .cloned()
            .collect();
        sessions.sort_by_key(|s| s.since_ms);
        LiveBoard {
            operators,
            queue,
            sessions,
        }
    }
}

pub struct Router {
    store: Store,
    hub: Arc<Hub>,
    conversations: Arc<Conversations>,
    /// Whether this node leads routing, and the way to the leader when it does not.
    cluster: Arc<Cluster>,
    state: Mutex<State>,
    /// Plans are followed one round at a time (`follow_plans`).
    plans: tokio::sync::Mutex<()>,
    /// Offers are written one at a time, each as routing holds it then (`write_offer`).
    offer_writes: tokio::sync::Mutex<()>,
}

fn encode<T: serde::Serialize>(value: &T) -> Arc<str> {
    Arc::from(serde_json::to_string(value).expect("events serialise"))
}

fn now_ms() -> i64 {
    crate::store::now_ms()
}

/// Whether a conversation put in the queue tells its visitor their place in line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Notify {
    Visitor,
    /// They were told before the restart that queues it again.
    Quietly,
}

/// What a routing decision produced, to be told after the lock is released.
enum Decision {
    Offered { to: Vec<i64> },
    Queued,
    Nothing,
}

impl Router {
    /// Starts the router: it follows conversation changes, calls from the other nodes and
    /// ticks until the process ends, deciding while this node leads and sending what it hears
    /// to the leader while another does.
    pub fn start(
        store: Store,
        hub: Arc<Hub>,
        conversations: Arc<Conversations>,
        mut changes: mpsc::UnboundedReceiver<Change>,
        cluster: Arc<Cluster>,
        mut calls: mpsc::UnboundedReceiver<Asked>,
    ) -> Arc<Router> {
        let router = Arc::new(Router {
            store,
            hub,
            conversations,
            cluster,
            state: Mutex::new(State {
                plans_seen: now_ms(),
                ..State::default()
            }),
            plans: tokio::sync::Mutex::new(()),
            offer_writes: tokio::sync::Mutex::new(()),
        });
        let this = router.clone();
        tokio::spawn(async move {
            let mut leading = this.cluster.leading();
            let term = *leading.borrow_and_update();
            this.lead_changed(term).await;
            let mut ticker = tokio::time::interval(TICK);
            loop {
                tokio::select! {
                    change = changes.recv() => match change {
                        Some(c) if this.cluster.leads() => this.on_change(c).await,
                        Some(c) => this.cluster.tell(Call::Change(c)),
                        None => break,
                    },
                    asked = calls.recv() => match asked {
                        // Changes are followed in the order they come, as this node's own.
                        Some(Asked { call: Call::Change(c), .. }) => this.on_change(c).await,
                        Some(Asked { from, id, call }) => {
                            let router = this.clone();
                            tokio::spawn(async move {
                                let result = router.dispatch(call).await;
                                if let Some(id) = id {
                                    router.cluster.answer(from, id, result);
                                }
                            });
                        }
                        None => break,
                    },
                    changed = leading.changed() => {
                        if changed.is_err() {
                            break;
                        }
                        let term = *leading.borrow_and_update();
                        this.lead_changed(term).await;
                    }
                    _ = ticker.tick() => if this.cluster.leads() {
                        this.tick().await
                    },
                }
            }
        });
        router
    }

    /// This node took the lead (`Some(term)`) or lost it. A new leader starts from what the
    /// database says: the operators' presence as the last leader left it (their sockets are
    /// told by the nodes that hold them), the conversations waiting for a person, and who holds
    /// which. A node that lost the lead forgets routing's state: the next leader has it.
    async fn lead_changed(&self, term: Option<i64>) {
        *self.lock() = State {
            plans_seen: now_ms(),
            term,
            ..State::default()
        };
        let Some(term) = term else {
            tracing::info!("routing's state dropped: another node leads");
            return;
        };
        // What the assistant had not answered when the last leader (or this process before a
        // restart) stopped.
        let answering = self.conversations.clone();
        tokio::spawn(async move {
            if let Err(e) = answering.answer_unanswered().await {
                tracing::error!(error = %e, "could not look for unanswered visitors");
            }
        });
        if self.cluster.is_shared() {
            self.restore_presence().await;
            for call in self.cluster.attachments() {
                if let Call::Attach { me, node, sockets } = call {
                    if let Err(e) = self.attach(&me, &node, sockets).await {
                        tracing::warn!(error = %e, "could not count this node's own sockets");
                    }
                }
            }
            tracing::info!(term, "routing state rebuilt from the database");
        }
        self.adopt_offers().await;
        self.restore_queues().await;
        // What this node asked of the last leader and never heard back on.
        self.cluster.ask_again();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the conversation waits in a queue (the assistant keeps answering meanwhile).
    pub fn is_queued(&self, conversation_id: i64) -> bool {
        self.lock().lines.contains(conversation_id)
    }

    /// After a restart: conversations that were waiting for a person go back in line.
    /// After a start: the conversations waiting for a person go back in their queues in the
    /// order they escalated (their visitors were told their place already: no second notice),
    /// and operators who hold conversations count as disconnected since now, so that one who
    /// does not come back within the workspace's timeout has them handed on.
    async fn restore_queues(&self) {
        if let Ok(holding) = self.store.members_holding_conversations().await {
            for Holder {
                member_id,
                workspace_id,
                name,
            } in holding
            {
                let Ok(gate) = self.gate(workspace_id).await else {
                    continue;
                };
                let load: HashSet<i64> = self
                    .store
                    .assigned_open(member_id)
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                let own_limit = self.store.member_chat_limit(member_id).await.unwrap_or(None);
                let limit = own_limit.unwrap_or(gate.default_chat_limit).max(1) as u32;
                let mut s = self.lock();
                s.presence.members.entry(member_id).or_insert_with(|| Present {
                    gone_since: Some(Instant::now()),
                    load,
                    ..Present::offline(workspace_id, name, limit, own_limit, now_ms())
                });
            }
        }
        let Ok(waiting) = self.store.waiting_unassigned().await else {
            return;
        };
        for conversation_id in waiting {
            // Offered already: the offer stands (`adopt_offers`).
            if !self.lock().offers.contains_key(&conversation_id) {
                self.route_with(conversation_id, Notify::Quietly).await;
            }
        }
    }

    async fn gate(&self, workspace_id: i64) -> Result<Gate, AppError> {
        let gate = self.store.gate(workspace_id).await?;
        self.lock().gates.insert(workspace_id, gate.clone());
        Ok(gate)
    }

    async fn on_change(&self, change: Change) {
        match change {
            Change::Escalated {
                conversation_id,
                group_id,
            } => {
                // Handed to a group: only its members are offered it (as after a transfer).
                if let Some(group) = group_id {
                    let workspace = self
                        .store
                        .conversation(conversation_id)
                        .await
                        .ok()
                        .flatten()
                        .map(|c| c.workspace_id);
                    if let Some(members) = match workspace {
                        Some(w) => self.store.group_member_ids(w, group).await.ok(),
                        None => None,
                    } {
                        self.lock().restrict.insert(conversation_id, members);
                    }
                }
                // Already offered (a rescan found it first, or it escalated again): the offer
                // stands.
                if self.lock().offers.contains_key(&conversation_id) {
                    return;
                }
                self.route(conversation_id).await
            }
            // The assistant keeps a queued visitor company; an offered conversation waits for
            // the person it is offered to.
            Change::VisitorWaiting {
                conversation_id,
                workflow_id,
            } => {
                if self.is_queued(conversation_id) {
                    self.conversations.answer_in_queue(conversation_id, workflow_id).await;
                }
            }
            Change::Claimed {
                conversation_id,
                member_id,
            } => {
                let summary = self.store.conversation_summary(conversation_id).await.ok().flatten();
                let record = self.store.conversation(conversation_id).await.ok().flatten();
                let (closed, workspace) = {
                    let mut s = self.lock();
                    let closed = s.offers.remove(&conversation_id).map(|o| o.to).unwrap_or_default();
                    s.lines.remove(conversation_id);
                    s.restrict.remove(&conversation_id);
                    if let Some(o) = s.presence.get_mut(member_id) {
                        o.load.insert(conversation_id);
                        o.last_assigned_ms = now_ms();
                    }
                    if let Some(summary) = &summary {
                        s.sessions.insert(
                            conversation_id,
                            SessionView {
                                conversation_id,
                                member_id,
                                operator: summary.assignee.clone().unwrap_or_default(),
                                contact: summary.contact_name.clone(),
                                since_ms: now_ms(),
                            },
                        );
                    }
                    (closed, record.as_ref().map(|r| r.workspace_id))
                };
                if let Some(ws) = workspace {
                    let _ = self.store.end_operator_session(conversation_id, "transferred").await;
                    if let Err(e) = self.store.open_operator_session(ws, conversation_id, member_id).await {
                        tracing::error!(error = %e, "could not record the operator session");
                    }
                    self.tell_offer_closed(&closed, conversation_id);
                    self.tell_member(member_id);
                    self.tell_positions(ws);
                    self.tell_workspace(ws);
                }
            }
            Change::Released {
                conversation_id,
                member_id,
                outcome,
            } => {
                let _ = self.store.end_operator_session(conversation_id, &outcome).await;
                let workspace = {
                    let mut s = self.lock();
                    s.sessions.remove(&conversation_id);
                    s.lines.remove(conversation_id);
                    // A transfer or a silent operator's hand-over ends here too: the next time
                    // it needs a person, it goes as any conversation would.
                    s.restrict.remove(&conversation_id);
                    s.avoid.remove(&conversation_id);
                    let offered = s.offers.remove(&conversation_id).map(|o| o.to).unwrap_or_default();
                    let ws = member_id.and_then(|m| s.presence.get_mut(m)).map(|o| {
                        o.load.remove(&conversation_id);
                        o.workspace_id
                    });
                    drop(s);
                    self.tell_offer_closed(&offered, conversation_id);
                    ws
                };
                if let Some(m) = member_id {
                    self.tell_member(m);
                }
                if let Some(ws) = workspace {
                    self.tell_workspace(ws);
                    self.drain(ws).await;
                }
            }
        }
    }

    /// Finds someone for a conversation that needs a person, or puts it in the queue (telling
    /// the visitor their place in line).
    pub async fn route(&self, conversation_id: i64) {
        self.route_with(conversation_id, Notify::Visitor).await
    }

    async fn route_with(&self, conversation_id: i64, notify: Notify) {
        let Ok(Some(c)) = self.store.conversation(conversation_id).await else {
            return;
        };
        if c.assignee_id.is_some() || c.status == Status::Resolved {
            return;
        }
        let Ok(Some(workflow)) = self.store.workflow(c.workflow_id).await else {
            return;
        };
        if !workflow.live_routing {
            return;
        }
        if self.gate(c.workspace_id).await.is_err() {
            return;
        }
        let (decision, was_offered) = {
            let mut s = self.lock();
            s.workflow_names.insert(workflow.id, workflow.name.clone());
            let previous = s.offers.remove(&conversation_id);
            let was_offered = previous.is_some();
            let mut passed = previous.map(|o| o.passed_over).unwrap_or_default();
            let queued = s.lines.remove(conversation_id).map(|(_, q)| q);
            if let Some(q) = &queued {
                passed.extend(q.passed_over.iter().copied());
            }
            if let Some(avoid) = s.avoid.remove(&conversation_id) {
                passed.extend(avoid);
            }
            let only = s.restrict.get(&conversation_id).cloned();
            let flags = s.flags_on(c.workspace_id);
            let pick = |s: &State, only: Option<&[i64]>| -> Vec<i64> {
                let need = Need {
                    workflow_id: workflow.id,
                    requires_qualification: workflow.requires_qualification,
                    passed_over: &passed,
                    only,
                };
                if workflow.routing_mode == "pooled" || only.is_some_and(|o| o.len() > 1) {
                    pool(s.presence.candidates(c.workspace_id), &need, flags)
                } else {
                    choose(s.presence.candidates(c.workspace_id), &need, flags)
                        .into_iter()
                        .collect()
                }
            };
            let mut to = pick(&s, only.as_deref());
            if to.is_empty() && only.is_some() {
                // The transfer's target cannot take it (any more): anyone eligible may.
                s.restrict.remove(&conversation_id);
                to = pick(&s, None);
            }
            if to.is_empty() {
                let since = queued.as_ref().map(|q| q.since_ms).unwrap_or_else(now_ms);
                let was_queued = queued.is_some();
                s.lines.insert(
                    workflow.id,
                    Queued {
                        conversation_id,
                        workspace_id: c.workspace_id,
                        since_ms: since,
                        passed_over: vec![],
                    },
                );
                let decision = if was_queued {
                    Decision::Nothing
                } else {
                    Decision::Queued
                };
                (decision, was_offered)
            } else {
                let pooled = workflow.routing_mode == "pooled";
                s.offers.insert(
                    conversation_id,
                    Offer {
                        workflow_id: workflow.id,
                        to: to.clone(),
                        expires: (!pooled).then(|| {
                            Instant::now() + Duration::from_secs(workflow.accept_timeout_secs.clamp(1, 3600) as u64)
                        }),
                        passed_over: passed,
                    },
                );
                (Decision::Offered { to }, was_offered)
            }
        };
        // Written before anyone is told: a leader whose term has passed offers nothing.
        let offering = matches!(decision, Decision::Offered { .. });
        if offering || was_offered {
            let written = self.write_offer(conversation_id).await;
            if offering && !written {
                return;
            }
        }
        match decision {
            Decision::Offered { to } => {
                self.tell_offer(conversation_id, &workflow, &to).await;
                tracing::info!(conversation_id, offered_to = ?to, "offered");
            }
            Decision::Queued if notify == Notify::Quietly => {
                tracing::info!(conversation_id, "queued again after a restart");
            }
            Decision::Queued if workflow.silent_handoff => {
                // The customer is not told of a silent handoff, nor of their place in line.
                self.lock().quiet.insert(conversation_id);
                let position = self.position(conversation_id).unwrap_or(1);
                let text = format!("Nobody is available: number {position} in line (the customer was not told).");
                if let Ok(m) = self.store.append_internal_note(conversation_id, &text).await {
                    self.conversations.publish_message(&m.message);
                }
                tracing::info!(conversation_id, "queued quietly: nobody available");
            }
            Decision::Queued => {
                let position = self.position(conversation_id);
                let text = format!(
                    "All of our team are busy right now. You are number {} in line; our assistant will keep helping you meanwhile.",
                    position.unwrap_or(1)
                );
                if let Ok(m) = self.store.append_notice(conversation_id, &text).await {
                    self.conversations.publish_message(&m.message);
                }
                tracing::info!(conversation_id, "queued: nobody available");
            }
            Decision::Nothing => {}
        }
        self.tell_positions(c.workspace_id);
        self.tell_workspace(c.workspace_id);
    }

    fn position(&self, conversation_id: i64) -> Option<u32> {
        self.lock().lines.position(conversation_id)
    }

    /// Tries the head of each queue of the workspace while someone can take it.
    async fn drain(&self, workspace_id: i64) {
        loop {
            let heads = self.lock().lines.heads(workspace_id);
            let mut progressed = false;
            for c in heads {
                self.route(c).await;
                if !self.lock().lines.contains(c) {
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
    }

    /// Every `TICK`: offers nobody accepted in time go to the next operator, and operators
    /// gone longer than their workspace's timeout lose their presence.
    async fn tick(&self) {
        let now = Instant::now();
        if self.cluster.is_shared() {
            self.keep_cluster(now).await;
        }
        self.expire_offers(now).await;
        self.clear_gone(now).await;
        self.reassign_silent(now).await;
    }

    /// Every queued visitor of the workspace learns their place.
    fn tell_positions(&self, workspace_id: i64) {
        let positions = {
            let mut s = self.lock();
            let s = &mut *s;
            s.quiet.retain(|c| s.lines.contains(*c));
            let quiet = &s.quiet;
            s.lines
                .positions(workspace_id)
                .into_iter()
                .filter(|(c, _)| !quiet.contains(c))
                .collect::<Vec<_>>()
        };
        for (c, position) in positions {
            self.hub.publish(
                Topic::Conversation(c),
                &Event {
                    for_visitors: Some(encode(&VisitorEvent::Queue { position })),
                    ..Default::default()
                },
            );
        }
    }
}
