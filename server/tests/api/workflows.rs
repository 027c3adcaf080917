//! The workflow editor: settings, the API key that never comes back, validation and answers.

use app::audit::ListAudit;
use app::events::{SenderKind, VisitorCommand, VisitorEvent};
use app::workflows::{
    AddWorkflowAnswer, CreateWorkflow, DeleteWorkflowAnswer, GetWorkflow, UpdateWorkflow, WorkflowSettings,
};

use crate::helpers::*;

/// An admin who points the workflow at another address must type the key again: otherwise
/// whoever controls that address would receive the stored key with the next visitor message.
#[tokio::test]
async fn a_new_base_url_needs_the_key_again() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let openai = |url: &str, key: &str| UpdateWorkflow {
        ai_provider: "openai".into(),
        openai_base_url: url.into(),
        openai_model: "gpt-test".into(),
        openai_api_key: key.into(),
        ..workflow_form()
    };
    let _: WorkflowSettings = app.run(openai("http://127.0.0.1:9/v1", "sk-kept")).await.unwrap();

    let res = app
        .send(&app.client, &openai("https://collector.evil.example/v1", ""))
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
    let saved: WorkflowSettings = app.run(openai("https://llm.acme.example/v1", "sk-new")).await.unwrap();
    assert_eq!(saved.openai_base_url.as_deref(), Some("https://llm.acme.example/v1"));
    let stored = app.store.workflow(1).await.unwrap().unwrap();
    assert_eq!(stored.openai_api_key.as_deref(), Some("sk-new"));
}

#[tokio::test]
async fn an_admin_edits_a_workflow_and_the_api_key_is_never_sent_back() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let before: WorkflowSettings = app.run(GetWorkflow { id: 1 }).await.unwrap();
    assert_eq!(before.answers.len(), 4);
    assert!(!before.has_api_key);

    let openai = |key: &str| UpdateWorkflow {
        ai_provider: "openai".into(),
        openai_base_url: "http://127.0.0.1:9/v1/".into(),
        openai_model: "gpt-test".into(),
        openai_api_key: key.into(),
        ..workflow_form()
    };
    let res = app.send(&app.client, &openai("sk-secret-123")).await;
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
    let _: WorkflowSettings = app.run(openai("")).await.unwrap();
    assert_eq!(
        app.store.workflow(1).await.unwrap().unwrap().openai_api_key.as_deref(),
        Some("sk-secret-123")
    );
    let remove = UpdateWorkflow {
        remove_api_key: checkbox(true),
        ..workflow_form()
    };
    let removed: WorkflowSettings = app.run(remove).await.unwrap();
    assert!(!removed.has_api_key);

    let audit: Vec<app::audit::AuditView> = app
        .run(ListAudit {
            action: Some("workflow.updated".into()),
        })
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
    let before: WorkflowSettings = app.run(GetWorkflow { id: 1 }).await.unwrap();
    let threshold = |n: &str| UpdateWorkflow {
        escalation_threshold: n.into(),
        ..workflow_form()
    };
    for (form, message) in [
        (
            threshold("0"),
            "Escalation threshold: must be between 1 and 20 requests",
        ),
        (
            threshold("many"),
            "Escalation threshold: must be a whole number, not \u{201c}many\u{201d}",
        ),
        (
            UpdateWorkflow {
                handoff_mode: "sometimes".into(),
                ..workflow_form()
            },
            "Handoff mode: must be automatic escalation or always-on monitoring",
        ),
        (
            UpdateWorkflow {
                handoff_message: " ".into(),
                ..workflow_form()
            },
            "Handoff message: must not be empty",
        ),
        (
            UpdateWorkflow {
                ai_provider: "openai".into(),
                ..workflow_form()
            },
            "Model: is needed for an OpenAI-compatible provider (or set SWITCHBOARD_OPENAI_MODEL)",
        ),
        (
            UpdateWorkflow {
                openai_base_url: "ftp://x".into(),
                ..workflow_form()
            },
            "API base URL: must start with http:// or https://",
        ),
        (
            UpdateWorkflow {
                name: String::new(),
                ..workflow_form()
            },
            "Name: must not be empty",
        ),
    ] {
        let res = app.send(&app.client, &form).await;
        assert_eq!(res.status(), 400, "{form:?}");
        assert_eq!(result::<WorkflowSettings>(res).await.unwrap_err().to_string(), message);
    }
    let after: WorkflowSettings = app.run(GetWorkflow { id: 1 }).await.unwrap();
    assert_eq!(after, before);
    let create = CreateWorkflow {
        name: "Support Assistant".into(),
    };
    let dup = app.send(&app.client, &create).await;
    assert_eq!(
        result::<WorkflowSettings>(dup).await.unwrap_err().to_string(),
        "A workflow with that name already exists."
    );
}

#[tokio::test]
async fn a_new_answer_is_what_the_assistant_says_next() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let answer = |question: &str, answer: &str| AddWorkflowAnswer {
        id: 1,
        question: question.into(),
        answer: answer.into(),
    };
    let with: WorkflowSettings = app
        .run(answer("Do you ship to Norway?", "Yes, in 3 to 5 working days."))
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
    let said = v
        .wait_for("the new answer", |e| match e {
            VisitorEvent::Message { message } if message.sender_kind == SenderKind::Ai => Some(message.body.clone()),
            _ => None,
        })
        .await;
    assert_eq!(said, "Yes, in 3 to 5 working days.");
    let delete = DeleteWorkflowAnswer {
        id: 1,
        answer_id: with.answers.last().unwrap().id,
    };
    let without: WorkflowSettings = app.run(delete).await.unwrap();
    assert_eq!(without.answers.len(), 4);
    let res = app.send(&app.client, &answer(" ", "x")).await;
    assert_eq!(
        result::<WorkflowSettings>(res).await.unwrap_err().to_string(),
        "Question: must be 1 to 500 characters"
    );
}
