//! Going live, presence and routing over real sockets.

use std::time::Duration;

use app::conversation::TransferConversation;
use app::events::{OperatorCommand, OperatorEvent, SenderKind, VisitorCommand, VisitorEvent};
use app::live::{MyPresence, OfferView, OperatorStatus};
use app::settings::UpdateWorkspaceSettings;
use app::workflows::UpdateWorkflow;

use crate::helpers::*;
use crate::sockets::*;

const AGENT2: &str = "agent2@demo.switchboard.test";

fn send(body: &str, key: &str) -> VisitorCommand {
    VisitorCommand::Send {
        body: body.into(),
        idempotency_key: key.into(),
        attachments: vec![],
    }
}

/// The conversation as the inbox shows it, read from the store.
async fn summary(app: &TestApp, conversation: i64) -> app::inbox::ConversationSummary {
    app.store.conversation_summary(conversation).await.unwrap().unwrap()
}

/// Asserts that the conversation is active and held by `name`.
async fn assert_active_with(app: &TestApp, conversation: i64, name: &str) {
    let s = summary(app, conversation).await;
    assert_eq!((s.status.as_str(), s.assignee.as_deref()), ("active", Some(name)));
}

async fn presence(op: &mut OperatorSocket) -> MyPresence {
    op.wait_for("my presence", |e| match e {
        OperatorEvent::Presence { presence } => Some(presence.clone()),
        _ => None,
    })
    .await
}

/// Connects an operator and takes them live on the demo workflow.
pub(crate) async fn live_operator(app: &TestApp, email: &str) -> OperatorSocket {
    let mut op = app.operator(email).await;
    go_live(&mut op, app.demo_workflow().await).await;
    op
}

/// Takes the operator live on the workflow, and waits until their presence says so.
pub(crate) async fn go_live(op: &mut OperatorSocket, workflow: i64) {
    op.send(&OperatorCommand::GoLive {
        workflow_ids: vec![workflow],
    })
    .await;
    op.wait_for("going live", |e| match e {
        OperatorEvent::Presence { presence } if !presence.live_workflows.is_empty() => Some(()),
        OperatorEvent::Error { message, .. } => panic!("could not go live: {message}"),
        _ => None,
    })
    .await;
}

pub(crate) async fn offer(op: &mut OperatorSocket) -> OfferView {
    op.wait_for("an offer", |e| match e {
        OperatorEvent::Offer { offer } => Some(offer.clone()),
        _ => None,
    })
    .await
}

async fn refusal(op: &mut OperatorSocket) -> String {
    op.wait_for("a refusal", |e| match e {
        OperatorEvent::Error { message, .. } => Some(message.clone()),
        _ => None,
    })
    .await
}

/// The visitor asks for a person as often as the demo's workflow wants (keys `<prefix>0`…).
async fn ask_for_a_person(v: &mut VisitorSocket, prefix: &str) {
    for (i, text) in ["human please", "a real person", "agent"].iter().enumerate() {
        v.send(&send(text, &format!("{prefix}{i}"))).await;
        v.wait_for("the ack", |e| matches!(e, VisitorEvent::Ack { .. }).then_some(()))
            .await;
    }
}

async fn escalate(v: &mut VisitorSocket) -> i64 {
    ask_for_a_person(v, "e").await;
    v.wait_for("the handoff message", |e| match e {
        VisitorEvent::Message { message } if message.sender_kind == SenderKind::System => Some(message.conversation_id),
        _ => None,
    })
    .await
}

/// Ava and Ben live on the workflow routed `mode` (offers lapse after `offer_secs`), and a
/// visitor whose conversation has just escalated (the app and the visitor kept open).
async fn two_live_and_an_escalation(
    mode: &str,
    offer_secs: i64,
) -> (TestApp, OperatorSocket, OperatorSocket, VisitorSocket, i64) {
    let app = spawn_app().await;
    app.store
        .set_workflow_routing(app.demo_workflow().await, true, mode, offer_secs)
        .await
        .unwrap();
    let a = live_operator(&app, AGENT).await;
    let b = live_operator(&app, AGENT2).await;
    let mut v = app.visitor().await;
    let conversation = escalate(&mut v).await;
    (app, a, b, v, conversation)
}

async fn settings(app: &TestApp, form: UpdateWorkspaceSettings) {
    let admin = TestApp::client_signed_in(app, ADMIN).await;
    let res = app.send(&admin, &form).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// Accepts the conversation offered to `op` and waits until the offer is closed.
async fn accept(op: &mut OperatorSocket, conversation: i64) {
    op.send(&OperatorCommand::Accept {
        conversation_id: conversation,
    })
    .await;
    op.wait_for("the offer to close", |e| {
        matches!(e, OperatorEvent::OfferClosed { .. }).then_some(())
    })
    .await;
}

/// Operators and presence on, 5 seats (the demo's plan), a chat limit of 3, and the given
/// disconnect behaviour.
async fn presence_settings(app: &TestApp, disconnect_timeout_secs: u32, reroute: bool) {
    let form = UpdateWorkspaceSettings {
        name: "Acme Support".into(),
        default_chat_limit: "3".into(),
        disconnect_timeout_secs: disconnect_timeout_secs.to_string(),
        reroute_on_disconnect: checkbox(reroute),
    };
    settings(app, form).await;
}

#[tokio::test]
async fn an_operator_goes_live_only_on_workflows_of_their_groups() {
    let app = spawn_app().await;
    let mut op = app.operator(AGENT).await;
    let first = presence(&mut op).await;
    assert_eq!(first.status, OperatorStatus::Offline);
    assert_eq!(
        first
            .available_workflows
            .iter()
            .map(|w| w.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Support Assistant"]
    );

    let other = app.store.create_workflow(1, "Billing Bot").await.unwrap();
    op.send(&OperatorCommand::GoLive {
        workflow_ids: vec![other],
    })
    .await;
    assert_eq!(
        refusal(&mut op).await,
        "You do not have permission to go live on a workflow outside your operator groups."
    );
    op.send(&OperatorCommand::SetStatus {
        status: OperatorStatus::Online,
    })
    .await;
    assert_eq!(refusal(&mut op).await, "Go live on at least one workflow first.");

    let workflow = app.demo_workflow().await;
    op.send(&OperatorCommand::GoLive {
        workflow_ids: vec![workflow],
    })
    .await;
    let live = op
        .wait_for("live", |e| match e {
            OperatorEvent::Presence { presence } if !presence.live_workflows.is_empty() => Some(presence.clone()),
            _ => None,
        })
        .await;
    assert_eq!((live.status, live.limit, live.load), (OperatorStatus::Online, 3, 0));
}

#[tokio::test]
async fn going_live_obeys_the_seats_and_the_feature_flags() {
    let app = spawn_app().await;
    app.set_plan(1, true, true, false).await;
    let _first = live_operator(&app, AGENT).await;
    let mut second = app.operator(AGENT2).await;
    second
        .send(&OperatorCommand::GoLive {
            workflow_ids: vec![app.demo_workflow().await],
        })
        .await;
    assert_eq!(
        refusal(&mut second).await,
        "All 1 human-agent seats of this workspace are in use. Contact your account admin to add seats to the plan."
    );

    app.set_plan(5, true, false, false).await;
    second
        .send(&OperatorCommand::GoLive {
            workflow_ids: vec![app.demo_workflow().await],
        })
        .await;
    assert_eq!(
        refusal(&mut second).await,
        "Live presence is not part of this workspace’s plan; contact your account admin to turn it on."
    );
}

#[tokio::test]
async fn an_escalated_conversation_is_offered_to_a_live_operator_who_accepts_it() {
    let app = spawn_app().await;
    let mut op = live_operator(&app, AGENT).await;
    let mut v = app.visitor().await;
    let conversation = escalate(&mut v).await;
    let offered = offer(&mut op).await;
    assert_eq!(offered.conversation.id, conversation);
    assert!(!offered.pooled && offered.expires_at.is_some());
    accept(&mut op, conversation).await;
    let joined = v
        .wait_for("the join notice", |e| match e {
            VisitorEvent::Message { message } if message.body.ends_with("joined the conversation.") => {
                Some(message.body.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(joined, "Ava Agent joined the conversation.");
    assert_active_with(&app, conversation, "Ava Agent").await;
    let sessions = app.store.operator_sessions(conversation).await.unwrap();
    assert_eq!(sessions.len(), 1, "the operator session is recorded");
    let load = op
        .wait_for("the new load", |e| match e {
            OperatorEvent::Presence { presence } if presence.load == 1 => Some(presence.load),
            _ => None,
        })
        .await;
    assert_eq!(load, 1);
}

#[tokio::test]
async fn an_offer_nobody_accepts_in_time_goes_to_the_next_operator() {
    let (_app, mut a, mut b, _v, conversation) = two_live_and_an_escalation("assigned", 1).await;
    // One of them gets it first; when it lapses, the other does.
    let first = tokio::select! {
        o = offer(&mut a) => ("a", o),
        o = offer(&mut b) => ("b", o),
    };
    assert_eq!(first.1.conversation.id, conversation);
    let next = if first.0 == "a" {
        offer(&mut b).await
    } else {
        offer(&mut a).await
    };
    assert_eq!(next.conversation.id, conversation);
}

#[tokio::test]
async fn a_console_that_reconnects_is_shown_the_offer_it_still_has_and_accepts_it() {
    let app = spawn_app().await;
    app.store
        .set_workflow_routing(app.demo_workflow().await, true, "assigned", 60)
        .await
        .unwrap();
    let mut ava = live_operator(&app, AGENT).await;
    let mut v = app.visitor().await;
    let conversation = crate::handoff::escalate(&mut v).await;
    assert_eq!(offer(&mut ava).await.conversation.id, conversation);
    // Her socket drops (a network blip) and the console connects again.
    drop(ava);
    let mut ava = app.operator(AGENT).await;
    assert_eq!(offer(&mut ava).await.conversation.id, conversation);
    accept(&mut ava, conversation).await;
    assert_active_with(&app, conversation, "Ava Agent").await;
}

#[tokio::test]
async fn two_operators_accepting_one_pooled_conversation_leave_exactly_one_owner() {
    let (app, mut a, mut b, _v, conversation) = two_live_and_an_escalation("pooled", 30).await;
    let (oa, ob) = (offer(&mut a).await, offer(&mut b).await);
    assert!(oa.pooled && ob.pooled);
    a.send(&OperatorCommand::Accept {
        conversation_id: conversation,
    })
    .await;
    b.send(&OperatorCommand::Accept {
        conversation_id: conversation,
    })
    .await;
    let owner = eventually("one of them to own it", Duration::from_secs(5), || async {
        summary(&app, conversation).await.assignee
    })
    .await;
    let loser = if owner == "Ava Agent" { &mut b } else { &mut a };
    let events = loser.drain(Duration::from_millis(300)).await;
    assert!(
        events.iter().any(|e| matches!(e, OperatorEvent::Error { message, .. } if message == &format!("{owner} is already handling this conversation.") || message == "This conversation is no longer offered to you.")),
        "the other operator is told: {events:#?}"
    );
    assert_eq!(app.store.operator_sessions(conversation).await.unwrap().len(), 1);
}

#[tokio::test]
async fn with_nobody_live_the_visitor_is_told_their_place_and_the_assistant_keeps_answering() {
    let app = spawn_app().await;
    let mut v = app.visitor().await;
    escalate(&mut v).await;
    let notice = v
        .wait_for("the queue notice", |e| match e {
            VisitorEvent::Message { message } if message.body.contains("in line") => Some(message.body.clone()),
            _ => None,
        })
        .await;
    assert!(
        notice.starts_with("All of our team are busy right now. You are number 1 in line"),
        "{notice}"
    );
    let position = v
        .wait_for("the queue position", |e| match e {
            VisitorEvent::Queue { position } => Some(*position),
            _ => None,
        })
        .await;
    assert_eq!(position, 1);
    v.send(&send("How do I reset my password?", "q")).await;
    let answer = v
        .wait_for("the assistant", |e| match e {
            VisitorEvent::Message { message } if message.sender_kind == SenderKind::Ai => Some(message.body.clone()),
            _ => None,
        })
        .await;
    assert!(answer.contains("Forgot password"), "{answer}");

    // An operator going live drains the queue.
    let mut op = live_operator(&app, AGENT).await;
    let offered = offer(&mut op).await;
    assert_eq!(offered.conversation.contact_name.starts_with("Visitor"), true);
}

/// Ava holds an escalated conversation (a 5 s disconnect timeout, `reroute` on drop or not),
/// Ben goes live, and Ava's socket closes. Gives the conversation, its visitor and Ben.
async fn dropped_while_holding(app: &TestApp, reroute: bool) -> (i64, VisitorSocket, OperatorSocket) {
    presence_settings(app, 5, reroute).await;
    let mut a = live_operator(app, AGENT).await;
    let mut v = app.visitor().await;
    let conversation = escalate(&mut v).await;
    offer(&mut a).await;
    accept(&mut a, conversation).await;
    let b = live_operator(app, AGENT2).await;
    a.close().await;
    (conversation, v, b)
}

#[tokio::test]
async fn an_operator_whose_socket_dies_loses_presence_after_the_timeout_and_their_conversation_goes_to_another() {
    let app = spawn_app().await;
    let (conversation, _v, mut b) = dropped_while_holding(&app, true).await;
    // Within the timeout nothing moves.
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Some(e) = b
        .next_within(until.saturating_duration_since(tokio::time::Instant::now()))
        .await
    {
        assert!(
            !matches!(e, OperatorEvent::Offer { .. }),
            "offered before the timeout: {e:?}"
        );
    }
    let offered = offer(&mut b).await;
    assert_eq!(offered.conversation.id, conversation);
    let s = summary(&app, conversation).await;
    assert_eq!((s.status.as_str(), s.assignee), ("waiting", None));
    let sessions = app.store.operator_sessions(conversation).await.unwrap();
    assert_eq!(sessions[0].outcome.as_deref(), Some("disconnected"));
}

#[tokio::test]
async fn conversations_go_to_the_least_loaded_operator_first() {
    let app = spawn_app().await;
    let mut a = live_operator(&app, AGENT).await;
    let mut b = live_operator(&app, AGENT2).await;
    let mut owners = Vec::new();
    for _ in 0..3 {
        let mut v = app.visitor().await;
        let conversation = escalate(&mut v).await;
        let (who, op) = tokio::select! {
            o = offer(&mut a) => { assert_eq!(o.conversation.id, conversation); ("a", &mut a) }
            o = offer(&mut b) => { assert_eq!(o.conversation.id, conversation); ("b", &mut b) }
        };
        accept(op, conversation).await;
        // The next offer must see this one's load: wait until it is theirs.
        eventually(
            "the accepted conversation to be theirs",
            Duration::from_secs(5),
            || async {
                let s = summary(&app, conversation).await;
                s.assignee_id.is_some().then_some(())
            },
        )
        .await;
        owners.push(who);
    }
    assert_ne!(
        owners[0], owners[1],
        "the second goes to the one with nothing yet: {owners:?}"
    );
}

#[tokio::test]
async fn supervisors_get_the_live_board_and_agents_do_not() {
    let app = spawn_app().await;
    let mut sup = app.operator(SUPERVISOR).await;
    let _a = live_operator(&app, AGENT).await;
    let board = sup
        .wait_for("a board with Ava live", |e| match e {
            OperatorEvent::Board { board }
                if board
                    .operators
                    .iter()
                    .any(|o| o.name == "Ava Agent" && o.status == OperatorStatus::Online) =>
            {
                Some(board.clone())
            }
            _ => None,
        })
        .await;
    let ava = board.operators.iter().find(|o| o.name == "Ava Agent").unwrap();
    assert_eq!(ava.workflows, vec!["Support Assistant".to_string()]);
    let mut agent = app.operator(AGENT2).await;
    let seen = agent.drain(Duration::from_millis(500)).await;
    assert!(
        !seen.iter().any(|e| matches!(e, OperatorEvent::Board { .. })),
        "{seen:#?}"
    );
}

#[tokio::test]
async fn an_operator_transfers_a_conversation_to_a_colleague_with_a_note_for_the_team() {
    let app = TestApp::signed_in_as(AGENT).await;
    let mut a = live_operator(&app, AGENT).await;
    let mut v = app.visitor().await;
    let conversation = escalate(&mut v).await;
    offer(&mut a).await;
    accept(&mut a, conversation).await;

    let ben = app.store.member_by_email(AGENT2).await.unwrap().unwrap().id;
    let transfer = |note: &str| TransferConversation {
        id: conversation,
        to: format!("member:{ben}"),
        note: note.into(),
    };
    // Ben is not live yet: refused, and nothing moves.
    let res = app.send(&app.client, &transfer("VIP")).await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        result::<()>(res).await.unwrap_err().to_string(),
        "That operator is not live right now."
    );
    assert_eq!(summary(&app, conversation).await.assignee.as_deref(), Some("Ava Agent"));

    let mut b = live_operator(&app, AGENT2).await;
    let res = app.send(&app.client, &transfer("VIP customer, billing question")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let offered = offer(&mut b).await;
    assert_eq!(offered.conversation.id, conversation);
    accept(&mut b, conversation).await;
    let s = eventually("Ben to hold it", Duration::from_secs(5), || async {
        let s = summary(&app, conversation).await;
        (s.assignee.as_deref() == Some("Ben Agent")).then_some(s)
    })
    .await;
    assert_eq!(s.status.as_str(), "active");
    let sessions = app.store.operator_sessions(conversation).await.unwrap();
    assert_eq!(
        sessions.iter().map(|x| x.outcome.as_deref()).collect::<Vec<_>>(),
        vec![Some("transferred"), None]
    );
    let all = app.store.messages_after(conversation, 0, false, 100).await.unwrap();
    let note = all
        .iter()
        .find(|m| m.body.contains("transferred the conversation"))
        .unwrap();
    assert!(note.internal);
    assert_eq!(
        note.body,
        "Ava Agent transferred the conversation to Ben Agent: VIP customer, billing question"
    );
    let seen = v.drain(Duration::from_millis(300)).await;
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, VisitorEvent::Message { message } if message.internal)),
        "{seen:#?}"
    );
}

#[tokio::test]
async fn a_conversation_resolved_while_it_waited_is_routed_afresh_when_the_customer_writes_again() {
    let app = TestApp::signed_in_as(SUPERVISOR).await;
    // Ben holds one conversation.
    let mut b = live_operator(&app, AGENT2).await;
    let mut v0 = app.visitor().await;
    let busy = escalate(&mut v0).await;
    offer(&mut b).await;
    accept(&mut b, busy).await;
    let mut a = live_operator(&app, AGENT).await;
    // Ava takes the next and transfers it to Ben; a supervisor resolves it before he answers.
    let mut v = app.visitor().await;
    let conversation = escalate(&mut v).await;
    assert_eq!(offer(&mut a).await.conversation.id, conversation);
    accept(&mut a, conversation).await;
    eventually("Ava to hold it", Duration::from_secs(5), || async {
        (summary(&app, conversation).await.assignee.as_deref() == Some("Ava Agent")).then_some(())
    })
    .await;
    let ben = app.store.member_by_email(AGENT2).await.unwrap().unwrap().id;
    let ava = TestApp::client_signed_in(&app, AGENT).await;
    app.run_as(
        &ava,
        TransferConversation {
            id: conversation,
            to: format!("member:{ben}"),
            note: String::new(),
        },
    )
    .await
    .unwrap();
    assert_eq!(offer(&mut b).await.conversation.id, conversation);
    app.resolve(conversation).await.unwrap();
    b.wait_for("Ben's offer to close", |e| {
        matches!(e, OperatorEvent::OfferClosed { conversation_id, .. } if *conversation_id == conversation)
            .then_some(())
    })
    .await;

    // The customer writes again: the conversation waits for a person again, and as the
    // transfer is over it goes as any other would — to Ava, who holds nothing, not to Ben, whom
    // the transfer had named and who is busy.
    ask_for_a_person(&mut v, "again").await;
    let who = tokio::select! {
        o = offer(&mut a) => format!("ava {}", o.conversation.id),
        o = offer(&mut b) => format!("ben {}", o.conversation.id),
    };
    assert_eq!(who, format!("ava {conversation}"));
}

#[tokio::test]
async fn with_keep_on_disconnect_an_operator_who_drops_keeps_their_conversation() {
    let app = spawn_app().await;
    let (conversation, _v, mut b) = dropped_while_holding(&app, false).await;
    // Well past the 5 s timeout: Ava's presence is gone, her conversation is still hers.
    let seen = b.drain(Duration::from_secs(7)).await;
    assert!(
        !seen.iter().any(|e| matches!(e, OperatorEvent::Offer { .. })),
        "{seen:#?}"
    );
    assert_active_with(&app, conversation, "Ava Agent").await;
}

#[tokio::test]
async fn a_workflow_that_routes_on_arrival_offers_a_new_conversation_with_its_first_message() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let on_arrival = UpdateWorkflow {
        route_on_arrival: checkbox(true),
        routing_mode: "assigned".into(),
        escalation_threshold: "3".into(),
        ..workflow_form()
    };
    let saved: app::workflows::WorkflowSettings = app.run(on_arrival).await.unwrap();
    assert!(saved.route_on_arrival);
    let mut op = live_operator(&app, AGENT).await;
    let mut v = app.visitor().await;
    // A question the assistant could answer: the conversation is offered all the same.
    v.send(&send("What are your opening hours?", "first")).await;
    let offered = offer(&mut op).await;
    let notice = v
        .wait_for("the handoff message", |e| match e {
            VisitorEvent::Message { message } if message.sender_kind == SenderKind::System => Some(message.clone()),
            _ => None,
        })
        .await;
    assert_eq!(offered.conversation.id, notice.conversation_id);
    assert_eq!(notice.body, "Connecting you with our team now.");
    accept(&mut op, offered.conversation.id).await;
    assert_eq!(
        summary(&app, offered.conversation.id).await.assignee.as_deref(),
        Some("Ava Agent")
    );
}

#[tokio::test]
async fn without_routing_on_arrival_a_first_message_is_the_assistants_alone() {
    let app = spawn_app().await;
    let _op = live_operator(&app, AGENT).await;
    let mut v = app.visitor().await;
    v.send(&send("What are your opening hours?", "first")).await;
    let answer = v
        .wait_for("the assistant's answer", |e| match e {
            VisitorEvent::Message { message } if message.sender_kind == SenderKind::Ai => Some(message.clone()),
            _ => None,
        })
        .await;
    // The assistant answered, and the conversation was not escalated (routing on arrival
    // escalates before the assistant's turn): nothing to offer.
    assert_eq!(summary(&app, answer.conversation_id).await.status.as_str(), "open");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM conversations WHERE id = {} AND escalated_at IS NULL",
            answer.conversation_id
        ))
        .await,
        1
    );
}
