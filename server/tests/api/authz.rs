//! The authorization matrix: every server function and socket, called anonymously, with a
//! visitor's token, as each role, and as a member of another workspace, is allowed or refused
//! exactly as the permissions table (`app::Role::scopes`) says, and a refusal changes nothing
//! in the database. HTTP routes and socket commands: `authz_routes.rs`. A server function missing from `MATRIX`
//! fails `every_server_function_is_in_the_matrix`.

use std::collections::BTreeSet;

use app::events::{OperatorCommand, OperatorEvent};
use app::{Role, Scope};

use crate::helpers::*;
use crate::sockets::connect;

/// Who may call an endpoint.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Needs {
    /// Anyone, signed in or not (the widget, sign-in, invitations).
    Public,
    /// Any signed-in member.
    Member,
    Scope(Scope),
    /// The instance's administrators (the demo's owner is one).
    InstanceAdmin,
}

/// Every server function, what it needs, and arguments that pass validation.
pub(crate) const MATRIX: &[(&str, Needs)] = &[
    ("auth/sign_in", Needs::Public),
    ("auth/sign_out", Needs::Public),
    ("auth/me", Needs::Member),
    ("widget/channel", Needs::Public),
    ("widget/start", Needs::Public),
    ("widget/identify", Needs::Public),
    ("invite/get", Needs::Public),
    ("invite/accept", Needs::Public),
    ("auth/request_reset", Needs::Public),
    ("auth/password_reset", Needs::Public),
    ("auth/reset_password", Needs::Public),
    ("auth/change_password", Needs::Member),
    ("auth/alerts", Needs::Member),
    ("instance/workspaces", Needs::InstanceAdmin),
    ("instance/plan", Needs::InstanceAdmin),
    ("inbox/conversations", Needs::Scope(Scope::OperatorRead)),
    ("inbox/conversation", Needs::Scope(Scope::OperatorRead)),
    ("inbox/take_over", Needs::Scope(Scope::OperatorWrite)),
    ("inbox/restore_to_ai", Needs::Scope(Scope::OperatorWrite)),
    ("inbox/resolve", Needs::Scope(Scope::OperatorWrite)),
    ("inbox/transfer_options", Needs::Scope(Scope::OperatorWrite)),
    ("inbox/transfer", Needs::Scope(Scope::OperatorWrite)),
    ("inbox/summary", Needs::Scope(Scope::OperatorRead)),
    ("inbox/history", Needs::Scope(Scope::OperatorRead)),
    ("inbox/category", Needs::Scope(Scope::OperatorWrite)),
    ("inbox/reopen", Needs::Scope(Scope::OperatorWrite)),
    ("inbox/snooze", Needs::Scope(Scope::OperatorWrite)),
    ("categories/list", Needs::Scope(Scope::OperatorRead)),
    ("categories/add", Needs::Scope(Scope::SettingsWrite)),
    ("categories/delete", Needs::Scope(Scope::SettingsWrite)),
    ("contacts/get", Needs::Scope(Scope::OperatorRead)),
    ("contacts/update", Needs::Scope(Scope::OperatorWrite)),
    ("contacts/label", Needs::Scope(Scope::OperatorWrite)),
    ("contacts/data", Needs::Scope(Scope::OperatorWrite)),
    ("contacts/search", Needs::Scope(Scope::OperatorWrite)),
    ("contacts/merge", Needs::Scope(Scope::OperatorWrite)),
    // The conversation is open: allowed means refused for that, not for who is asking.
    ("contacts/erase", Needs::Scope(Scope::SettingsWrite)),
    ("channels/list", Needs::Scope(Scope::ChannelsWrite)),
    ("channels/save", Needs::Scope(Scope::ChannelsWrite)),
    ("channels/save_sms", Needs::Scope(Scope::ChannelsWrite)),
    ("channels/save_email", Needs::Scope(Scope::ChannelsWrite)),
    ("channels/enabled", Needs::Scope(Scope::ChannelsWrite)),
    ("channels/delete", Needs::Scope(Scope::ChannelsWrite)),
    ("canned/list", Needs::Scope(Scope::OperatorRead)),
    ("canned/save", Needs::Scope(Scope::OperatorWrite)),
    ("canned/delete", Needs::Scope(Scope::OperatorWrite)),
    ("live/board", Needs::Scope(Scope::ConversationsReadAll)),
    ("people/members", Needs::Scope(Scope::MembersRead)),
    ("people/groups", Needs::Scope(Scope::OperatorRead)),
    ("people/invite", Needs::Scope(Scope::MembersWrite)),
    ("people/role", Needs::Scope(Scope::MembersWrite)),
    ("people/active", Needs::Scope(Scope::MembersWrite)),
    ("people/chat_limit", Needs::Scope(Scope::MembersWrite)),
    ("settings/get", Needs::Scope(Scope::SettingsWrite)),
    ("settings/update", Needs::Scope(Scope::SettingsWrite)),
    ("audit/list", Needs::Scope(Scope::AuditRead)),
    ("groups/create", Needs::Scope(Scope::MembersWrite)),
    ("groups/update", Needs::Scope(Scope::MembersWrite)),
    ("groups/delete", Needs::Scope(Scope::MembersWrite)),
    ("groups/member", Needs::Scope(Scope::MembersWrite)),
    ("groups/workflow", Needs::Scope(Scope::MembersWrite)),
    ("workflows/list", Needs::Scope(Scope::OperatorRead)),
    ("workflows/get", Needs::Scope(Scope::WorkflowsWrite)),
    ("workflows/create", Needs::Scope(Scope::WorkflowsWrite)),
    ("workflows/update", Needs::Scope(Scope::WorkflowsWrite)),
    ("workflows/answer_add", Needs::Scope(Scope::WorkflowsWrite)),
    ("workflows/answer_delete", Needs::Scope(Scope::WorkflowsWrite)),
    ("qualifications/overview", Needs::Scope(Scope::OperatorRead)),
    ("qualifications/start", Needs::Scope(Scope::OperatorWrite)),
    ("qualifications/run", Needs::Scope(Scope::OperatorRead)),
    ("qualifications/reply", Needs::Scope(Scope::OperatorWrite)),
    ("qualifications/submit", Needs::Scope(Scope::OperatorWrite)),
    ("qualifications/review", Needs::Scope(Scope::QualificationsWrite)),
    ("qualifications/revoke", Needs::Scope(Scope::QualificationsWrite)),
    ("history/sessions", Needs::Scope(Scope::OperatorRead)),
    ("reports/get", Needs::Scope(Scope::ConversationsReadAll)),
    ("integrations/tokens", Needs::Scope(Scope::SettingsWrite)),
    ("integrations/create_token", Needs::Scope(Scope::SettingsWrite)),
    ("integrations/revoke_token", Needs::Scope(Scope::SettingsWrite)),
    ("integrations/webhooks", Needs::Scope(Scope::SettingsWrite)),
    ("integrations/save_webhook", Needs::Scope(Scope::SettingsWrite)),
    ("integrations/webhook_enabled", Needs::Scope(Scope::SettingsWrite)),
    ("integrations/delete_webhook", Needs::Scope(Scope::SettingsWrite)),
    ("integrations/test_webhook", Needs::Scope(Scope::SettingsWrite)),
    ("integrations/webhook_deliveries", Needs::Scope(Scope::SettingsWrite)),
    // Last: it ends the caller's sessions.
    ("auth/sign_out_everywhere", Needs::Member),
];

#[test]
fn every_server_function_is_in_the_matrix() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_string())
        .collect();
    let listed: BTreeSet<String> = MATRIX.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(
        registered, listed,
        "add new server functions to MATRIX with the scope they need"
    );
}

/// Arguments that get past validation, so that what is tested is authorization.
pub(crate) fn args(endpoint: &str, conversation: i64, member: i64, n: usize) -> Vec<(String, String)> {
    let c = conversation.to_string();
    let m = member.to_string();
    let pairs: Vec<(&str, String)> = match endpoint {
        "auth/sign_in" => vec![
            ("email", "nobody@example.com".into()),
            ("password", "wrong-password".into()),
        ],
        "widget/channel" | "widget/start" => vec![("key", server::demo::DEMO_WEB_CHANNEL.into())],
        // A token that is no visitor's: allowed means checked, not refused for who is asking.
        "widget/identify" => vec![
            ("key", server::demo::DEMO_WEB_CHANNEL.into()),
            ("token", "v2.0.0.0.0.00".into()),
            ("customer_id", "cust-1".into()),
            ("name", String::new()),
            ("email", String::new()),
            ("phone", String::new()),
            ("hmac", String::new()),
        ],
        "invite/get" | "auth/password_reset" => vec![("token", "0".repeat(64))],
        "auth/request_reset" => vec![("email", format!("nobody{n}@example.com"))],
        "auth/reset_password" => vec![
            ("token", "0".repeat(64)),
            ("password", "long-enough-1".into()),
            ("confirm", "long-enough-1".into()),
        ],
        // A wrong current password: allowed means checked, not refused for who is asking.
        "auth/change_password" => vec![
            ("current", "not-the-password".into()),
            ("password", "long-enough-1".into()),
            ("confirm", "long-enough-1".into()),
        ],
        "invite/accept" => vec![
            ("token", "0".repeat(64)),
            ("password", "long-enough-1".into()),
            ("confirm", "long-enough-1".into()),
        ],
        "inbox/conversation"
        | "inbox/take_over"
        | "inbox/restore_to_ai"
        | "inbox/resolve"
        | "inbox/transfer_options"
        | "inbox/summary"
        | "inbox/reopen"
        | "inbox/snooze" => vec![("id", c)],
        "inbox/history" => vec![("id", c), ("before_seq", "100".into())],
        "inbox/category" => vec![("id", c), ("category_id", String::new())],
        "categories/add" => vec![("name", format!("Matrix category {n}"))],
        "categories/delete" | "canned/delete" | "channels/delete" => vec![("id", "999999".into())],
        "channels/save" => vec![
            ("id", String::new()),
            ("name", format!("Matrix chat {n}")),
            ("colour", "#0ea5e9".into()),
            ("workflow_id", "1".into()),
            ("allowed_sites", String::new()),
        ],
        "channels/save_sms" => vec![
            ("id", String::new()),
            ("name", format!("Matrix texts {n}")),
            ("colour", "#16a34a".into()),
            ("workflow_id", "1".into()),
            ("account_sid", crate::fake_twilio::ACCOUNT.into()),
            ("from", crate::fake_twilio::NUMBER.into()),
            ("auth_token", crate::fake_twilio::TOKEN.into()),
        ],
        "channels/save_email" => vec![
            ("id", String::new()),
            ("name", format!("Matrix mail {n}")),
            ("colour", "#9333ea".into()),
            ("workflow_id", "1".into()),
            ("address", "support@matrix.example".into()),
            ("smtp_host", "127.0.0.1".into()),
            ("smtp_port", "25".into()),
            ("smtp_security", "none".into()),
            ("ingest_secret", "matrix-ingest-secret-0123456789abcdef".into()),
        ],
        "channels/enabled" => vec![("id", "1".into()), ("enabled", "true".into())],
        "contacts/get" => vec![("conversation_id", c)],
        "contacts/update" => vec![
            ("conversation_id", c),
            ("name", "Matrix Visitor".into()),
            ("email", String::new()),
            ("phone", String::new()),
        ],
        "contacts/label" => vec![
            ("conversation_id", c),
            ("label", "matrix".into()),
            ("add", "true".into()),
        ],
        "contacts/data" => vec![("conversation_id", c), ("key", "plan".into()), ("value", "gold".into())],
        "contacts/search" => vec![("conversation_id", c), ("query", "Visitor".into())],
        // A contact that does not exist: allowed means looked for, not refused for who asks.
        "contacts/merge" => vec![("conversation_id", c), ("other", "999999".into())],
        "contacts/erase" => vec![("conversation_id", c)],
        "canned/save" => vec![
            ("id", String::new()),
            ("scope", "personal".into()),
            ("group_id", String::new()),
            ("shortcut", format!("matrix{n}")),
            ("title", "Matrix".into()),
            ("body", "Hello {{contact.first_name}}".into()),
        ],
        "inbox/transfer" => vec![("id", c), ("to", format!("member:{m}")), ("note", String::new())],
        "people/invite" => vec![
            ("name", "Matrix".into()),
            ("email", format!("matrix{n}@example.com")),
            ("role", "agent".into()),
        ],
        "people/role" => vec![("id", m), ("role", "agent".into())],
        "people/active" => vec![("id", m), ("active", "true".into())],
        "people/chat_limit" => vec![("id", m), ("limit", String::new())],
        "groups/create" => vec![("name", format!("Matrix group {n}")), ("description", String::new())],
        "groups/update" | "groups/delete" => vec![
            ("id", "1".into()),
            ("name", "Frontline".into()),
            ("description", String::new()),
        ],
        "groups/member" => vec![("id", "1".into()), ("member_id", m), ("add", "false".into())],
        "workflows/get" => vec![("id", "1".into())],
        "workflows/create" => vec![("name", format!("Matrix bot {n}"))],
        "workflows/answer_add" => vec![("id", "1".into()), ("question", "Q?".into()), ("answer", "A.".into())],
        "workflows/answer_delete" => vec![("id", "1".into()), ("answer_id", "999".into())],
        "workflows/update" => vec![
            ("id", "1".into()),
            ("name", "Support Assistant".into()),
            ("live_routing", "on".into()),
            ("handoff_mode", "auto_escalation".into()),
            ("escalation_threshold", "3".into()),
            ("handoff_message", "A human agent will be with you shortly.".into()),
            ("greeting", "Hi!".into()),
            ("fallback_answer", "Not sure.".into()),
            ("routing_mode", "assigned".into()),
            ("accept_timeout_secs", "30".into()),
            ("ai_provider", "builtin".into()),
            ("openai_base_url", String::new()),
            ("openai_model", String::new()),
            ("openai_api_key", String::new()),
            ("ai_timeout_secs", "20".into()),
            ("practice_script", "Hello\nThanks".into()),
        ],
        "qualifications/start" => vec![("workflow_id", "1".into())],
        "qualifications/run" | "qualifications/reply" | "qualifications/submit" => {
            vec![("id", "999999".into()), ("body", "Hello".into())]
        }
        "qualifications/review" => vec![
            ("id", "999999".into()),
            ("grant", "true".into()),
            ("note", String::new()),
        ],
        "qualifications/revoke" => vec![("member_id", m), ("workflow_id", "1".into())],
        "integrations/create_token" => vec![
            ("name", format!("Matrix token {n}")),
            ("scopes", "operator:read".into()),
        ],
        // Ones that do not exist: allowed means looked for, not refused for who asks.
        "integrations/revoke_token"
        | "integrations/delete_webhook"
        | "integrations/test_webhook"
        | "integrations/webhook_deliveries" => vec![("id", "999999".into())],
        "integrations/webhook_enabled" => vec![("id", "999999".into()), ("enabled", "true".into())],
        "integrations/save_webhook" => vec![
            ("id", String::new()),
            ("url", format!("https://hooks.example.com/matrix/{n}")),
            // An event nothing in the matrix makes: no delivery changes the database meanwhile.
            ("events", "operator.status_changed".into()),
        ],
        "groups/workflow" => vec![
            ("id", "1".into()),
            ("workflow_id", "1".into()),
            ("assigned", "true".into()),
        ],
        "auth/alerts" => vec![("sound", "on".into()), ("email_digest", "on".into())],
        "instance/plan" => vec![
            ("workspace_id", "1".into()),
            ("name", "Team".into()),
            ("human_agents", "5".into()),
            ("operator_enabled", "on".into()),
            ("presence_enabled", "on".into()),
        ],
        "settings/update" => vec![
            ("name", "Acme Support".into()),
            ("default_chat_limit", "3".into()),
            ("disconnect_timeout_secs", "30".into()),
            ("reroute_on_disconnect", "on".into()),
        ],
        _ => vec![],
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[tokio::test]
async fn every_server_function_allows_and_refuses_exactly_as_the_permissions_table_says() {
    // Each caller tries a wrong password once (auth/sign_in); do not let that throttle them.
    let app = spawn_app_with(&[("SWITCHBOARD_SIGN_IN_MAX_ATTEMPTS", "1000")]).await;
    // One member of each role in the demo workspace, and the owner of another workspace.
    // The fingerprint that shows a refusal changed nothing sees a change.
    let empty = app.fingerprint().await;
    assert!(empty.contains_key("conversations") && empty.contains_key("members"));
    for (email, role) in [
        ("am@demo.switchboard.test", Role::AccountManager),
        ("sa@demo.switchboard.test", Role::SupportAgent),
    ] {
        app.add_member(email, role).await;
    }
    assert_ne!(app.fingerprint().await["members"], empty["members"]);
    server::demo::create_owner(&app.store, "Other Co", "boss@other.example", "Boss", PASSWORD)
        .await
        .unwrap();

    // A conversation of the demo workspace that the test agents can see.
    let mut v = app.visitor().await;
    let conversation = first_message(&app, &mut v, "hello").await;
    let target = agent2(&app).await;

    let visitor_token = app.visitor_token().await;
    let callers: Vec<(&str, Option<Role>)> = vec![
        ("anonymous", None),
        // A visitor's token is no member's session, wherever it is put.
        ("a visitor token", None),
        (OWNER, Some(Role::Owner)),
        (ADMIN, Some(Role::Admin)),
        (SUPERVISOR, Some(Role::Supervisor)),
        ("am@demo.switchboard.test", Some(Role::AccountManager)),
        (AGENT, Some(Role::Agent)),
        ("sa@demo.switchboard.test", Some(Role::SupportAgent)),
        ("boss@other.example", Some(Role::Owner)),
    ];
    let mut n = 0;
    let mut failures = Vec::new();
    for (who, role) in &callers {
        let client = match role {
            None if *who == "a visitor token" => reqwest::Client::builder()
                .default_headers(
                    [
                        (
                            reqwest::header::AUTHORIZATION,
                            format!("Bearer {visitor_token}").parse().unwrap(),
                        ),
                        (
                            reqwest::header::COOKIE,
                            format!("sb_session={visitor_token}").parse().unwrap(),
                        ),
                    ]
                    .into_iter()
                    .collect(),
                )
                .build()
                .unwrap(),
            None => new_client(),
            Some(_) => TestApp::client_signed_in(&app, who).await,
        };
        for (endpoint, needs) in MATRIX {
            if matches!(*endpoint, "auth/sign_out") {
                continue; // would end the caller's session mid-matrix; covered in auth.rs
            }
            n += 1;
            let form = args(endpoint, conversation, target, n);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let other_workspace = *who == "boss@other.example";
            let expected_allowed = match needs {
                Needs::Public => true,
                Needs::Member => role.is_some(),
                Needs::Scope(s) => role.is_some_and(|r| r.has(*s)),
                Needs::InstanceAdmin => *who == OWNER,
            };
            let names_ours = other_workspace
                && form
                    .iter()
                    .any(|(k, v)| (*k == "id" || *k == "conversation_id") && !v.is_empty());
            // A refusal must leave the database as it was.
            let before = match !expected_allowed || names_ours {
                true => Some(app.fingerprint().await),
                false => None,
            };
            let res = app.call_with(&client, endpoint, &form).await;
            let status = res.status().as_u16();
            // Refused means refused for who is asking: not for a wrong password or bad input.
            let refused = match res.status().is_success() {
                true => false,
                false => matches!(
                    serde_json::from_str::<app::AppError>(&res.text().await.unwrap()),
                    Ok(app::AppError::Unauthenticated
                        | app::AppError::SessionExpired
                        | app::AppError::Forbidden { .. })
                ),
            };
            if let Some(before) = before {
                let after = app.fingerprint().await;
                for (table, rows) in &before {
                    if after.get(table) != Some(rows) {
                        failures.push(format!("{who} → {endpoint}: refused, but the table {table} changed"));
                    }
                }
            }
            let ok = if !expected_allowed {
                refused && (status == 401 || status == 403)
            } else if names_ours {
                // Another workspace's conversation or member: as if it did not exist.
                status == 404
            } else {
                !refused
            };
            if !ok {
                failures.push(format!(
                    "{who} → {endpoint}: got {status}, expected {}",
                    if expected_allowed { "allowed" } else { "refused" }
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_sockets_check_who_is_calling() {
    let app = spawn_app().await;
    // Operator socket: no session, or a visitor token instead of one, is refused.
    assert_eq!(app.operator_connect_status("/ws/operator").await, Some(401));
    let token = app.visitor_token().await;
    let with_token = format!("/ws/operator?token={token}");
    assert_eq!(app.operator_connect_status(&with_token).await, Some(401));
    // Every role may open it (they all carry operator:read).
    for email in [OWNER, ADMIN, SUPERVISOR, AGENT] {
        let mut op = app.operator(email).await;
        op.send(&OperatorCommand::Ping).await;
        op.wait_for("pong", |e| matches!(e, OperatorEvent::Pong).then_some(()))
            .await;
    }
    // Visitor socket: no token, a forged token, or a session cookie instead is refused.
    assert!(app.visitor_refusal("").await.contains("not valid"));
    assert!(app.visitor_refusal("v1.1.1.deadbeef").await.contains("not valid"));
    let cookie = app.session_cookie(OWNER, PASSWORD).await;
    let mut with_cookie =
        connect::<app::events::VisitorCommand, app::events::VisitorEvent>(&app.ws_url("/ws/visitor"), Some(&cookie))
            .await
            .expect("it opens");
    with_cookie
        .send(&app::events::VisitorCommand::Resume {
            token: String::new(),
            last_seq: 0,
        })
        .await;
    assert_eq!(
        with_cookie.closed_by_server(crate::sockets::WAIT).await.0,
        app::events::TOKEN_REFUSED
    );
}

/// The visitor's first message, acknowledged; gives the conversation it started.
pub(crate) async fn first_message(app: &TestApp, v: &mut crate::sockets::VisitorSocket, body: &str) -> i64 {
    v.send(&app::events::VisitorCommand::Send {
        body: body.into(),
        idempotency_key: "first".into(),
        attachments: vec![],
    })
    .await;
    // The assistant's answer comes after the acknowledgement: wait for it too, so that nothing
    // the server still has to do changes the conversation after the test looks at it.
    v.wait_for("the assistant's answer", |e| match e {
        app::events::VisitorEvent::Message { message } if message.sender_kind == app::events::SenderKind::Ai => {
            Some(())
        }
        _ => None,
    })
    .await;
    app.store.newest_conversation().await.unwrap().unwrap()
}

/// The demo's second agent, whom functions that name a member are pointed at.
pub(crate) async fn agent2(app: &TestApp) -> i64 {
    app.store
        .member_by_email("agent2@demo.switchboard.test")
        .await
        .unwrap()
        .unwrap()
        .id
}

/// What a conversation and its contact are, in one line each, to show nothing changed.
pub(crate) async fn conversation_state(app: &TestApp, id: i64) -> Vec<String> {
    let mut state = app
        .texts(&format!(
            "SELECT status || '|' || handler || '|' || COALESCE(CAST(assignee_id AS TEXT), '-') || '|' || last_seq || '|'
                    || COALESCE(CAST(category_id AS TEXT), '-') || '|' || human_requests
             FROM conversations WHERE id = {id}"
        ))
        .await;
    state.extend(
        app.texts(&format!(
            "SELECT name || '|' || COALESCE(email, '-') || '|' || COALESCE(phone, '-') FROM contacts
             WHERE id = (SELECT contact_id FROM conversations WHERE id = {id})"
        ))
        .await,
    );
    for table in ["contact_labels", "contact_data"] {
        let n = app
            .count(&format!(
                "SELECT COUNT(*) FROM {table} WHERE contact_id = (SELECT contact_id FROM conversations WHERE id = {id})"
            ))
            .await;
        state.push(format!("{table}: {n}"));
    }
    for table in ["read_markers", "operator_sessions", "attachments"] {
        let n = app
            .count(&format!("SELECT COUNT(*) FROM {table} WHERE conversation_id = {id}"))
            .await;
        state.push(format!("{table}: {n}"));
    }
    state
}
