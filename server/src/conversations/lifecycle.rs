//! A conversation's life as one pure function: where it stands × what happened → where it
//! stands next, or why that may not happen. The store writes these decisions (a stored
//! message's with the message, the other events' with a compare-and-set UPDATE; the store's
//! conformance test holds it to them); nothing else decides a status.

use app::lifecycle::{Handler, SenderKind, Status};

/// Where a conversation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct State {
    pub status: Status,
    pub handler: Handler,
    /// The operator who holds it.
    pub assignee: Option<i64>,
    /// The customer asked for a person (or was handed over) and has not been handed back.
    pub escalated: bool,
}

impl State {
    /// A new conversation: open, the assistant answering, nobody holding it.
    pub const NEW: State = State {
        status: Status::Open,
        handler: Handler::Ai,
        assignee: None,
        escalated: false,
    };
}

/// What happened to a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The customer wrote.
    CustomerMessage,
    /// The assistant answered.
    AiAnswer,
    /// An operator replied to the customer.
    OperatorReply { operator: i64 },
    /// An operator wrote a note only the team sees.
    Note,
    /// Switchboard wrote a notice (a queue position, a failure note).
    Notice,
    /// An operator took the conversation over.
    TakeOver { operator: i64 },
    /// The customer needs a person: they asked, or were frustrated.
    Escalate,
    /// An operator handed it back to the assistant.
    Restore,
    /// An operator closed it.
    Resolve,
    /// An operator opened a resolved conversation again.
    Reopen,
    /// Sent to another operator or group: nobody holds it, a person is still wanted, the
    /// assistant stays quiet.
    Transfer,
    /// Its operator is gone (disconnected, offline, deactivated): back to the queue, the
    /// assistant covering meanwhile.
    OperatorGone,
}

impl Event {
    /// The event a stored message is (`operator` for an operator's message).
    pub fn of_message(kind: SenderKind, internal: bool, operator: Option<i64>) -> Event {
        match (kind, internal, operator) {
            (SenderKind::Contact, _, _) => Event::CustomerMessage,
            (SenderKind::Ai, _, _) => Event::AiAnswer,
            (SenderKind::Operator, false, Some(operator)) => Event::OperatorReply { operator },
            (SenderKind::Operator, _, _) => Event::Note,
            (SenderKind::System, _, _) => Event::Notice,
        }
    }
}

/// Why an event may not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// A person handles the conversation: the assistant must stay quiet.
    PersonHandles,
    /// Another operator holds it.
    HeldBy(i64),
}

/// The next state after `event`, or why it is refused. An event that changes nothing gives
/// the same state back.
pub fn decide(s: State, event: Event) -> Result<State, Refused> {
    let resolved = s.status == Status::Resolved;
    // Only the customer's message or an explicit reopen brings a resolved conversation back;
    // everything else leaves it resolved.
    let keep_resolved = |next: State| State {
        status: if resolved { Status::Resolved } else { next.status },
        ..next
    };
    Ok(match event {
        Event::CustomerMessage if resolved => State {
            status: if s.handler == Handler::Human {
                Status::Waiting
            } else {
                Status::Open
            },
            ..s
        },
        Event::CustomerMessage | Event::Note | Event::Notice => s,
        Event::AiAnswer if s.handler == Handler::Human => return Err(Refused::PersonHandles),
        Event::AiAnswer => s,
        Event::OperatorReply { operator } | Event::TakeOver { operator } => match s.assignee {
            Some(other) if other != operator => return Err(Refused::HeldBy(other)),
            // A resolved conversation stays as it is (nobody takes it on) until it is reopened.
            _ if resolved => s,
            Some(_) if s.handler == Handler::Human => s,
            _ => State {
                status: Status::Active,
                handler: Handler::Human,
                assignee: Some(operator),
                ..s
            },
        },
        Event::Escalate if s.handler == Handler::Ai && !s.escalated && !resolved => State {
            status: Status::Waiting,
            escalated: true,
            ..s
        },
        Event::Escalate => s,
        Event::Restore => keep_resolved(State {
            status: Status::Open,
            handler: Handler::Ai,
            assignee: None,
            escalated: false,
        }),
        Event::Resolve => State {
            status: Status::Resolved,
            ..s
        },
        Event::Reopen if resolved => State {
            status: if s.handler == Handler::Human && s.assignee.is_some() {
                Status::Active
            } else {
                Status::Open
            },
            ..s
        },
        Event::Reopen => s,
        Event::Transfer => keep_resolved(State {
            status: Status::Waiting,
            handler: Handler::Human,
            assignee: None,
            ..s
        }),
        Event::OperatorGone => keep_resolved(State {
            status: Status::Waiting,
            handler: Handler::Ai,
            assignee: None,
            escalated: true,
        }),
    })
}

/// Whether `operator` began handling the conversation with this step (it was nobody's, or
/// the assistant's): their session starts and the assistant stops.
pub fn claimed(before: State, after: State, operator: i64) -> bool {
    after.assignee == Some(operator)
        && after.handler == Handler::Human
        && (before.assignee != Some(operator) || before.handler != Handler::Human)
}

/// Any event, by one of `operators` where it has an operator (for property tests).
#[cfg(test)]
pub(crate) fn any_event(operators: [i64; 2]) -> impl proptest::strategy::Strategy<Value = Event> {
    use proptest::prelude::*;
    let operator = prop::sample::select(operators.to_vec());
    prop_oneof![
        Just(Event::CustomerMessage),
        Just(Event::AiAnswer),
        operator.clone().prop_map(|operator| Event::OperatorReply { operator }),
        Just(Event::Note),
        Just(Event::Notice),
        operator.prop_map(|operator| Event::TakeOver { operator }),
        Just(Event::Escalate),
        Just(Event::Restore),
        Just(Event::Resolve),
        Just(Event::Reopen),
        Just(Event::Transfer),
        Just(Event::OperatorGone),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const OPERATORS: [i64; 2] = [7, 8];

    fn event() -> impl Strategy<Value = Event> {
        any_event(OPERATORS)
    }

    /// Every state reachable from a new conversation, with the events that led there.
    fn walk(events: &[Event]) -> Vec<(State, Event, Result<State, Refused>)> {
        let mut s = State::NEW;
        let mut steps = Vec::new();
        for &e in events {
            let r = decide(s, e);
            steps.push((s, e, r));
            if let Ok(next) = r {
                s = next;
            }
        }
        steps
    }

    proptest! {
        #[test]
        fn the_assistant_never_answers_a_conversation_a_person_handles(events in prop::collection::vec(event(), 0..40)) {
            for (s, e, r) in walk(&events) {
                if e == Event::AiAnswer && s.handler == Handler::Human {
                    prop_assert_eq!(r, Err(Refused::PersonHandles));
                }
                if let Ok(next) = r {
                    // Nothing but a restore or an operator leaving gives it back to the assistant.
                    if s.handler == Handler::Human && next.handler == Handler::Ai {
                        prop_assert!(matches!(e, Event::Restore | Event::OperatorGone), "{:?} handed {:?} back", e, s);
                    }
                }
            }
        }

        #[test]
        fn an_active_conversation_always_has_its_operator(events in prop::collection::vec(event(), 0..40)) {
            for (_, _, r) in walk(&events) {
                if let Ok(next) = r {
                    if next.status == Status::Active {
                        prop_assert!(next.assignee.is_some() && next.handler == Handler::Human, "{:?}", next);
                    }
                }
            }
        }

        #[test]
        fn resolved_reopens_only_by_the_customer_or_an_explicit_reopen(events in prop::collection::vec(event(), 0..40)) {
            for (s, e, r) in walk(&events) {
                if let Ok(next) = r {
                    if s.status == Status::Resolved && next.status != Status::Resolved {
                        prop_assert!(matches!(e, Event::CustomerMessage | Event::Reopen), "{:?} reopened {:?}", e, s);
                    }
                }
            }
        }

        #[test]
        fn an_operator_never_takes_a_conversation_from_another(events in prop::collection::vec(event(), 0..40)) {
            for (s, e, r) in walk(&events) {
                if let (Event::OperatorReply { operator } | Event::TakeOver { operator }, Some(holder)) = (e, s.assignee) {
                    if holder != operator {
                        prop_assert_eq!(r, Err(Refused::HeldBy(holder)));
                    }
                }
            }
        }
    }

    #[test]
    fn a_customer_message_reopens_a_resolved_conversation_for_whoever_handles_it() {
        let resolved = State {
            status: Status::Resolved,
            ..State::NEW
        };
        assert_eq!(decide(resolved, Event::CustomerMessage).unwrap().status, Status::Open);
        let with_person = State {
            handler: Handler::Human,
            assignee: Some(7),
            ..resolved
        };
        assert_eq!(
            decide(with_person, Event::CustomerMessage).unwrap().status,
            Status::Waiting
        );
        assert_eq!(decide(with_person, Event::Reopen).unwrap().status, Status::Active);
    }

    #[test]
    fn the_first_reply_claims_and_the_second_operator_is_told_who_has_it() {
        let first = decide(State::NEW, Event::OperatorReply { operator: 7 }).unwrap();
        assert_eq!(first.status, Status::Active);
        assert!(claimed(State::NEW, first, 7));
        assert_eq!(
            decide(first, Event::OperatorReply { operator: 8 }),
            Err(Refused::HeldBy(7))
        );
        let again = decide(first, Event::OperatorReply { operator: 7 }).unwrap();
        assert!(!claimed(first, again, 7));
    }

    #[test]
    fn escalation_happens_once_and_not_while_a_person_handles_it() {
        let waiting = decide(State::NEW, Event::Escalate).unwrap();
        assert_eq!((waiting.status, waiting.escalated), (Status::Waiting, true));
        assert_eq!(decide(waiting, Event::Escalate).unwrap(), waiting);
        let held = decide(State::NEW, Event::TakeOver { operator: 7 }).unwrap();
        assert_eq!(decide(held, Event::Escalate).unwrap(), held);
    }
}
