//! Team management: invitations, roles, deactivation, chat limits and the audit log.

use std::time::Duration;

use app::audit::{AuditView, ListAudit};
use app::auth::{AcceptInvitation, CurrentMember, GetInvitation, InvitationView};
use app::events::{OperatorCommand, OperatorEvent, SenderKind, VisitorCommand, VisitorEvent};
use app::people::{ChangeRole, Invitation, InviteMember, MemberSummary, SetMemberActive, SetMemberChatLimit};
use app::{AppError, Role};

use crate::helpers::*;

async fn member_id(app: &TestApp, email: &str) -> i64 {
    app.store.member_by_email(email).await.unwrap().unwrap().id
}

fn invite(name: &str, email: &str, role: &str) -> InviteMember {
    InviteMember {
        name: name.into(),
        email: email.into(),
        role: role.into(),
    }
}

fn audit(action: &str) -> ListAudit {
    ListAudit {
        action: Some(action.into()),
    }
}

fn change_role(id: i64, role: &str) -> ChangeRole {
    ChangeRole { id, role: role.into() }
}

fn chat_limit(id: i64, limit: &str) -> SetMemberChatLimit {
    SetMemberChatLimit {
        id,
        limit: limit.into(),
    }
}

#[tokio::test]
async fn an_invited_member_sets_a_password_through_the_link_and_is_signed_in() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let res = app
        .send(&app.client, &invite("Nina New", " Nina@Example.com ", "support_agent"))
        .await;
    assert_eq!(res.status(), 200);
    let invitation: Invitation = result(res).await.unwrap();
    let token = invitation.path.strip_prefix("/invite/").unwrap().to_string();
    let get = GetInvitation { token: token.clone() };
    let accept = |password: &str, confirm: &str| AcceptInvitation {
        token: token.clone(),
        password: password.into(),
        confirm: confirm.into(),
    };

    let visitor = new_client();
    let view: InvitationView = app.run_as(&visitor, get.clone()).await.unwrap();
    assert_eq!(
        (view.name.as_str(), view.email.as_str(), view.workspace.as_str()),
        ("Nina New", "nina@example.com", "Acme Support")
    );
    let res = app.send(&visitor, &accept("nina-password-1", "nina-password-2")).await;
    assert_eq!(
        result::<()>(res).await.unwrap_err().to_string(),
        "Password: the two passwords differ"
    );
    let res = app.send(&visitor, &accept("nina-password-1", "nina-password-1")).await;
    assert_eq!(res.status(), 200);
    let me: app::Me = app.run_as(&visitor, CurrentMember {}).await.unwrap();
    assert_eq!((me.email.as_str(), me.role), ("nina@example.com", Role::SupportAgent));

    let again = app.send(&new_client(), &get).await;
    assert_eq!(again.status(), 404, "an invitation works once");
    let members = app.members().await.unwrap();
    assert!(!members.iter().find(|m| m.email == "nina@example.com").unwrap().invited);
    let audit: Vec<AuditView> = app.run(audit("member.invited")).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor.as_deref(), Some("Adam Admin"));
}

#[tokio::test]
async fn bad_invitations_are_refused_and_add_nobody() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let before = app.members().await.unwrap().len();
    for (form, message) in [
        (
            invite("", "x@example.com", "agent"),
            "Name: must be 1 to 100 characters",
        ),
        (
            invite("X", "not-an-email", "agent"),
            "Email: \u{201c}not-an-email\u{201d} is not an email address",
        ),
        (
            invite("X", "x@example.com", "wizard"),
            "Role: \u{201c}wizard\u{201d} is not a role",
        ),
        (
            invite("X", OWNER, "agent"),
            "A team member with that email already exists.",
        ),
        (
            invite("X", "x@example.com", "owner"),
            "You do not have permission to invite an owner (only owners can).",
        ),
    ] {
        let res = app.send(&app.client, &form).await;
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
    let changed: MemberSummary = app.run(change_role(agent, "supervisor")).await.unwrap();
    assert_eq!(changed.role, Role::Supervisor);
    let res = app.send(&app.client, &change_role(owner, "agent")).await;
    assert_eq!(res.status(), 403);
    let res = app
        .send(&app.client, &change_role(member_id(&app, ADMIN).await, "agent"))
        .await;
    assert_eq!(
        result::<MemberSummary>(res).await.unwrap_err().to_string(),
        "You cannot change your own role; ask another admin."
    );

    let owner_client = TestApp::client_signed_in(&app, OWNER).await;
    let res = app.send(&owner_client, &change_role(owner, "admin")).await;
    assert_eq!(
        result::<MemberSummary>(res).await.unwrap_err().to_string(),
        "You cannot change your own role; ask another admin."
    );

    let audit: Vec<AuditView> = app.run(audit("member.role_changed")).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].before.as_deref(), Some(r#"{"role":"agent"}"#));
    assert_eq!(audit[0].after.as_deref(), Some(r#"{"role":"supervisor"}"#));

    let agent_client = TestApp::client_signed_in(&app, "agent2@demo.switchboard.test").await;
    let res = app.send(&agent_client, &ListAudit { action: None }).await;
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
        .send(
            &app.client,
            &SetMemberActive {
                id: ava_id,
                active: false,
            },
        )
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
        app.run_as(&ava_client, CurrentMember {}).await.unwrap_err(),
        AppError::Unauthenticated
    );
    let fresh = || async { app.send(&new_client(), &sign_in_as(AGENT, PASSWORD)).await.status() };
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
        .send(
            &app.client,
            &SetMemberActive {
                id: ava_id,
                active: true,
            },
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(fresh().await, 200);
    let audit: Vec<AuditView> = app.run(ListAudit { action: None }).await.unwrap();
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
    let res = app.send(&app.client, &chat_limit(ava, "0")).await;
    assert_eq!(
        result::<MemberSummary>(res).await.unwrap_err().to_string(),
        "Chat limit: must be between 1 and 100, or empty for the workspace default"
    );
    let set: MemberSummary = app.run(chat_limit(ava, "1")).await.unwrap();
    assert_eq!(set.chat_limit, Some(1));
    let mut op = app.operator(AGENT).await;
    let limit = op
        .wait_for("presence", |e| match e {
            OperatorEvent::Presence { presence } => Some(presence.limit),
            _ => None,
        })
        .await;
    assert_eq!(limit, 1);
    let cleared: MemberSummary = app.run(chat_limit(ava, "")).await.unwrap();
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
    let invitation: Invitation = app
        .run_as(&admin, invite("Mia Mail", "mia@example.com", "agent"))
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
    let invitation: Invitation = app
        .run_as(&admin, invite("Bo Bounce", "bounce@example.com", "agent"))
        .await
        .unwrap();
    assert!(!invitation.emailed);
    let problem = invitation.email_problem.expect("the reason is given");
    assert!(problem.contains("mail server refused"), "{problem}");
    assert!(smtp.mails().is_empty());
    let token = invitation.path.strip_prefix("/invite/").unwrap().to_string();
    let view: InvitationView = app.run_as(&new_client(), GetInvitation { token }).await.unwrap();
    assert_eq!(view.email, "bounce@example.com");

    // Wrong credentials: refused too, and the password is not in the words shown.
    let wrong = spawn_app_with(&[
        ("SWITCHBOARD_SMTP_URL", smtp.url("mailer", "wrong-pass").as_str()),
        ("SWITCHBOARD_MAIL_FROM", "support@acme.example"),
    ])
    .await;
    let admin = TestApp::client_signed_in(&wrong, ADMIN).await;
    let invitation: Invitation = wrong
        .run_as(&admin, invite("Ed Else", "ed@example.com", "agent"))
        .await
        .unwrap();
    let problem = invitation.email_problem.expect("the reason is given");
    assert!(!problem.contains("wrong-pass"), "{problem}");
    assert!(smtp.mails().is_empty());
}
