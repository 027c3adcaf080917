//! The waiting lines and the open offers, as pure state with no IO: one line per workflow in the
//! order conversations first waited, and for each offered conversation who it is offered to and
//! who passed it over.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use app::live::QueuedView;

/// A conversation waiting in a workflow's line.
pub struct Queued {
    pub conversation_id: i64,
    pub workspace_id: i64,
    /// When it first waited (Unix ms): its place in line.
    pub since_ms: i64,
    pub passed_over: Vec<i64>,
}

/// A conversation offered to operators.
pub struct Offer {
    pub workflow_id: i64,
    pub to: Vec<i64>,
    /// `None` for a pooled offer, which waits until someone accepts.
    pub expires: Option<Instant>,
    /// Operators who declined it or let it expire.
    pub passed_over: Vec<i64>,
}

/// Every line, by workflow.
#[derive(Default)]
pub struct Lines {
    by_workflow: HashMap<i64, VecDeque<Queued>>,
}

impl Lines {
    /// Every queued conversation: (conversation, workspace, workflow, waiting since in Unix ms).
    pub fn waiting(&self) -> Vec<(i64, i64, i64, i64)> {
        self.by_workflow
            .iter()
            .flat_map(|(w, q)| {
                q.iter()
                    .map(move |x| (x.conversation_id, x.workspace_id, *w, x.since_ms))
            })
            .collect()
    }

    /// Each workflow's queue: its length and since when its first has waited (Unix ms).
    pub fn lengths(&self) -> Vec<(i64, usize, Option<i64>)> {
        let mut all: Vec<_> = self
            .by_workflow
            .iter()
            .map(|(w, q)| (*w, q.len(), q.iter().map(|x| x.since_ms).min()))
            .collect();
        all.sort_unstable();
        all
    }

    pub fn contains(&self, conversation_id: i64) -> bool {
        self.by_workflow
            .values()
            .any(|q| q.iter().any(|x| x.conversation_id == conversation_id))
    }

    /// Takes the conversation out of its line; gives the workflow and its entry.
    pub fn remove(&mut self, conversation_id: i64) -> Option<(i64, Queued)> {
        for (workflow, q) in self.by_workflow.iter_mut() {
            if let Some(i) = q.iter().position(|x| x.conversation_id == conversation_id) {
                return q.remove(i).map(|x| (*workflow, x));
            }
        }
        None
    }

    /// Puts the conversation in the workflow's line at its place: after everyone who waited
    /// since before it.
    pub fn insert(&mut self, workflow_id: i64, entry: Queued) {
        let q = self.by_workflow.entry(workflow_id).or_default();
        let at = q.iter().position(|x| x.since_ms > entry.since_ms).unwrap_or(q.len());
        q.insert(at, entry);
    }

    /// Its place in its line, from 1.
    pub fn position(&self, conversation_id: i64) -> Option<u32> {
        self.by_workflow.values().find_map(|q| {
            q.iter()
                .position(|x| x.conversation_id == conversation_id)
                .map(|i| i as u32 + 1)
        })
    }

    /// Every waiting conversation of the workspace with its place in its line.
    pub fn positions(&self, workspace_id: i64) -> Vec<(i64, u32)> {
        self.by_workflow
            .values()
            .flat_map(|q| {
                q.iter()
                    .enumerate()
                    .filter(move |(_, x)| x.workspace_id == workspace_id)
                    .map(|(i, x)| (x.conversation_id, i as u32 + 1))
            })
            .collect()
    }

    /// The first in each of the workspace's lines, longest waiting first.
    pub fn heads(&self, workspace_id: i64) -> Vec<i64> {
        let mut heads: Vec<(i64, i64)> = self
            .by_workflow
            .values()
            .filter_map(|q| q.front())
            .filter(|x| x.workspace_id == workspace_id)
            .map(|x| (x.since_ms, x.conversation_id))
            .collect();
        heads.sort();
        heads.into_iter().map(|(_, c)| c).collect()
    }

    /// The live board's view of the workspace's lines, longest waiting first.
    pub fn views(&self, workspace_id: i64, workflow_names: &HashMap<i64, String>) -> Vec<QueuedView> {
        let mut queue: Vec<QueuedView> = self
            .by_workflow
            .iter()
            .flat_map(|(workflow, q)| {
                q.iter()
                    .enumerate()
                    .filter(move |(_, x)| x.workspace_id == workspace_id)
                    .map(move |(i, x)| QueuedView {
                        conversation_id: x.conversation_id,
                        workflow: workflow_names.get(workflow).cloned().unwrap_or_default(),
                        position: i as u32 + 1,
                        since_ms: x.since_ms,
                    })
            })
            .collect();
        queue.sort_by_key(|q| q.since_ms);
        queue
    }
}

/// Offers not accepted by `now`: each loses its operators, who count as having passed it over;
/// gives the conversations with the operators to tell.
pub fn expire(offers: &mut HashMap<i64, Offer>, now: Instant) -> Vec<(i64, Vec<i64>)> {
    offers
        .iter_mut()
        .filter(|(_, o)| o.expires.is_some_and(|e| e <= now))
        .map(|(c, o)| {
            let to = std::mem::take(&mut o.to);
            o.passed_over.extend(to.iter().copied());
            (*c, to)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn queued(conversation_id: i64, workspace_id: i64, since_ms: i64) -> Queued {
        Queued {
            conversation_id,
            workspace_id,
            since_ms,
            passed_over: vec![],
        }
    }

    #[test]
    fn a_line_keeps_the_order_in_which_conversations_first_waited() {
        let mut lines = Lines::default();
        lines.insert(1, queued(10, 1, 300));
        lines.insert(1, queued(11, 1, 100));
        lines.insert(1, queued(12, 1, 200));
        lines.insert(2, queued(20, 1, 150));
        lines.insert(3, queued(30, 2, 50));
        assert_eq!(lines.position(11), Some(1));
        assert_eq!(lines.position(12), Some(2));
        assert_eq!(lines.position(10), Some(3));
        assert_eq!(lines.position(20), Some(1), "each workflow has its own line");
        assert_eq!(
            lines.heads(1),
            vec![11, 20],
            "longest waiting first, this workspace only"
        );

        // Taken out and put back with its old time, it keeps its place.
        let (workflow, entry) = lines.remove(12).unwrap();
        assert!(!lines.contains(12));
        assert_eq!(lines.position(10), Some(2));
        lines.insert(workflow, entry);
        assert_eq!(lines.position(12), Some(2));

        let mut positions = lines.positions(1);
        positions.sort();
        assert_eq!(positions, vec![(10, 3), (11, 1), (12, 2), (20, 1)]);
        let names = HashMap::from([(1, "Support".to_string())]);
        let views = lines.views(1, &names);
        assert_eq!(
            views
                .iter()
                .map(|v| (v.conversation_id, v.position))
                .collect::<Vec<_>>(),
            vec![(11, 1), (20, 1), (12, 2), (10, 3)]
        );
        assert_eq!(views[0].workflow, "Support");
    }

    #[test]
    fn an_expired_offer_counts_its_operators_as_passing_it_over() {
        let now = Instant::now();
        let mut offers = HashMap::from([
            (
                1,
                Offer {
                    workflow_id: 7,
                    to: vec![5],
                    expires: Some(now - Duration::from_secs(1)),
                    passed_over: vec![4],
                },
            ),
            (
                2,
                Offer {
                    workflow_id: 7,
                    to: vec![6],
                    expires: Some(now + Duration::from_secs(30)),
                    passed_over: vec![],
                },
            ),
            (
                3,
                Offer {
                    workflow_id: 7,
                    to: vec![6],
                    expires: None,
                    passed_over: vec![],
                },
            ),
        ]);
        assert_eq!(expire(&mut offers, now), vec![(1, vec![5])]);
        assert_eq!(offers[&1].passed_over, vec![4, 5]);
        assert!(offers[&1].to.is_empty());
        assert_eq!(offers[&2].to, vec![6], "not yet expired");
        assert_eq!(offers[&3].to, vec![6], "a pooled offer never expires");
    }
}
