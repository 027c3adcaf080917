//! Trust: what a curious agent, another site or a careless admin tries, refused with nothing
//! changed.

use app::auth::SignIn;
use app::conversation::{ReopenConversation, ResolveConversation};
use app::events::{OperatorCommand, OperatorEvent, SenderKind, VisitorCommand, VisitorEvent};
use app::inbox::ConversationSummary;
use app::lifecycle::Status;
use app::people::{
    ChangeRole, CreateGroup, DeleteGroup, GroupMember, GroupSummary, GroupWorkflow, ListGroups, UpdateGroup,
};

use crate::helpers::*;
use crate::sockets::*;

const AGENT2: &str = "agent2@demo.switchboard.test";

/// A visitor writes once; gives the conversation.
async fn conversation(app: &TestApp) -> (VisitorSocket, i64) {
    let mut v = app.visitor().await;
    v.send(&VisitorCommand::Send {
        body: "Hello, is anyone there?".into(),
        idempotency_key: "hello".into(),
        attachments: vec![],
    })
    .await;
    let id = v
        .wait_for("my message", |e| match e {
            VisitorEvent::Message { message } if message.sender_kind == SenderKind::Contact => {
                Some(message.conversation_id)
            }
            _ => None,
        })
        .await;
    (v, id)
}

/// The operator sends a reply (or, `internal`, a note) and gets its answer: the stored message's
/// acknowledgement, or the refusal in words.
async fn answer_to(
    op: &mut OperatorSocket,
    conversation_id: i64,
    body: &str,
    key: &str,
    internal: bool,
) -> Result<(), String> {
    op.say(conversation_id, body, key, internal).await;
    op.wait_for("the answer to the message", |e| match e {
        OperatorEvent::Error { message, .. } => Some(Err(message.clone())),
        OperatorEvent::Ack { idempotency_key, .. } if idempotency_key == key => Some(Ok(())),
        _ => None,
    })
    .await
}

async fn groups(app: &TestApp) -> Vec<GroupSummary> {
    app.run(ListGroups {}).await.unwrap()
}

#[tokio::test]
async fn an_agent_cannot_staff_groups_or_give_them_workflows() {
    let app = TestApp::signed_in_as(AGENT).await;
    let admin = TestApp::client_signed_in(&app, ADMIN).await;
    let before = groups(&app).await;
    let me = app.me().await.unwrap().member_id;
    let billing = CreateGroup {
        name: "Billing".into(),
        description: String::new(),
    };
    let created: GroupSummary = app.run_as(&admin, billing).await.unwrap();
    let id = created.id;

    // What an agent would do to read another group's conversations or take colleagues off
    // routing: each refused, in words.
    let agent = &app.client;
    let attempts = [
        (
            "groups/member",
            app.send(
                agent,
                &GroupMember {
                    id,
                    member_id: me,
                    add: true,
                },
            )
            .await,
        ),
        (
            "groups/workflow",
            app.send(
                agent,
                &GroupWorkflow {
                    id,
                    workflow_id: 1,
                    assigned: true,
                },
            )
            .await,
        ),
        (
            "groups/create",
            app.send(
                agent,
                &CreateGroup {
                    name: "Mine".into(),
                    description: String::new(),
                },
            )
            .await,
        ),
        (
            "groups/update",
            app.send(
                agent,
                &UpdateGroup {
                    id,
                    name: "Renamed".into(),
                    description: String::new(),
                },
            )
            .await,
        ),
        ("groups/delete", app.send(agent, &DeleteGroup { id }).await),
    ];
    for (endpoint, res) in attempts {
        assert_eq!(res.status(), 403, "{endpoint}");
        assert_eq!(
            result::<GroupSummary>(res).await.unwrap_err().to_string(),
            "You do not have permission to manage operator groups.",
            "{endpoint}"
        );
    }
    let after = groups(&app).await;
    assert_eq!(after.len(), before.len() + 1, "only the admin's group was added");
    let billing = after.iter().find(|g| g.id == created.id).unwrap();
    assert_eq!(
        (billing.name.as_str(), billing.members.len(), billing.workflows.len()),
        ("Billing", 0, 0)
    );
}

#[tokio::test]
async fn only_the_handler_or_a_supervisor_resolves_or_reopens_a_conversation() {
    let app = TestApp::signed_in_as(AGENT).await;
    let ben = TestApp::client_signed_in(&app, AGENT2).await;
    let supervisor = TestApp::client_signed_in(&app, SUPERVISOR).await;
    let (_visitor, id) = conversation(&app).await;
    app.take_over(id).await.unwrap();

    let res = app.send(&ben, &ResolveConversation { id }).await;
    assert_eq!(
        result::<ConversationSummary>(res).await.unwrap_err().to_string(),
        "Ava Agent is handling this conversation; only they or a supervisor can resolve it."
    );
    let state = app.store.lifecycle_state(id).await.unwrap().unwrap();
    assert_eq!(state.status, Status::Active, "still Ava's, still active");

    // Ava resolves it; Ben cannot bring it back, a supervisor can.
    app.resolve(id).await.unwrap();
    let res = app.send(&ben, &ReopenConversation { id }).await;
    assert_eq!(
        result::<ConversationSummary>(res).await.unwrap_err().to_string(),
        "Ava Agent is handling this conversation; only they or a supervisor can reopen it."
    );
    assert_eq!(
        app.store.lifecycle_state(id).await.unwrap().unwrap().status,
        Status::Resolved
    );
    let reopened: ConversationSummary = app.run_as(&supervisor, ReopenConversation { id }).await.unwrap();
    assert_eq!(reopened.status.as_str(), "active");
}

#[tokio::test]
async fn with_operators_turned_off_nobody_takes_over_or_replies() {
    let app = TestApp::signed_in_as(AGENT).await;
    let (_visitor, id) = conversation(&app).await;
    app.take_over(id).await.unwrap();
    let (_other_visitor, other) = conversation(&app).await;
    // The plan turns operators off, presence too.
    app.set_plan(5, false, false, false).await;

    let refused = "Operators are not part of this workspace’s plan; contact your account admin to turn them on.";
    assert_eq!(app.take_over(other).await.unwrap_err().to_string(), refused);
    let mut op = app.operator(AGENT).await;
    let answer = answer_to(&mut op, id, "Still here?", "off-1", false).await;
    assert_eq!(answer, Err(refused.to_string()));
    let stored = app.store.latest_messages(id, 50).await.unwrap();
    assert!(
        stored.iter().all(|m| m.body != "Still here?"),
        "nothing reached the customer"
    );
    let state = app.store.lifecycle_state(other).await.unwrap().unwrap();
    assert_eq!(state.assignee, None, "nobody took the other conversation");
}

#[tokio::test]
async fn a_page_on_another_site_cannot_open_a_members_socket() {
    let app = spawn_app().await;
    let cookie = app.session_cookie(AGENT, PASSWORD).await;
    let url = app.ws_url("/ws/operator");
    for headers in [
        vec![("cookie", cookie.as_str()), ("origin", "https://evil.example")],
        // Same site, another origin (another port): still not this page.
        vec![("cookie", cookie.as_str()), ("origin", "http://127.0.0.1:1")],
        vec![("cookie", cookie.as_str()), ("sec-fetch-site", "same-site")],
    ] {
        let status = connect_with::<OperatorCommand, OperatorEvent>(&url, &headers)
            .await
            .err();
        assert_eq!(status, Some(403), "{headers:?}");
    }
    // The console itself (same origin) and clients that are not browsers (no Origin) connect.
    let origin = app.base.clone();
    for headers in [
        vec![("cookie", cookie.as_str()), ("origin", origin.as_str())],
        vec![("cookie", cookie.as_str()), ("sec-fetch-site", "same-origin")],
        vec![("cookie", cookie.as_str())],
    ] {
        assert!(
            connect_with::<OperatorCommand, OperatorEvent>(&url, &headers)
                .await
                .is_ok(),
            "{headers:?}"
        );
    }
}

#[tokio::test]
async fn after_sign_in_only_a_path_on_this_site_is_followed() {
    let app = spawn_app().await;
    for (next, followed) in [
        ("/settings", "/settings"),
        ("/\t/evil.example", "/inbox"),
        ("/\n/evil.example", "/inbox"),
        ("//evil.example", "/inbox"),
        ("/\\evil.example", "/inbox"),
        ("https://evil.example/", "/inbox"),
    ] {
        let sign_in = SignIn {
            next: Some(next.into()),
            ..sign_in_as(OWNER, PASSWORD)
        };
        let res = app.send(&new_client(), &sign_in).await;
        assert_eq!(res.headers().get("location").unwrap(), followed, "next = {next:?}");
    }
}

#[tokio::test]
async fn a_member_taken_out_of_a_group_or_given_a_new_role_reconnects_with_new_rights() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let frontline = groups(&app)
        .await
        .into_iter()
        .find(|g| g.name == "Frontline")
        .unwrap()
        .id;
    let ava = app.store.member_by_email(AGENT).await.unwrap().unwrap().id;
    let mut ava_socket = app.operator(AGENT).await;
    let mut ben_socket = app.operator(AGENT2).await;
    for socket in [&mut ava_socket, &mut ben_socket] {
        socket
            .wait_for("the socket set up (its presence)", |e| {
                matches!(e, OperatorEvent::Presence { .. }).then_some(())
            })
            .await;
    }

    let leave = GroupMember {
        id: frontline,
        member_id: ava,
        add: false,
    };
    let res = app.send(&app.client, &leave).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        ava_socket.closed_by_server(WAIT).await,
        (1012, "your access changed; reconnect".to_string())
    );
    // Ben's access did not change: his socket stays open and answers.
    ben_socket
        .send(&OperatorCommand::SetStatus {
            status: app::live::OperatorStatus::Away,
        })
        .await;
    ben_socket
        .wait_for("Ben's presence", |e| {
            matches!(e, OperatorEvent::Presence { .. }).then_some(())
        })
        .await;

    // A new role: the socket closes, and the one that reconnects has the supervisor's view.
    let mut ava_socket = app.operator(AGENT).await;
    ava_socket
        .wait_for("the socket set up", |e| {
            matches!(e, OperatorEvent::Presence { .. }).then_some(())
        })
        .await;
    let promote = ChangeRole {
        id: ava,
        role: "supervisor".into(),
    };
    let res = app.send(&app.client, &promote).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(ava_socket.closed_by_server(WAIT).await.0, 1012);
    let mut again = app.operator(AGENT).await;
    again
        .wait_for("the live board a supervisor gets", |e| {
            matches!(e, OperatorEvent::Board { .. }).then_some(())
        })
        .await;
}

fn visitor_send(body: &str, key: &str) -> VisitorCommand {
    VisitorCommand::Send {
        body: body.into(),
        idempotency_key: key.into(),
        attachments: vec![],
    }
}

async fn acked_seq(v: &mut VisitorSocket, key: &str) -> i64 {
    v.wait_for("the ack", |e| match e {
        VisitorEvent::Ack { idempotency_key, seq } if idempotency_key == key => Some(*seq),
        VisitorEvent::Error { message, .. } => panic!("refused: {message}"),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_visitor_cannot_make_an_operators_reply_look_like_a_repeat() {
    let app = TestApp::signed_in_as(AGENT).await;
    let (mut v, id) = conversation(&app).await;
    app.take_over(id).await.unwrap();
    // The visitor sends, first, the key the operator's console will use.
    v.send(&visitor_send("a decoy", "reply-1")).await;
    acked_seq(&mut v, "reply-1").await;

    let mut op = app.operator(AGENT).await;
    assert_eq!(
        answer_to(&mut op, id, "Your refund is on its way.", "reply-1", false).await,
        Ok(())
    );
    let reply = v
        .wait_for("the operator's reply", |e| match e {
            VisitorEvent::Message { message } if message.sender_kind == SenderKind::Operator => Some(message.clone()),
            _ => None,
        })
        .await;
    assert_eq!(reply.body, "Your refund is on its way.");
}

#[tokio::test]
async fn two_tabs_sending_a_first_message_at_once_share_one_conversation() {
    let app = spawn_app().await;
    let token = app.visitor_token().await;
    let mut tab_a = app.visitor_with(&token).await;
    let mut tab_b = app.visitor_with(&token).await;
    let (first_a, first_b) = (
        visitor_send("first from one tab", "tab-a"),
        visitor_send("first from the other", "tab-b"),
    );
    tokio::join!(tab_a.send(&first_a), tab_b.send(&first_b));
    let (a, b) = tokio::join!(acked_seq(&mut tab_a, "tab-a"), acked_seq(&mut tab_b, "tab-b"));
    // Two conversations would have numbered both messages 1.
    assert_ne!(a, b, "both messages are in one conversation");
}

#[tokio::test]
async fn with_every_seat_taken_a_member_without_one_neither_takes_over_nor_replies() {
    let app = TestApp::signed_in_as(AGENT).await;
    app.set_plan(1, true, true, false).await;
    // Ben goes live and holds the only seat.
    let mut ben = app.operator(AGENT2).await;
    ben.send(&OperatorCommand::GoLive { workflow_ids: vec![1] }).await;
    ben.wait_for("Ben live", |e| match e {
        OperatorEvent::Presence { presence } if !presence.live_workflows.is_empty() => Some(()),
        _ => None,
    })
    .await;

    let (_visitor, id) = conversation(&app).await;
    let refused = "No human-agent seat is free in this workspace (1 in use). Contact your account admin to add seats to the plan.";
    assert_eq!(app.take_over(id).await.unwrap_err().to_string(), refused);
    let mut ava = app.operator(AGENT).await;
    let answer = answer_to(&mut ava, id, "I can help too", "seatless-1", false).await;
    assert_eq!(answer, Err(refused.to_string()));
    // A note for the team needs no seat.
    assert_eq!(
        answer_to(&mut ava, id, "Ben has this one", "seatless-note", true).await,
        Ok(())
    );
    let state = app.store.lifecycle_state(id).await.unwrap().unwrap();
    assert_eq!(state.assignee, None, "nobody without a seat took it");
}

/// The nonce on a page's first inline script.
fn script_nonce(html: &str) -> String {
    html.split("nonce=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's hydration script carries a nonce")
        .to_string()
}

#[tokio::test]
async fn every_page_says_what_may_run_on_it_and_who_may_frame_it() {
    let app = spawn_app().await;
    let get = |path: String| async move { new_client().get(path).send().await.unwrap() };

    let page = get(format!("{}/sign-in", app.base)).await;
    let headers = page.headers().clone();
    let html = page.text().await.unwrap();
    let csp = headers["content-security-policy"].to_str().unwrap();
    let nonce = script_nonce(&html);
    assert!(
        csp.contains(&format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'")),
        "only this page's own inline scripts run: {csp}"
    );
    for directive in [
        "default-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(
        headers.get(app::SCRIPT_NONCE_HEADER).is_none(),
        "the nonce's carrier stays inside"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "plain http: no HSTS"
    );
    let again = get(format!("{}/sign-in", app.base)).await.text().await.unwrap();
    assert_ne!(script_nonce(&again), nonce, "a new nonce for every response");

    // The chat page is made to be framed by customers' sites.
    let chat = get(format!("{}/chat/{}", app.base, server::demo::DEMO_WEB_CHANNEL)).await;
    let csp = chat.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(csp.contains(&format!("'nonce-{}'", script_nonce(&chat.text().await.unwrap()))));

    // Behind https, browsers are told to use nothing else.
    let secure = spawn_app_with(&[("SWITCHBOARD_PUBLIC_URL", "https://chat.acme.example")]).await;
    let res = get(format!("{}/healthz", secure.base)).await;
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}
