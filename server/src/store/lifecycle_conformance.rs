//! The store against the lifecycle: random event sequences carried out on a real database
//! (message inserts through their trigger, the other events through `apply`) must leave each
//! conversation exactly where `lifecycle::decide` says, and refuse what it refuses.

use proptest::prelude::*;

use super::{Refusal, Store};
use crate::conversations::lifecycle::{self, Event, Refused, State};

const OPERATORS: [&str; 2] = ["agent1@demo.switchboard.test", "agent2@demo.switchboard.test"];

/// An event with the operator named by index into `OPERATORS`.
#[derive(Clone, Copy, Debug)]
enum Step {
    Customer,
    Ai,
    Reply(usize),
    Note(usize),
    Notice,
    TakeOver(usize),
    Escalate,
    Restore,
    Resolve,
    Reopen,
    Transfer,
    OperatorGone,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Customer),
        Just(Step::Ai),
        (0..2usize).prop_map(Step::Reply),
        (0..2usize).prop_map(Step::Note),
        Just(Step::Notice),
        (0..2usize).prop_map(Step::TakeOver),
        Just(Step::Escalate),
        Just(Step::Restore),
        Just(Step::Resolve),
        Just(Step::Reopen),
        Just(Step::Transfer),
        Just(Step::OperatorGone),
    ]
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    store: Store,
    operators: [i64; 2],
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("conformance.db").display());
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

/// Carries out one step on the store: the state it left, or the lifecycle refusal it gave.
async fn carry_out(store: &Store, id: i64, step: Step, ops: [i64; 2], n: usize) -> Result<(), Refused> {
    let key = format!("k{n}");
    let refused = |r: Refusal| match r {
        Refusal::NotAiHandled => Refused::PersonHandles,
        Refusal::ClaimedBy(name) => {
            // The refusal names the holder; find which of the two it is.
            let email = crate::demo::DEMO_MEMBERS.iter().find(|m| m.1 == name).map(|m| m.0);
            Refused::HeldBy(if email == Some(OPERATORS[0]) { ops[0] } else { ops[1] })
        }
        other => panic!("{step:?} failed in storage: {other:?}"),
    };
    match step {
        Step::Customer => store
            .append_visitor_message(id, "hello", &key, &[])
            .await
            .map(drop)
            .unwrap(),
        Step::Ai => store
            .append_ai_message(id, "an answer")
            .await
            .map(drop)
            .map_err(refused)?,
        Step::Reply(o) => store
            .append_operator_message(id, ops[o], "a reply", &key, &[])
            .await
            .map(drop)
            .map_err(refused)?,
        Step::Note(o) => store
            .append_note(id, ops[o], "a note", &key, &[])
            .await
            .map(drop)
            .unwrap(),
        Step::Notice => store
            .append_notice(id, "you are second in line")
            .await
            .map(drop)
            .unwrap(),
        Step::TakeOver(o) => store.take_over(id, ops[o]).await.map(drop).map_err(refused)?,
        Step::Escalate => store
            .escalate(id, "A person will be with you.")
            .await
            .map(drop)
            .unwrap(),
        Step::Restore => store.restore_to_ai(id, ops[0]).await.map(drop).unwrap(),
        Step::Resolve => store.resolve(id, ops[0]).await.map(drop).unwrap(),
        Step::Reopen => store.reopen(id, ops[0]).await.map(drop).unwrap(),
        Step::Transfer => store.release_for_transfer(id, "moved").await.map(drop).unwrap(),
        Step::OperatorGone => store.requeue(id, "their operator left").await.map(drop).unwrap(),
    }
    Ok(())
}

fn event(step: Step, ops: [i64; 2]) -> Event {
    match step {
        Step::Customer => Event::CustomerMessage,
        Step::Ai => Event::AiAnswer,
        Step::Reply(o) => Event::OperatorReply { operator: ops[o] },
        Step::Note(_) => Event::Note,
        Step::Notice => Event::Notice,
        Step::TakeOver(o) => Event::TakeOver { operator: ops[o] },
        Step::Escalate => Event::Escalate,
        Step::Restore => Event::Restore,
        Step::Resolve => Event::Resolve,
        Step::Reopen => Event::Reopen,
        Step::Transfer => Event::Transfer,
        Step::OperatorGone => Event::OperatorGone,
    }
}

#[test]
fn the_store_moves_conversations_as_the_lifecycle_decides() {
    let f = fixture();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&prop::collection::vec(step(), 1..30), |steps| {
            f.runtime.block_on(async {
                let channel = f
                    .store
                    .channel_by_key(crate::demo::DEMO_WEB_CHANNEL)
                    .await
                    .unwrap()
                    .unwrap();
                let contact = f.store.create_visitor(&channel, "Conformance").await.unwrap();
                let id = f.store.create_conversation(&channel, contact).await.unwrap().id;
                let mut expected = State::NEW;
                for (n, &s) in steps.iter().enumerate() {
                    let decided = lifecycle::decide(expected, event(s, f.operators));
                    let done = carry_out(&f.store, id, s, f.operators, n).await;
                    match (decided, done) {
                        (Ok(next), Ok(())) => expected = next,
                        (Err(want), Err(got)) => prop_assert_eq!(want, got, "step {} {:?}", n, s),
                        (want, got) => prop_assert!(
                            false,
                            "step {} {:?}: the lifecycle says {:?}, the store {:?}",
                            n,
                            s,
                            want,
                            got
                        ),
                    }
                    let stored = f.store.lifecycle_state(id).await.unwrap().unwrap();
                    prop_assert_eq!(stored, expected, "after step {} {:?} of {:?}", n, s, steps);
                }
                Ok(())
            })
        })
        .unwrap();
}
