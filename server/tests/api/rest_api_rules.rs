//! What the REST API refuses, and how: problem JSON naming the field at fault, a token seeing
//! only what its member would, and the OpenAPI document covering every operation (the
//! integrator's client and its checks against the document: `rest_api.rs`).

use reqwest::Method;
use serde_json::{json, Value};

use app::integrations::RevokeApiToken;
use app::AppError;

use crate::helpers::*;
use crate::rest_api::{make_token, Api};

#[tokio::test]
async fn the_api_refuses_in_problem_json_what_a_token_may_not_do_and_names_the_field_at_fault() {
    let app = spawn_app_with(&[("SWITCHBOARD_API_REQUESTS_PER_MINUTE", "30")]).await;
    let reader = make_token(&app, ADMIN, "Read only", "operator:read").await.unwrap();
    let api = Api::new(&app, &reader.token).await;

    // No token, an unknown one: 401 with the way to authenticate.
    let anonymous = new_client()
        .get(format!("{}/api/v1/conversations", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers().get("www-authenticate").unwrap(),
        "Bearer realm=\"switchboard\""
    );
    let problem: Value = anonymous.json().await.unwrap();
    assert_eq!(problem["type"], "/api/v1/docs#problem-unauthenticated");
    assert!(problem["detail"].as_str().unwrap().contains("Bearer"), "{problem}");
    let forged = Api {
        token: "sb_0000".into(),
        ..Api::new(&app, "").await
    };
    assert_eq!(forged.get("/conversations", "/conversations").await.status, 401);

    // Read only: reading works, writing is refused and changes nothing.
    api.get("/conversations", "/conversations").await.ok(200);
    let before = app.fingerprint().await;
    let refused = api.post("/contacts", "/contacts", json!({ "name": "Nobody" })).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(app.fingerprint().await, before);
    // Not given members:read, so not even an admin's token reads the team.
    assert_eq!(api.get("/members", "/members").await.status, 403);

    // Bad input, named.
    let writer = make_token(&app, ADMIN, "Writer", "operator:read operator:write")
        .await
        .unwrap();
    let writer = Api::new(&app, &writer.token).await;
    let missing = writer
        .post("/contacts", "/contacts", json!({ "email": "x@example.com" }))
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.body["field"], "name");
    let bad_email = writer
        .post(
            "/contacts",
            "/contacts",
            json!({ "name": "Ada", "email": "not-an-address" }),
        )
        .await;
    assert_eq!(bad_email.body["field"], "email", "{}", bad_email.body);
    let unknown = writer
        .post("/contacts", "/contacts", json!({ "name": "Ada", "nickname": "A" }))
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    let not_a_number = writer.get("/conversations/abc", "/conversations/{id}").await;
    assert_eq!(not_a_number.status, 400);
    assert_eq!(not_a_number.body["field"], "id");
    let nowhere = writer.get("/conversations/999999", "/conversations/{id}").await;
    assert_eq!(nowhere.status, 404);
    let bad_status = writer.get("/conversations?status=sleeping", "/conversations").await;
    assert_eq!(bad_status.body["field"], "status");
    let empty = writer
        .post(
            "/conversations/1/messages",
            "/conversations/{id}/messages",
            json!({ "body": "  " }),
        )
        .await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    let path = new_client()
        .get(format!("{}/api/v1/no-such-thing", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(path.status(), 404);
    assert_eq!(path.headers().get("content-type").unwrap(), "application/problem+json");

    // A revoked token stops working at once.
    let admin = TestApp::client_signed_in(&app, ADMIN).await;
    let revoke = RevokeApiToken { id: reader.view.id };
    let revoked: app::integrations::ApiTokenView = app.run_as(&admin, revoke).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(api.get("/conversations", "/conversations").await.status, 401);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('api_token.created', 'api_token.revoked')")
            .await,
        3
    );

    // An agent cannot make tokens, and an admin cannot give one more than they have.
    assert!(matches!(
        make_token(&app, AGENT, "Mine", "operator:read").await,
        Err(AppError::Forbidden { .. })
    ));
    assert!(matches!(
        make_token(&app, ADMIN, "Too much", "audit:read").await,
        Err(AppError::Invalid { .. })
    ));

    // Over the token's rate: 429 with the wait.
    let limited = loop {
        let answer = writer.get("/workflows", "/workflows").await;
        if answer.status != 200 {
            break answer;
        }
    };
    assert_eq!(limited.status, 429);
    assert!(limited.headers.get("retry-after").is_some());
    assert!(limited.body["retry_after"].as_u64().is_some());
}

#[tokio::test]
async fn a_token_without_the_whole_workspace_sees_what_its_member_would_see_as_an_agent() {
    let app = spawn_app().await;
    let hidden_visitor = app.visitor_nobody_in_a_group_sees().await;
    let mut visitor = app.visitor_with(&hidden_visitor).await;
    let id = crate::authz::first_message(&app, &mut visitor, "I need a person please").await;
    let narrow = make_token(&app, ADMIN, "Narrow", "operator:read").await.unwrap();
    let wide = make_token(&app, ADMIN, "Wide", "operator:read conversations:read_all")
        .await
        .unwrap();
    let narrow = Api::new(&app, &narrow.token).await;
    let wide = Api::new(&app, &wide.token).await;
    let path = format!("/conversations/{id}");
    assert_eq!(wide.get(&path, "/conversations/{id}").await.status, 200);
    assert_eq!(narrow.get(&path, "/conversations/{id}").await.status, 404);
}

#[tokio::test]
async fn the_openapi_document_covers_every_operation_and_the_docs_page_shows_them() {
    let app = spawn_app().await;
    let made = make_token(&app, ADMIN, "Docs", "operator:read").await.unwrap();
    let api = Api::new(&app, &made.token).await;
    assert_eq!(api.doc["openapi"].as_str().unwrap().get(..3), Some("3.1"));
    // Every documented operation is routed: without a token each answers the documented 401
    // (an undocumented or unrouted one would be a 404 or 405).
    let anonymous = Api {
        token: String::new(),
        ..Api::new(&app, "").await
    };
    for (method, template) in api.documented() {
        let path = template.replace("{id}", "1");
        let body = (method != "get").then(|| json!({}));
        let answer = anonymous
            .call(
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                &path,
                &template,
                body,
                &[],
            )
            .await;
        assert_eq!(answer.status, 401, "{method} {template}: {}", answer.body);
    }
    assert_eq!(anonymous.checked.lock().unwrap().clone(), api.documented());
    let page = app.text_of("/api/v1/docs", None).await;
    for (method, template) in api.documented() {
        assert!(
            page.contains(template.as_str()),
            "{method} {template} is on the docs page"
        );
    }
    assert!(page.contains("problem-rate-limited"));
}
