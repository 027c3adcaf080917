//! A workflow's own handoff rules: a silent handoff tells the customer nothing, a trigger
//! phrase hands over at once (to the group it names), and an OpenAI-compatible model hands over
//! by calling `request_human`.

use app::events::{OperatorCommand, OperatorEvent, SenderKind, VisitorEvent};
use app::lifecycle::Status;
use app::workflows::{UpdateWorkflow, WorkflowSettings};
use app::AppError;

use crate::handoff::send;
use crate::helpers::*;
use crate::sockets::*;

const AGENT2: &str = "agent2@demo.switchboard.test";

async fn save(app: &TestApp, form: UpdateWorkflow) -> Result<WorkflowSettings, AppError> {
    app.run(form).await
}

/// A group "Retention" on the demo workflow, with only the second agent in it.
async fn retention(app: &TestApp) -> i64 {
    let group = app
        .store
        .create_group(1, "Retention", Some("Keeps customers"))
        .await
        .unwrap();
    app.store
        .add_group_workflow(1, group, app.demo_workflow().await)
        .await
        .unwrap();
    let agent2 = app
        .count(&format!("SELECT id FROM members WHERE email = '{AGENT2}'"))
        .await;
    app.store.add_group_member(1, group, agent2).await.unwrap();
    group
}

async fn conversation_of(v: &mut VisitorSocket) -> i64 {
    v.wait_for("my message", crate::handoff::from(SenderKind::Contact))
        .await
        .conversation_id
}

async fn notes(app: &TestApp, conversation: i64) -> Vec<String> {
    app.texts(&format!(
        "SELECT body FROM messages WHERE conversation_id = {conversation} AND internal = TRUE ORDER BY seq"
    ))
    .await
}

/// Every offer the operator's socket gets until `until` picks an event.
async fn offers_until(op: &mut OperatorSocket, what: &str, mut until: impl FnMut(&OperatorEvent) -> bool) -> Vec<i64> {
    let mut offered = Vec::new();
    op.wait_for(what, |e| {
        if let OperatorEvent::Offer { offer } = e {
            offered.push(offer.conversation.id);
        }
        until(e).then_some(())
    })
    .await;
    offered
}

#[tokio::test]
async fn a_silent_handoff_tells_the_customer_nothing_and_the_team_everything() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let silent = UpdateWorkflow {
        silent_handoff: checkbox(true),
        escalation_threshold: "1".into(),
        ..workflow_form()
    };
    save(&app, silent).await.expect("the workflow is saved");
    let mut v = app.visitor().await;
    v.send(&send("Can I talk to a human?", "s1")).await;
    let id = conversation_of(&mut v).await;
    eventually(
        "the conversation to wait for a person",
        std::time::Duration::from_secs(20),
        || async {
            let c = app.store.conversation(id).await.unwrap().unwrap();
            (c.status == Status::Waiting).then_some(())
        },
    )
    .await;
    app.take_over(id).await.expect("the admin takes over");
    let mut admin = app.operator(ADMIN).await;
    admin
        .send(&OperatorCommand::Send {
            conversation_id: id,
            body: "Hello, Adam here.".into(),
            idempotency_key: "a1".into(),
            internal: false,
            attachments: vec![],
        })
        .await;
    // Messages reach the visitor in order: by the operator's reply, any notice would be there.
    let mut seen = Vec::new();
    v.wait_for("the operator's reply", |e| {
        if let VisitorEvent::Message { message } = e {
            seen.push(message.clone());
        }
        matches!(e, VisitorEvent::Message { message } if message.sender_kind == SenderKind::Operator).then_some(())
    })
    .await;
    assert!(
        !seen.iter().any(|m| m.sender_kind == SenderKind::System),
        "the customer was told: {seen:#?}"
    );
    let notes = notes(&app, id).await;
    assert!(notes.iter().any(|n| n.contains("silent")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("joined the conversation")), "{notes:?}");
}

#[tokio::test]
async fn a_trigger_phrase_hands_over_at_once_and_only_its_group_is_offered_it() {
    let app = TestApp::signed_in_as(ADMIN).await;
    // A group that does not exist is refused in words.
    let triggers = UpdateWorkflow {
        handoff_triggers: "cancel, cancelling -> Retention".into(),
        ..workflow_form()
    };
    match save(&app, triggers.clone()).await {
        Err(AppError::Invalid { field, message }) => {
            assert_eq!(field, "Handoff triggers");
            assert!(message.contains("Retention"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    retention(&app).await;
    let saved = save(
        &app,
        UpdateWorkflow {
            escalation_threshold: "3".into(),
            ..triggers
        },
    )
    .await
    .unwrap();
    assert_eq!(saved.handoff_triggers, "cancel, cancelling -> Retention");
    let mut agent1 = crate::routing::live_operator(&app, AGENT).await;
    let mut agent2 = crate::routing::live_operator(&app, AGENT2).await;

    let mut v = app.visitor().await;
    v.send(&send("I'm cancelling my plan", "t1")).await;
    let id = conversation_of(&mut v).await;
    let handoff = v
        .wait_for("the handoff message", crate::handoff::from(SenderKind::System))
        .await;
    assert_eq!(handoff.body, "Connecting you with our team now.");
    let offered = crate::routing::offer(&mut agent2).await;
    assert_eq!(offered.conversation.id, id);
    let notes = notes(&app, id).await;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("“cancelling”") && n.contains("Retention")),
        "{notes:?}"
    );
    // The other agent, outside the group, is never offered it: by the time they see it taken,
    // no offer came.
    agent2.send(&OperatorCommand::Accept { conversation_id: id }).await;
    let offers = offers_until(&mut agent1, "the conversation taken", |e| {
        matches!(e, OperatorEvent::Conversation { conversation } if conversation.id == id && conversation.status == Status::Active)
    })
    .await;
    assert!(!offers.contains(&id), "offered outside the group");
}

/// An OpenAI-compatible stand-in that always asks for a person in the Retention group, and
/// keeps the tools it was offered.
async fn model_asking_for_a_person() -> (String, std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    use axum::routing::post;
    let offered = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = offered.clone();
    let router = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |body: axum::Json<serde_json::Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body["tools"].clone());
                axum::Json(serde_json::json!({
                    "id": "chatcmpl-2", "object": "chat.completion",
                    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                        "role": "assistant", "content": null,
                        "tool_calls": [{"id": "call_1", "type": "function", "function": {
                            "name": "request_human",
                            "arguments": "{\"reason\": \"wants a refund outside the policy\", \"group\": \"Retention\"}"
                        }}]
                    }}]
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, offered)
}

#[tokio::test]
async fn the_model_hands_over_with_request_human_to_the_group_it_names() {
    let app = TestApp::signed_in_as(ADMIN).await;
    retention(&app).await;
    let (base, tools) = model_asking_for_a_person().await;
    crate::assistant::use_llm(&app, &base, "test-key", 10).await;
    let mut agent2 = crate::routing::live_operator(&app, AGENT2).await;

    let mut v = app.visitor().await;
    v.send(&send("I want my money back for last year", "m1")).await;
    let id = conversation_of(&mut v).await;
    v.wait_for("the handoff message", crate::handoff::from(SenderKind::System))
        .await;
    assert_eq!(crate::routing::offer(&mut agent2).await.conversation.id, id);
    let notes = notes(&app, id).await;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("wants a refund outside the policy") && n.contains("Retention")),
        "{notes:?}"
    );
    // The model was offered the tool, with the workspace's groups to choose from.
    let offered = tools.lock().unwrap()[0].clone();
    assert_eq!(offered[0]["function"]["name"], "request_human");
    let groups = offered[0]["function"]["parameters"]["properties"]["group"]["enum"].clone();
    assert!(groups.as_array().unwrap().iter().any(|g| g == "Retention"), "{groups}");
    // No answer from the assistant after it asked for a person.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = {id} AND sender_kind = 'ai'"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn a_customer_left_unanswered_is_offered_to_someone_else_with_a_note() {
    let app = TestApp::signed_in_as(ADMIN).await;
    app.store
        .set_reassign_after(app.demo_workflow().await, 1)
        .await
        .unwrap();
    let mut ava = crate::routing::live_operator(&app, AGENT).await;
    let mut ben = crate::routing::live_operator(&app, AGENT2).await;
    let mut v = app.visitor().await;
    let id = crate::handoff::escalate(&mut v).await;
    // Whoever is offered it first takes it and then says nothing.
    let (first, second) = tokio::select! {
        o = crate::routing::offer(&mut ava) => { assert_eq!(o.conversation.id, id); (&mut ava, &mut ben) }
        o = crate::routing::offer(&mut ben) => { assert_eq!(o.conversation.id, id); (&mut ben, &mut ava) }
    };
    first.send(&OperatorCommand::Accept { conversation_id: id }).await;
    v.wait_for("the operator joining", crate::handoff::from(SenderKind::System))
        .await;
    v.send(&send("Hello? Is anyone there?", "u1")).await;
    // The other operator is offered it once the first has been silent past the limit.
    let offers = offers_until(
        second,
        "the silent conversation offered",
        |e| matches!(e, OperatorEvent::Offer { offer } if offer.conversation.id == id),
    )
    .await;
    assert!(offers.contains(&id));
    let c = app.store.conversation(id).await.unwrap().unwrap();
    assert_eq!((c.status, c.assignee_id), (Status::Waiting, None));
    let notes = notes(&app, id).await;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("had not answered the customer for 1 seconds")),
        "{notes:?}"
    );
    let ended = app
        .texts(&format!(
            "SELECT outcome FROM operator_sessions WHERE conversation_id = {id} ORDER BY id"
        ))
        .await;
    assert_eq!(ended, vec!["transferred".to_string()]);

    // Taken by the second, who answers: never silent, however long the customer then waits.
    second.send(&OperatorCommand::Accept { conversation_id: id }).await;
    eventually(
        "the second operator holding it",
        std::time::Duration::from_secs(20),
        || async {
            let c = app.store.conversation(id).await.unwrap().unwrap();
            (c.status == Status::Active).then_some(())
        },
    )
    .await;
    let holder = app.store.conversation(id).await.unwrap().unwrap().assignee_id.unwrap();
    app.store
        .append_operator_message(id, holder, "Here now, sorry for the wait.", "h1", &[])
        .await
        .ok()
        .expect("the reply is stored");
    let later = server::store::now_ms() + 60_000;
    let silent = app.store.silent_conversations(later).await.unwrap();
    assert!(silent.iter().all(|s| s.conversation_id != id), "{silent:?}");

    // The customer writing again starts the wait anew from that message; a note for the team
    // does not answer them, nor does a second message of theirs restart the clock. (An hour's
    // limit now, so that the router's own round cannot reassign it while this looks.)
    app.store
        .set_reassign_after(app.demo_workflow().await, 3600)
        .await
        .unwrap();
    let asked = app
        .store
        .append_visitor_message(id, "Still there?", "u2", &[])
        .await
        .expect("stored")
        .message
        .created_at;
    app.store
        .append_note(id, holder, "Looking it up", "n1", &[])
        .await
        .expect("the note is stored");
    app.store
        .append_visitor_message(id, "Hello?", "u3", &[])
        .await
        .expect("stored");
    let silent_at = |now: i64| {
        let store = app.store.clone();
        async move {
            store
                .silent_conversations(now)
                .await
                .unwrap()
                .iter()
                .any(|s| s.conversation_id == id)
        }
    };
    assert!(
        !silent_at(asked + 3_599_999).await,
        "not yet an hour since the customer asked"
    );
    assert!(
        silent_at(asked + 3_600_000).await,
        "an hour after the customer's first unanswered message"
    );
    app.store
        .append_operator_message(id, holder, "Found it.", "h2", &[])
        .await
        .ok()
        .expect("the reply is stored");
    assert!(!silent_at(asked + 7_200_000).await, "answered again");
}

#[tokio::test]
async fn supervisors_are_alerted_of_a_conversation_waiting_with_nobody_live() {
    let app = TestApp::signed_in_as(ADMIN).await;
    app.store.set_alert_after(app.demo_workflow().await, 1).await.unwrap();
    let mut supervisor = app.operator(SUPERVISOR).await;
    let mut v = app.visitor().await;
    let id = crate::handoff::escalate(&mut v).await;
    let (alerted, name) = supervisor
        .wait_for("the alert", |e| match e {
            OperatorEvent::WaitingAlert {
                conversation_id,
                workflow_name,
                ..
            } => Some((*conversation_id, workflow_name.clone())),
            _ => None,
        })
        .await;
    assert_eq!((alerted, name.as_str()), (id, "Support Assistant"));
    // Someone going live is offered it as usual.
    let mut agent = crate::routing::live_operator(&app, AGENT).await;
    let offered = crate::routing::offer(&mut agent).await;
    assert_eq!(offered.conversation.id, id);
}
