//! The assistant's OpenAI-compatible provider, reached on loopback: a fake that checks the key
//! and answers when told, and what Switchboard does when the provider answers, fails, is slow
//! or is overtaken by a person.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::events::{SenderKind, VisitorEvent};

use crate::handoff::*;
use crate::helpers::*;

/// What the fake provider has seen: requests begun, and requests over (answered, or dropped
/// because Switchboard hung up).
pub(crate) struct Calls {
    pub(crate) started: AtomicUsize,
    over: AtomicUsize,
    /// Closed while the provider holds its answers back (`Answer::WhenReleased`).
    gate: tokio::sync::Semaphore,
}

impl Calls {
    /// Lets every held answer, and every later one, go.
    pub(crate) fn release(&self) {
        self.gate.add_permits(tokio::sync::Semaphore::MAX_PERMITS / 2);
    }
}

/// When the fake provider answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    AtOnce,
    /// Only once the test calls `Calls::release` (or never: a provider that hangs).
    WhenReleased,
}

/// Counts a request as over when it is dropped, whichever way it ends.
struct Over(Arc<Calls>);

impl Drop for Over {
    fn drop(&mut self) {
        self.0.over.fetch_add(1, Ordering::SeqCst);
    }
}

/// A loopback stand-in for an OpenAI-compatible server: checks the bearer key, answers `status`
/// with a chat completion when `answer` says.
pub(crate) async fn fake_llm(answer: Answer, status: u16) -> (String, Arc<Calls>) {
    use axum::routing::post;
    let calls = Arc::new(Calls {
        started: AtomicUsize::new(0),
        over: AtomicUsize::new(0),
        gate: tokio::sync::Semaphore::new(0),
    });
    if answer == Answer::AtOnce {
        calls.release();
    }
    let counter = calls.clone();
    let router = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |headers: axum::http::HeaderMap, body: axum::Json<serde_json::Value>| {
            let counter = counter.clone();
            async move {
                counter.started.fetch_add(1, Ordering::SeqCst);
                let _over = Over(counter.clone());
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer test-key") {
                    return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({"error": {"message": "bad key"}})));
                }
                assert_eq!(body["model"], "test-model");
                let last = body["messages"].as_array().unwrap().last().unwrap()["content"].as_str().unwrap().to_string();
                let _go = counter.gate.acquire().await;
                let code = axum::http::StatusCode::from_u16(status).unwrap();
                (code, axum::Json(serde_json::json!({
                    "id": "chatcmpl-1", "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": format!("LLM says: you asked \"{last}\"")}, "finish_reason": "stop"}]
                })))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, calls)
}

pub async fn use_llm(app: &TestApp, base: &str, key: &str, timeout: i64) {
    let workflow = app.demo_workflow().await;
    app.store
        .set_workflow_provider(workflow, "openai", Some(base), Some("test-model"), Some(key), timeout)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_openai_compatible_provider_answers_with_the_whole_thread() {
    let app = spawn_app().await;
    let (base, calls) = fake_llm(Answer::AtOnce, 200).await;
    use_llm(&app, &base, "test-key", 5).await;
    let mut v = app.visitor().await;
    v.send(&send("Do you ship to Norway?", "n1")).await;
    let answer = v.wait_for("the model's answer", from(SenderKind::Ai)).await;
    assert_eq!(answer.body, "LLM says: you asked \"Do you ship to Norway?\"");
    assert_eq!(calls.started.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failing_provider_leaves_a_note_for_the_team_and_a_polite_fallback_for_the_visitor() {
    let app = spawn_app().await;
    let (base, _) = fake_llm(Answer::AtOnce, 200).await;
    use_llm(&app, &base, "wrong-key", 5).await;
    let mut v = app.visitor().await;
    v.send(&send("Do you ship to Norway?", "n1")).await;
    let fallback = v.wait_for("the fallback", from(SenderKind::Ai)).await;
    assert_eq!(fallback.body, server::conversations::AI_FALLBACK);
    let all = app
        .store
        .messages_after(fallback.conversation_id, 0, false, 100)
        .await
        .unwrap();
    let note = all.iter().find(|m| m.internal).expect("an internal note");
    assert!(
        note.body
            .starts_with("The assistant could not answer: the AI provider answered with HTTP 401"),
        "{}",
        note.body
    );
    let visitor_view = v.drain(Duration::from_millis(300)).await;
    assert!(
        !visitor_view.iter().any(|e| message(e).is_some_and(|m| m.internal)),
        "the visitor never sees the note"
    );
}

#[tokio::test]
async fn a_provider_that_times_out_does_not_hang_the_conversation() {
    let app = spawn_app().await;
    let (base, _) = fake_llm(Answer::WhenReleased, 200).await;
    use_llm(&app, &base, "test-key", 1).await;
    let mut v = app.visitor().await;
    v.send(&send("Do you ship to Norway?", "n1")).await;
    let fallback = v.wait_for("the fallback", from(SenderKind::Ai)).await;
    assert_eq!(fallback.body, server::conversations::AI_FALLBACK);
}

#[tokio::test]
async fn no_ai_message_arrives_after_a_takeover_even_when_the_reply_was_in_flight() {
    let app = TestApp::signed_in_as(SUPERVISOR).await;
    let (base, calls) = fake_llm(Answer::WhenReleased, 200).await;
    use_llm(&app, &base, "test-key", 10).await;
    let mut v = app.visitor().await;
    v.send(&send("Do you ship to Norway?", "n1")).await;
    let mine = v.wait_for("my message", from(SenderKind::Contact)).await;
    // Wait until the assistant is generating, then take over.
    eventually("the reply to be in flight", Duration::from_secs(5), || async {
        (calls.started.load(Ordering::SeqCst) > 0).then_some(())
    })
    .await;
    assert_eq!(calls.started.load(Ordering::SeqCst), 1, "one reply is in flight");
    app.take_over(mine.conversation_id).await.unwrap();
    // The provider answers now, after the takeover.
    calls.release();
    // The provider's request ends (Switchboard hangs up, or gets its answer and drops it);
    // then the visitor writes again and is acknowledged, so the server has moved on.
    eventually("the provider's request to be over", Duration::from_secs(5), || async {
        (calls.over.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;
    v.send(&send("Hello?", "n2")).await;
    v.wait_for("my second message", |e| match e {
        VisitorEvent::Ack { idempotency_key, .. } if idempotency_key == "n2" => Some(()),
        _ => None,
    })
    .await;
    let stored = app
        .store
        .messages_after(mine.conversation_id, 0, false, 100)
        .await
        .unwrap();
    assert!(stored.iter().all(|m| m.sender_kind != SenderKind::Ai), "{stored:#?}");
    assert!(!v
        .drain(Duration::from_millis(200))
        .await
        .iter()
        .any(|e| message(e).is_some_and(|m| m.sender_kind == SenderKind::Ai)));
}

#[tokio::test]
async fn server_wide_openai_settings_serve_workflows_without_their_own() {
    let (base, calls) = fake_llm(Answer::AtOnce, 200).await;
    let app = spawn_app_with(&[
        ("SWITCHBOARD_OPENAI_BASE_URL", base.as_str()),
        ("SWITCHBOARD_OPENAI_API_KEY", "test-key"),
        ("SWITCHBOARD_OPENAI_MODEL", "test-model"),
    ])
    .await;
    let workflow = app.demo_workflow().await;
    app.store
        .set_workflow_provider(workflow, "openai", None, None, None, 5)
        .await
        .unwrap();
    let mut v = app.visitor().await;
    v.send(&send("Do you ship to Norway?", "n1")).await;
    let answer = v.wait_for("the model's answer", from(SenderKind::Ai)).await;
    assert_eq!(answer.body, "LLM says: you asked \"Do you ship to Norway?\"");
    assert_eq!(calls.started.load(Ordering::SeqCst), 1);
}
