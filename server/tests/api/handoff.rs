//! The handoff loop over real WebSockets: the visitor talks to the assistant, asks for a human,
//! an operator takes over and replies, and hands back.

use std::time::Duration;

use app::chat::{GetWidgetChannel, StartVisitor};
use app::conversation::TakeOver;
use app::events::{
    MessageView, OperatorCommand, OperatorEvent, SenderKind, VisitorCommand, VisitorEvent, MAX_MESSAGE_CHARS,
};
use app::lifecycle::{Handler, Status};
use app::AppError;

use crate::helpers::*;

const AGENT2: &str = "agent2@demo.switchboard.test";
use crate::sockets::*;

pub(crate) fn message(ev: &VisitorEvent) -> Option<MessageView> {
    match ev {
        VisitorEvent::Message { message } => Some(message.clone()),
        _ => None,
    }
}

pub(crate) fn from(kind: SenderKind) -> impl FnMut(&VisitorEvent) -> Option<MessageView> {
    move |ev| message(ev).filter(|m| m.sender_kind == kind)
}

pub(crate) fn send(body: &str, key: &str) -> VisitorCommand {
    VisitorCommand::Send {
        body: body.into(),
        idempotency_key: key.into(),
        attachments: vec![],
    }
}

pub(crate) async fn escalate(v: &mut VisitorSocket) -> i64 {
    for (i, text) in ["Can I talk to a human?", "I want a real person", "agent please"]
        .iter()
        .enumerate()
    {
        v.send(&send(text, &format!("esc-{i}"))).await;
        v.wait_for("the ack", |e| matches!(e, VisitorEvent::Ack { .. }).then_some(()))
            .await;
    }
    let notice = v.wait_for("the handoff message", from(SenderKind::System)).await;
    assert_eq!(notice.body, "A human agent will be with you shortly.");
    notice.conversation_id
}

#[tokio::test]
async fn the_assistant_answers_a_visitor_from_the_workflows_answers() {
    let app = spawn_app().await;
    let mut v = app.visitor().await;
    v.send(&send("How do I reset my password?", "k1")).await;
    let mine = v.wait_for("my message", from(SenderKind::Contact)).await;
    assert_eq!((mine.seq, mine.body.as_str()), (1, "How do I reset my password?"));
    let answer = v.wait_for("the assistant's answer", from(SenderKind::Ai)).await;
    assert_eq!(answer.seq, 2);
    assert!(answer.body.contains("Forgot password"), "{}", answer.body);
    assert_eq!(answer.sender_name, "Support Assistant");
}

#[tokio::test]
async fn asking_for_a_human_three_times_hands_off_and_the_assistant_goes_quiet() {
    let app = spawn_app().await;
    let operator = TestApp::client_signed_in(&app, AGENT).await;
    // Someone is live, so the handoff finds a person and the assistant steps back. (With
    // nobody live the visitor is queued and the assistant keeps helping: see routing.rs.)
    let mut live = app.operator(AGENT2).await;
    let workflow = app.demo_workflow().await;
    live.send(&OperatorCommand::GoLive {
        workflow_ids: vec![workflow],
    })
    .await;
    live.wait_for("going live", |e| match e {
        OperatorEvent::Presence { presence } if !presence.live_workflows.is_empty() => Some(()),
        _ => None,
    })
    .await;
    let mut v = app.visitor().await;
    let conversation = escalate(&mut v).await;

    let inbox = app.run_as(&operator, inbox_filter()).await.unwrap().conversations;
    let c = inbox
        .iter()
        .find(|c| c.id == conversation)
        .expect("the conversation is in the agent's inbox");
    assert_eq!((c.status.as_str(), c.handler.as_str()), ("waiting", "ai"));
    assert!(c.escalated_at.is_some());

    v.send(&send("hello? how do I reset my password?", "after")).await;
    let later = v.drain(Duration::from_millis(800)).await;
    assert!(
        !later
            .iter()
            .any(|e| message(e).is_some_and(|m| m.sender_kind == SenderKind::Ai)),
        "no AI message after the handoff: {later:#?}"
    );
}

#[tokio::test]
async fn a_conversation_of_an_auto_escalation_workflow_stays_out_of_the_inbox_until_it_escalates() {
    let app = TestApp::signed_in_as(SUPERVISOR).await;
    let mut v = app.visitor().await;
    v.send(&send("What are your opening hours?", "a")).await;
    v.wait_for("the answer", from(SenderKind::Ai)).await;
    assert!(app.conversations().await.unwrap().is_empty());
    escalate(&mut v).await;
    assert_eq!(app.conversations().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_operator_inbox_is_told_of_an_escalation_without_asking() {
    let app = spawn_app().await;
    let mut op = app.operator(AGENT).await;
    let mut v = app.visitor().await;
    let conversation = escalate(&mut v).await;
    let summary = op
        .wait_for("the escalated conversation", |e| match e {
            OperatorEvent::Conversation { conversation: c } if c.status == Status::Waiting => Some(c.clone()),
            _ => None,
        })
        .await;
    assert_eq!(summary.id, conversation);
    // The preview is the latest words of the customer or the assistant, never Switchboard's
    // handoff notice.
    let preview = summary.last_message.expect("a preview");
    let spoken: Vec<String> = app
        .store
        .messages_after(conversation, 0, true, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.sender_kind != SenderKind::System)
        .map(|m| m.body)
        .collect();
    assert!(spoken.contains(&preview), "{preview} is not among {spoken:?}");
    assert_ne!(preview, "A human agent will be with you shortly.");
}

#[tokio::test]
async fn an_operator_takes_over_replies_and_the_visitor_sees_it_then_the_assistant_resumes_after_restore() {
    let app = TestApp::signed_in_as(AGENT).await;
    let mut v = app.visitor().await;
    let conversation = escalate(&mut v).await;

    let taken = app.take_over(conversation).await.unwrap();
    assert_eq!(
        (taken.status.as_str(), taken.handler.as_str(), taken.assignee.as_deref()),
        ("active", "human", Some("Ava Agent"))
    );
    let joined = v
        .wait_for("the join notice", |e| {
            message(e).filter(|m| m.body.ends_with("joined the conversation."))
        })
        .await;
    assert_eq!(joined.body, "Ava Agent joined the conversation.");

    let mut op = app.operator(AGENT).await;
    op.watch(conversation).await;
    op.say(conversation, "Hi, I'm Ava. How can I help?", "op-1", false)
        .await;
    op.wait_for("the ack", |e| matches!(e, OperatorEvent::Ack { .. }).then_some(()))
        .await;
    let reply = v.wait_for("the operator's reply", from(SenderKind::Operator)).await;
    assert_eq!(
        (reply.body.as_str(), reply.sender_name.as_str()),
        ("Hi, I'm Ava. How can I help?", "Ava Agent")
    );

    let restored = app.restore_to_ai(conversation).await.unwrap();
    assert_eq!(
        (restored.handler.as_str(), restored.status.as_str(), restored.assignee),
        ("ai", "open", None)
    );
    v.send(&send("Where can I find my invoice?", "q2")).await;
    let answer = v.wait_for("the assistant again", from(SenderKind::Ai)).await;
    assert!(answer.body.contains("Billing → Invoices"), "{}", answer.body);
}

#[tokio::test]
async fn a_reconnecting_visitor_gets_what_it_missed_in_order_with_no_gap_and_no_duplicate() {
    let app = TestApp::signed_in_as(AGENT).await;
    let token = app.visitor_token().await;
    let mut v = app.visitor_with(&token).await;
    v.send(&send("How do I reset my password?", "r1")).await;
    v.wait_for("the answer", from(SenderKind::Ai)).await;
    let conversation = escalate(&mut v).await;
    // Nobody is live: the visitor is told their place in line before going away.
    v.wait_for("the place in line", |e| {
        matches!(e, VisitorEvent::Queue { .. }).then_some(())
    })
    .await;
    let seen = app
        .store
        .messages_after(conversation, 0, true, 100)
        .await
        .unwrap()
        .last()
        .unwrap()
        .seq;
    v.close().await;

    // While the visitor is away: the operator takes over and writes twice.
    app.take_over(conversation).await.unwrap();
    let mut op = app.operator(AGENT).await;
    op.watch(conversation).await;
    for (i, text) in ["Are you still there?", "I can help with the reset."]
        .iter()
        .enumerate()
    {
        op.send(&OperatorCommand::Send {
            conversation_id: conversation,
            body: text.to_string(),
            idempotency_key: format!("w{i}"),
            internal: false,
            attachments: vec![],
        })
        .await;
        op.wait_for("the ack", |e| matches!(e, OperatorEvent::Ack { .. }).then_some(()))
            .await;
    }

    let mut back = app.visitor_with_resume(&token, seen).await;
    let missed: Vec<MessageView> = back
        .drain(Duration::from_millis(700))
        .await
        .iter()
        .filter_map(message)
        .collect();
    let seqs: Vec<i64> = missed.iter().map(|m| m.seq).collect();
    let expected: Vec<i64> = app
        .store
        .messages_after(conversation, seen, true, 100)
        .await
        .unwrap()
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(seqs, expected, "exactly the missed messages, in order");
    assert_eq!(
        missed.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        vec![
            "Ava Agent joined the conversation.",
            "Are you still there?",
            "I can help with the reset."
        ]
    );
}

/// Two writers (a visitor's message and the assistant's answer to the one before) publish in
/// the order their commits return, not always in sequence order: a message overtaken by a later
/// one still reaches the visitor and the operator watching.
#[tokio::test]
async fn a_message_published_after_a_later_one_still_reaches_the_sockets() {
    let app = spawn_app().await;
    let mut v = app.visitor().await;
    v.send(&send("How do I reset my password?", "first")).await;
    let answer = v.wait_for("the answer", from(SenderKind::Ai)).await;
    let conversation = answer.conversation_id;
    let mut op = app.operator(AGENT).await;
    op.watch(conversation).await;
    op.wait_for("the answer in the backlog", |e| match e {
        OperatorEvent::Message { message } if message.seq == answer.seq => Some(()),
        _ => None,
    })
    .await;
    let message = |seq: i64, body: &str| MessageView {
        conversation_id: conversation,
        seq,
        body: body.into(),
        ..answer.clone()
    };
    let publish = |m: MessageView| {
        app.hub.publish(
            server::hub::Topic::Conversation(conversation),
            &server::hub::Event {
                seq: Some(m.seq),
                for_visitors: Some(
                    serde_json::to_string(&VisitorEvent::Message { message: m.clone() })
                        .unwrap()
                        .into(),
                ),
                for_operators: Some(
                    serde_json::to_string(&OperatorEvent::Message { message: m })
                        .unwrap()
                        .into(),
                ),
                ..Default::default()
            },
        )
    };
    publish(message(answer.seq + 2, "the later one"));
    publish(message(answer.seq + 1, "the overtaken one"));
    for seq in [answer.seq + 2, answer.seq + 1] {
        v.wait_for("each message", |e| match e {
            VisitorEvent::Message { message } if message.seq == seq => Some(()),
            _ => None,
        })
        .await;
        op.wait_for("each message", |e| match e {
            OperatorEvent::Message { message } if message.seq == seq => Some(()),
            _ => None,
        })
        .await;
    }
}

#[tokio::test]
async fn a_retried_send_with_the_same_idempotency_key_stores_one_message() {
    let app = spawn_app().await;
    let mut v = app.visitor().await;
    let mut seqs = Vec::new();
    for _ in 0..3 {
        v.send(&send("Where can I find my invoice?", "same-key")).await;
        seqs.push(
            v.wait_for("the ack", |e| match e {
                VisitorEvent::Ack { seq, .. } => Some(*seq),
                _ => None,
            })
            .await,
        );
    }
    assert_eq!(seqs, vec![1, 1, 1]);
    let conversation = app.store.newest_conversation().await.unwrap().unwrap();
    let stored = app.store.messages_after(conversation, 0, false, 100).await.unwrap();
    assert_eq!(
        stored.iter().filter(|m| m.sender_kind == SenderKind::Contact).count(),
        1
    );
}

#[tokio::test]
async fn two_operators_replying_at_once_leave_exactly_one_owner() {
    let app = spawn_app().await;
    let mut v = app.visitor().await;
    let conversation = escalate(&mut v).await;
    let mut a = app.operator(AGENT).await;
    let mut b = app.operator("agent2@demo.switchboard.test").await;
    for op in [&mut a, &mut b] {
        op.watch(conversation).await;
    }
    a.say(conversation, "I've got this", "a", false).await;
    b.say(conversation, "Let me help", "b", false).await;
    let outcome = |ev: &OperatorEvent| match ev {
        OperatorEvent::Ack { .. } => Some(Ok(())),
        OperatorEvent::Error {
            message,
            idempotency_key: Some(_),
        } => Some(Err(message.clone())),
        _ => None,
    };
    let (ra, rb) = (
        a.wait_for("a's outcome", outcome).await,
        b.wait_for("b's outcome", outcome).await,
    );
    assert!(ra.is_ok() != rb.is_ok(), "exactly one operator wins: {ra:?} {rb:?}");
    let loser_message = ra.clone().err().or(rb.clone().err()).unwrap();
    let winner = if ra.is_ok() { "Ava Agent" } else { "Ben Agent" };
    assert_eq!(
        loser_message,
        format!("{winner} is already handling this conversation.")
    );
    let summary = app.store.conversation_summary(conversation).await.unwrap().unwrap();
    assert_eq!(summary.assignee.as_deref(), Some(winner));
    let operator_messages = app
        .store
        .messages_after(conversation, 0, false, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.sender_kind == SenderKind::Operator)
        .count();
    assert_eq!(operator_messages, 1, "the losing reply was not stored");
}

#[tokio::test]
async fn empty_and_oversized_messages_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let mut v = app.visitor().await;
    v.send(&send("   ", "e1")).await;
    let err = v
        .wait_for("the refusal", |e| match e {
            VisitorEvent::Error {
                message,
                idempotency_key,
            } => Some((message.clone(), idempotency_key.clone())),
            _ => None,
        })
        .await;
    assert_eq!(err, ("Message: is empty".to_string(), Some("e1".to_string())));
    v.send(&send(&"x".repeat(MAX_MESSAGE_CHARS + 1), "e2")).await;
    let err = v.refusal().await;
    assert_eq!(
        err,
        format!(
            "Message: is {} characters long; the limit is {MAX_MESSAGE_CHARS}",
            MAX_MESSAGE_CHARS + 1
        )
    );
    v.send(&VisitorCommand::Ping).await;
    v.wait_for("pong", |e| matches!(e, VisitorEvent::Pong).then_some(()))
        .await;
    assert_eq!(
        app.store.newest_conversation().await.unwrap(),
        None,
        "nothing was stored"
    );
}

#[tokio::test]
async fn an_unknown_channel_is_named_in_a_clear_error() {
    let app = spawn_app().await;
    let start = StartVisitor {
        key: "no-such-channel".into(),
    };
    let res = app.send(&app.client, &start).await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        result::<String>(res).await.unwrap_err().to_string(),
        "The chat channel \u{201c}no-such-channel\u{201d} was not found."
    );
    let channel = GetWidgetChannel {
        key: "no-such-channel".into(),
    };
    let res = app.send(&app.client, &channel).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_visitor_token_reaches_only_its_own_conversation() {
    let app = spawn_app().await;
    let mut alice = app.visitor().await;
    alice.send(&send("My account number is 12345", "a1")).await;
    alice.wait_for("the answer", from(SenderKind::Ai)).await;
    let mut bob = app.visitor().await;
    bob.send(&send("Hello", "b1")).await;
    let bobs: Vec<MessageView> = bob
        .drain(Duration::from_millis(700))
        .await
        .iter()
        .filter_map(message)
        .collect();
    assert!(bobs.iter().all(|m| !m.body.contains("12345")), "{bobs:#?}");
    assert!(bobs.iter().all(|m| m.seq <= 2));

    let token = app.visitor_token().await;
    let (payload, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{payload}.{}", "0".repeat(64));
    assert!(app.visitor_refusal(&forged).await.contains("not valid"));
    // v2.<key id>.<contact>.<channel>.<expires>
    let mut parts: Vec<String> = payload.split('.').map(str::to_string).collect();
    parts[2] = format!("9{}", parts[2]);
    let sig = token.rsplit_once('.').unwrap().1;
    assert!(app
        .visitor_refusal(&format!("{}.{sig}", parts.join(".")))
        .await
        .contains("not valid"));
}

#[tokio::test]
async fn an_operator_socket_needs_a_session_and_a_visible_conversation() {
    let app = spawn_app().await;
    assert_eq!(app.operator_connect_status("/ws/operator").await, Some(401));
    let mut v = app.visitor().await;
    let conversation = escalate(&mut v).await;
    // The owner of another workspace cannot watch it.
    server::demo::create_owner(&app.store, "Other Co", "boss@other.example", "Boss", "a-long-password")
        .await
        .unwrap();
    let mut other = app
        .operator_with_password("boss@other.example", "a-long-password")
        .await;
    other.watch(conversation).await;
    let err = other
        .wait_for("the refusal", |e| match e {
            OperatorEvent::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .await;
    assert_eq!(err, "That conversation was not found.");
    let res = app
        .send(
            &TestApp::client_for(&app, "boss@other.example", "a-long-password").await,
            &TakeOver { id: conversation },
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        result::<()>(res).await.unwrap_err(),
        AppError::not_found("That conversation")
    );
}

#[tokio::test]
async fn a_new_visitor_message_reopens_a_resolved_conversation() {
    let app = TestApp::signed_in_as(AGENT).await;
    let mut v = app.visitor().await;
    let conversation = escalate(&mut v).await;
    app.take_over(conversation).await.unwrap();
    let resolved = app.resolve(conversation).await.unwrap();
    assert_eq!(resolved.status, Status::Resolved);
    v.send(&send("One more thing", "again")).await;
    v.wait_for("the ack", |e| matches!(e, VisitorEvent::Ack { .. }).then_some(()))
        .await;
    let summary = app.store.conversation_summary(conversation).await.unwrap().unwrap();
    assert_eq!(
        (summary.status.as_str(), summary.handler.as_str()),
        ("waiting", "human")
    );
}

#[tokio::test]
async fn with_always_on_monitoring_every_conversation_is_in_the_inbox_and_a_human_may_step_in() {
    let app = TestApp::signed_in_as(AGENT).await;
    let workflow = app.demo_workflow().await;
    app.store
        .set_workflow_handoff(workflow, "always_on", 3, "Someone from our team is here.")
        .await
        .unwrap();
    let mut op = app.operator(AGENT).await;
    let mut v = app.visitor().await;
    v.send(&send("What are your opening hours?", "h1")).await;
    v.wait_for("the answer", from(SenderKind::Ai)).await;
    let listed = op
        .wait_for("the conversation in the inbox", |e| match e {
            OperatorEvent::Conversation { conversation } => Some(conversation.clone()),
            _ => None,
        })
        .await;
    assert_eq!((listed.status.as_str(), listed.handler.as_str()), ("open", "ai"));
    let inbox = app.conversations().await.unwrap();
    assert_eq!(inbox.len(), 1, "in the inbox before any escalation");
    let taken = app.take_over(listed.id).await.unwrap();
    assert_eq!(taken.handler, Handler::Human);
    v.send(&send("And on Saturdays?", "h2")).await;
    let after = v.drain(Duration::from_millis(700)).await;
    assert!(
        !after
            .iter()
            .any(|e| message(e).is_some_and(|m| m.sender_kind == SenderKind::Ai)),
        "{after:#?}"
    );
}
