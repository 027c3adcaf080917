//! Qualifications: practice in a sandbox, review, grant, revoke, and going live obeying them.

use app::events::{OperatorCommand, OperatorEvent};
use app::people::GroupMember;
use app::qualifications::{
    GetPracticeRun, GetQualifications, PracticeReply, PracticeRun, PracticeStatus, QualificationsOverview,
    ReviewPractice, RevokeQualification, StartPractice, SubmitPractice,
};
use app::workflows::{GetWorkflow, UpdateWorkflow};
use app::AppError;

use crate::helpers::*;
use crate::sockets::OperatorSocket;

const SCRIPT: &str = "My card was charged twice.\nThe order is 48213.";

/// The demo workflow, made to require a qualification, with a two-line scenario.
async fn require_qualification(app: &TestApp) {
    let admin = TestApp::client_signed_in(app, ADMIN).await;
    let res = app.send(&admin, &qualification_form(SCRIPT)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// The demo workflow's form with a practice scenario of `script`, needing a qualification.
fn qualification_form(script: &str) -> UpdateWorkflow {
    UpdateWorkflow {
        escalation_threshold: "3".into(),
        handoff_message: "A human agent will be with you shortly.".into(),
        greeting: "Hi!".into(),
        fallback_answer: "Not sure.".into(),
        routing_mode: "assigned".into(),
        accept_timeout_secs: "30".into(),
        requires_qualification: checkbox(true),
        practice_script: script.into(),
        ai_timeout_secs: "20".into(),
        ..workflow_form()
    }
}

fn start(workflow_id: i64) -> StartPractice {
    StartPractice { workflow_id }
}

fn reply(id: i64, body: &str) -> PracticeReply {
    PracticeReply { id, body: body.into() }
}

fn decision(id: i64, grant: bool, note: &str) -> ReviewPractice {
    ReviewPractice {
        id,
        grant,
        note: note.into(),
    }
}

/// A reviewer's decision on the run `id`: grant it, or send it back with `note`.
async fn review(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    grant: bool,
    note: &str,
) -> Result<PracticeRun, AppError> {
    app.run_as(client, decision(id, grant, note)).await
}

/// Goes live on workflow 1; the refusal's words if refused.
async fn go_live(op: &mut OperatorSocket) -> Result<(), String> {
    op.send(&OperatorCommand::GoLive { workflow_ids: vec![1] }).await;
    op.wait_for("going live or a refusal", |e| match e {
        OperatorEvent::Presence { presence } if !presence.live_workflows.is_empty() => Some(Ok(())),
        OperatorEvent::Error { message, .. } => Some(Err(message.clone())),
        _ => None,
    })
    .await
}

/// Practises the whole scenario as `client` and submits it.
async fn practise(app: &TestApp, client: &reqwest::Client) -> PracticeRun {
    let run = app.run_as(client, start(1)).await.unwrap();
    let id = run.id;
    app.run_as(client, reply(id, "Sorry about that, let me check."))
        .await
        .unwrap();
    app.run_as(client, reply(id, "Refunded; it takes 3 days."))
        .await
        .unwrap();
    app.run_as(client, SubmitPractice { id }).await.unwrap()
}

#[tokio::test]
async fn an_operator_cannot_go_live_on_a_workflow_needing_a_qualification_until_a_reviewer_grants_it() {
    let app = spawn_app().await;
    require_qualification(&app).await;
    let agent = TestApp::client_signed_in(&app, AGENT).await;
    let mut op = app.operator(AGENT).await;
    let refused = go_live(&mut op).await.unwrap_err();
    assert!(refused.contains("requires a qualification"), "{refused}");

    let submitted = practise(&app, &agent).await;
    assert_eq!(submitted.status, PracticeStatus::Submitted);
    assert!(go_live(&mut op).await.is_err(), "submitted is not granted");

    let supervisor = TestApp::client_signed_in(&app, SUPERVISOR).await;
    let overview: QualificationsOverview = app.run_as(&supervisor, GetQualifications {}).await.unwrap();
    assert_eq!(overview.to_review.len(), 1);
    assert_eq!(overview.to_review[0].member_name, "Ava Agent");
    let granted = review(&app, &supervisor, submitted.id, true, "Clear and kind.")
        .await
        .unwrap();
    assert_eq!(granted.status, PracticeStatus::Granted);
    assert_eq!(granted.reviewer.as_deref(), Some("Sofia Supervisor"));
    go_live(&mut op).await.expect("qualified now");
    assert_eq!(app.store.audit_count(1, "qualification.granted").await.unwrap(), 1);
}

#[tokio::test]
async fn the_scripted_customer_answers_line_by_line_and_nothing_reaches_the_inbox() {
    let app = spawn_app().await;
    require_qualification(&app).await;
    let agent = TestApp::client_signed_in(&app, AGENT).await;
    let run = app.run_as(&agent, start(1)).await.unwrap();
    assert_eq!((run.step, run.total, run.messages.len()), (1, 2, 1));
    assert!(run.messages[0].from_customer);
    assert_eq!(run.messages[0].body, "My card was charged twice.");
    // Starting again continues the same run.
    let again = app.run_as(&agent, start(1)).await.unwrap();
    assert_eq!(again.id, run.id);

    let id = run.id;
    // Submitting before every line is answered is refused.
    let early = app.run_as(&agent, SubmitPractice { id }).await.unwrap_err();
    assert!(early.to_string().contains("Answer every message"), "{early}");
    let blank = app.run_as(&agent, reply(id, "   ")).await.unwrap_err();
    assert!(matches!(blank, AppError::Invalid { .. }));

    let after = app.run_as(&agent, reply(id, "Let me look.")).await.unwrap();
    let said: Vec<(bool, &str)> = after
        .messages
        .iter()
        .map(|m| (m.from_customer, m.body.as_str()))
        .collect();
    assert_eq!(
        said,
        vec![
            (true, "My card was charged twice."),
            (false, "Let me look."),
            (true, "The order is 48213.")
        ]
    );
    let last = app.run_as(&agent, reply(id, "Refunded.")).await.unwrap();
    assert!(last.complete());
    let more = app.run_as(&agent, reply(id, "Anything else?")).await.unwrap_err();
    assert!(more.to_string().contains("nothing more to say"), "{more}");

    // The sandbox touched no real conversation.
    assert_eq!(app.store.newest_conversation().await.unwrap(), None);
    let owner = TestApp::client_signed_in(&app, OWNER).await;
    let inbox: app::inbox::InboxPage = app.run_as(&owner, inbox_filter()).await.unwrap();
    assert!(inbox.conversations.is_empty());
}

#[tokio::test]
async fn only_reviewers_decide_nobody_reviews_their_own_run_and_a_send_back_needs_a_reason() {
    let app = spawn_app().await;
    require_qualification(&app).await;
    let agent = TestApp::client_signed_in(&app, AGENT).await;
    let run = practise(&app, &agent).await;
    let id = run.id;

    let by_agent = app.send(&agent, &decision(id, true, "")).await;
    assert_eq!(by_agent.status(), 403);

    let supervisor = TestApp::client_signed_in(&app, SUPERVISOR).await;
    let no_reason = review(&app, &supervisor, id, false, " ").await.unwrap_err();
    assert!(no_reason.to_string().contains("say what to work on"), "{no_reason}");
    let returned = review(&app, &supervisor, id, false, "Ask for the order number first.")
        .await
        .unwrap();
    assert_eq!(returned.status, PracticeStatus::Returned);
    let twice = review(&app, &supervisor, id, true, "").await.unwrap_err();
    assert!(matches!(twice, AppError::Conflict(_)), "{twice:?}");

    // The operator sees why and may practise again with a new run.
    let mine: QualificationsOverview = app.run_as(&agent, GetQualifications {}).await.unwrap();
    let q = mine.mine.iter().find(|q| q.workflow_id == 1).unwrap();
    assert_eq!(q.latest_status, Some(PracticeStatus::Returned));
    assert_eq!(q.review_note.as_deref(), Some("Ask for the order number first."));
    assert!(q.granted_at.is_none());
    let second = practise(&app, &agent).await;
    assert_ne!(second.id, run.id);

    // A supervisor who practised cannot grant themselves.
    let admin = TestApp::client_signed_in(&app, ADMIN).await;
    let sup_id = app.store.member_by_email(SUPERVISOR).await.unwrap().unwrap().id;
    let join = GroupMember {
        id: 1,
        member_id: sup_id,
        add: true,
    };
    let res = app.send(&admin, &join).await;
    assert_eq!(res.status(), 200);
    let own = practise(&app, &supervisor).await;
    let self_review = review(&app, &supervisor, own.id, true, "").await.unwrap_err();
    assert!(
        self_review.to_string().contains("your own practice run"),
        "{self_review}"
    );
}

#[tokio::test]
async fn a_run_is_visible_to_its_operator_and_reviewers_only() {
    let app = spawn_app().await;
    require_qualification(&app).await;
    let agent = TestApp::client_signed_in(&app, AGENT).await;
    let run = app.run_as(&agent, start(1)).await.unwrap();
    let id = run.id;
    let other_agent = TestApp::client_signed_in(&app, "agent2@demo.switchboard.test").await;
    let peek = app.send(&other_agent, &GetPracticeRun { id }).await;
    assert_eq!(peek.status(), 404);
    let answer = app.send(&other_agent, &reply(id, "Hi")).await;
    assert_eq!(answer.status(), 404);
    server::demo::create_owner(&app.store, "Other Co", "boss@other.example", "Boss", PASSWORD)
        .await
        .unwrap();
    let stranger = TestApp::client_signed_in(&app, "boss@other.example").await;
    assert_eq!(app.send(&stranger, &GetPracticeRun { id }).await.status(), 404);
    let supervisor = TestApp::client_signed_in(&app, SUPERVISOR).await;
    let seen = app.run_as(&supervisor, GetPracticeRun { id }).await.unwrap();
    assert_eq!(seen.member_name, "Ava Agent");
}

#[tokio::test]
async fn revoking_a_qualification_takes_the_operator_off_that_workflow_at_once() {
    let app = spawn_app().await;
    require_qualification(&app).await;
    let agent = TestApp::client_signed_in(&app, AGENT).await;
    let run = practise(&app, &agent).await;
    let supervisor = TestApp::client_signed_in(&app, SUPERVISOR).await;
    review(&app, &supervisor, run.id, true, "").await.unwrap();
    let mut op = app.operator(AGENT).await;
    go_live(&mut op).await.unwrap();

    let revoke = RevokeQualification {
        member_id: app.store.member_by_email(AGENT).await.unwrap().unwrap().id,
        workflow_id: 1,
    };
    let res = app.send(&supervisor, &revoke).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    op.wait_for("being taken off the workflow", |e| match e {
        OperatorEvent::Presence { presence } if presence.live_workflows.is_empty() => Some(()),
        _ => None,
    })
    .await;
    assert!(go_live(&mut op).await.is_err());
    let again = app.send(&supervisor, &revoke).await;
    assert_eq!(again.status(), 404);
    assert_eq!(app.store.audit_count(1, "qualification.revoked").await.unwrap(), 1);
    let overview: QualificationsOverview = app.run_as(&agent, GetQualifications {}).await.unwrap();
    assert_eq!(overview.mine[0].latest_status, Some(PracticeStatus::Revoked));
}

#[tokio::test]
async fn turning_the_requirement_on_takes_unqualified_operators_off_the_workflow() {
    let app = spawn_app().await;
    let mut op = app.operator(AGENT).await;
    go_live(&mut op).await.expect("no qualification needed yet");
    require_qualification(&app).await;
    op.wait_for("being taken off the workflow", |e| match e {
        OperatorEvent::Presence { presence } if presence.live_workflows.is_empty() => Some(()),
        _ => None,
    })
    .await;
}

#[tokio::test]
async fn a_practice_scenario_that_breaks_the_limits_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let admin = TestApp::client_signed_in(&app, ADMIN).await;
    let before: app::workflows::WorkflowSettings = app.run_as(&admin, GetWorkflow { id: 1 }).await.unwrap();
    let too_many = "line\n".repeat(21);
    let form = UpdateWorkflow {
        live_routing: None,
        escalate_on_frustration: None,
        requires_qualification: None,
        ..qualification_form(&too_many)
    };
    let res = app.send(&admin, &form).await;
    assert_eq!(res.status(), 400);
    let err: AppError = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert!(err.to_string().starts_with("Practice scenario"), "{err}");
    let after: app::workflows::WorkflowSettings = app.run_as(&admin, GetWorkflow { id: 1 }).await.unwrap();
    assert_eq!(after, before);
}
