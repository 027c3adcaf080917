//! The workflow editor: settings, the API key that never comes back, validation and answers.

use app::events::{SenderKind, VisitorCommand, VisitorEvent};
use app::workflows::WorkflowSettings;

use crate::helpers::*;

pub(crate) fn form(overrides: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut f = vec![
        ("id", "1"),
        ("name", "Support Assistant"),
        ("live_routing", "on"),
        ("handoff_mode", "auto_escalation"),
        ("escalation_threshold", "2"),
        ("escalate_on_frustration", "on"),
        ("handoff_message", "Connecting you with our team now."),
        ("greeting", "Hello from Acme!"),
        ("fallback_answer", "I do not know that yet."),
        ("routing_mode", "pooled"),
        ("accept_timeout_secs", "45"),
        ("ai_provider", "builtin"),
        ("openai_base_url", ""),
        ("openai_model", ""),
        ("openai_api_key", ""),
        ("ai_timeout_secs", "15"),
        ("practice_script", "Hello, my parcel is late.\nIt was due on Monday."),
    ];
    for (k, v) in overrides {
        f.retain(|(key, _)| key != k);
        f.push((k, v));
    }
    f
}

/// An admin who points the workflow at another address must type the key again: otherwise
/// whoever controls that address would receive the stored key with the next visitor message.
#[tokio::test]
async fn a_new_base_url_needs_the_key_again() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let openai = |url: &'static str, key: &'static str| {
        form(&[
            ("ai_provider", "openai"),
            ("openai_base_url", url),
            ("openai_model", "gpt-test"),
            ("openai_api_key", key),
        ])
    };
    let _: WorkflowSettings = result(
        app.call("workflows/update", &openai("http://127.0.0.1:9/v1", "sk-kept"))
            .await,
    )
    .await
    .unwrap();

    let res = app
        .call("workflows/update", &openai("https://collector.evil.example/v1", ""))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        result::<WorkflowSettings>(res).await.unwrap_err().to_string(),
        "API key: must be entered again when the base URL changes (the stored key is never sent to a new address)"
    );
    let stored = app.store.workflow(1).await.unwrap().unwrap();
    assert_eq!(
        (stored.openai_base_url.as_deref(), stored.openai_api_key.as_deref()),
        (Some("http://127.0.0.1:9/v1"), Some("sk-kept")),
        "nothing changed"
    );

    // With the key typed again, the new address is saved with it.
    let saved: WorkflowSettings = result(
        app.call("workflows/update", &openai("https://llm.acme.example/v1", "sk-new"))
            .await,
    )
    .await
    .unwrap();
    assert_eq!(saved.openai_base_url.as_deref(), Some("https://llm.acme.example/v1"));
    let stored = app.store.workflow(1).await.unwrap().unwrap();
    assert_eq!(stored.openai_api_key.as_deref(), Some("sk-new"));
}

#[tokio::test]
async fn an_admin_edits_a_workflow_and_the_api_key_is_never_sent_back() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let before: WorkflowSettings = result(app.call("workflows/get", &[("id", "1")]).await).await.unwrap();
    assert_eq!(before.answers.len(), 4);
    assert!(!before.has_api_key);

    let res = app
        .call(
            "workflows/update",
            &form(&[
                ("ai_provider", "openai"),
                ("openai_base_url", "http://127.0.0.1:9/v1/"),
                ("openai_model", "gpt-test"),
                ("openai_api_key", "sk-secret-123"),
            ]),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(!body.contains("sk-secret-123"), "the key must not come back: {body}");
    let saved: WorkflowSettings = serde_json::from_str(&body).unwrap();
    assert!(saved.has_api_key);
    assert_eq!(
        (
            saved.routing_mode.as_str(),
            saved.escalation_threshold,
            saved.openai_base_url.as_deref()
        ),
        ("pooled", 2, Some("http://127.0.0.1:9/v1"))
    );
    assert_eq!(
        app.store.workflow(1).await.unwrap().unwrap().openai_api_key.as_deref(),
        Some("sk-secret-123")
    );

    // Saving again with the key field empty keeps it; "remove" removes it.
    let _: WorkflowSettings = result(
        app.call(
            "workflows/update",
            &form(&[
                ("ai_provider", "openai"),
                ("openai_base_url", "http://127.0.0.1:9/v1/"),
                ("openai_model", "gpt-test"),
            ]),
        )
        .await,
    )
    .await
    .unwrap();
    assert_eq!(
        app.store.workflow(1).await.unwrap().unwrap().openai_api_key.as_deref(),
        Some("sk-secret-123")
    );
    let removed: WorkflowSettings = result(app.call("workflows/update", &form(&[("remove_api_key", "on")])).await)
        .await
        .unwrap();
    assert!(!removed.has_api_key);

    let audit: Vec<app::audit::AuditView> = result(app.call("audit/list", &[("action", "workflow.updated")]).await)
        .await
        .unwrap();
    assert_eq!(audit.len(), 3);
    assert!(
        audit
            .iter()
            .all(|a| !a.after.as_deref().unwrap_or_default().contains("sk-secret")),
        "no key in the audit log"
    );
}

#[tokio::test]
async fn bad_workflow_settings_are_refused_in_words_and_change_nothing() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let before: WorkflowSettings = result(app.call("workflows/get", &[("id", "1")]).await).await.unwrap();
    for (overrides, message) in [
        (
            vec![("escalation_threshold", "0")],
            "Escalation threshold: must be between 1 and 20 requests",
        ),
        (
            vec![("escalation_threshold", "many")],
            "Escalation threshold: must be a whole number, not \u{201c}many\u{201d}",
        ),
        (
            vec![("handoff_mode", "sometimes")],
            "Handoff mode: must be automatic escalation or always-on monitoring",
        ),
        (vec![("handoff_message", " ")], "Handoff message: must not be empty"),
        (
            vec![("ai_provider", "openai")],
            "Model: is needed for an OpenAI-compatible provider (or set SWITCHBOARD_OPENAI_MODEL)",
        ),
        (
            vec![("openai_base_url", "ftp://x")],
            "API base URL: must start with http:// or https://",
        ),
        (vec![("name", "")], "Name: must not be empty"),
    ] {
        let res = app.call("workflows/update", &form(&overrides)).await;
        assert_eq!(res.status(), 400, "{overrides:?}");
        assert_eq!(result::<WorkflowSettings>(res).await.unwrap_err().to_string(), message);
    }
    let after: WorkflowSettings = result(app.call("workflows/get", &[("id", "1")]).await).await.unwrap();
    assert_eq!(after, before);
    let dup = app.call("workflows/create", &[("name", "Support Assistant")]).await;
    assert_eq!(
        result::<WorkflowSettings>(dup).await.unwrap_err().to_string(),
        "A workflow with that name already exists."
    );
}

#[tokio::test]
async fn a_new_answer_is_what_the_assistant_says_next() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let with: WorkflowSettings = result(
        app.call(
            "workflows/answer_add",
            &[
                ("id", "1"),
                ("question", "Do you ship to Norway?"),
                ("answer", "Yes, in 3 to 5 working days."),
            ],
        )
        .await,
    )
    .await
    .unwrap();
    assert_eq!(with.answers.len(), 5);
    let mut v = app.visitor().await;
    v.send(&VisitorCommand::Send {
        body: "Can you ship to Norway?".into(),
        idempotency_key: "n".into(),
        attachments: vec![],
    })
    .await;
    let answer = v
        .wait_for("the new answer", |e| match e {
            VisitorEvent::Message { message } if message.sender_kind == SenderKind::Ai => Some(message.body.clone()),
            _ => None,
        })
        .await;
    assert_eq!(answer, "Yes, in 3 to 5 working days.");
    let id = with.answers.last().unwrap().id.to_string();
    let without: WorkflowSettings = result(
        app.call("workflows/answer_delete", &[("id", "1"), ("answer_id", &id)])
            .await,
    )
    .await
    .unwrap();
    assert_eq!(without.answers.len(), 4);
    let res = app
        .call(
            "workflows/answer_add",
            &[("id", "1"), ("question", " "), ("answer", "x")],
        )
        .await;
    assert_eq!(
        result::<WorkflowSettings>(res).await.unwrap_err().to_string(),
        "Question: must be 1 to 500 characters"
    );
}
