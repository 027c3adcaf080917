//! The REST API (`/api/v1`) driven the way an integrator drives it: a token made on the
//! Integrations page, JSON in and out, and every answer checked against the OpenAPI document
//! the server serves.

use std::collections::BTreeSet;
use std::sync::Mutex;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

use app::integrations::NewApiToken;
use app::AppError;

use crate::fake_twilio::FakeTwilio;
use crate::helpers::*;

/// An integrator's client: their token, the served OpenAPI document, and the operations whose
/// answers were checked against it.
struct Api {
    base: String,
    token: String,
    client: reqwest::Client,
    doc: Value,
    checked: Mutex<BTreeSet<(String, String)>>,
}

/// An answer: status, headers, JSON body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn ok(self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        self.body
    }
}

async fn make_token(app: &TestApp, email: &str, name: &str, scopes: &str) -> Result<NewApiToken, AppError> {
    let admin = TestApp::client_signed_in(app, email).await;
    result(
        call_at(
            &app.base,
            &admin,
            "integrations/create_token",
            &[("name", name), ("scopes", scopes)],
        )
        .await,
    )
    .await
}

impl Api {
    async fn new(app: &TestApp, token: &str) -> Api {
        let client = new_client();
        let doc: Value = client
            .get(format!("{}/api/v1/openapi.json", app.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .expect("the OpenAPI document is JSON");
        Api {
            base: app.base.clone(),
            token: token.to_string(),
            client,
            doc,
            checked: Mutex::new(BTreeSet::new()),
        }
    }

    /// Calls `path` (documented as `template`) and checks the answer against the document.
    async fn call(
        &self,
        method: Method,
        path: &str,
        template: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self
            .client
            .request(method.clone(), format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("the server answers");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"));
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        self.check(method.as_str(), template, status, &content_type, &body);
        Answer { status, headers, body }
    }

    async fn get(&self, path: &str, template: &str) -> Answer {
        self.call(Method::GET, path, template, None, &[]).await
    }

    async fn post(&self, path: &str, template: &str, body: Value) -> Answer {
        self.call(Method::POST, path, template, Some(body), &[]).await
    }

    /// The answer must be one the document lists for the operation, in its schema.
    fn check(&self, method: &str, template: &str, status: u16, content_type: &str, body: &Value) {
        let method = method.to_lowercase();
        let op = &self.doc["paths"][template][&method];
        assert!(op.is_object(), "{method} {template} is not in the OpenAPI document");
        let response = &op["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{status} is not documented for {method} {template}: {body}"
        );
        let schema = response["content"][content_type]["schema"].clone();
        assert!(
            schema.is_object(),
            "{method} {template} answered {status} as {content_type}, which the document does not list"
        );
        let mut root = schema;
        root["components"] = self.doc["components"].clone();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .expect("the document's schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{method} {template} {status}: {errors:?} in {body}");
        self.checked.lock().unwrap().insert((method, template.to_string()));
    }

    /// Every operation of the document.
    fn documented(&self) -> BTreeSet<(String, String)> {
        let mut all = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                all.insert((method.clone(), path.clone()));
            }
        }
        all
    }
}

const PHONE: &str = "+15557654321";

#[tokio::test]
async fn an_integrator_creates_a_contact_texts_them_hands_off_to_a_group_replies_and_resolves() {
    let app = spawn_app().await;
    let twilio = FakeTwilio::start().await;
    let channel = crate::sms::sms_channel(&app, &twilio).await;
    let made = make_token(
        &app,
        ADMIN,
        "CRM sync",
        "operator:read operator:write conversations:read_all members:read",
    )
    .await
    .expect("an admin makes a token");
    assert!(made.token.starts_with("sb_"), "{}", made.token);
    assert!(made.token.starts_with(&made.view.prefix));
    let api = Api::new(&app, &made.token).await;

    // The workspace as the integrator reads it.
    let groups = api.get("/groups", "/groups").await.ok(200);
    let frontline = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Frontline")
        .expect("the demo's operator group")["id"]
        .as_i64()
        .unwrap();
    let channels = api.get("/channels", "/channels").await.ok(200);
    assert!(channels
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == channel.id && c["kind"] == "sms"));
    api.get("/workflows", "/workflows").await.ok(200);
    let members = api.get("/members", "/members").await.ok(200);
    assert!(members.as_array().unwrap().iter().any(|m| m["email"] == ADMIN));

    // A contact, created once however often the request is retried.
    let grace = json!({ "name": "Grace Hopper", "email": "grace@example.com", "phone": PHONE });
    let first = api
        .call(
            Method::POST,
            "/contacts",
            "/contacts",
            Some(grace.clone()),
            &[("Idempotency-Key", "contact-1")],
        )
        .await;
    let again = api
        .call(
            Method::POST,
            "/contacts",
            "/contacts",
            Some(grace.clone()),
            &[("Idempotency-Key", "contact-1")],
        )
        .await;
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    let contact = first.ok(201);
    assert_eq!(again.ok(201), contact, "the retry gets the first answer");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM contacts WHERE name = 'Grace Hopper'")
            .await,
        1
    );
    let contact_id = contact["id"].as_i64().unwrap();
    assert!(contact["identities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "phone" && i["value"] == PHONE));
    let reused = api
        .call(
            Method::POST,
            "/contacts",
            "/contacts",
            Some(json!({ "name": "Someone else" })),
            &[("Idempotency-Key", "contact-1")],
        )
        .await;
    assert_eq!(reused.status, 400);
    assert_eq!(reused.body["field"], "Idempotency-Key");
    let path = format!("/contacts/{contact_id}");
    let labelled = api
        .post(
            &format!("{path}/labels"),
            "/contacts/{id}/labels",
            json!({ "label": "VIP" }),
        )
        .await
        .ok(200);
    assert_eq!(labelled["labels"], json!(["VIP"]));
    let with_data = api
        .call(
            Method::PUT,
            &format!("{path}/data"),
            "/contacts/{id}/data",
            Some(json!({ "key": "plan", "value": "Gold" })),
            &[],
        )
        .await
        .ok(200);
    assert_eq!(with_data["data"]["plan"], "Gold");
    let renamed = api
        .call(
            Method::PATCH,
            &path,
            "/contacts/{id}",
            Some(json!({ "name": "Grace B. Hopper", "email": "grace@example.com", "phone": PHONE })),
            &[],
        )
        .await
        .ok(200);
    assert_eq!(renamed["name"], "Grace B. Hopper");
    let known = api
        .post(
            &format!("{path}/identities"),
            "/contacts/{id}/identities",
            json!({ "kind": "web", "value": "crm-4711" }),
        )
        .await
        .ok(200);
    assert!(known["identities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "web" && i["value"] == "crm-4711"));
    let bad_kind = api
        .post(
            &format!("{path}/identities"),
            "/contacts/{id}/identities",
            json!({ "kind": "fax", "value": "1" }),
        )
        .await;
    assert_eq!(bad_kind.status, 400);
    assert_eq!(bad_kind.body["field"], "kind");
    let unlabelled = api
        .call(
            Method::DELETE,
            &format!("{path}/labels"),
            "/contacts/{id}/labels",
            Some(json!({ "label": "VIP" })),
            &[],
        )
        .await
        .ok(200);
    assert_eq!(unlabelled["labels"], json!([]));

    // A conversation on the SMS channel, opened with a text to the customer.
    let opened = api
        .post(
            "/conversations",
            "/conversations",
            json!({ "contact_id": contact_id, "channel_id": channel.id, "message": "Hello {{contact.first_name}}, your order shipped." }),
        )
        .await
        .ok(201);
    let id = opened["id"].as_i64().unwrap();
    assert_eq!(opened["contact_id"], contact_id);
    assert_eq!(opened["channel_kind"], "sms");
    crate::sms::texted(&twilio, PHONE, "Hello Grace, your order shipped.").await;
    let got = api
        .get(&format!("/contacts/{contact_id}"), "/contacts/{id}")
        .await
        .ok(200);
    assert_eq!(got["conversation_ids"], json!([id]));

    // Handed to the Frontline group: its live agent is offered the conversation.
    let mut agent = crate::routing::live_operator(&app, AGENT).await;
    let handed = api
        .post(
            &format!("/conversations/{id}/handoff"),
            "/conversations/{id}/handoff",
            json!({ "group_id": frontline, "note": "Wants a refund for order 1042" }),
        )
        .await
        .ok(200);
    assert_eq!(handed["status"], "waiting");
    assert_eq!(handed["assignee_id"], Value::Null);
    let offered = crate::routing::offer(&mut agent).await;
    assert_eq!(offered.conversation.id, id);
    let messages = api
        .get(&format!("/conversations/{id}/messages"), "/conversations/{id}/messages")
        .await
        .ok(200);
    let note = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["internal"] == true && m["body"].as_str().unwrap().contains("Wants a refund for order 1042"))
        .expect("the handoff's note, for the team");
    assert!(note["body"].as_str().unwrap().contains("Frontline"), "{note}");

    // The integrator replies (a text goes out) and resolves.
    let reply = api
        .call(
            Method::POST,
            &format!("/conversations/{id}/messages"),
            "/conversations/{id}/messages",
            Some(json!({ "body": "Your refund is on its way." })),
            &[("Idempotency-Key", "reply-1")],
        )
        .await
        .ok(201);
    assert_eq!(reply["sender_kind"], "operator");
    crate::sms::texted(&twilio, PHONE, "Your refund is on its way.").await;
    let resolved = api
        .post(
            &format!("/conversations/{id}/resolve"),
            "/conversations/{id}/resolve",
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(resolved["status"], "resolved");
    let listed = api
        .get("/conversations?status=resolved", "/conversations")
        .await
        .ok(200);
    assert!(listed["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == id));
    let reopened = api
        .post(
            &format!("/conversations/{id}/reopen"),
            "/conversations/{id}/reopen",
            json!({}),
        )
        .await
        .ok(200);
    assert_ne!(reopened["status"], "resolved");
    let detail = api
        .get(&format!("/conversations/{id}"), "/conversations/{id}")
        .await
        .ok(200);
    assert_eq!(detail["id"], id);
    assert_eq!(detail["reply_blocked"], Value::Null);
    // Every message reached the customer only once: the first, the reply, and the question
    // asking them to rate the conversation when it was resolved.
    let sent = crate::sms::sent_to(&twilio, PHONE, 3).await;
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2].get("Body"), Some(server::conversations::rating::QUESTION));
}

#[tokio::test]
async fn the_web_chat_is_taken_over_restored_and_transferred_through_the_api_and_a_bot_answers_as_the_assistant() {
    let app = spawn_app().await;
    let made = make_token(
        &app,
        ADMIN,
        "Bot",
        "operator:read operator:write conversations:read_all members:read",
    )
    .await
    .unwrap();
    let api = Api::new(&app, &made.token).await;
    let mut visitor = app.visitor().await;
    let id = crate::authz::first_message(&app, &mut visitor, "Hello, is anyone there?").await;
    let path = format!("/conversations/{id}");
    let answered = api
        .post(
            &format!("{path}/messages"),
            "/conversations/{id}/messages",
            json!({ "body": "I am the bot: how can I help?", "as": "assistant" }),
        )
        .await
        .ok(201);
    assert_eq!(answered["sender_kind"], "ai");
    visitor
        .wait_for("the bot's answer", |e| match e {
            app::events::VisitorEvent::Message { message } if message.body == "I am the bot: how can I help?" => {
                Some(())
            }
            _ => None,
        })
        .await;
    let taken = api
        .post(&format!("{path}/take_over"), "/conversations/{id}/take_over", json!({}))
        .await
        .ok(200);
    assert_eq!(taken["handler"], "human");
    let refused = api
        .post(
            &format!("{path}/messages"),
            "/conversations/{id}/messages",
            json!({ "body": "The bot again", "as": "assistant" }),
        )
        .await;
    assert_eq!(
        refused.status, 409,
        "the assistant stays quiet while a person handles it"
    );
    assert_eq!(refused.headers.get("content-type").unwrap(), "application/problem+json");
    let restored = api
        .post(&format!("{path}/restore"), "/conversations/{id}/restore", json!({}))
        .await
        .ok(200);
    assert_eq!(restored["handler"], "ai");

    let mut agent = crate::routing::live_operator(&app, AGENT).await;
    let agent_id = app
        .count(&format!("SELECT id FROM members WHERE email = '{AGENT}'"))
        .await;
    api.post(&format!("{path}/take_over"), "/conversations/{id}/take_over", json!({}))
        .await
        .ok(200);
    let transferred = api
        .post(
            &format!("{path}/transfer"),
            "/conversations/{id}/transfer",
            json!({ "member_id": agent_id, "note": "Over to you" }),
        )
        .await
        .ok(200);
    assert_eq!(transferred["status"], "waiting");
    assert_eq!(crate::routing::offer(&mut agent).await.conversation.id, id);
    let neither = api
        .post(
            &format!("{path}/transfer"),
            "/conversations/{id}/transfer",
            json!({ "note": "?" }),
        )
        .await;
    assert_eq!(neither.status, 400);
    assert_eq!(neither.body["field"], "group_id");

    // Older messages page back to the start.
    let page = api
        .get(&format!("{path}/messages?before_seq=2"), "/conversations/{id}/messages")
        .await
        .ok(200);
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    assert_eq!(page["messages"][0]["body"], "Hello, is anyone there?");
    assert_eq!(page["next_before_seq"], Value::Null);
}

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
    let id = reader.view.id.to_string();
    let revoked: app::integrations::ApiTokenView =
        result(call_at(&app.base, &admin, "integrations/revoke_token", &[("id", &id)]).await)
            .await
            .unwrap();
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
    let page = new_client()
        .get(format!("{}/api/v1/docs", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (method, template) in api.documented() {
        assert!(
            page.contains(template.as_str()),
            "{method} {template} is on the docs page"
        );
    }
    assert!(page.contains("problem-rate-limited"));
}
