//! The REST API (`/api/v1`) driven the way an integrator drives it: a token made on the
//! Integrations page, JSON in and out, and every answer checked against the OpenAPI document
//! the server serves.

use std::collections::BTreeSet;
use std::sync::Mutex;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

use app::integrations::{CreateApiToken, NewApiToken};
use app::AppError;

use crate::fake_twilio::FakeTwilio;
use crate::helpers::*;

/// An integrator's client: their token, the served OpenAPI document, and the operations whose
/// answers were checked against it.
pub(crate) struct Api {
    pub(crate) base: String,
    pub(crate) token: String,
    pub(crate) client: reqwest::Client,
    pub(crate) doc: Value,
    pub(crate) checked: Mutex<BTreeSet<(String, String)>>,
}

/// An answer: status, headers, JSON body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    pub(crate) fn ok(self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        self.body
    }
}

pub(crate) async fn make_token(app: &TestApp, email: &str, name: &str, scopes: &str) -> Result<NewApiToken, AppError> {
    let admin = TestApp::client_signed_in(app, email).await;
    let create = CreateApiToken {
        name: name.into(),
        scopes: scopes.into(),
    };
    app.run_as(&admin, create).await
}

impl Api {
    pub(crate) async fn new(app: &TestApp, token: &str) -> Api {
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
    pub(crate) async fn call(
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

    pub(crate) async fn get(&self, path: &str, template: &str) -> Answer {
        self.call(Method::GET, path, template, None, &[]).await
    }

    pub(crate) async fn post(&self, path: &str, template: &str, body: Value) -> Answer {
        self.call(Method::POST, path, template, Some(body), &[]).await
    }

    /// A conversation's action without arguments (`resolve`, `reopen`, `take_over`, `restore`).
    pub(crate) async fn act(&self, conversation: i64, action: &str) -> Answer {
        let template = format!("/conversations/{{id}}/{action}");
        self.post(
            &template.replace("{id}", &conversation.to_string()),
            &template,
            json!({}),
        )
        .await
    }

    /// The answer must be one the document lists for the operation, in its schema.
    pub(crate) fn check(&self, method: &str, template: &str, status: u16, content_type: &str, body: &Value) {
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
    pub(crate) fn documented(&self) -> BTreeSet<(String, String)> {
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
    let api = &api;
    let create = || {
        let key = [("Idempotency-Key", "contact-1")];
        let grace = grace.clone();
        async move {
            api.call(Method::POST, "/contacts", "/contacts", Some(grace), &key)
                .await
        }
    };
    let first = create().await;
    let again = create().await;
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
    let resolved = api.act(id, "resolve").await.ok(200);
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
    let reopened = api.act(id, "reopen").await.ok(200);
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
    let taken = api.act(id, "take_over").await.ok(200);
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
    let restored = api.act(id, "restore").await.ok(200);
    assert_eq!(restored["handler"], "ai");

    let mut agent = crate::routing::live_operator(&app, AGENT).await;
    let agent_id = app
        .count(&format!("SELECT id FROM members WHERE email = '{AGENT}'"))
        .await;
    api.act(id, "take_over").await.ok(200);
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
