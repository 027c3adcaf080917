//! What routing follows when something around it changes: the workspace's settings (flags,
//! seats, chat limits), workflows, a member's groups, rights or qualifications, or a member
//! deactivated. Each takes effect at once on the operators' presence and on the queues.

use app::live::OperatorStatus;

use super::{now_ms, Router};

impl Router {
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
}
