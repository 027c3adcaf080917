//! Routing over several nodes (`crate::cluster`): the leader keeps each operator's presence in
//! the database for the next leader, counts the sockets of nodes that stopped beating (dead,
//! frozen, or stopped) as closed, and looks
//! again for conversations waiting for a person that no call told it of (a call lost while
//! the lead changed hands costs a little time, never the conversation).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use app::live::OperatorStatus;

use super::{Notify, Router};
use crate::cluster::SavedPresence;
use crate::presence::Present;

/// How often the leader looks for waiting conversations nobody told it of.
const RESCAN_EVERY: Duration = Duration::from_secs(2);

impl Router {
    /// Saves the member's presence as it is now, for the next leader.
    pub(super) fn save_presence(&self, member_id: i64) {
        if !self.cluster.is_shared() {
            return;
        }
        let (saved, term) = {
            let s = self.lock();
            let (Some(o), Some(term)) = (s.presence.get(member_id), s.term) else {
                return;
            };
            let saved = SavedPresence {
                member_id,
                workspace_id: o.workspace_id,
                name: o.name.clone(),
                status: o.status.as_str().to_string(),
                live_ids: serde_json::to_string(&o.live.iter().map(|w| w.id).collect::<Vec<_>>())
                    .unwrap_or_else(|_| "[]".into()),
                since_ms: o.since_ms,
                live_since_ms: o.live_since_ms,
            };
            (saved, term)
        };
        self.cluster.save_presence(saved, term);
    }

    /// A new leader carries on from the presence the last one saved: statuses and live
    /// workflows (still among the member's groups' workflows), with no socket counted until
    /// the nodes say what they hold, so a member nobody holds is cleared after the workspace's
    /// timeout as after any disconnection.
    pub(super) async fn restore_presence(&self) {
        for saved in self.cluster.saved_presence().await {
            let Ok(fresh) = self.fresh(saved.workspace_id, saved.member_id).await else {
                continue;
            };
            let live_ids: Vec<i64> = serde_json::from_str(&saved.live_ids).unwrap_or_default();
            let mut present = Present::offline(
                saved.workspace_id,
                saved.name,
                fresh.limit,
                fresh.own_limit,
                saved.since_ms,
            );
            fresh.apply(&mut present);
            present.live = present
                .available
                .iter()
                .filter(|w| live_ids.contains(&w.id))
                .cloned()
                .collect();
            present.status = match OperatorStatus::parse(&saved.status) {
                Some(status) if !present.live.is_empty() => status,
                _ => OperatorStatus::Offline,
            };
            present.live_since_ms = saved.live_since_ms;
            present.gone_since = Some(Instant::now());
            let mut s = self.lock();
            s.presence.members.insert(saved.member_id, present);
            s.know_workflows(saved.member_id);
        }
        let workspaces: HashSet<i64> = self.lock().presence.members.values().map(|o| o.workspace_id).collect();
        for ws in workspaces {
            self.lock().assign_seats(ws);
            self.tell_workspace(ws);
        }
    }

    /// Every tick on the leader of several nodes: the sockets of nodes found dead count as
    /// closed, and every `RESCAN_EVERY` the conversations waiting for a person that routing
    /// has not heard of are routed.
    pub(super) async fn keep_cluster(&self, now: Instant) {
        {
            let mut s = self.lock();
            if s.cluster_checked
                .is_some_and(|at| now.duration_since(at) < self.cluster.timers.beat)
            {
                return;
            }
            s.cluster_checked = Some(now);
        }
        if let Some(live) = self.cluster.live_nodes().await {
            let gone: HashSet<String> = self
                .lock()
                .presence
                .members
                .values()
                .flat_map(|o| o.sockets.keys())
                .filter(|node| !live.contains(node) && node.as_str() != self.cluster.node())
                .cloned()
                .collect();
            for node in gone {
                tracing::warn!(node = %node, "a node stopped beating: its operators' sockets count as closed");
                self.node_gone(&node);
            }
        }
        let rescan = {
            let mut s = self.lock();
            let due = s.rescanned.is_none_or(|at| now.duration_since(at) >= RESCAN_EVERY);
            if due {
                s.rescanned = Some(now);
            }
            due
        };
        if !rescan {
            return;
        }
        let Ok(waiting) = self.store.waiting_unassigned().await else {
            return;
        };
        for conversation_id in waiting {
            let known = {
                let s = self.lock();
                s.lines.contains(conversation_id) || s.offers.contains_key(&conversation_id)
            };
            if !known {
                tracing::debug!(conversation_id, "a waiting conversation routing had not heard of");
                self.route_with(conversation_id, Notify::Visitor).await;
            }
        }
    }
}
