//! A restart on the same database: waiting conversations go back in their queues without a
//! second notice to their visitors, and an operator who does not come back has their
//! conversations handed on.

use std::time::Duration;

use app::conversation::TakeOver;
use app::events::{SenderKind, VisitorCommand, VisitorEvent};
use app::settings::UpdateWorkspaceSettings;
use sqlx::Connection;

use crate::helpers::*;
use crate::process::*;
use crate::sockets::*;

const QUEUE_NOTICE: &str = "All of our team are busy right now.%";

/// The visitor writes and waits for the acknowledgement; gives the conversation.
async fn says(v: &mut VisitorSocket, body: &str, key: &str) -> i64 {
    v.send(&VisitorCommand::Send {
        body: body.into(),
        idempotency_key: key.into(),
        attachments: vec![],
    })
    .await;
    v.wait_for("my message", |e| match e {
        VisitorEvent::Message { message } if message.idempotency_key.as_deref() == Some(key) => {
            Some(message.conversation_id)
        }
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_queues_return_quietly_and_an_absent_operators_conversations_move_on() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = switchboard(dir.path(), &["seed-demo"]).output().unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let first = serve(dir.path(), &dir.path().join("first.log"));

    // Operators on, and a disconnected operator's conversations move on after five seconds.
    let admin = first.signed_in(ADMIN).await;
    let settings = UpdateWorkspaceSettings {
        name: "Acme Support".into(),
        default_chat_limit: "3".into(),
        disconnect_timeout_secs: "5".into(),
        reroute_on_disconnect: checkbox(true),
    };
    let res = first.send(&admin, &settings).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // Ava holds one conversation; another waits in the queue, its visitor told their place.
    let mut held_visitor = first.visitor().await;
    let held = says(&mut held_visitor, "My order is late", "held-1").await;
    let ava = first.signed_in(AGENT).await;
    let res = first.send(&ava, &TakeOver { id: held }).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let mut waiting_visitor = first.visitor().await;
    let mut waiting = 0;
    for (i, text) in ["Can I talk to a human?", "I want a real person", "agent please"]
        .iter()
        .enumerate()
    {
        waiting = says(&mut waiting_visitor, text, &format!("esc-{i}")).await;
    }
    waiting_visitor
        .wait_for("the place in line", |e| match e {
            VisitorEvent::Message { message }
                if message.sender_kind == SenderKind::System
                    && message.body.starts_with("All of our team are busy") =>
            {
                Some(())
            }
            _ => None,
        })
        .await;

    // The server stops hard; it starts again on the same database. Ava never reconnects.
    drop(first);
    let second = serve(dir.path(), &dir.path().join("second.log"));
    second.assert_ready().await;

    let state = |id: i64| {
        let dir = dir.path().to_path_buf();
        async move {
            let mut conn = connect_to(&dir).await;
            let row: (Option<i64>, String, i64) = sqlx::query_as(
                "SELECT assignee_id, status,
                        (SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND sender_kind = 'system' AND body LIKE $2)
                 FROM conversations WHERE id = $1",
            )
            .bind(id)
            .bind(QUEUE_NOTICE)
            .fetch_one(&mut conn)
            .await
            .unwrap();
            conn.close().await.unwrap();
            row
        }
    };
    // Ava's conversation waits for someone else now.
    eventually(
        "Ava's conversation to be handed on",
        Duration::from_secs(20),
        || async {
            let (assignee, status, _) = state(held).await;
            (assignee.is_none() && status == "waiting").then_some(())
        },
    )
    .await;
    // The one that was waiting already was queued again without telling its visitor twice.
    let (assignee, status, notices) = state(waiting).await;
    assert_eq!((assignee, status.as_str(), notices), (None, "waiting", 1));
}

/// The assistant's answer that was on its way when the server stopped is produced after the
/// start, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assistant_answer_lost_in_a_restart_is_given_after_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = switchboard(dir.path(), &["seed-demo"]).output().unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let url =
        database_url_of(dir.path()).unwrap_or(format!("sqlite://{}", dir.path().join("switchboard.db").display()));
    let key_file = dir.path().join("secret.key");
    let use_llm = |base: String| {
        let url = url.clone();
        let key_file = key_file.clone();
        async move {
            let store = server::store::Store::open(&url).await.unwrap();
            // The key the server seals secrets with, from its data directory.
            let key = std::fs::read_to_string(key_file.clone()).unwrap();
            store.use_sealer(server::store::sealed::Sealer::new(key.trim().as_bytes(), None));
            store
                .set_workflow_provider(1, "openai", Some(&base), Some("test-model"), Some("test-key"), 60)
                .await
                .unwrap();
            store.close().await;
        }
    };
    // A provider that takes its time: the server stops while it thinks.
    let (slow, calls) = crate::assistant::fake_llm(crate::assistant::Answer::WhenReleased, 200).await;
    use_llm(slow).await;
    let first = serve(dir.path(), &dir.path().join("first.log"));
    first.assert_ready().await;
    let mut v = first.visitor().await;
    let id = says(&mut v, "Where is my parcel?", "parcel").await;
    eventually("the assistant to ask the provider", Duration::from_secs(10), || async {
        (calls.started.load(std::sync::atomic::Ordering::SeqCst) == 1).then_some(())
    })
    .await;
    drop(first);

    let (quick, _) = crate::assistant::fake_llm(crate::assistant::Answer::AtOnce, 200).await;
    use_llm(quick).await;
    let second = serve(dir.path(), &dir.path().join("second.log"));
    second.assert_ready().await;
    let answers = eventually("the answer after the start", Duration::from_secs(10), || {
        let dir = dir.path().to_path_buf();
        async move {
            let mut conn = connect_to(&dir).await;
            let bodies: Vec<String> = sqlx::query_scalar(
                "SELECT body FROM messages WHERE conversation_id = $1 AND sender_kind = 'ai' ORDER BY seq",
            )
            .bind(id)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            conn.close().await.unwrap();
            (!bodies.is_empty()).then_some(bodies)
        }
    })
    .await;
    assert_eq!(answers, ["LLM says: you asked \"Where is my parcel?\""]);
}
