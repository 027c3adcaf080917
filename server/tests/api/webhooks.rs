//! Outbound webhooks, received by an endpoint on loopback that checks every signature the way
//! the README tells integrators to: retried after a failure, logged per endpoint, and an
//! endpoint that keeps failing turned off with its admins told.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::Mac;
use serde_json::Value;

use app::contacts::ContactLabel;
use app::integrations::{
    ListWebhooks, SaveWebhook, SetWebhookEnabled, TestWebhook, WebhookDeliveries, WebhookDeliveryView, WebhookView,
};
use app::AppError;

use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(20);

/// One delivery as the endpoint got it.
#[derive(Clone, Debug)]
struct Received {
    event: String,
    delivery: String,
    /// The signature checked out against the secret, over the timestamp and the body.
    signed: bool,
    body: Value,
}

#[derive(Default)]
struct Inbox {
    received: Vec<Received>,
    /// Statuses to answer with, first to last; then 200.
    answers: Vec<u16>,
}

#[derive(Clone)]
struct Endpoint {
    url: String,
    secret: Arc<Mutex<String>>,
    inbox: Arc<Mutex<Inbox>>,
}

impl Endpoint {
    /// An endpoint that answers with `answers` in turn, then 200.
    async fn start(answers: &[u16]) -> Endpoint {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = Endpoint {
            url: format!("http://{}/hooks/switchboard", listener.local_addr().unwrap()),
            secret: Arc::new(Mutex::new(String::new())),
            inbox: Arc::new(Mutex::new(Inbox {
                received: Vec::new(),
                answers: answers.to_vec(),
            })),
        };
        let app = axum::Router::new()
            .route("/hooks/switchboard", post(receive))
            .with_state(endpoint.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        endpoint
    }

    fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().received.clone()
    }

    /// Waits for a delivery of `event` that `pick` accepts.
    async fn delivery(&self, event: &str, pick: impl Fn(&Received) -> bool) -> Received {
        eventually(&format!("a {event} delivery"), WAIT, || async {
            self.received().into_iter().find(|r| r.event == event && pick(r))
        })
        .await
    }
}

/// The receiving side of the README's verification: HMAC-SHA256 of `timestamp.body` with the
/// secret, hex, after `v1=`.
async fn receive(State(endpoint): State<Endpoint>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let secret = endpoint.secret.lock().unwrap().clone();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(header("switchboard-timestamp").as_bytes());
    mac.update(b".");
    mac.update(&body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let mut inbox = endpoint.inbox.lock().unwrap();
    inbox.received.push(Received {
        event: header("switchboard-event"),
        delivery: header("switchboard-delivery"),
        signed: header("switchboard-signature") == format!("v1={expected}"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let status = if inbox.answers.is_empty() {
        200
    } else {
        inbox.answers.remove(0)
    };
    StatusCode::from_u16(status).unwrap()
}

const ALL_EVENTS: &str = "conversation.created conversation.escalated conversation.assigned message.created conversation.resolved contact.updated operator.status_changed";

fn new_webhook(url: &str, events: &str) -> SaveWebhook {
    SaveWebhook {
        id: String::new(),
        url: url.into(),
        events: events.into(),
    }
}

async fn register(
    app: &TestApp,
    admin: &reqwest::Client,
    endpoint: &Endpoint,
    events: &str,
) -> Result<WebhookView, AppError> {
    let made = app.run_as(admin, new_webhook(&endpoint.url, events)).await;
    if let Ok(hook) = &made {
        *endpoint.secret.lock().unwrap() = hook.secret.clone();
    }
    made
}

async fn deliveries(app: &TestApp, admin: &reqwest::Client, id: i64) -> Vec<WebhookDeliveryView> {
    app.run_as(admin, WebhookDeliveries { id }).await.unwrap()
}

fn policy() -> [(&'static str, &'static str); 3] {
    [
        ("SWITCHBOARD_WEBHOOK_RETRY_MS", "50"),
        ("SWITCHBOARD_WEBHOOK_DISABLE_AFTER", "3"),
        ("SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE", "true"),
    ]
}

#[tokio::test]
async fn a_conversation_s_life_reaches_the_endpoint_signed_and_a_failed_delivery_is_retried() {
    let app = spawn_app_with(&policy()).await;
    assert_eq!(app.sign_in(ADMIN, PASSWORD).await.status(), 200);
    let admin = TestApp::client_signed_in(&app, ADMIN).await;
    // The first attempt fails: the endpoint is down for a moment.
    let endpoint = Endpoint::start(&[500]).await;
    let hook = register(&app, &admin, &endpoint, ALL_EVENTS)
        .await
        .expect("the webhook is saved");
    assert!(hook.secret.starts_with("whsec_"));
    assert_eq!(hook.events.len(), 7);

    // A customer writes until they are handed to a person: the conversation is created, their
    // messages arrive, it is escalated.
    let mut visitor = app.visitor().await;
    let conversation_id = crate::handoff::escalate(&mut visitor).await;
    let created = endpoint.delivery("conversation.created", |_| true).await;
    assert_eq!(created.body["data"]["conversation"]["id"], conversation_id);
    assert_eq!(created.body["workspace_id"], 1);
    let message = endpoint
        .delivery("message.created", |r| {
            r.body["data"]["message"]["sender_kind"] == "contact"
        })
        .await;
    assert_eq!(message.body["data"]["message"]["body"], "Can I talk to a human?");
    assert_eq!(message.body["data"]["conversation"]["id"], conversation_id);
    assert_eq!(message.body["data"]["message"]["internal"], false);
    let escalated = endpoint.delivery("conversation.escalated", |_| true).await;
    assert_eq!(escalated.body["data"]["conversation"]["status"], "waiting");

    // The first delivery was answered 500 and came again, under the same id.
    let first = endpoint.received()[0].clone();
    let again = eventually("the failed delivery retried", WAIT, || async {
        let all = endpoint.received();
        (all.iter().filter(|r| r.delivery == first.delivery).count() >= 2).then_some(())
    })
    .await;
    let _ = again;
    // The endpoint has answered the second attempt; the log says so once the server has
    // written the answer down.
    let retried = eventually("the retried delivery logged as delivered", WAIT, || async {
        let log = deliveries(&app, &admin, hook.id).await;
        log.into_iter()
            .find(|d| d.id.to_string() == first.delivery && d.status == "delivered")
    })
    .await;
    assert_eq!(retried.attempts, 2);
    assert_eq!(retried.response_status, Some(200));

    // An operator takes it and resolves it; an agent goes live; a contact changes.
    let mut agent = crate::routing::live_operator(&app, AGENT).await;
    endpoint
        .delivery("operator.status_changed", |r| {
            r.body["data"]["operator"]["status"] == "online"
        })
        .await;
    app.take_over(conversation_id).await.unwrap();
    let assigned = endpoint.delivery("conversation.assigned", |_| true).await;
    assert!(assigned.body["data"]["conversation"]["assignee_id"].as_i64().is_some());
    app.resolve(conversation_id).await.unwrap();
    endpoint.delivery("conversation.resolved", |_| true).await;
    let label = ContactLabel {
        conversation_id,
        label: "VIP".into(),
        add: true,
    };
    let labelled = app.send(&app.client, &label).await;
    assert_eq!(labelled.status(), 200);
    let contact = endpoint.delivery("contact.updated", |_| true).await;
    assert_eq!(contact.body["data"]["contact"]["labels"], serde_json::json!(["VIP"]));
    let _ = agent.drain(Duration::from_millis(1)).await;

    // A test event, on demand.
    let ping: WebhookDeliveryView = app.run_as(&admin, TestWebhook { id: hook.id }).await.unwrap();
    assert_eq!(ping.event, "ping");
    endpoint.delivery("ping", |r| r.delivery == ping.id.to_string()).await;

    // Every delivery was signed with the endpoint's secret.
    let all = endpoint.received();
    assert!(all.iter().all(|r| r.signed), "{all:#?}");
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_turned_off_and_its_admins_are_told() {
    let (app, smtp) = crate::fake_smtp::spawn_app_with_mail(&policy()).await;
    let admin = TestApp::client_signed_in(&app, ADMIN).await;
    let down = Endpoint::start(&[500; 100]).await;
    let hook = register(&app, &admin, &down, "message.created").await.unwrap();
    let mut visitor = app.visitor().await;
    for (i, body) in ["one", "two", "three", "four"].into_iter().enumerate() {
        visitor
            .send(&app::events::VisitorCommand::Send {
                body: body.into(),
                idempotency_key: format!("d{i}"),
                attachments: vec![],
            })
            .await;
    }
    let off: WebhookView = eventually("the endpoint turned off", WAIT, || async {
        let hooks: Vec<WebhookView> = app.run_as(&admin, ListWebhooks {}).await.unwrap();
        hooks.into_iter().find(|h| h.id == hook.id && !h.enabled)
    })
    .await;
    let reason = off.disabled_reason.expect("the reason is kept");
    assert!(
        reason.contains("3 failed attempts") && reason.contains("HTTP 500"),
        "{reason}"
    );
    // Three attempts and no more while it is off.
    assert_eq!(down.received().len(), 3);
    let audit = app
        .texts("SELECT action FROM audit_log WHERE action = 'webhook.disabled'")
        .await;
    assert_eq!(audit.len(), 1);
    let mails = eventually("the admins told by e-mail", WAIT, || async {
        let told: Vec<_> = smtp
            .mails()
            .into_iter()
            .filter(|m| m.headers.contains("A webhook was turned off"))
            .collect();
        (told.len() >= 2).then_some(told)
    })
    .await;
    let to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    assert!(to.iter().any(|t| t.contains(ADMIN)), "{to:?}");
    assert!(to.iter().any(|t| t.contains(OWNER)), "{to:?}");
    assert!(!to.iter().any(|t| t.contains(AGENT)), "{to:?}");
    assert!(mails[0].body.contains(&down.url), "{}", mails[0].body);
    let log = deliveries(&app, &admin, hook.id).await;
    assert!(log
        .iter()
        .any(|d| d.response_status == Some(500) && d.error.as_deref().is_some_and(|e| e.contains("HTTP 500"))));

    // Turned back on, it is sent what waited.
    *down.inbox.lock().unwrap() = Inbox::default();
    let on: WebhookView = app
        .run_as(
            &admin,
            SetWebhookEnabled {
                id: hook.id,
                enabled: true,
            },
        )
        .await
        .unwrap();
    assert!(on.enabled && on.disabled_reason.is_none() && on.consecutive_failures == 0);
    down.delivery("message.created", |r| r.body["data"]["message"]["body"] == "four")
        .await;
}

#[tokio::test]
async fn an_admin_cannot_point_a_webhook_inside_the_server_s_network_or_at_nothing() {
    let app = spawn_app().await;
    let admin = TestApp::client_signed_in(&app, ADMIN).await;
    let save = |url: &'static str, events: &'static str| {
        let (app, admin) = (&app, &admin);
        async move { app.run_as(admin, new_webhook(url, events)).await }
    };
    for url in [
        "http://127.0.0.1:9/x",
        "http://169.254.169.254/latest",
        "http://localhost/x",
        "ftp://example.com/",
    ] {
        match save(url, "message.created").await {
            Err(AppError::Invalid { field, .. }) => assert_eq!(field, "URL", "{url}"),
            other => panic!("{url}: {other:?}"),
        }
    }
    assert!(matches!(
        save("https://hooks.example.com/x", "").await,
        Err(AppError::Invalid { field, .. }) if field == "Events"
    ));
    assert!(matches!(
        save("https://hooks.example.com/x", "message.deleted").await,
        Err(AppError::Invalid { field, .. }) if field == "Events"
    ));
    let agent = TestApp::client_signed_in(&app, AGENT).await;
    assert!(matches!(
        app.run_as(&agent, new_webhook("https://hooks.example.com/x", "message.created"))
            .await,
        Err(AppError::Forbidden { .. })
    ));
    assert_eq!(app.count("SELECT COUNT(*) FROM webhooks").await, 0);
}
