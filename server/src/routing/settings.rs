//! What routing follows when something around it changes: the workspace's settings (flags,
//! seats, chat limits), workflows, a member's groups, rights or qualifications, or a member
//! deactivated. Each takes effect at once on the operators' presence and on the queues.

use app::live::OperatorStatus;

use super::{now_ms, Call, Router};

impl Router {
    /// Settings changed: routing follows the new flags, seats and limits at once.
    pub async fn workspace_changed(&self, workspace_id: i64) {
        if let Some(forwarded) = self.forward(|| Call::WorkspaceChanged { workspace_id }).await {
            return forwarded.unwrap_or(());
        }
        if let Ok(gate) = self.gate(workspace_id).await {
            let members: Vec<i64> = {
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
                s.presence.of_mut(workspace_id).map(|(id, _)| *id).collect()
            };
            // Each of them sees their own presence as it now is (live no more, a new limit).
            for member in members {
                self.tell_member(member);
            }
            self.tell_workspace(workspace_id);
            self.drain(workspace_id).await;
        }
    }

    /// Plans changed since routing last looked — on the Plans page, or by `switchboard plan`
    /// on the command line while this server runs (seen on the next round): routing follows
    /// the new seats and flags, and when account managers gain or lose chats their open
    /// consoles reconnect with the new rights; losing them ends their presence and hands their
    /// conversations on.
    pub async fn follow_plans(&self) {
        if let Some(forwarded) = self.forward(|| Call::FollowPlans).await {
            return forwarded.unwrap_or(());
        }
        let _one_round = self.plans.lock().await;
        let seen = self.lock().plans_seen;
        let changed = match self.store.plans_changed_since(seen).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(error = %e, "could not look for changed plans");
                return;
            }
        };
        for (workspace_id, changed_at) in changed {
            let before = self.lock().gates.get(&workspace_id).map(|g| g.managers_handle_chats);
            self.workspace_changed(workspace_id).await;
            let after = self.lock().gates.get(&workspace_id).map(|g| g.managers_handle_chats);
            if before != after {
                self.managers_rights_changed(workspace_id, after.unwrap_or(false)).await;
            }
            let mut s = self.lock();
            s.plans_seen = s.plans_seen.max(changed_at);
        }
    }

    async fn managers_rights_changed(&self, workspace_id: i64, handle_chats: bool) {
        let Ok(members) = self.store.list_members(workspace_id).await else {
            return;
        };
        for m in members.iter().filter(|m| m.role == app::Role::AccountManager) {
            self.access_changed(m.id);
            if !handle_chats {
                self.member_stops_handling(
                    m.id,
                    &format!(
                        "{} is an account manager, and the plan no longer lets account managers handle conversations; the conversation goes to the next available operator.",
                        m.name
                    ),
                )
                .await;
            }
        }
    }

    /// A member was deactivated: their presence ends and their conversations and offers go to
    /// others.
    pub async fn member_deactivated(&self, member_id: i64, name: &str) {
        self.member_stops_handling(
            member_id,
            &format!("{name} was deactivated; the conversation goes to the next available operator."),
        )
        .await;
    }

    /// A member may no longer handle conversations (deactivated, a new role, the plan): their
    /// presence ends and their conversations and offers go to others, with `note` in each.
    pub async fn member_stops_handling(&self, member_id: i64, note: &str) {
        if let Some(forwarded) = self
            .forward(|| Call::MemberStopsHandling {
                member_id,
                note: note.to_string(),
            })
            .await
        {
            return forwarded.unwrap_or(());
        }
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
        self.hand_back_conversations(member_id, note).await;
        if let Some(ws) = workspace {
            self.tell_workspace(ws);
        }
    }

    /// Re-reads the workflows of the member's groups; live workflows no longer among them end.
    pub async fn refresh_available(&self, member_id: i64) {
        if let Some(forwarded) = self.forward(|| Call::RefreshAvailable { member_id }).await {
            return forwarded.unwrap_or(());
        }
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
        if let Some(forwarded) = self.forward(|| Call::QualificationsChanged { member_id }).await {
            return forwarded.unwrap_or(());
        }
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
        if let Some(forwarded) = self.forward(|| Call::WorkflowsChanged { workspace_id }).await {
            return forwarded.unwrap_or(());
        }
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
}
