//! Presence: which members are here, on which workflows, how busy, and who holds the
//! workspace's human-agent seats. Pure state with no IO; the router keeps one `Presence` under
//! its lock and routes from it (`routing::Operator` is borrowed from here).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use app::live::{BoardOperator, MyPresence, OperatorStatus, WorkflowChoice};

use crate::routing::Operator;

/// One member as presence knows them.
pub struct Present {
    pub workspace_id: i64,
    pub name: String,
    pub status: OperatorStatus,
    pub since_ms: i64,
    pub live: Vec<WorkflowChoice>,
    /// The ids of `live`, kept for routing decisions.
    pub live_ids: Vec<i64>,
    /// Holds one of the workspace's human-agent seats.
    pub seated: bool,
    pub available: Vec<WorkflowChoice>,
    /// The workflows they hold a qualification for.
    pub qualified: Vec<i64>,
    /// Open sockets by the node they are on (none: not connected).
    pub sockets: BTreeMap<String, u32>,
    /// When their last socket closed (or their node was found dead).
    pub gone_since: Option<Instant>,
    /// Conversations they handle now.
    pub load: HashSet<i64>,
    pub limit: u32,
    /// The member's own limit; `None` follows the workspace default.
    pub own_limit: Option<i64>,
    pub last_assigned_ms: i64,
    pub live_since_ms: i64,
}

impl Present {
    /// A member present with no socket counted yet, offline, holding nothing.
    pub fn offline(workspace_id: i64, name: String, limit: u32, own_limit: Option<i64>, now_ms: i64) -> Present {
        Present {
            workspace_id,
            name,
            status: OperatorStatus::Offline,
            since_ms: now_ms,
            live: vec![],
            live_ids: vec![],
            seated: false,
            available: vec![],
            qualified: vec![],
            sockets: BTreeMap::new(),
            gone_since: None,
            load: HashSet::new(),
            limit,
            own_limit,
            last_assigned_ms: 0,
            live_since_ms: 0,
        }
    }

    /// Whether they have a socket open on any node.
    pub fn connected(&self) -> bool {
        !self.sockets.is_empty()
    }

    /// `count` sockets on `node` now (a node telling the leader what it holds); none left
    /// anywhere starts their time gone.
    pub fn attach(&mut self, node: &str, count: u32, now: Instant) {
        if count == 0 {
            self.sockets.remove(node);
        } else {
            self.sockets.insert(node.to_string(), count);
        }
        self.gone_since = match (self.connected(), self.gone_since) {
            (true, _) => None,
            (false, Some(since)) => Some(since),
            (false, None) => Some(now),
        };
    }

    /// One more socket on `node`.
    pub fn socket_opened(&mut self, node: &str, now: Instant) {
        let count = self.sockets.get(node).copied().unwrap_or(0) + 1;
        self.attach(node, count, now);
    }

    /// One socket fewer on `node`.
    pub fn socket_closed(&mut self, node: &str, now: Instant) {
        let count = self.sockets.get(node).copied().unwrap_or(0).saturating_sub(1);
        self.attach(node, count, now);
    }

    /// Goes offline: live on nothing (a status change is dated).
    pub fn go_offline(&mut self, now_ms: i64) {
        self.live.clear();
        if self.status != OperatorStatus::Offline {
            self.status = OperatorStatus::Offline;
            self.since_ms = now_ms;
        }
    }
}

/// Every present member, by member id.
#[derive(Default)]
pub struct Presence {
    pub members: HashMap<i64, Present>,
}

impl Presence {
    pub fn get(&self, member_id: i64) -> Option<&Present> {
        self.members.get(&member_id)
    }

    pub fn get_mut(&mut self, member_id: i64) -> Option<&mut Present> {
        self.members.get_mut(&member_id)
    }

    /// The members of a workspace.
    pub fn of(&self, workspace_id: i64) -> impl Iterator<Item = (&i64, &Present)> {
        self.members.iter().filter(move |(_, p)| p.workspace_id == workspace_id)
    }

    pub fn of_mut(&mut self, workspace_id: i64) -> impl Iterator<Item = (&i64, &mut Present)> {
        self.members
            .iter_mut()
            .filter(move |(_, p)| p.workspace_id == workspace_id)
    }

    /// The operators of a workspace as routing sees them, borrowed: a decision allocates
    /// nothing and reads no database.
    pub fn candidates(&self, workspace_id: i64) -> impl Iterator<Item = Operator<'_>> {
        self.of(workspace_id)
            .filter(|(_, p)| !p.live_ids.is_empty())
            .map(|(id, p)| Operator {
                member_id: *id,
                status: p.status,
                live_workflows: &p.live_ids,
                qualified: &p.qualified,
                load: p.load.len() as u32,
                limit: p.limit,
                seated: p.seated,
                last_assigned_ms: p.last_assigned_ms,
            })
    }

    /// Seats go to those live longest; recomputed when someone goes live or seats change.
    pub fn assign_seats(&mut self, workspace_id: i64, seats: i64) {
        let mut live: Vec<(i64, i64)> = self
            .of(workspace_id)
            .filter(|(_, p)| !p.live.is_empty())
            .map(|(id, p)| (p.live_since_ms, *id))
            .collect();
        live.sort_unstable();
        for (_, p) in self.of_mut(workspace_id) {
            p.seated = false;
            p.live_ids = p.live.iter().map(|w| w.id).collect();
        }
        for (_, id) in live.into_iter().take(seats.max(0) as usize) {
            if let Some(p) = self.members.get_mut(&id) {
                p.seated = true;
            }
        }
    }

    /// Members other than `member_id` live in the workspace (each takes a seat, up to the
    /// number there are).
    pub fn live_others(&self, workspace_id: i64, member_id: i64) -> i64 {
        self.of(workspace_id)
            .filter(|(id, p)| **id != member_id && !p.live.is_empty())
            .count() as i64
    }

    /// Whether the member may act in a seat: they hold one, or one is free.
    pub fn seat_for(&self, workspace_id: i64, member_id: i64, seats: i64) -> bool {
        if self.get(member_id).is_some_and(|p| p.seated) {
            return true;
        }
        let taken = self
            .of(workspace_id)
            .filter(|(id, p)| **id != member_id && p.seated)
            .count() as i64;
        taken < seats
    }

    /// What the member's own console shows of their presence.
    pub fn mine(&self, member_id: i64) -> Option<MyPresence> {
        self.get(member_id).map(|p| MyPresence {
            status: p.status,
            live_workflows: p.live.clone(),
            available_workflows: p.available.clone(),
            load: p.load.len() as u32,
            limit: p.limit,
            since_ms: p.since_ms,
        })
    }

    /// The live board's operators of a workspace, by name.
    pub fn board(&self, workspace_id: i64) -> Vec<BoardOperator> {
        let mut operators: Vec<BoardOperator> = self
            .of(workspace_id)
            .map(|(id, p)| BoardOperator {
                member_id: *id,
                name: p.name.clone(),
                status: p.status,
                since_ms: p.since_ms,
                workflows: p.live.iter().map(|w| w.name.clone()).collect(),
                load: p.load.len() as u32,
                limit: p.limit,
                connected: p.connected(),
            })
            .collect();
        operators.sort_by(|a, b| a.name.cmp(&b.name));
        operators
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow(id: i64) -> WorkflowChoice {
        WorkflowChoice {
            id,
            name: format!("Workflow {id}"),
        }
    }

    /// Three members of workspace 1, live since 10, 20 and 30 (the third not live), and one of
    /// workspace 2.
    fn presence() -> Presence {
        let mut p = Presence::default();
        for (id, ws, live_since) in [(1, 1, 10), (2, 1, 20), (3, 1, 0), (4, 2, 5)] {
            let mut member = Present::offline(ws, format!("Member {id}"), 3, None, 0);
            if live_since > 0 {
                member.live = vec![workflow(7)];
                member.live_since_ms = live_since;
                member.status = OperatorStatus::Online;
            }
            p.members.insert(id, member);
        }
        p
    }

    #[test]
    fn seats_go_to_those_live_longest_within_their_workspace() {
        let mut p = presence();
        p.assign_seats(1, 1);
        assert!(p.get(1).unwrap().seated);
        assert!(!p.get(2).unwrap().seated, "live later: no seat left");
        assert!(!p.get(3).unwrap().seated, "not live");
        assert!(!p.get(4).unwrap().seated, "another workspace is assigned on its own");
        assert_eq!(p.candidates(1).count(), 2, "live members are candidates");
        assert_eq!(p.get(2).unwrap().live_ids, vec![7]);
    }

    #[test]
    fn a_member_acts_in_a_seat_they_hold_or_one_that_is_free() {
        let mut p = presence();
        p.assign_seats(1, 2);
        assert!(p.seat_for(1, 1, 2), "they hold one");
        assert!(!p.seat_for(1, 3, 2), "both seats are held by others");
        p.assign_seats(1, 3);
        assert!(p.seat_for(1, 3, 3), "one is free");
        p.assign_seats(1, 0);
        assert!(!p.seat_for(1, 1, 0), "no seats, nobody");
        assert_eq!(p.live_others(1, 1), 1);
    }

    #[test]
    fn sockets_are_counted_per_node_and_the_time_gone_starts_when_none_is_left() {
        let start = Instant::now();
        let later = start + std::time::Duration::from_secs(5);
        let mut m = Present::offline(1, "M".into(), 3, None, 0);
        assert!(!m.connected());
        m.socket_opened("a", start);
        m.socket_opened("a", start);
        m.socket_opened("b", start);
        assert_eq!(m.gone_since, None);
        m.socket_closed("a", start);
        // Node b is found dead: its sockets go, one on a stays.
        m.attach("b", 0, start);
        assert!(m.connected() && m.gone_since.is_none());
        m.socket_closed("a", start);
        assert!(!m.connected());
        assert_eq!(m.gone_since, Some(start));
        m.attach("a", 0, later);
        assert_eq!(m.gone_since, Some(start), "still gone since the first time");
        // A node telling the new leader what it holds.
        m.attach("c", 2, later);
        assert_eq!((m.connected(), m.gone_since), (true, None));
        m.socket_closed("unknown", later);
        assert_eq!(
            m.sockets.get("c"),
            Some(&2),
            "a close from a node with none counted changes nothing"
        );
    }

    #[test]
    fn going_offline_ends_being_live_and_dates_the_change_once() {
        let mut p = presence();
        let m = p.get_mut(1).unwrap();
        m.go_offline(99);
        assert!(m.live.is_empty());
        assert_eq!((m.status, m.since_ms), (OperatorStatus::Offline, 99));
        m.go_offline(120);
        assert_eq!(m.since_ms, 99, "already offline: the time stays");
        let board = p.board(1);
        assert_eq!(
            board.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
            ["Member 1", "Member 2", "Member 3"]
        );
        assert_eq!(p.mine(1).unwrap().status, OperatorStatus::Offline);
    }
}
