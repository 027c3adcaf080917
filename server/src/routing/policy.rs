//! Routing decisions, as pure functions: who may take a conversation, and who should. No IO
//! here; the `Router` (`routing/mod.rs`) keeps the live state in memory and applies these.
//!
//! Eligible: live, status online, live on the conversation's workflow, qualified when the
//! workflow requires it, under their chat limit, holding a seat, with the workspace's
//! `operator` and `presence` flags on, and not already passed over for this conversation.
//! Policy: least loaded first; ties go to whoever waited longest since their last assignment,
//! then to the lower member id, so equal operators take turns.

use app::live::OperatorStatus;

/// An operator as routing sees them, borrowed from the router's state so that a decision
/// allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operator<'a> {
    pub member_id: i64,
    pub status: OperatorStatus,
    /// The workflows they went live on (always within their operator groups' workflows).
    pub live_workflows: &'a [i64],
    /// The workflows they are qualified for.
    pub qualified: &'a [i64],
    /// Conversations they handle now.
    pub load: u32,
    pub limit: u32,
    /// Whether they hold one of the workspace's human-agent seats.
    pub seated: bool,
    /// When they were last given a conversation (Unix ms; 0 = never).
    pub last_assigned_ms: i64,
}

/// A conversation that needs a person.
#[derive(Clone, Debug, Default)]
pub struct Need<'a> {
    pub workflow_id: i64,
    pub requires_qualification: bool,
    /// Operators who declined it or let an offer expire.
    pub passed_over: &'a [i64],
    /// Only these operators (a transfer to a person or a group).
    pub only: Option<&'a [i64]>,
}

/// Whether `op` may be given the conversation.
pub fn eligible(op: &Operator, need: &Need, flags_on: bool) -> bool {
    flags_on
        && op.seated
        && op.status == OperatorStatus::Online
        && op.live_workflows.contains(&need.workflow_id)
        && (!need.requires_qualification || op.qualified.contains(&need.workflow_id))
        && op.load < op.limit
        && !need.passed_over.contains(&op.member_id)
        && need.only.is_none_or(|only| only.contains(&op.member_id))
}

/// The operator who should get the conversation, if anyone may.
pub fn choose<'a>(operators: impl IntoIterator<Item = Operator<'a>>, need: &Need, flags_on: bool) -> Option<i64> {
    operators
        .into_iter()
        .filter(|op| eligible(op, need, flags_on))
        .min_by_key(|op| (op.load, op.last_assigned_ms, op.member_id))
        .map(|op| op.member_id)
}

/// Everyone who may take it, for pooled workflows.
pub fn pool<'a>(operators: impl IntoIterator<Item = Operator<'a>>, need: &Need, flags_on: bool) -> Vec<i64> {
    let mut ids: Vec<i64> = operators
        .into_iter()
        .filter(|op| eligible(op, need, flags_on))
        .map(|op| op.member_id)
        .collect();
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An operator with owned lists, for tests to build and borrow from.
    #[derive(Clone, Debug)]
    struct Owned {
        member_id: i64,
        status: OperatorStatus,
        live: Vec<i64>,
        qualified: Vec<i64>,
        load: u32,
        limit: u32,
        seated: bool,
        last: i64,
    }

    impl Owned {
        fn view(&self) -> Operator<'_> {
            Operator {
                member_id: self.member_id,
                status: self.status,
                live_workflows: &self.live,
                qualified: &self.qualified,
                load: self.load,
                limit: self.limit,
                seated: self.seated,
                last_assigned_ms: self.last,
            }
        }
    }

    fn views(ops: &[Owned]) -> impl Iterator<Item = Operator<'_>> {
        ops.iter().map(Owned::view)
    }

    fn online(id: i64, load: u32, last: i64) -> Owned {
        Owned {
            member_id: id,
            status: OperatorStatus::Online,
            live: vec![1],
            qualified: vec![],
            load,
            limit: 3,
            seated: true,
            last,
        }
    }

    #[test]
    fn the_least_loaded_operator_gets_it_and_ties_go_to_the_longest_waiting() {
        let ops = [online(1, 2, 0), online(2, 1, 500), online(3, 1, 100)];
        assert_eq!(
            choose(
                views(&ops),
                &Need {
                    workflow_id: 1,
                    ..Default::default()
                },
                true
            ),
            Some(3)
        );
    }

    #[test]
    fn a_transfer_reaches_only_the_chosen_operators() {
        let ops = [online(1, 0, 0), online(2, 2, 0)];
        let only = [2];
        assert_eq!(
            choose(
                views(&ops),
                &Need {
                    workflow_id: 1,
                    only: Some(&only),
                    ..Default::default()
                },
                true
            ),
            Some(2)
        );
        let nobody: [i64; 0] = [];
        assert_eq!(
            choose(
                views(&ops),
                &Need {
                    workflow_id: 1,
                    only: Some(&nobody),
                    ..Default::default()
                },
                true
            ),
            None
        );
    }

    #[test]
    fn nobody_gets_it_when_the_flags_are_off() {
        let ops = [online(1, 0, 0)];
        assert_eq!(
            choose(
                views(&ops),
                &Need {
                    workflow_id: 1,
                    ..Default::default()
                },
                false
            ),
            None
        );
    }

    fn status() -> impl Strategy<Value = OperatorStatus> {
        prop_oneof![
            Just(OperatorStatus::Online),
            Just(OperatorStatus::Away),
            Just(OperatorStatus::Busy),
            Just(OperatorStatus::Offline)
        ]
    }

    prop_compose! {
        fn operator(id: i64)(
            status in status(),
            live in proptest::collection::vec(1i64..4, 0..3),
            qualified in proptest::collection::vec(1i64..4, 0..3),
            load in 0u32..5,
            limit in 0u32..5,
            seated in proptest::bool::weighted(0.8),
            last in 0i64..1000,
        ) -> Owned {
            Owned { member_id: id, status, live, qualified, load, limit, seated, last }
        }
    }

    fn operators() -> impl Strategy<Value = Vec<Owned>> {
        (0usize..12).prop_flat_map(|n| (0..n as i64).map(operator).collect::<Vec<_>>())
    }

    proptest! {
        #[test]
        fn the_chosen_operator_is_always_eligible_and_under_their_limit(
            ops in operators(),
            workflow in 1i64..4,
            requires in any::<bool>(),
            flags in proptest::bool::weighted(0.9),
            passed in proptest::collection::vec(0i64..12, 0..3),
        ) {
            let need = Need { workflow_id: workflow, requires_qualification: requires, passed_over: &passed, only: None };
            match choose(views(&ops), &need, flags) {
                Some(id) => {
                    let op = ops.iter().find(|o| o.member_id == id).unwrap().view();
                    prop_assert!(flags);
                    prop_assert_eq!(op.status, OperatorStatus::Online);
                    prop_assert!(op.seated);
                    prop_assert!(op.load < op.limit);
                    prop_assert!(op.live_workflows.contains(&workflow));
                    prop_assert!(!requires || op.qualified.contains(&workflow));
                    prop_assert!(!passed.contains(&id));
                    // Nobody eligible is less loaded, or as loaded and waiting longer.
                    for other in views(&ops).filter(|o| eligible(o, &need, flags)) {
                        prop_assert!((op.load, op.last_assigned_ms, op.member_id) <= (other.load, other.last_assigned_ms, other.member_id));
                    }
                }
                None => prop_assert!(views(&ops).all(|o| !eligible(&o, &need, flags))),
            }
            prop_assert_eq!(pool(views(&ops), &need, flags).len(), views(&ops).filter(|o| eligible(o, &need, flags)).count());
        }

        #[test]
        fn assigning_one_after_another_never_exceeds_a_limit_and_spreads_evenly(
            n in 1usize..8,
            limit in 1u32..5,
            conversations in 1usize..40,
        ) {
            let mut ops: Vec<Owned> = (0..n as i64).map(|i| Owned { limit, ..online(i, 0, 0) }).collect();
            let mut clock = 1;
            for _ in 0..conversations {
                match choose(views(&ops), &Need { workflow_id: 1, ..Default::default() }, true) {
                    Some(id) => {
                        let op = ops.iter_mut().find(|o| o.member_id == id).unwrap();
                        op.load += 1;
                        op.last = clock;
                        clock += 1;
                    }
                    None => prop_assert!(ops.iter().all(|o| o.load == o.limit)),
                }
                let loads: Vec<u32> = ops.iter().map(|o| o.load).collect();
                prop_assert!(loads.iter().all(|l| *l <= limit));
                prop_assert!(loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 1, "uneven: {:?}", loads);
            }
        }
    }
}
