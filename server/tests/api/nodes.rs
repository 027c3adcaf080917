//! Several Switchboard nodes on one PostgreSQL database, their events crossing between them
//! on each bus: PostgreSQL's LISTEN/NOTIFY (`bus = "postgres"`) and NATS (`bus = "nats"`, a
//! throwaway `nats-server`). These run in the PostgreSQL pass of the tests.

use app::auth::SignOutEverywhere;
use app::conversation::TakeOver;
use app::events::{OperatorEvent, VisitorEvent, SESSION_ENDED};
use app::lifecycle::SenderKind;

use crate::handoff::{from, send};
use crate::helpers::*;

/// The buses between nodes.
#[derive(Clone, Copy)]
pub(crate) enum Bus {
    Postgres,
    Nats,
}

/// Two nodes on one database with `bus` between them, or `None` on SQLite.
async fn two_nodes(bus: Bus) -> Option<(TestApp, TestApp)> {
    if !on_postgres() {
        eprintln!("several nodes share a PostgreSQL database: this runs in the PostgreSQL pass");
        return None;
    }
    let settings: Vec<(&str, &str)> = match bus {
        Bus::Postgres => vec![("SWITCHBOARD_BUS", "postgres")],
        Bus::Nats => vec![
            ("SWITCHBOARD_BUS", "nats"),
            ("SWITCHBOARD_NATS_URL", crate::nats::url()),
        ],
    };
    let a = spawn_app_with(&settings).await;
    let b = spawn_node(&a, &settings).await;
    Some((a, b))
}

/// Each scenario named, once on each bus: `async fn scenario(bus: Bus)` in the module that
/// uses it, which imports `Bus`.
macro_rules! on_each_bus {
    ($($scenario:ident),* $(,)?) => {
        mod postgres_bus {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Bus::Postgres).await
                }
            )*
        }
        mod nats_bus {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Bus::Nats).await
                }
            )*
        }
    };
}
pub(crate) use on_each_bus;

on_each_bus!(
    a_customer_on_one_node_and_an_operator_on_another_talk_through_the_bus,
    signing_out_everywhere_on_one_node_closes_the_console_on_another,
    a_long_message_crosses_nodes_whole,
    after_an_outage_of_the_bus_the_consoles_resume,
);

async fn a_customer_on_one_node_and_an_operator_on_another_talk_through_the_bus(bus: Bus) {
    let Some((a, b)) = two_nodes(bus).await else { return };
    // The supervisor's console is on node A; the customer's chat on node B.
    let mut boss = a.operator(SUPERVISOR).await;
    let mut v = b.visitor().await;
    v.send(&send("How do I reset my password?", "b-1")).await;
    let answer = v.wait_for("the assistant's answer on B", from(SenderKind::Ai)).await;
    let id = answer.conversation_id;

    // The conversation reaches A's inbox with the answer in it.
    boss.wait_for("the conversation in A's inbox", |e| match e {
        OperatorEvent::Conversation { conversation }
            if conversation.id == id && conversation.last_seq >= answer.seq =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    // Watching it on A, the supervisor sees what the customer writes next on B.
    boss.watch(id).await;
    v.send(&send("Still there?", "b-2")).await;
    boss.wait_for("the customer's next message on A", |e| match e {
        OperatorEvent::Message { message } if message.body == "Still there?" => Some(()),
        _ => None,
    })
    .await;

    // The supervisor takes it over on A and answers; the customer on B reads the answer.
    let client = TestApp::client_signed_in(&a, SUPERVISOR).await;
    let res = a.send(&client, &TakeOver { id }).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    boss.say(id, "Hello from the other node", "a-1", false).await;
    let reply = v.wait_for("the reply from A", from(SenderKind::Operator)).await;
    assert_eq!(reply.body, "Hello from the other node");
    assert_eq!(reply.conversation_id, id);
}

async fn signing_out_everywhere_on_one_node_closes_the_console_on_another(bus: Bus) {
    let Some((a, b)) = two_nodes(bus).await else { return };
    let cookie = a.session_cookie(AGENT, PASSWORD).await;
    let mut on_b = crate::sockets::connect::<app::events::OperatorCommand, OperatorEvent>(
        &b.ws_url("/ws/operator"),
        Some(&cookie),
    )
    .await
    .unwrap();
    on_b.send(&app::events::OperatorCommand::Ping).await;
    on_b.wait_for("the socket on B to answer", |e| {
        matches!(e, OperatorEvent::Pong).then_some(())
    })
    .await;
    let client = TestApp::client_signed_in(&a, AGENT).await;
    let res = a.send(&client, &SignOutEverywhere {}).await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let (code, _) = on_b.closed_by_server(crate::sockets::WAIT).await;
    assert_eq!(code, SESSION_ENDED);
}

/// A frame larger than one PostgreSQL notification may carry crosses too (through the spill
/// table there).
async fn a_long_message_crosses_nodes_whole(bus: Bus) {
    let Some((a, b)) = two_nodes(bus).await else { return };
    let mut v = b.visitor().await;
    v.send(&send("How do I reset my password?", "b-1")).await;
    let id = v.wait_for("the answer", from(SenderKind::Ai)).await.conversation_id;
    let mut boss = a.operator(SUPERVISOR).await;
    boss.watch(id).await;
    // Near the longest a message may be: for the visitors and the operators, two frames of
    // about 4 KB each, more than a notification carries.
    let long = "a very long question".repeat(app::events::MAX_MESSAGE_CHARS / 20);
    v.send(&send(&long, "b-long")).await;
    v.wait_for("the ack on B", |e| matches!(e, VisitorEvent::Ack { .. }).then_some(()))
        .await;
    boss.wait_for("the long message, whole, on A", |e| match e {
        OperatorEvent::Message { message } if message.body == long => Some(()),
        _ => None,
    })
    .await;
    if let Bus::Postgres = bus {
        assert!(
            a.count("SELECT COUNT(*) FROM bus_spill").await >= 1,
            "it went through the spill table"
        );
    }
}

/// The bus goes away and comes back (PostgreSQL: the listening connections are cut; NATS: the
/// server stops and starts again): what was sent meanwhile is lost, so the consoles close with
/// "reconnect and resume", and once reconnected, events cross again.
async fn after_an_outage_of_the_bus_the_consoles_resume(bus: Bus) {
    if !on_postgres() {
        return;
    }
    // NATS: a server of this test's own, to stop and start again on the same port.
    let port = crate::postgres::free_port().unwrap();
    let (settings, nats): (Vec<(&str, String)>, _) = match bus {
        Bus::Postgres => (vec![("SWITCHBOARD_BUS", "postgres".into())], None),
        Bus::Nats => {
            let (url, stop) = crate::nats::start(port).unwrap();
            (
                vec![("SWITCHBOARD_BUS", "nats".into()), ("SWITCHBOARD_NATS_URL", url)],
                Some(stop),
            )
        }
    };
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = spawn_app_with(&settings).await;
    let b = spawn_node(&a, &settings).await;
    let mut boss = a.operator(SUPERVISOR).await;
    boss.send(&app::events::OperatorCommand::Ping).await;
    boss.wait_for("the console on A", |e| matches!(e, OperatorEvent::Pong).then_some(()))
        .await;

    match nats {
        Some(stop) => {
            stop.now();
            // While the bus is away, the node says it is not ready (a load balancer sends new
            // clients elsewhere).
            let readyz = format!("{}/readyz", a.base);
            eventually("/readyz to say the bus is down", crate::sockets::WAIT, || async {
                let res = a.client.get(&readyz).send().await.unwrap();
                (res.status() == 503).then_some(res.text().await.unwrap())
            })
            .await;
            let _restarted = crate::nats::start(port).unwrap();
            eventually("/readyz to be ready again", crate::sockets::WAIT, || async {
                (a.client.get(&readyz).send().await.unwrap().status() == 200).then_some(())
            })
            .await;
        }
        None => {
            a.write_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND query LIKE 'LISTEN%'",
            )
            .await
        }
    }
    let (code, reason) = boss.closed_by_server(crate::sockets::WAIT).await;
    assert_eq!(
        (code, reason.as_str()),
        (1012, "events may have been missed; reconnect and resume")
    );

    // Reconnected, the console on A hears from a customer on B again.
    let mut boss = a.operator(SUPERVISOR).await;
    let mut v = b.visitor().await;
    v.send(&send("How do I reset my password?", "after")).await;
    let id = v
        .wait_for("the answer on B", from(SenderKind::Ai))
        .await
        .conversation_id;
    boss.wait_for("the conversation in A's inbox", |e| match e {
        OperatorEvent::Conversation { conversation } if conversation.id == id => Some(()),
        _ => None,
    })
    .await;
}
