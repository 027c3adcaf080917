//! Team management: invitations, roles, deactivation, chat limits and the audit log.

use std::time::Duration;

use app::audit::AuditView;
use app::auth::InvitationView;
use app::events::{OperatorCommand, OperatorEvent, SenderKind, VisitorCommand, VisitorEvent};
use app::people::{Invitation, MemberSummary};
use app::{AppError, Role};

use crate::helpers::*;

async fn member_id(app: &TestApp, email: &str) -> i64 {
    app.store.member_by_email(email).await.unwrap().unwrap().id
}

#[tokio::test]
async fn an_invited_member_sets_a_password_through_the_link_and_is_signed_in() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let res = app
        .call(
            "people/invite",
            &[
                ("name", "Nina New"),
                ("email", " Nina@Example.com "),
                ("role", "support_agent"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let invitation: Invitation = result(res).await.unwrap();
    let token = invitation.path.strip_prefix("/invite/").unwrap().to_string();

    let visitor = new_client();
    let view: InvitationView = result(app.call_with(&visitor, "invite/get", &[("token", &token)]).await)
        .await
        .unwrap();
    assert_eq!(
        (view.name.as_str(), view.email.as_str(), view.workspace.as_str()),
        ("Nina New", "nina@example.com", "Acme Support")
    );
    let res = app
        .call_with(
            &visitor,
            "invite/accept",
            &[
                ("token", &token),
                ("password", "nina-password-1"),
                ("confirm", "nina-password-2"),
            ],
        )
        .await;
    assert_eq!(
        result::<()>(res).await.unwrap_err().to_string(),
        "Password: the two passwords differ"
    );
    let res = app
        .call_with(
            &visitor,
            "invite/accept",
            &[
                ("token", &token),
                ("password", "nina-password-1"),
                ("confirm", "nina-password-1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let me: app::Me = result(app.call_with(&visitor, "auth/me", &[]).await).await.unwrap();
    assert_eq!((me.email.as_str(), me.role), ("nina@example.com", Role::SupportAgent));

    let again = app.call_with(&new_client(), "invite/get", &[("token", &token)]).await;
    assert_eq!(again.status(), 404, "an invitation works once");
    let members = app.members().await.unwrap();
    assert!(!members.iter().find(|m| m.email == "nina@example.com").unwrap().invited);
    let audit: Vec<AuditView> = result(app.call("audit/list", &[("action", "member.invited")]).await)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor.as_deref(), Some("Adam Admin"));
}

#[tokio::test]
async fn bad_invitations_are_refused_and_add_nobody() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let before = app.members().await.unwrap().len();
    for (form, message) in [
        (
            [("name", ""), ("email", "x@example.com"), ("role", "agent")],
            "Name: must be 1 to 100 characters",
        ),
        (
            [("name", "X"), ("email", "not-an-email"), ("role", "agent")],
            "Email: \u{201c}not-an-email\u{201d} is not an email address",
        ),
        (
            [("name", "X"), ("email", "x@example.com"), ("role", "wizard")],
            "Role: \u{201c}wizard\u{201d} is not a role",
        ),
        (
            [("name", "X"), ("email", OWNER), ("role", "agent")],
            "A team member with that email already exists.",
        ),
        (
            [("name", "X"), ("email", "x@example.com"), ("role", "owner")],
            "You do not have permission to invite an owner (only owners can).",
        ),
    ] {
        let res = app.call("people/invite", &form).await;
        assert!(res.status().is_client_error());
        assert_eq!(result::<Invitation>(res).await.unwrap_err().to_string(), message);
    }
    assert_eq!(app.members().await.unwrap().len(), before);
}

#[tokio::test]
async fn roles_follow_the_ownership_rules_and_each_change_is_audited() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let agent = member_id(&app, AGENT).await;
    let owner = member_id(&app, OWNER).await;
    let changed: MemberSummary = result(
        app.call("people/role", &[("id", &agent.to_string()), ("role", "supervisor")])
            .await,
    )
    .await
    .unwrap();
    assert_eq!(changed.role, Role::Supervisor);
    let res = app
        .call("people/role", &[("id", &owner.to_string()), ("role", "agent")])
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .call(
            "people/role",
            &[("id", &member_id(&app, ADMIN).await.to_string()), ("role", "agent")],
        )
        .await;
    assert_eq!(
        result::<MemberSummary>(res).await.unwrap_err().to_string(),
        "You cannot change your own role; ask another admin."
    );

    let owner_client = TestApp::client_signed_in(&app, OWNER).await;
    let res = app
        .call_with(
            &owner_client,
            "people/role",
            &[("id", &owner.to_string()), ("role", "admin")],
        )
        .await;
    assert_eq!(
        result::<MemberSummary>(res).await.unwrap_err().to_string(),
        "You cannot change your own role; ask another admin."
    );

    let audit: Vec<AuditView> = result(app.call("audit/list", &[("action", "member.role_changed")]).await)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].before.as_deref(), Some(r#"{"role":"agent"}"#));
    assert_eq!(audit[0].after.as_deref(), Some(r#"{"role":"supervisor"}"#));

    let agent_client = TestApp::client_signed_in(&app, "agent2@demo.switchboard.test").await;
    let res = app.call_with(&agent_client, "audit/list", &[]).await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn deactivating_an_operator_ends_their_sessions_and_hands_their_conversation_to_another() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let workflow = app.demo_workflow().await;
    let mut ava = app.operator(AGENT).await;
    ava.send(&OperatorCommand::GoLive {
        workflow_ids: vec![workflow],
    })
    .await;
    let ava_client = TestApp::client_signed_in(&app, AGENT).await;

    let mut v = app.visitor().await;
    for (i, text) in ["human", "a human please", "agent"].iter().enumerate() {
        v.send(&VisitorCommand::Send {
            body: text.to_string(),
            idempotency_key: format!("k{i}"),
            attachments: vec![],
        })
        .await;
        v.wait_for("ack", |e| matches!(e, VisitorEvent::Ack { .. }).then_some(()))
            .await;
    }
    let conversation = ava
        .wait_for("the offer", |e| match e {
            OperatorEvent::Offer { offer } => Some(offer.conversation.id),
            _ => None,
        })
        .await;
    ava.send(&OperatorCommand::Accept {
        conversation_id: conversation,
    })
    .await;
    ava.wait_for("accepted", |e| {
        matches!(e, OperatorEvent::OfferClosed { .. }).then_some(())
    })
    .await;

    let mut ben = app.operator("agent2@demo.switchboard.test").await;
    ben.send(&OperatorCommand::GoLive {
        workflow_ids: vec![workflow],
    })
    .await;
    ben.wait_for("live", |e| {
        matches!(e, OperatorEvent::Presence { presence } if !presence.live_workflows.is_empty()).then_some(())
    })
    .await;

    let ava_id = member_id(&app, AGENT).await;
    let res = app
        .call("people/active", &[("id", &ava_id.to_string()), ("active", "false")])
        .await;
    assert_eq!(res.status(), 200);
    let offered = ben
        .wait_for("Ava's conversation", |e| match e {
            OperatorEvent::Offer { offer } => Some(offer.conversation.id),
            _ => None,
        })
        .await;
    assert_eq!(offered, conversation);
    assert_eq!(
        result::<app::Me>(app.call_with(&ava_client, "auth/me", &[]).await)
            .await
            .unwrap_err(),
        AppError::Unauthenticated
    );
    let fresh = || async {
        app.call_with(
            &new_client(),
            "auth/sign_in",
            &[("email", AGENT), ("password", PASSWORD)],
        )
        .await
        .status()
    };
    assert_eq!(fresh().await, 401, "a deactivated member cannot sign in");
    let note = app
        .store
        .messages_after(conversation, 0, false, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.internal && m.sender_kind == SenderKind::System)
        .unwrap();
    assert_eq!(
        note.body,
        "Ava Agent was deactivated; the conversation goes to the next available operator."
    );

    let res = app
        .call("people/active", &[("id", &ava_id.to_string()), ("active", "true")])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(fresh().await, 200);
    let audit: Vec<AuditView> = result(app.call("audit/list", &[]).await).await.unwrap();
    assert_eq!(
        audit.iter().map(|a| a.action.as_str()).take(2).collect::<Vec<_>>(),
        vec!["member.reactivated", "member.deactivated"]
    );
    let _ = tokio::time::timeout(Duration::from_millis(10), ava.drain(Duration::from_millis(1))).await;
}

#[tokio::test]
async fn a_members_own_chat_limit_overrides_the_workspace_default() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let ava = member_id(&app, AGENT).await;
    let res = app
        .call("people/chat_limit", &[("id", &ava.to_string()), ("limit", "0")])
        .await;
    assert_eq!(
        result::<MemberSummary>(res).await.unwrap_err().to_string(),
        "Chat limit: must be between 1 and 100, or empty for the workspace default"
    );
    let set: MemberSummary = result(
        app.call("people/chat_limit", &[("id", &ava.to_string()), ("limit", "1")])
            .await,
    )
    .await
    .unwrap();
    assert_eq!(set.chat_limit, Some(1));
    let mut op = app.operator(AGENT).await;
    let limit = op
        .wait_for("presence", |e| match e {
            OperatorEvent::Presence { presence } => Some(presence.limit),
            _ => None,
        })
        .await;
    assert_eq!(limit, 1);
    let cleared: MemberSummary = result(
        app.call("people/chat_limit", &[("id", &ava.to_string()), ("limit", "")])
            .await,
    )
    .await
    .unwrap();
    assert_eq!(cleared.chat_limit, None);
}

#[tokio::test]
async fn with_a_mail_server_configured_the_invitation_link_is_emailed_to_the_person() {
    let (app, smtp) = crate::fake_smtp::spawn_app_with_mail(&[
        ("SWITCHBOARD_MAIL_FROM", "Acme Support <support@acme.example>"),
        ("SWITCHBOARD_PUBLIC_URL", "https://chat.acme.example"),
    ])
    .await;
    let admin = TestApp::client_signed_in(&app, ADMIN).await;
    let invitation: Invitation = result(
        app.call_with(
            &admin,
            "people/invite",
            &[("name", "Mia Mail"), ("email", "mia@example.com"), ("role", "agent")],
        )
        .await,
    )
    .await
    .unwrap();
    assert!(invitation.emailed, "{invitation:?}");
    assert_eq!(invitation.email_problem, None);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.from, "support@acme.example");
    assert_eq!(mail.to, vec!["mia@example.com".to_string()]);
    assert!(
        mail.headers.contains("Subject: Join Acme Support on Switchboard"),
        "{}",
        mail.headers
    );
    let link = format!("https://chat.acme.example{}", invitation.path);
    assert!(mail.body.contains(&link), "the link is in the e-mail: {}", mail.body);
    assert!(mail.body.contains("Adam Admin invited you"), "{}", mail.body);
}

#[tokio::test]
async fn an_invitation_email_the_server_refuses_still_leaves_a_working_link_and_says_why() {
    let (app, smtp) = crate::fake_smtp::spawn_app_with_mail(&[]).await;
    let admin = TestApp::client_signed_in(&app, ADMIN).await;
    let invitation: Invitation = result(
        app.call_with(
            &admin,
            "people/invite",
            &[
                ("name", "Bo Bounce"),
                ("email", "bounce@example.com"),
                ("role", "agent"),
            ],
        )
        .await,
    )
    .await
    .unwrap();
    assert!(!invitation.emailed);
    let problem = invitation.email_problem.expect("the reason is given");
    assert!(problem.contains("mail server refused"), "{problem}");
    assert!(smtp.mails().is_empty());
    let token = invitation.path.strip_prefix("/invite/").unwrap().to_string();
    let view: InvitationView = result(app.call_with(&new_client(), "invite/get", &[("token", &token)]).await)
        .await
        .unwrap();
    assert_eq!(view.email, "bounce@example.com");

    // Wrong credentials: refused too, and the password is not in the words shown.
    let wrong = spawn_app_with(&[
        ("SWITCHBOARD_SMTP_URL", smtp.url("mailer", "wrong-pass").as_str()),
        ("SWITCHBOARD_MAIL_FROM", "support@acme.example"),
    ])
    .await;
    let admin = TestApp::client_signed_in(&wrong, ADMIN).await;
    let invitation: Invitation = result(
        wrong
            .call_with(
                &admin,
                "people/invite",
                &[("name", "Ed Else"), ("email", "ed@example.com"), ("role", "agent")],
            )
            .await,
    )
    .await
    .unwrap();
    let problem = invitation.email_problem.expect("the reason is given");
    assert!(!problem.contains("wrong-pass"), "{problem}");
    assert!(smtp.mails().is_empty());
}
