//! Operators' presence as routing sees it: their sockets connecting and closing, their status,
//! going live on workflows within the workspace's seats, the seat a reply needs, the
//! conversations handed on when an operator leaves, and the live board supervisors follow.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use app::events::OperatorEvent;
use app::live::{BoardOperator, LiveBoard, MyPresence, OperatorStatus};
use app::{AppError, Me, Scope};

use super::{encode, now_ms, Call, Router};
use crate::hub::{Event, Topic};
use crate::presence::Present;

impl Router {
    /// An operator's socket opened on this node. Several tabs (on any nodes) are one presence.
    pub async fn connect(&self, me: &Me) -> Result<(), AppError> {
        self.cluster.socket_opened(me);
        let node = self.cluster.node().to_string();
        let joined = self.connect_on(me, &node).await;
        if joined.is_err() {
            self.cluster.socket_closed(me.member_id);
        }
        joined
    }

    pub(super) async fn connect_on(&self, me: &Me, node: &str) -> Result<(), AppError> {
        if let Some(forwarded) = self
            .forward(|| Call::Connect {
                me: me.clone(),
                node: node.to_string(),
            })
            .await
        {
            return forwarded;
        }
        self.join(me, |o| o.socket_opened(node, Instant::now())).await
    }

    /// `node` holds `sockets` of the member's sockets: what a node tells a new leader.
    pub(super) async fn attach(&self, me: &Me, node: &str, sockets: u32) -> Result<(), AppError> {
        self.join(me, |o| o.attach(node, sockets, Instant::now())).await
    }

    /// The member is present (read afresh from the database), with `sockets` counting theirs.
    async fn join(&self, me: &Me, sockets: impl FnOnce(&mut Present)) -> Result<(), AppError> {
        let fresh = self.fresh(me.workspace_id, me.member_id).await?;
        {
            let mut s = self.lock();
            let entry = s.presence.members.entry(me.member_id).or_insert_with(|| {
                Present::offline(me.workspace_id, me.name.clone(), fresh.limit, fresh.own_limit, now_ms())
            });
            sockets(entry);
            fresh.apply(entry);
            s.know_workflows(me.member_id);
        }
        self.tell_member(me.member_id);
        self.tell_workspace(me.workspace_id);
        self.show_open_offers(me.member_id).await;
        Ok(())
    }

    /// What presence keeps of a member that the database says: their groups' workflows, their
    /// qualifications, their chat limit and the conversations they hold.
    pub(super) async fn fresh(&self, workspace_id: i64, member_id: i64) -> Result<Fresh, AppError> {
        let gate = self.gate(workspace_id).await?;
        let own_limit = self.store.member_chat_limit(member_id).await?;
        Ok(Fresh {
            available: self.store.group_workflows(member_id).await?,
            qualified: self.store.qualified_workflows(member_id).await?,
            load: self.store.assigned_open(member_id).await?,
            limit: own_limit.unwrap_or(gate.default_chat_limit).max(1) as u32,
            own_limit,
        })
    }

    /// How many of the workspace's human-agent seats live operators hold now.
    pub async fn seats_in_use(&self, workspace_id: i64) -> i64 {
        if let Some(forwarded) = self.forward(|| Call::SeatsInUse { workspace_id }).await {
            return forwarded.unwrap_or(0);
        }
        self.lock().presence.of(workspace_id).filter(|(_, o)| o.seated).count() as i64
    }

    /// Whether the member has the console open and is not away (for e-mail digests).
    pub async fn is_here(&self, member_id: i64) -> bool {
        if let Some(forwarded) = self.forward(|| Call::IsHere { member_id }).await {
            return forwarded.unwrap_or(false);
        }
        self.lock()
            .presence
            .get(member_id)
            .is_some_and(|o| o.connected() && o.status != OperatorStatus::Away)
    }

    /// An operator's socket on this node closed; after the workspace's timeout with none open
    /// on any node, their presence is cleared (see `tick`).
    pub fn disconnect(&self, member_id: i64) {
        self.cluster.socket_closed(member_id);
        let node = self.cluster.node().to_string();
        if self.tell_leader(|| Call::Disconnect {
            member_id,
            node: node.clone(),
        }) {
            return;
        }
        self.disconnect_on(member_id, &node);
    }

    pub(super) fn disconnect_on(&self, member_id: i64, node: &str) {
        let workspace = {
            let mut s = self.lock();
            let Some(o) = s.presence.get_mut(member_id) else {
                return;
            };
            o.socket_closed(node, Instant::now());
            o.workspace_id
        };
        self.tell_workspace(workspace);
    }

    /// Sockets on `node` are gone with it (found dead, or its new incarnation says so).
    pub(super) fn node_gone(&self, node: &str) {
        let workspaces: HashSet<i64> = {
            let mut s = self.lock();
            let now = Instant::now();
            s.presence
                .members
                .values_mut()
                .filter(|o| o.sockets.contains_key(node))
                .map(|o| {
                    o.attach(node, 0, now);
                    o.workspace_id
                })
                .collect()
        };
        for ws in workspaces {
            self.tell_workspace(ws);
        }
    }

    pub async fn set_status(&self, me: &Me, status: OperatorStatus) -> Result<(), AppError> {
        if let Some(forwarded) = self.forward(|| Call::SetStatus { me: me.clone(), status }).await {
            return forwarded;
        }
        let changed = {
            let mut s = self.lock();
            let o = s.presence.get_mut(me.member_id).ok_or(AppError::Unauthenticated)?;
            if status != OperatorStatus::Offline && o.live.is_empty() {
                return Err(AppError::Conflict("Go live on at least one workflow first.".into()));
            }
            let changed = o.status != status;
            if changed {
                o.status = status;
                o.since_ms = now_ms();
            }
            if status == OperatorStatus::Offline {
                o.live.clear();
            }
            s.assign_seats(me.workspace_id);
            changed
        };
        if changed {
            self.status_changed(me.workspace_id, me.member_id).await;
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
        if let Some(forwarded) = self
            .forward(|| Call::GoLive {
                me: me.clone(),
                workflow_ids: workflow_ids.to_vec(),
            })
            .await
        {
            return forwarded;
        }
        if !me.can(Scope::OperatorWrite) {
            return Err(AppError::forbidden("go live"));
        }
        let gate = self.gate(me.workspace_id).await?;
        if !gate.operator_enabled {
            return Err(AppError::Conflict(
                "Operators are not part of this workspace’s plan; contact your account admin to turn them on.".into(),
            ));
        }
        if !gate.presence_enabled {
            return Err(AppError::Conflict(
                "Live presence is not part of this workspace’s plan; contact your account admin to turn it on.".into(),
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
                    "All {} human-agent seats of this workspace are in use. Contact your account admin to add seats to the plan.",
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
        self.status_changed(me.workspace_id, me.member_id).await;
        self.tell_member(me.member_id);
        self.tell_workspace(me.workspace_id);
        self.drain(me.workspace_id).await;
        Ok(())
    }

    pub async fn go_offline(&self, me: &Me) -> Result<(), AppError> {
        if let Some(forwarded) = self.forward(|| Call::GoOffline { me: me.clone() }).await {
            return forwarded;
        }
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
        if let Some(forwarded) = self.forward(|| Call::RequireSeat { me: me.clone() }).await {
            return forwarded;
        }
        let cached = self.lock().gates.get(&me.workspace_id).cloned();
        let gate = match cached {
            Some(gate) => gate,
            None => self.gate(me.workspace_id).await?,
        };
        if !gate.operator_enabled {
            return Err(AppError::Conflict(
                "Operators are not part of this workspace’s plan; contact your account admin to turn them on.".into(),
            ));
        }
        if self.lock().presence.seat_for(me.workspace_id, me.member_id, gate.seats) {
            return Ok(());
        }
        Err(AppError::Conflict(format!(
            "No human-agent seat is free in this workspace ({} in use). Contact your account admin to add seats to the plan.",
            gate.seats
        )))
    }

    /// Whether the operator is live on the workflow now.
    pub fn is_live_on(&self, member_id: i64, workflow_id: i64) -> bool {
        self.lock()
            .presence
            .get(member_id)
            .is_some_and(|o| o.live_ids.contains(&workflow_id))
    }

    pub(super) fn board(&self, workspace_id: i64) -> LiveBoard {
        self.lock().board(workspace_id)
    }

    pub(super) fn presence(&self, member_id: i64) -> Option<MyPresence> {
        self.lock().presence.mine(member_id)
    }

    /// The member's own presence as their console shows it.
    pub async fn presence_of(&self, member_id: i64) -> Option<MyPresence> {
        if let Some(forwarded) = self.forward(|| Call::MyPresence { member_id }).await {
            return forwarded.ok().flatten();
        }
        self.presence(member_id)
    }

    /// The operator's conversations go back to the queue and on to others.
    pub(super) async fn hand_back_conversations(&self, member_id: i64, note: &str) {
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

    /// What `/metrics` shows of routing now: operators by status, and each queue.
    pub fn gauges(&self) -> RoutingGauges {
        let s = self.lock();
        let mut operators: std::collections::BTreeMap<&'static str, u64> =
            OperatorStatus::ALL.iter().map(|st| (st.as_str(), 0)).collect();
        for o in s.presence.members.values() {
            *operators.entry(o.status.as_str()).or_default() += 1;
        }
        RoutingGauges {
            operators,
            queues: s.lines.lengths(),
        }
    }

    /// Tells the workspace's webhooks that an operator's status or live workflows changed.
    async fn status_changed(&self, workspace_id: i64, member_id: i64) {
        let data = {
            let s = self.lock();
            let Some(o) = s.presence.get(member_id) else { return };
            serde_json::json!({ "operator": {
                "id": member_id,
                "name": o.name,
                "status": o.status.as_str(),
                "live_workflow_ids": o.live.iter().map(|w| w.id).collect::<Vec<_>>(),
            } })
        };
        if let Err(e) = self
            .store
            .enqueue_webhook(workspace_id, "operator.status_changed", data)
            .await
        {
            tracing::warn!(error = %e, "could not queue an operator's status for webhooks");
        }
    }

    pub(super) fn tell_member(&self, member_id: i64) {
        self.save_presence(member_id);
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

    /// Supervisors' live boards follow every change.
    pub(super) fn tell_workspace(&self, workspace_id: i64) {
        let board = self.board(workspace_id);
        self.hub.publish(
            Topic::Workspace(workspace_id),
            &Event {
                for_operators: Some(encode(&OperatorEvent::Board { board })),
                supervisors_only: true,
                latest: Some(crate::hub::Latest::Board),
                ..Default::default()
            },
        );
    }

    /// Operators gone longer than their workspace's timeout lose their presence, and their
    /// conversations and offers go to others when the workspace says so.
    pub(super) async fn clear_gone(&self, now: Instant) {
        let (gone, offline): (Vec<(i64, String, i64)>, Vec<(i64, i64)>) = {
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
            let mut offline = Vec::new();
            let mut cleared = HashSet::new();
            for (id, o) in s.presence.members.iter_mut() {
                let (timeout, reroute) = timeouts
                    .get(&o.workspace_id)
                    .copied()
                    .unwrap_or((Duration::from_secs(30), true));
                if !o.connected() && o.gone_since.is_some_and(|g| now.duration_since(g) >= timeout) {
                    o.gone_since = None;
                    o.live.clear();
                    o.status = OperatorStatus::Offline;
                    o.since_ms = now_ms();
                    cleared.insert(o.workspace_id);
                    offline.push((o.workspace_id, *id));
                    if reroute {
                        gone.push((*id, o.name.clone(), o.workspace_id));
                    }
                }
            }
            for ws in cleared {
                s.assign_seats(ws);
            }
            (gone, offline)
        };
        for (workspace, member) in offline {
            self.status_changed(workspace, member).await;
        }
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
}

#[async_trait::async_trait]
impl app::live::LiveApi for Router {
    /// Every operator of the workspace, by name; those who have not connected since the
    /// server started are offline.
    async fn live_board(&self, me: &Me) -> Result<LiveBoard, AppError> {
        if let Some(forwarded) = self.forward(|| Call::LiveBoard { me: me.clone() }).await {
            return forwarded;
        }
        let mut board = self.board(me.workspace_id);
        for o in self.store.list_operators(me.workspace_id).await? {
            if !board.operators.iter().any(|b| b.member_id == o.member_id) {
                board.operators.push(BoardOperator {
                    member_id: o.member_id,
                    name: o.name,
                    status: OperatorStatus::Offline,
                    since_ms: 0,
                    workflows: vec![],
                    load: 0,
                    limit: 0,
                    connected: false,
                });
            }
        }
        board.operators.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(board)
    }
}

/// Routing's state for `/metrics`.
pub struct RoutingGauges {
    pub operators: std::collections::BTreeMap<&'static str, u64>,
    /// (workflow, length, since when the first has waited in Unix ms).
    pub queues: Vec<(i64, usize, Option<i64>)>,
}

/// A member as the database has them, for presence (`Router::fresh`).
pub(super) struct Fresh {
    available: Vec<app::live::WorkflowChoice>,
    qualified: Vec<i64>,
    load: Vec<i64>,
    pub limit: u32,
    pub own_limit: Option<i64>,
}

impl Fresh {
    /// Brings a present member up to date (the conversations they hold are added to those
    /// routing counted).
    pub fn apply(self, p: &mut Present) {
        p.available = self.available;
        p.qualified = self.qualified;
        p.limit = self.limit;
        p.own_limit = self.own_limit;
        p.load.extend(self.load);
    }
}
