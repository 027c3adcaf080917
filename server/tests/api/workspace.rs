//! Scopes and workspaces: who may read and change what.

use crate::helpers::*;
use app::settings::UpdateWorkspaceSettings;
use app::AppError;

fn settings_form(name: &str) -> UpdateWorkspaceSettings {
    UpdateWorkspaceSettings {
        name: name.into(),
        default_chat_limit: "4".into(),
        disconnect_timeout_secs: "45".into(),
        reroute_on_disconnect: checkbox(true),
    }
}

#[tokio::test]
async fn an_agent_may_read_the_inbox_but_not_settings_or_the_team() {
    let app = TestApp::signed_in_as(AGENT).await;
    assert_eq!(app.conversations().await.unwrap(), vec![]);
    assert!(matches!(app.settings().await.unwrap_err(), AppError::Forbidden { .. }));
    assert!(matches!(app.members().await.unwrap_err(), AppError::Forbidden { .. }));
    let (status, res) = app.update_settings(settings_form("Hijacked")).await;
    assert_eq!(status, 403);
    assert!(matches!(res.unwrap_err(), AppError::Forbidden { .. }));
    assert_eq!(app.store.workspace_settings(1).await.unwrap().name, "Acme Support");
}

#[tokio::test]
async fn a_supervisor_sees_the_team_but_cannot_change_settings() {
    let app = TestApp::signed_in_as(SUPERVISOR).await;
    let members = app.members().await.unwrap();
    assert_eq!(members.len(), 5);
    assert!(matches!(app.settings().await.unwrap_err(), AppError::Forbidden { .. }));
}

#[tokio::test]
async fn an_admin_changes_settings_and_the_change_is_audited() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let (status, saved) = app.update_settings(settings_form("Acme Care")).await;
    assert_eq!(status, 200, "{saved:?}");
    let saved = saved.unwrap();
    assert_eq!(saved.name, "Acme Care");
    assert_eq!(saved.default_chat_limit, 4);
    assert_eq!(app.settings().await.unwrap().settings, saved);
    assert_eq!(app.me().await.unwrap().workspace_name, "Acme Care");
    assert_eq!(app.store.audit_count(1, "workspace.settings_updated").await.unwrap(), 1);
}

#[tokio::test]
async fn bad_settings_are_refused_in_words_and_nothing_changes() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let before = app.settings().await.unwrap();
    let limit = |limit: &str| UpdateWorkspaceSettings {
        default_chat_limit: limit.into(),
        ..settings_form("Renamed")
    };
    let (status, res) = app.update_settings(limit("lots")).await;
    assert_eq!(status, 400);
    assert_eq!(
        res.unwrap_err().to_string(),
        "Default chat limit: must be a whole number, not \u{201c}lots\u{201d}"
    );
    let (status, res) = app.update_settings(limit("0")).await;
    assert_eq!(status, 400);
    assert_eq!(
        res.unwrap_err().to_string(),
        "Default chat limit: must be between 1 and 100"
    );
    assert_eq!(app.settings().await.unwrap(), before);
    assert_eq!(app.store.audit_count(1, "workspace.settings_updated").await.unwrap(), 0);
}

#[tokio::test]
async fn members_of_another_workspace_see_only_their_own() {
    let app = spawn_app().await;
    server::demo::create_owner(
        &app.store,
        "Other Co",
        "boss@other.example",
        "Other Boss",
        "a-long-password",
    )
    .await
    .unwrap();
    assert_eq!(app.sign_in("boss@other.example", "a-long-password").await.status(), 200);
    let me = app.me().await.unwrap();
    assert_eq!(me.workspace_name, "Other Co");
    let members = app.members().await.unwrap();
    assert_eq!(
        members.iter().map(|m| m.email.as_str()).collect::<Vec<_>>(),
        vec!["boss@other.example"]
    );
    assert_eq!(app.settings().await.unwrap().settings.name, "Other Co");
}

#[tokio::test]
async fn an_owner_email_cannot_be_taken_twice() {
    let app = spawn_app().await;
    let err = server::demo::create_owner(&app.store, "Copy", OWNER, "Copy Cat", "a-long-password")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
}
