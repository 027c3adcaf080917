//! Plans and alerts: seats and feature flags belong to the workspace's plan, which only an
//! instance administrator changes (on the Plans page or the command line, which a running
//! server follows); a plan may let account managers handle chats; members keep their alert
//! preferences on the server and get an e-mail digest of what waited while they were away.

use std::time::Duration;

use app::auth::{CurrentMember, SaveAlertPreferences};
use app::conversation::TakeOver;
use app::events::OperatorEvent;
use app::instance::{InstanceWorkspaces, SetPlan, WorkspacePlan};
use app::people::{GroupMember, GroupSummary};
use app::settings::GetWorkspaceSettings;
use app::{AppError, Role};

use crate::fake_smtp::FakeSmtp;
use crate::handoff::{escalate, send};
use crate::helpers::*;
use crate::routing::live_operator;

const WAIT: Duration = Duration::from_secs(20);

fn plan_form(workspace: &str, seats: &str, operators: bool, presence: bool) -> SetPlan {
    SetPlan {
        workspace_id: workspace.into(),
        name: "Growth".into(),
        human_agents: seats.into(),
        operator_enabled: checkbox(operators),
        presence_enabled: checkbox(presence),
        managers_handle_chats: None,
    }
}

/// Alert preferences as the form sends them: the ticked boxes.
fn alerts(sound: bool, desktop: bool, email_digest: bool) -> SaveAlertPreferences {
    SaveAlertPreferences {
        sound: checkbox(sound),
        desktop: checkbox(desktop),
        email_digest: checkbox(email_digest),
    }
}

#[tokio::test]
async fn only_an_instance_administrator_changes_a_plan_and_a_workspace_admin_reads_it() {
    let app = TestApp::signed_in_as(ADMIN).await;
    server::demo::create_owner(&app.store, "Other Co", "boss@other.example", "Boss", PASSWORD)
        .await
        .unwrap();
    // The workspace's own admin reads the plan and cannot change it, here or in Settings.
    let before = app.settings().await.unwrap().plan;
    assert_eq!((before.human_agents, before.operator_enabled), (5, true));
    let res = app.send(&app.client, &plan_form("1", "50", true, true)).await;
    assert_eq!(res.status(), 403);
    assert!(matches!(
        result::<WorkspacePlan>(res).await.unwrap_err(),
        AppError::Forbidden { .. }
    ));
    assert_eq!(app.send(&app.client, &InstanceWorkspaces {}).await.status(), 403);
    // Raw: the settings form has no `human_agents`; a forged one is what this tries.
    let res = app
        .call_with(
            &app.client,
            "settings/update",
            &[
                ("name", "Acme Support"),
                ("default_chat_limit", "3"),
                ("disconnect_timeout_secs", "30"),
                ("human_agents", "50"),
            ],
        )
        .await;
    assert!(res.status() == 200 || res.status() == 400, "{}", res.status());
    assert_eq!(
        app.settings().await.unwrap().plan,
        before,
        "Settings cannot change the plan"
    );
    assert_eq!(app.store.audit_count(1, "workspace.plan_changed").await.unwrap(), 0);

    // The instance's administrator (the demo's owner) sees every workspace and changes Other
    // Co's plan; bad plans are refused in words and change nothing.
    let owner = TestApp::client_signed_in(&app, OWNER).await;
    let all: Vec<WorkspacePlan> = app.run_as(&owner, InstanceWorkspaces {}).await.unwrap();
    let names: Vec<&str> = all.iter().map(|w| w.workspace_name.as_str()).collect();
    assert_eq!(names, ["Acme Support", "Other Co"]);
    let other = all[1].workspace_id.to_string();
    for (form, refused) in [
        (
            plan_form(&other, "2", false, true),
            "Live presence: requires the Operators feature to be enabled first",
        ),
        (
            plan_form(&other, "lots", true, true),
            "Human agent seats: must be a whole number, not \u{201c}lots\u{201d}",
        ),
        (
            plan_form(&other, "-1", true, true),
            "Human agent seats: must be between 0 and 10000",
        ),
    ] {
        let res = app.send(&owner, &form).await;
        assert_eq!(res.status(), 400);
        assert_eq!(result::<WorkspacePlan>(res).await.unwrap_err().to_string(), refused);
    }
    let unknown = app.send(&owner, &plan_form("999", "2", true, true)).await;
    assert_eq!(unknown.status(), 404);
    let saved: WorkspacePlan = app.run_as(&owner, plan_form(&other, "2", true, false)).await.unwrap();
    assert_eq!(
        (
            saved.plan.name.as_str(),
            saved.plan.human_agents,
            saved.plan.presence_enabled
        ),
        ("Growth", 2, false)
    );
    // Recorded in Other Co's audit log, naming who changed it; Other Co's owner reads it.
    let by: Vec<String> = app
        .texts(&format!(
            "SELECT after_json FROM audit_log WHERE workspace_id = {other} AND action = 'workspace.plan_changed'"
        ))
        .await
        .iter()
        .map(|after| {
            serde_json::from_str::<serde_json::Value>(after).unwrap()["by"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(by, [OWNER]);
    let boss = TestApp::client_signed_in(&app, "boss@other.example").await;
    let view: app::settings::SettingsView = app.run_as(&boss, GetWorkspaceSettings {}).await.unwrap();
    assert_eq!(view.plan, saved.plan);
    assert_eq!(app.settings().await.unwrap().plan, before, "Acme's plan is as it was");
}

#[tokio::test]
async fn a_plan_changed_on_the_command_line_reaches_the_running_server() {
    let app = spawn_app().await;
    let mut ava = live_operator(&app, AGENT).await;
    let out = crate::process::switchboard(
        &app.data_dir,
        &[
            "plan",
            "--workspace",
            "Acme Support",
            "--operators",
            "off",
            "--presence",
            "off",
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Acme Support: plan \"Standard\", 5 human agent seats, operators off, live presence off, account managers handle chats off (changed)"
    );
    // The server follows within a round: Ava is no longer live anywhere.
    ava.wait_for("going offline with the plan", |e| match e {
        OperatorEvent::Presence { presence } if presence.live_workflows.is_empty() => Some(()),
        _ => None,
    })
    .await;
    // An unknown workspace, or presence without operators, is refused in words.
    let out = crate::process::switchboard(&app.data_dir, &["plan", "--workspace", "Nope", "--seats", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no workspace has the id or name \"Nope\""));
    let out = crate::process::switchboard(&app.data_dir, &["plan", "--workspace", "1", "--presence", "on"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("requires the Operators feature"));
    // Granting the instance administration to an account, and taking it back.
    let out = crate::process::switchboard(&app.data_dir, &["instance-admin", "--email", ADMIN])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(me_at(&app, ADMIN).await.instance_admin);
    let out = crate::process::switchboard(&app.data_dir, &["instance-admin", "--email", ADMIN, "--revoke"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!me_at(&app, ADMIN).await.instance_admin);
}

#[tokio::test]
async fn account_managers_handle_chats_only_while_the_plan_allows_it() {
    let app = TestApp::signed_in_as(ADMIN).await;
    const AM: &str = "am@demo.switchboard.test";
    let am_id = app.add_member(AM, Role::AccountManager).await;
    let am = TestApp::client_signed_in(&app, AM).await;
    let mut v = app.visitor().await;
    let id = escalate(&mut v).await;
    let join = GroupMember {
        id: app
            .count("SELECT id FROM operator_groups WHERE name = 'Frontline'")
            .await,
        member_id: am_id,
        add: true,
    };

    // Without it: no taking over, and no place in an operator group.
    let res = app.send(&am, &TakeOver { id }).await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.send(&app.client, &join).await.status(), 409);

    // The plan lets them: their console reconnects with the new rights, they join the group,
    // go live and take the conversation.
    let mut console = app.operator(AM).await;
    app.set_plan(5, true, true, true).await;
    let (code, _) = console.closed_by_server(WAIT).await;
    assert_eq!(code, 1012);
    let joined: GroupSummary = app.run(join).await.unwrap();
    assert!(joined.members.contains(&"Account Manager".to_string()), "{joined:?}");
    let mut console = live_operator(&app, AM).await;
    // The live account manager holds one of the plan's seats, as the admin's Settings show.
    assert_eq!(app.settings().await.unwrap().seats_in_use, 1);
    let res = app.send(&am, &TakeOver { id }).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // Taken back: their presence ends and the conversation goes on to others, with a note.
    app.set_plan(5, true, true, false).await;
    let (code, _) = console.closed_by_server(WAIT).await;
    assert_eq!(code, 1012);
    let note = "Account Manager is an account manager, and the plan no longer lets account managers handle conversations; the conversation goes to the next available operator.";
    eventually("the note that hands the conversation on", WAIT, || async {
        let notes = app
            .texts(&format!(
                "SELECT body FROM messages WHERE conversation_id = {id} AND sender_kind = 'system'"
            ))
            .await;
        notes.iter().any(|n| n == note).then_some(())
    })
    .await;
    let res = app.send(&am, &TakeOver { id }).await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn alert_preferences_are_kept_on_the_server_and_an_away_member_gets_a_digest() {
    let (app, smtp) = crate::fake_smtp::spawn_app_with_mail(&[
        ("SWITCHBOARD_PUBLIC_URL", "https://chat.acme.example"),
        ("SWITCHBOARD_DIGEST_EVERY_SECS", "1"),
    ])
    .await;
    let ava = TestApp::client_signed_in(&app, AGENT).await;
    let me = |client: reqwest::Client| {
        let app = &app;
        async move { app.run_as(&client, CurrentMember {}).await.unwrap() }
    };
    assert_eq!(me(ava.clone()).await.alerts, app::AlertPreferences::default());
    let saved: app::AlertPreferences = app.run_as(&ava, alerts(false, true, false)).await.unwrap();
    let wanted = app::AlertPreferences {
        sound: false,
        desktop: true,
        email_digest: false,
    };
    assert_eq!(saved, wanted);
    // Every browser she signs in on gets them.
    assert_eq!(me(TestApp::client_signed_in(&app, AGENT).await).await.alerts, wanted);

    // Ava takes a conversation (she has no console open) and its customer writes twice.
    let mut v = app.visitor().await;
    let id = escalate(&mut v).await;
    let res = app.send(&ava, &TakeOver { id }).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // The digest counts from when she asks for it.
    let res = app.send(&ava, &alerts(false, true, true)).await;
    assert_eq!(res.status(), 200);
    for (i, text) in ["Are you there?", "Hello?"].iter().enumerate() {
        v.send(&send(text, &format!("away-{i}"))).await;
        v.wait_for("the ack", |e| {
            matches!(e, app::events::VisitorEvent::Ack { .. }).then_some(())
        })
        .await;
    }
    eventually("digests reporting both messages", WAIT, || async {
        (reported(&smtp, AGENT) == 2).then_some(())
    })
    .await;
    let digest = smtp
        .mails()
        .into_iter()
        .find(|m| m.to.iter().any(|t| t.contains(AGENT)))
        .unwrap();
    assert!(
        digest.headers.contains("in Acme Support needs you"),
        "{}",
        digest.headers
    );
    assert!(
        digest.body.contains(&format!("https://chat.acme.example/inbox/{id}")),
        "{}",
        digest.body
    );
    assert!(
        digest.body.contains("https://chat.acme.example/account"),
        "{}",
        digest.body
    );
    // Each digest counts from the one before: one more message is reported once.
    v.send(&send("Anyone?", "away-2")).await;
    eventually("a digest of the third message", WAIT, || async {
        (reported(&smtp, AGENT) == 3).then_some(())
    })
    .await;
    // A supervisor who asked for one hears of a conversation waiting for the team.
    let sam = TestApp::client_signed_in(&app, SUPERVISOR).await;
    let res = app.send(&sam, &alerts(false, false, true)).await;
    assert_eq!(res.status(), 200);
    let mut w = app.visitor().await;
    let waiting = escalate(&mut w).await;
    eventually("a digest for the supervisor", WAIT, || async {
        smtp.mails().into_iter().find(|m| {
            m.to.iter().any(|t| t.contains(SUPERVISOR))
                && m.body.contains("Waiting for someone on your team")
                && m.body.contains(&format!("/inbox/{waiting}"))
        })
    })
    .await;
}

/// Who `email` is, as a fresh sign-in sees it.
async fn me_at(app: &TestApp, email: &str) -> app::Me {
    let client = TestApp::client_signed_in(app, email).await;
    app.run_as(&client, CurrentMember {}).await.unwrap()
}

/// The new customer messages the digests e-mailed to `email` reported, added up.
fn reported(smtp: &FakeSmtp, email: &str) -> i64 {
    smtp.mails()
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(email)))
        .flat_map(|m| m.body.lines().map(str::to_string).collect::<Vec<_>>())
        .filter_map(|line| {
            let (_, tail) = line.rsplit_once("): ")?;
            tail.split_once(" new message")?.0.parse::<i64>().ok()
        })
        .sum()
}
