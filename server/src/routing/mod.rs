//! Routing: the conversations that need a person, over the members' presence
//! (`crate::presence`). `policy.rs` decides who may and who should take a conversation (pure
//! functions), `queue.rs` keeps the waiting lines and the offers (pure state), and the `Router`
//! here applies them. State lives in memory (one lock, never held across an await), so a
//! decision costs no database round trip; the database records the outcomes.
//!
//! It learns of conversation changes (escalated, claimed, released) from the conversation
//! service over a channel, and of operators from their sockets: connect, disconnect, status,
//! going live, accepting and declining offers. A ticker expires offers and clears the presence
//! of operators whose sockets have been gone longer than the workspace's disconnect timeout.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::events::{OperatorEvent, VisitorEvent};
use app::inbox::ConversationSummary;
use app::lifecycle::Status;
use app::live::{LiveBoard, MyPresence, OfferView, OperatorStatus, SessionView};
use app::{AppError, Me, Scope};
use tokio::sync::mpsc;

use crate::conversations::{Change, Conversations};
use crate::hub::{Event, Hub, Topic};
use crate::presence::{Presence, Present};

mod console;
pub mod policy;
pub mod queue;

use crate::store::{Gate, Store};
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
}

impl State {
    fn flags_on(&self, workspace_id: i64) -> bool {
        self.gates
            .get(&workspace_id)
            .is_some_and(|g| g.operator_enabled && g.presence_enabled)
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
    state: Mutex<State>,
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
    /// Starts the router: it follows conversation changes and ticks until the process ends.
    pub fn start(
        store: Store,
        hub: Arc<Hub>,
        conversations: Arc<Conversations>,
        mut changes: mpsc::UnboundedReceiver<Change>,
    ) -> Arc<Router> {
        let router = Arc::new(Router {
            store,
            hub,
            conversations,
            state: Mutex::new(State::default()),
        });
        let this = router.clone();
        tokio::spawn(async move {
            this.restore_queues().await;
            let mut ticker = tokio::time::interval(TICK);
            loop {
                tokio::select! {
                    change = changes.recv() => match change {
                        Some(c) => this.on_change(c).await,
                        None => break,
                    },
                    _ = ticker.tick() => this.tick().await,
                }
            }
        });
        router
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
            for (member_id, workspace_id, name) in holding {
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
        for (conversation_id, _, _) in waiting {
            self.route_with(conversation_id, Notify::Quietly).await;
        }
    }

    async fn gate(&self, workspace_id: i64) -> Result<Gate, AppError> {
        let gate = self.store.gate(workspace_id).await?;
        self.lock().gates.insert(workspace_id, gate.clone());
        Ok(gate)
    }

    /// Settings changed: routing follows the new flags, seats and limits at once.
    pub async fn workspace_changed(&self, workspace_id: i64) {
        if let Ok(gate) = self.gate(workspace_id).await {
            {
                let mut s = self.lock();
                for (_, o) in s.presence.of_mut(workspace_id) {
                    o.limit = o.own_limit.unwrap_or(gate.default_chat_limit).max(1) as u32;
                }
                if !(gate.operator_enabled && gate.presence_enabled) {
                    for (_, o) in s.presence.of_mut(workspace_id) {
                        o.live.clear();
                        o.status = OperatorStatus::Offline;
                    }
                }
                s.assign_seats(workspace_id);
            }
            self.tell_workspace(workspace_id);
            self.drain(workspace_id).await;
        }
    }

    /// An operator's socket opened. Several tabs are one presence.
    pub async fn connect(&self, me: &Me) -> Result<(), AppError> {
        let gate = self.gate(me.workspace_id).await?;
        let available = self.store.group_workflows(me.member_id).await?;
        let own_limit = self.store.member_chat_limit(me.member_id).await?;
        let load: HashSet<i64> = self.store.assigned_open(me.member_id).await?.into_iter().collect();
        let qualified = self.store.qualified_workflows(me.member_id).await?;
        {
            let mut s = self.lock();
            for w in &available {
                s.workflow_names.insert(w.id, w.name.clone());
            }
            let limit = own_limit.unwrap_or(gate.default_chat_limit).max(1) as u32;
            let entry = s
                .presence
                .members
                .entry(me.member_id)
                .or_insert_with(|| Present::offline(me.workspace_id, me.name.clone(), limit, own_limit, now_ms()));
            entry.sockets += 1;
            entry.gone_since = None;
            entry.available = available;
            entry.qualified = qualified;
            entry.limit = limit;
            entry.own_limit = own_limit;
            entry.load.extend(load);
        }
        self.tell_member(me.member_id);
        self.tell_workspace(me.workspace_id);
        Ok(())
    }

    /// An operator's socket closed; after the workspace's timeout with none open, their
    /// presence is cleared (see `tick`).
    pub fn disconnect(&self, member_id: i64) {
        let workspace = {
            let mut s = self.lock();
            let Some(o) = s.presence.get_mut(member_id) else {
                return;
            };
            o.sockets = o.sockets.saturating_sub(1);
            if o.sockets == 0 {
                o.gone_since = Some(Instant::now());
            }
            o.workspace_id
        };
        self.tell_workspace(workspace);
    }

    pub async fn set_status(&self, me: &Me, status: OperatorStatus) -> Result<(), AppError> {
        {
            let mut s = self.lock();
            let o = s.presence.get_mut(me.member_id).ok_or(AppError::Unauthenticated)?;
            if status != OperatorStatus::Offline && o.live.is_empty() {
                return Err(AppError::Conflict("Go live on at least one workflow first.".into()));
            }
            if o.status != status {
                o.status = status;
                o.since_ms = now_ms();
            }
            if status == OperatorStatus::Offline {
                o.live.clear();
            }
            s.assign_seats(me.workspace_id);
        }
        self.tell_member(me.member_id);
        self.tell_workspace(me.workspace_id);
        if status == OperatorStatus::Online {
            self.drain(me.workspace_id).await;
        } else {
            self.withdraw_offers_of(me.member_id, None).await;
        }
        Ok(())
    }

    /// Goes live on the workflows, which must be among those of the operator's groups, within
    /// the workspace's flags and seats.
    pub async fn go_live(&self, me: &Me, workflow_ids: &[i64]) -> Result<(), AppError> {
        if !me.can(Scope::OperatorWrite) {
            return Err(AppError::forbidden("go live"));
        }
        let gate = self.gate(me.workspace_id).await?;
        if !gate.operator_enabled {
            return Err(AppError::Conflict(
                "Operators are turned off for this workspace; an admin can turn them on in Settings.".into(),
            ));
        }
        if !gate.presence_enabled {
            return Err(AppError::Conflict(
                "Live presence is turned off for this workspace; an admin can turn it on in Settings.".into(),
            ));
        }
        if workflow_ids.is_empty() {
            return Err(AppError::invalid(
                "Workflows",
                "choose at least one workflow to go live on",
            ));
        }
        let available = self.store.group_workflows(me.member_id).await?;
        let qualified = self.store.qualified_workflows(me.member_id).await?;
        let mut chosen = Vec::new();
        for id in workflow_ids {
            let Some(w) = available.iter().find(|w| w.id == *id) else {
                return Err(AppError::forbidden(
                    "go live on a workflow outside your operator groups",
                ));
            };
            let record = self
                .store
                .workflow(*id)
                .await?
                .ok_or_else(|| AppError::not_found("That workflow"))?;
            if record.requires_qualification && !qualified.contains(id) {
                return Err(AppError::Conflict(format!(
                    "{} requires a qualification you do not have yet: practise it under Qualifications and a reviewer will grant it.",
                    w.name
                )));
            }
            chosen.push(w.clone());
        }
        {
            let mut s = self.lock();
            if s.presence.live_others(me.workspace_id, me.member_id) >= gate.seats {
                return Err(AppError::Conflict(format!(
                    "All {} human-agent seats of this workspace are in use. An admin can add seats in Settings.",
                    gate.seats
                )));
            }
            let o = s.presence.get_mut(me.member_id).ok_or(AppError::Unauthenticated)?;
            if o.live.is_empty() {
                o.live_since_ms = now_ms();
            }
            o.live = chosen;
            o.available = available;
            o.qualified = qualified;
            if o.status != OperatorStatus::Online {
                o.status = OperatorStatus::Online;
                o.since_ms = now_ms();
            }
            s.assign_seats(me.workspace_id);
        }
        tracing::info!(member_id = me.member_id, workflows = ?workflow_ids, "went live");
        self.tell_member(me.member_id);
        self.tell_workspace(me.workspace_id);
        self.drain(me.workspace_id).await;
        Ok(())
    }

    pub async fn go_offline(&self, me: &Me) -> Result<(), AppError> {
        self.set_status(me, OperatorStatus::Offline).await?;
        let reroute = self
            .gate(me.workspace_id)
            .await
            .map(|g| g.reroute_on_disconnect)
            .unwrap_or(true);
        if reroute {
            self.hand_back_conversations(
                me.member_id,
                &format!(
                    "{} went offline; the conversation goes to the next available operator.",
                    me.name
                ),
            )
            .await;
        }
        Ok(())
    }

    /// A person answers customers only in one of the workspace's human-agent seats. Live
    /// operators hold them (those live longest first); a member who is not live may take over
    /// or reply while a seat is free.
    /// Operators must be turned on in the workspace's settings, too. Answers from memory (the
    /// settings are re-read whenever they change): this is on every reply's path.
    pub async fn require_seat(&self, me: &Me) -> Result<(), AppError> {
        let cached = self.lock().gates.get(&me.workspace_id).cloned();
        let gate = match cached {
            Some(gate) => gate,
            None => self.gate(me.workspace_id).await?,
        };
        if !gate.operator_enabled {
            return Err(AppError::Conflict(
                "Operators are turned off for this workspace; an admin can turn them on in Settings.".into(),
            ));
        }
        if self.lock().presence.seat_for(me.workspace_id, me.member_id, gate.seats) {
            return Ok(());
        }
        Err(AppError::Conflict(format!(
            "No human-agent seat is free in this workspace ({} in use). An admin can add seats in Settings.",
            gate.seats
        )))
    }

    /// Accepts an offer: the conversation becomes the operator's, atomically.
    pub async fn accept(&self, me: &Me, conversation_id: i64) -> Result<ConversationSummary, AppError> {
        let offered = self
            .lock()
            .offers
            .get(&conversation_id)
            .is_some_and(|o| o.to.contains(&me.member_id));
        if !offered {
            return Err(AppError::Conflict(
                "This conversation is no longer offered to you.".into(),
            ));
        }
        self.conversations.take_over(me, conversation_id).await
    }

    pub async fn decline(&self, me: &Me, conversation_id: i64) -> Result<(), AppError> {
        let reroute = {
            let mut s = self.lock();
            match s.offers.get_mut(&conversation_id) {
                Some(o) if o.to.contains(&me.member_id) => {
                    o.to.retain(|m| *m != me.member_id);
                    o.passed_over.push(me.member_id);
                    o.to.is_empty()
                }
                _ => {
                    return Err(AppError::Conflict(
                        "This conversation is no longer offered to you.".into(),
                    ))
                }
            }
        };
        self.tell_offer_closed(&[me.member_id], conversation_id);
        if reroute {
            self.route(conversation_id).await;
        }
        Ok(())
    }

    /// Moves a conversation to another operator or to an operator group, with a note for the
    /// team. The one handling it, or a supervisor, may do so. A named operator must be
    /// available now; a group's conversation goes to its available members, or waits in the
    /// queue for anyone.
    pub async fn transfer(
        &self,
        me: &Me,
        conversation_id: i64,
        to_member: Option<i64>,
        to_group: Option<i64>,
        note: &str,
    ) -> Result<(), AppError> {
        let c = self.conversations.access(me, conversation_id).await?;
        if !me.can(Scope::OperatorWrite) {
            return Err(AppError::forbidden("transfer conversations"));
        }
        if c.assignee_id != Some(me.member_id) && !me.can(Scope::ConversationsReadAll) {
            return Err(AppError::Conflict(
                "Only the operator handling this conversation, or a supervisor, can transfer it.".into(),
            ));
        }
        if c.status == Status::Resolved {
            return Err(AppError::Conflict(
                "This conversation is resolved; there is nothing to transfer.".into(),
            ));
        }
        let note = note.trim();
        if note.chars().count() > 1000 {
            return Err(AppError::invalid("Note", "must be at most 1000 characters"));
        }
        let (targets, target_name) = match (to_member, to_group) {
            (Some(m), None) => {
                if m == me.member_id {
                    return Err(AppError::invalid("Transfer to", "choose someone other than yourself"));
                }
                let s = self.lock();
                let o = s.presence.get(m).filter(|o| o.workspace_id == me.workspace_id);
                let available = o.is_some_and(|o| {
                    o.status == OperatorStatus::Online
                        && o.live_ids.contains(&c.workflow_id)
                        && (o.load.len() as u32) < o.limit
                });
                match o {
                    Some(o) if available => (vec![m], o.name.clone()),
                    Some(o) => {
                        return Err(AppError::Conflict(format!(
                            "{} cannot take it right now: they are not live and online on this workflow, or are at their chat limit.",
                            o.name
                        )))
                    }
                    None => return Err(AppError::Conflict("That operator is not live right now.".into())),
                }
            }
            (None, Some(g)) => {
                let members = self.store.group_member_ids(me.workspace_id, g).await?;
                let groups = self.store.list_groups(me.workspace_id).await?;
                let group = groups
                    .into_iter()
                    .find(|x| x.id == g)
                    .ok_or_else(|| AppError::not_found("That operator group"))?;
                (
                    members.into_iter().filter(|m| *m != me.member_id).collect(),
                    format!("the group {}", group.name),
                )
            }
            _ => {
                return Err(AppError::invalid(
                    "Transfer to",
                    "choose one operator or one operator group",
                ))
            }
        };
        let text = if note.is_empty() {
            format!("{} transferred the conversation to {target_name}.", me.name)
        } else {
            format!("{} transferred the conversation to {target_name}: {note}", me.name)
        };
        self.conversations.stop_assistant_for(conversation_id);
        let released = self.store.release_for_transfer(conversation_id, &text).await?;
        let _ = self.store.end_operator_session(conversation_id, "transferred").await;
        {
            let mut s = self.lock();
            s.sessions.remove(&conversation_id);
            if let Some(previous) = c.assignee_id.and_then(|p| s.presence.get_mut(p)) {
                previous.load.remove(&conversation_id);
            }
            s.offers.remove(&conversation_id);
            s.lines.remove(conversation_id);
            s.restrict.insert(conversation_id, targets);
        }
        self.conversations.publish_message(&released.message);
        self.conversations.publish_summary(conversation_id).await;
        if let Some(previous) = c.assignee_id {
            self.tell_member(previous);
        }
        tracing::info!(conversation_id, ?to_member, ?to_group, "transferred");
        self.route(conversation_id).await;
        Ok(())
    }

    /// A member was deactivated (or lost the right to handle conversations): their presence
    /// ends and their conversations and offers go to others.
    pub async fn member_deactivated(&self, member_id: i64, name: &str) {
        let workspace = {
            let mut s = self.lock();
            let ws = s.presence.get_mut(member_id).map(|o| {
                o.live.clear();
                o.status = OperatorStatus::Offline;
                o.since_ms = now_ms();
                o.workspace_id
            });
            if let Some(ws) = ws {
                s.assign_seats(ws);
            }
            ws
        };
        self.withdraw_offers_of(member_id, None).await;
        self.hand_back_conversations(
            member_id,
            &format!("{name} was deactivated; the conversation goes to the next available operator."),
        )
        .await;
        if let Some(ws) = workspace {
            self.tell_workspace(ws);
        }
    }

    /// Re-reads the workflows of the member's groups; live workflows no longer among them end.
    pub async fn refresh_available(&self, member_id: i64) {
        // What they may see changed with their groups: their sockets reconnect with it.
        self.hub.close_member(member_id);
        let Ok(available) = self.store.group_workflows(member_id).await else {
            return;
        };
        let workspace = {
            let mut s = self.lock();
            let Some(o) = s.presence.get_mut(member_id) else {
                return;
            };
            o.live.retain(|w| available.iter().any(|a| a.id == w.id));
            if o.live.is_empty() && o.status != OperatorStatus::Offline {
                o.status = OperatorStatus::Offline;
                o.since_ms = now_ms();
            }
            o.available = available;
            let ws = o.workspace_id;
            s.assign_seats(ws);
            ws
        };
        self.tell_member(member_id);
        self.tell_workspace(workspace);
    }

    /// The member's rights changed (a new role, signed out everywhere): their open sockets
    /// close, and reconnect with the new rights if they still have any.
    pub fn access_changed(&self, member_id: i64) {
        self.hub.close_member(member_id);
    }

    /// A qualification was granted or revoked: routing uses the new set at once, and a live
    /// workflow that needs a qualification they no longer hold ends.
    pub async fn qualifications_changed(&self, member_id: i64) {
        let Ok(qualified) = self.store.qualified_workflows(member_id).await else {
            return;
        };
        let workspace = {
            let mut s = self.lock();
            let Some(o) = s.presence.get_mut(member_id) else {
                return;
            };
            o.qualified = qualified;
            o.workspace_id
        };
        self.enforce_qualifications(workspace).await;
        self.drain(workspace).await;
    }

    /// A workflow's settings changed: operators live on one that now requires a qualification
    /// they do not hold stop being live on it.
    pub async fn workflows_changed(&self, workspace_id: i64) {
        self.enforce_qualifications(workspace_id).await;
        self.drain(workspace_id).await;
    }

    async fn enforce_qualifications(&self, workspace_id: i64) {
        let Ok(required) = self.store.workflows_requiring_qualification(workspace_id).await else {
            return;
        };
        // Per operator, the live workflows they lose.
        let changed: Vec<(i64, Vec<i64>)> = {
            let mut s = self.lock();
            let mut changed = Vec::new();
            for (id, o) in s.presence.of_mut(workspace_id) {
                let lost: Vec<i64> = o
                    .live
                    .iter()
                    .map(|w| w.id)
                    .filter(|w| required.contains(w) && !o.qualified.contains(w))
                    .collect();
                if lost.is_empty() {
                    continue;
                }
                o.live.retain(|w| !lost.contains(&w.id));
                if o.live.is_empty() {
                    o.status = OperatorStatus::Offline;
                    o.since_ms = now_ms();
                }
                changed.push((*id, lost));
            }
            if !changed.is_empty() {
                s.assign_seats(workspace_id);
            }
            changed
        };
        for (member, lost) in &changed {
            self.tell_member(*member);
            self.withdraw_offers_of(*member, Some(lost)).await;
        }
        if !changed.is_empty() {
            self.tell_workspace(workspace_id);
        }
    }

    /// Whether the operator is live on the workflow now.
    pub fn is_live_on(&self, member_id: i64, workflow_id: i64) -> bool {
        self.lock()
            .presence
            .get(member_id)
            .is_some_and(|o| o.live_ids.contains(&workflow_id))
    }

    pub fn board(&self, workspace_id: i64) -> LiveBoard {
        self.lock().board(workspace_id)
    }

    pub fn presence(&self, member_id: i64) -> Option<MyPresence> {
        self.lock().presence.mine(member_id)
    }

    async fn on_change(&self, change: Change) {
        match change {
            Change::Escalated { conversation_id } => self.route(conversation_id).await,
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
                let _ = self.store.end_operator_session(conversation_id, outcome).await;
                let workspace = {
                    let mut s = self.lock();
                    s.sessions.remove(&conversation_id);
                    s.lines.remove(conversation_id);
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
        let decision = {
            let mut s = self.lock();
            s.workflow_names.insert(workflow.id, workflow.name.clone());
            let mut passed = s
                .offers
                .remove(&conversation_id)
                .map(|o| o.passed_over)
                .unwrap_or_default();
            let queued = s.lines.remove(conversation_id).map(|(_, q)| q);
            if let Some(q) = &queued {
                passed.extend(q.passed_over.iter().copied());
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
                if was_queued {
                    Decision::Nothing
                } else {
                    Decision::Queued
                }
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
                Decision::Offered { to }
            }
        };
        match decision {
            Decision::Offered { to } => {
                let summary = self.store.conversation_summary(conversation_id).await.ok().flatten();
                if let Some(summary) = summary {
                    let expires_at = {
                        let s = self.lock();
                        s.offers
                            .get(&conversation_id)
                            .and_then(|o| o.expires)
                            .map(|e| now_ms() + e.saturating_duration_since(Instant::now()).as_millis() as i64)
                    };
                    let offer = OfferView {
                        conversation: summary,
                        workflow_name: workflow.name.clone(),
                        pooled: workflow.routing_mode == "pooled",
                        expires_at,
                    };
                    let text = encode(&OperatorEvent::Offer { offer });
                    for m in &to {
                        self.hub.publish(
                            Topic::Member(*m),
                            &Event {
                                for_operators: Some(text.clone()),
                                ..Default::default()
                            },
                        );
                    }
                }
                tracing::info!(conversation_id, offered_to = ?to, "offered");
            }
            Decision::Queued if notify == Notify::Quietly => {
                tracing::info!(conversation_id, "queued again after a restart");
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

    async fn tick(&self) {
        let now = Instant::now();
        // Offers nobody accepted in time go to the next operator.
        let expired = queue::expire(&mut self.lock().offers, now);
        for (c, to) in expired {
            tracing::info!(conversation_id = c, ?to, "offer expired");
            self.tell_offer_closed(&to, c);
            self.route(c).await;
        }
        // Operators gone longer than their workspace's timeout lose their presence.
        let gone: Vec<(i64, String, i64)> = {
            let mut s = self.lock();
            let timeouts: HashMap<i64, (Duration, bool)> = s
                .gates
                .iter()
                .map(|(w, g)| {
                    (
                        *w,
                        (
                            Duration::from_secs(g.disconnect_timeout_secs.max(1) as u64),
                            g.reroute_on_disconnect,
                        ),
                    )
                })
                .collect();
            let mut gone = Vec::new();
            let mut cleared = HashSet::new();
            for (id, o) in s.presence.members.iter_mut() {
                let (timeout, reroute) = timeouts
                    .get(&o.workspace_id)
                    .copied()
                    .unwrap_or((Duration::from_secs(30), true));
                if o.sockets == 0 && o.gone_since.is_some_and(|g| now.duration_since(g) >= timeout) {
                    o.gone_since = None;
                    o.live.clear();
                    o.status = OperatorStatus::Offline;
                    o.since_ms = now_ms();
                    cleared.insert(o.workspace_id);
                    if reroute {
                        gone.push((*id, o.name.clone(), o.workspace_id));
                    }
                }
            }
            for ws in cleared {
                s.assign_seats(ws);
            }
            gone
        };
        for (member, name, workspace) in gone {
            tracing::info!(member_id = member, "presence cleared after disconnect");
            self.withdraw_offers_of(member, None).await;
            self.hand_back_conversations(
                member,
                &format!("{name} disconnected; the conversation goes to the next available operator."),
            )
            .await;
            self.tell_workspace(workspace);
        }
    }

    /// Offers open to this operator go to someone else: all of them, or only those of the
    /// given workflows.
    async fn withdraw_offers_of(&self, member_id: i64, workflows: Option<&[i64]>) {
        let affected: Vec<i64> = {
            let mut s = self.lock();
            let mut affected = Vec::new();
            for (c, o) in s.offers.iter_mut() {
                if o.to.contains(&member_id) && workflows.is_none_or(|w| w.contains(&o.workflow_id)) {
                    o.to.retain(|m| *m != member_id);
                    o.passed_over.push(member_id);
                    if o.to.is_empty() {
                        affected.push(*c);
                    }
                }
            }
            affected
        };
        for c in affected {
            self.tell_offer_closed(&[member_id], c);
            self.route(c).await;
        }
    }

    /// The operator's conversations go back to the queue and on to others.
    async fn hand_back_conversations(&self, member_id: i64, note: &str) {
        let held: Vec<i64> = {
            let mut s = self.lock();
            let held: Vec<i64> = s
                .presence
                .get_mut(member_id)
                .map(|o| o.load.drain().collect())
                .unwrap_or_default();
            for c in &held {
                s.sessions.remove(c);
            }
            held
        };
        // Also what the database says they hold (they may not have connected since a restart).
        let mut held = held;
        for c in self.store.assigned_open(member_id).await.unwrap_or_default() {
            if !held.contains(&c) {
                held.push(c);
            }
        }
        for c in held {
            let _ = self.store.end_operator_session(c, "disconnected").await;
            match self.store.requeue(c, note).await {
                Ok(m) => {
                    self.conversations.publish_message(&m.message);
                    self.conversations.publish_summary(c).await;
                    self.route(c).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, conversation_id = c, "could not put the conversation back in the queue")
                }
            }
        }
        self.tell_member(member_id);
    }

    fn tell_member(&self, member_id: i64) {
        if let Some(p) = self.presence(member_id) {
            self.hub.publish(
                Topic::Member(member_id),
                &Event {
                    for_operators: Some(encode(&OperatorEvent::Presence { presence: p })),
                    ..Default::default()
                },
            );
        }
    }

    fn tell_offer_closed(&self, members: &[i64], conversation_id: i64) {
        let text = encode(&OperatorEvent::OfferClosed { conversation_id });
        for m in members {
            self.hub.publish(
                Topic::Member(*m),
                &Event {
                    for_operators: Some(text.clone()),
                    ..Default::default()
                },
            );
        }
    }

    /// Every queued visitor of the workspace learns their place.
    fn tell_positions(&self, workspace_id: i64) {
        let positions = self.lock().lines.positions(workspace_id);
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

    /// Supervisors' live boards follow every change.
    fn tell_workspace(&self, workspace_id: i64) {
        let board = self.board(workspace_id);
        self.hub.publish(
            Topic::Workspace(workspace_id),
            &Event {
                for_operators: Some(encode(&OperatorEvent::Board { board })),
                supervisors_only: true,
                ..Default::default()
            },
        );
    }
}
