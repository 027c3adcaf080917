//! The store against the lifecycle: random event sequences carried out on a real database
//! (messages through the group commit, the other events through `apply`) must leave each
//! conversation exactly where `lifecycle::decide` says, and refuse what it refuses.

use proptest::prelude::*;

use super::{Refusal, Store};
use crate::conversations::lifecycle::{self, Event, Refused, State};

const OPERATORS: [&str; 2] = ["agent1@demo.switchboard.test", "agent2@demo.switchboard.test"];

/// Any event, its operator (if it has one) 0 or 1: an index into `OPERATORS` until `real`.
fn event() -> impl Strategy<Value = Event> {
    lifecycle::any_event([0, 1])
}

/// The event with the operator's member id in place of its index.
fn real(event: Event, ops: [i64; 2]) -> Event {
    match event {
        Event::OperatorReply { operator } => Event::OperatorReply {
            operator: ops[operator as usize],
        },
        Event::TakeOver { operator } => Event::TakeOver {
            operator: ops[operator as usize],
        },
        other => other,
    }
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    store: Store,
    operators: [i64; 2],
    _dir: tempfile::TempDir,
}

/// A demo workspace on SQLite, or on PostgreSQL.
fn fixture(postgres: bool) -> Fixture {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = if postgres {
        runtime.block_on(crate::test_postgres::new_database())
    } else {
        format!("sqlite://{}", dir.path().join("conformance.db").display())
    };
    let (store, operators) = runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        store.migrate().await.unwrap();
        crate::demo::seed_demo(&store).await.unwrap();
        let mut ids = [0; 2];
        for (i, email) in OPERATORS.iter().enumerate() {
            ids[i] = store.member_by_email(email).await.unwrap().unwrap().id;
        }
        (store, ids)
    });
    Fixture {
        runtime,
        store,
        operators,
        _dir: dir,
    }
}

/// Carries out one event on the store (notes by the first operator, who also restores,
/// resolves and reopens): `Ok` when it was done, or the lifecycle refusal it gave.
async fn carry_out(store: &Store, id: i64, event: Event, ops: [i64; 2], n: usize) -> Result<(), Refused> {
    let key = format!("k{n}");
    let refused = |r: Refusal| match r {
        Refusal::NotAiHandled => Refused::PersonHandles,
        Refusal::ClaimedBy(name) => {
            // The refusal names the holder; find which of the two it is.
            let email = crate::demo::DEMO_MEMBERS.iter().find(|m| m.1 == name).map(|m| m.0);
            Refused::HeldBy(if email == Some(OPERATORS[0]) { ops[0] } else { ops[1] })
        }
        other => panic!("{event:?} failed in storage: {other:?}"),
    };
    let stored = |r: Result<(), super::StoreError>| r.unwrap_or_else(|e| panic!("{event:?} failed in storage: {e}"));
    match event {
        Event::CustomerMessage => stored(store.append_visitor_message(id, "hello", &key, &[]).await.map(drop)),
        Event::AiAnswer => store
            .append_ai_message(id, "an answer")
            .await
            .map(drop)
            .map_err(refused)?,
        Event::OperatorReply { operator } => store
            .append_operator_message(id, operator, "a reply", &key, &[])
            .await
            .map(drop)
            .map_err(refused)?,
        Event::Note => stored(store.append_note(id, ops[0], "a note", &key, &[]).await.map(drop)),
        Event::Notice => stored(store.append_notice(id, "you are second in line").await.map(drop)),
        Event::TakeOver { operator } => store.take_over(id, operator).await.map(drop).map_err(refused)?,
        Event::Escalate => stored(store.escalate(id, "A person will be with you.").await.map(drop)),
        Event::Restore => stored(store.restore_to_ai(id, ops[0]).await.map(drop)),
        Event::Resolve => stored(store.resolve(id, ops[0]).await.map(drop)),
        Event::Reopen => stored(store.reopen(id, ops[0]).await.map(drop)),
        Event::Transfer => stored(store.release_for_transfer(id, "moved").await.map(drop)),
        Event::OperatorGone => stored(store.requeue(id, "their operator left").await.map(drop)),
    }
    Ok(())
}

#[test]
fn the_store_moves_conversations_as_the_lifecycle_decides_on_sqlite() {
    moves_as_the_lifecycle_decides(fixture(false));
}

#[test]
fn the_store_moves_conversations_as_the_lifecycle_decides_on_postgres() {
    moves_as_the_lifecycle_decides(fixture(true));
}

fn moves_as_the_lifecycle_decides(f: Fixture) {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&prop::collection::vec(event(), 1..30), |events| {
            f.runtime.block_on(async {
                let channel = f
                    .store
                    .channel_by_key(crate::demo::DEMO_WEB_CHANNEL)
                    .await
                    .unwrap()
                    .unwrap();
                let contact = f.store.create_visitor(&channel, "Conformance").await.unwrap();
                let id = f.store.open_conversation(&channel, contact).await.unwrap().id;
                let mut expected = State::NEW;
                for (n, &e) in events.iter().enumerate() {
                    let e = real(e, f.operators);
                    let decided = lifecycle::decide(expected, e);
                    let done = carry_out(&f.store, id, e, f.operators, n).await;
                    match (decided, done) {
                        (Ok(next), Ok(())) => expected = next,
                        (Err(want), Err(got)) => prop_assert_eq!(want, got, "step {} {:?}", n, e),
                        (want, got) => prop_assert!(
                            false,
                            "step {} {:?}: the lifecycle says {:?}, the store {:?}",
                            n,
                            e,
                            want,
                            got
                        ),
                    }
                    let stored = f.store.lifecycle_state(id).await.unwrap().unwrap();
                    prop_assert_eq!(stored, expected, "after step {} {:?} of {:?}", n, e, events);
                }
                Ok(())
            })
        })
        .unwrap();
}
