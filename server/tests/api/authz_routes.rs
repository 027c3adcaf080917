//! The rest of the authorization suite: every HTTP route that is not a server function or a
//! page, tried by anonymous callers, a visitor's token, each role, and a member of another
//! workspace guessing ids, on a conversation inside and outside the caller's visibility (the
//! socket commands, by the same callers: `authz_sockets.rs`). Refused means 401/403/404 with the
//! database unchanged. A route added without rows here fails `every_http_route_has_rows`.

use std::collections::BTreeSet;

use app::conversation::AttachmentView;
use app::events::{SenderKind, VisitorCommand, VisitorEvent};
use app::{Role, Scope};

use crate::helpers::*;
use crate::sockets::VisitorSocket;

/// Every route the HTTP router names outside the server functions and pages (`/pkg` is the
/// site's files, served to anyone).
const ROUTES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/ws/visitor",
    "/ws/operator",
    "/api/attachments",
    "/widget/attachments",
    "/attachments/{id}",
    "/widget.js",
    "/webhooks/twilio/{key}/inbound",
    "/webhooks/twilio/{key}/status",
    "/ingest/email/{key}",
    "/api/contacts/export",
    "/api/reports/export",
    // The REST API's reference, nested at `/api/v1` (its operations are `rest_api.rs`'s).
    "/openapi.json",
    "/docs",
];

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_http_route_has_rows() {
    let mut files = Vec::new();
    rust_files(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut found = BTreeSet::new();
    for file in files {
        if file.components().any(|c| c.as_os_str() == "bin") {
            continue; // the load generator's relay is not Switchboard's server
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for pattern in [".route(\"", ".route_service(\""] {
            for (at, _) in text.match_indices(pattern) {
                let rest = &text[at + pattern.len()..];
                found.insert(rest[..rest.find('"').unwrap()].to_string());
            }
        }
    }
    let listed: BTreeSet<String> = ROUTES.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        found, listed,
        "add new routes to ROUTES, with a test of who may use them"
    );
}

/// A conversation of the demo workspace that every member of it may see, with a file the
/// visitor sent; and one on a workflow no operator group has (agents may not see it), with a
/// file too.
pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) visitor_token: String,
    pub(crate) visible: i64,
    pub(crate) visible_file: AttachmentView,
    pub(crate) hidden: i64,
    pub(crate) hidden_file: i64,
}

pub(crate) async fn world() -> World {
    let app = spawn_app_with(&[
        ("SWITCHBOARD_SIGN_IN_MAX_ATTEMPTS", "1000"),
        ("SWITCHBOARD_METRICS_TOKEN", "a metrics token long enough"),
    ])
    .await;
    for (email, role) in [
        ("am@demo.switchboard.test", Role::AccountManager),
        ("sa@demo.switchboard.test", Role::SupportAgent),
    ] {
        let id = app.add_member(email, role).await;
        // In the demo's first operator group, as the demo agents are: the demo chat's
        // conversations are theirs to see.
        app.store.add_group_member(1, 1, id).await.unwrap();
    }
    server::demo::create_owner(&app.store, "Other Co", "boss@other.example", "Boss", PASSWORD)
        .await
        .unwrap();

    let visitor_token = app.visitor_token().await;
    let mut v = app.visitor_with(&visitor_token).await;
    let visible = conversation_with_file(&app, &mut v, &visitor_token, "receipt.txt").await;
    let visible_file = file_of(&mut app.visitor_with(&visitor_token).await).await;

    let hidden_token = app.visitor_nobody_in_a_group_sees().await;
    let mut h = app.visitor_with(&hidden_token).await;
    let hidden = conversation_with_file(&app, &mut h, &hidden_token, "invoice.txt").await;
    let hidden_file = file_of(&mut app.visitor_with(&hidden_token).await).await.id;
    World {
        app,
        visitor_token,
        visible,
        visible_file,
        hidden,
        hidden_file,
    }
}

/// The visitor writes, waits for the assistant, then sends a file; gives the conversation.
pub(crate) async fn conversation_with_file(app: &TestApp, v: &mut VisitorSocket, token: &str, name: &str) -> i64 {
    v.send(&VisitorCommand::Send {
        body: "hello".into(),
        idempotency_key: "first".into(),
        attachments: vec![],
    })
    .await;
    v.wait_for("the assistant's answer", |e| match e {
        VisitorEvent::Message { message } if message.sender_kind == SenderKind::Ai => Some(message.conversation_id),
        _ => None,
    })
    .await;
    let file: AttachmentView = crate::attachments::upload_as_visitor(app, token, name, "text/plain", b"4471")
        .await
        .json()
        .await
        .unwrap();
    v.send(&VisitorCommand::Send {
        body: String::new(),
        idempotency_key: "file".into(),
        attachments: vec![file.id],
    })
    .await;
    v.wait_for("the file's message", |e| match e {
        VisitorEvent::Message { message } if !message.attachments.is_empty() => Some(message.conversation_id),
        _ => None,
    })
    .await
}

/// The file of the conversation, as its visitor sees it (with its signed link).
async fn file_of(v: &mut VisitorSocket) -> AttachmentView {
    v.wait_for("the file", |e| match e {
        VisitorEvent::Message { message } if !message.attachments.is_empty() => Some(message.attachments[0].clone()),
        _ => None,
    })
    .await
}

/// Who calls: nobody, a visitor's token, or a member (and their role; `None` for the owner
/// of another workspace).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Caller {
    Anonymous,
    Visitor,
    Member(&'static str, Option<Role>),
}

pub(crate) const CALLERS: &[Caller] = &[
    Caller::Anonymous,
    Caller::Visitor,
    Caller::Member(OWNER, Some(Role::Owner)),
    Caller::Member(ADMIN, Some(Role::Admin)),
    Caller::Member(SUPERVISOR, Some(Role::Supervisor)),
    Caller::Member("am@demo.switchboard.test", Some(Role::AccountManager)),
    Caller::Member(AGENT, Some(Role::Agent)),
    Caller::Member("sa@demo.switchboard.test", Some(Role::SupportAgent)),
    Caller::Member("boss@other.example", None),
];

impl Caller {
    async fn client(&self, w: &World) -> reqwest::Client {
        match self {
            Caller::Anonymous => new_client(),
            Caller::Visitor => reqwest::Client::builder()
                .default_headers(
                    [(
                        reqwest::header::AUTHORIZATION,
                        format!("Bearer {}", w.visitor_token).parse().unwrap(),
                    )]
                    .into_iter()
                    .collect(),
                )
                .build()
                .unwrap(),
            Caller::Member(email, _) => TestApp::client_signed_in(&w.app, email).await,
        }
    }

    /// The member's role in the demo workspace (`None`: not one of its members).
    pub(crate) fn role(&self) -> Option<Role> {
        match self {
            Caller::Member(_, role) => *role,
            _ => None,
        }
    }

    pub(crate) fn may(&self, scope: Scope) -> bool {
        self.role().is_some_and(|r| r.has(scope))
    }
}

/// Calls `request` and checks its status is `expected`; a refusal must change nothing.
async fn expect_status(
    w: &World,
    failures: &mut Vec<String>,
    what: String,
    expected: &[u16],
    request: reqwest::RequestBuilder,
) -> Option<reqwest::Response> {
    let refusal = expected.iter().all(|s| *s >= 400);
    let before = match refusal {
        true => Some(w.app.fingerprint().await),
        false => None,
    };
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    if !expected.contains(&status) {
        failures.push(format!("{what}: got {status}, expected {expected:?}"));
    }
    if let Some(before) = before {
        if w.app.fingerprint().await != before {
            failures.push(format!("{what}: refused, but the database changed"));
        }
    }
    (status == 200).then_some(res)
}

#[tokio::test]
async fn every_http_route_answers_each_caller_as_it_should() {
    let w = world().await;
    let base = w.app.base.clone();
    let mut failures = Vec::new();
    let sms = w
        .app
        .store
        .create_channel(1, w.app.demo_workflow().await, "sms", "Texts", "#16a34a", "texts-key")
        .await
        .unwrap();
    let settings = format!(
        r#"{{"account_sid":"{}","from":"{}","api_base_url":"http://127.0.0.1:9"}}"#,
        crate::fake_twilio::ACCOUNT,
        crate::fake_twilio::NUMBER
    );
    w.app
        .store
        .set_provider(1, sms, &settings, Some(crate::fake_twilio::TOKEN))
        .await
        .unwrap();
    let mail = w
        .app
        .store
        .create_channel(1, w.app.demo_workflow().await, "email", "Mail", "#9333ea", "mail-key")
        .await
        .unwrap();
    w.app
        .store
        .set_provider(
            1,
            mail,
            r#"{"address":"support@acme.example","display_name":"","smtp_host":"127.0.0.1","smtp_port":9,"smtp_security":"none","smtp_user":""}"#,
            Some(r#"{"ingest_secret":"the-ingest-secret-0123456789abcdef"}"#),
        )
        .await
        .unwrap();
    let web_key = w.app.demo_channel().await.public_key;
    for caller in CALLERS {
        let client = caller.client(&w).await;
        let who = format!("{caller:?}");
        // E-mail delivered to a channel: only its ingest secret counts, whatever else the
        // caller holds; a channel that is not an e-mail channel has none.
        for (key, expected) in [("mail-key", 401), (web_key.as_str(), 404)] {
            expect_status(
                &w,
                &mut failures,
                format!("{who} POST /ingest/email/{key}"),
                &[expected],
                client
                    .post(format!("{base}/ingest/email/{key}"))
                    .header("content-type", "message/rfc822")
                    .body("From: a@b.example\r\nSubject: hi\r\nMessage-ID: <m@b.example>\r\n\r\nhello"),
            )
            .await;
        }
        // Twilio's webhooks: only Twilio's signature counts, whatever else the caller holds;
        // a channel that is not an SMS channel has none.
        for hook in ["inbound", "status"] {
            for (key, expected) in [("texts-key", 403), (web_key.as_str(), 404)] {
                expect_status(
                    &w,
                    &mut failures,
                    format!("{who} POST /webhooks/twilio/{key}/{hook}"),
                    &[expected],
                    client.post(format!("{base}/webhooks/twilio/{key}/{hook}")).form(&[
                        ("MessageSid", "SM1"),
                        ("From", "+14155550100"),
                        ("Body", "hi"),
                        ("MessageStatus", "delivered"),
                    ]),
                )
                .await;
            }
        }
        // The REST API takes API tokens only: no session cookie or visitor token is one.
        expect_status(
            &w,
            &mut failures,
            format!("{who} GET /api/v1/conversations"),
            &[401],
            client.get(format!("{base}/api/v1/conversations")),
        )
        .await;
        // Probes, the site's files and the API's reference: anyone.
        for path in ["/healthz", "/readyz", "/api/v1/openapi.json", "/api/v1/docs"] {
            expect_status(
                &w,
                &mut failures,
                format!("{who} GET {path}"),
                &[200],
                client.get(format!("{base}{path}")),
            )
            .await;
        }
        let widget = client
            .get(format!("{base}/widget.js"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if widget == 401 || widget == 403 {
            failures.push(format!("{who} GET /widget.js: {widget}"));
        }
        // Metrics: only the metrics token, whatever else the caller holds.
        expect_status(
            &w,
            &mut failures,
            format!("{who} GET /metrics"),
            &[401],
            client.get(format!("{base}/metrics")),
        )
        .await;

        // Reports as CSV: supervisors and up, of their own workspace only.
        let expected: &[u16] = match caller {
            Caller::Anonymous | Caller::Visitor => &[401],
            Caller::Member(_, None) => &[200],
            _ if !caller.may(Scope::ConversationsReadAll) => &[403],
            _ => &[200],
        };
        if let Some(res) = expect_status(
            &w,
            &mut failures,
            format!("{who} GET /api/reports/export"),
            expected,
            client.get(format!("{base}/api/reports/export?by=workflow")),
        )
        .await
        {
            let text = res.text().await.unwrap();
            let total = text.lines().last().unwrap_or_default().to_string();
            let ours = !matches!(caller, Caller::Member(_, None));
            if ours == total.starts_with("Total,0,") {
                failures.push(format!("{who}: the report is not of their own workspace: {total}"));
            }
        }

        // A customer's data export: owners and admins, of a conversation they may see.
        for (conversation, hidden) in [(w.visible, false), (w.hidden, true)] {
            let expected: &[u16] = match caller {
                Caller::Anonymous | Caller::Visitor => &[401],
                Caller::Member(_, None) => &[404],
                _ if !caller.may(Scope::SettingsWrite) => &[403],
                _ if hidden && !caller.may(Scope::ConversationsReadAll) => &[404],
                _ => &[200],
            };
            let res = expect_status(
                &w,
                &mut failures,
                format!("{who} GET /api/contacts/export (hidden: {hidden})"),
                expected,
                client.get(format!("{base}/api/contacts/export?conversation_id={conversation}")),
            )
            .await;
            if let Some(res) = res {
                let export: app::contacts::ContactExport = res.json().await.unwrap();
                assert!(
                    export.conversations.iter().any(|c| c.id == conversation),
                    "{who}: the right contact"
                );
            }
        }

        // A member's upload to a conversation.
        for (conversation, hidden) in [(w.visible, false), (w.hidden, true)] {
            let expected: &[u16] = match caller {
                Caller::Anonymous | Caller::Visitor => &[401],
                Caller::Member(_, None) => &[404],
                _ if !caller.may(Scope::OperatorWrite) => &[403],
                _ if hidden && !caller.may(Scope::ConversationsReadAll) => &[404],
                _ => &[200],
            };
            let res = expect_status(
                &w,
                &mut failures,
                format!("{who} POST /api/attachments (hidden: {hidden})"),
                expected,
                client
                    .post(format!(
                        "{base}/api/attachments?conversation_id={conversation}&name=note.txt"
                    ))
                    .header("content-type", "text/plain")
                    .body("note"),
            )
            .await;
            if let Some(res) = res {
                let view: AttachmentView = res.json().await.unwrap();
                assert_eq!(view.file_name, "note.txt", "{who}: the right body");
            }
        }

        // A visitor's upload: only with a visitor token (a session is no visitor).
        let expected: &[u16] = match caller {
            Caller::Visitor => &[200],
            _ => &[400],
        };
        expect_status(
            &w,
            &mut failures,
            format!("{who} POST /widget/attachments"),
            expected,
            client
                .post(format!("{base}/widget/attachments?name=photo.txt"))
                .header("content-type", "text/plain")
                .body("photo"),
        )
        .await;

        // A sent file: its conversation's members; a visitor only through its signed link.
        for (file, hidden) in [(w.visible_file.id, false), (w.hidden_file, true)] {
            let expected: &[u16] = match caller {
                Caller::Anonymous | Caller::Visitor | Caller::Member(_, None) => &[404],
                _ if hidden && !caller.may(Scope::ConversationsReadAll) => &[404],
                _ => &[200],
            };
            expect_status(
                &w,
                &mut failures,
                format!("{who} GET /attachments/{{id}} (hidden: {hidden})"),
                expected,
                client.get(format!("{base}/attachments/{file}")),
            )
            .await;
        }

        // The operator socket: members of any workspace (each sees their own); not a visitor.
        let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            w.app.ws_url("/ws/operator"),
        )
        .unwrap();
        match caller {
            Caller::Anonymous => {}
            Caller::Visitor => {
                request
                    .headers_mut()
                    .insert("authorization", format!("Bearer {}", w.visitor_token).parse().unwrap());
            }
            Caller::Member(email, _) => {
                let cookie = w.app.session_cookie(email, PASSWORD).await;
                request.headers_mut().insert("cookie", cookie.parse().unwrap());
            }
        }
        let opened = tokio_tungstenite::connect_async(request).await;
        let status = match &opened {
            Ok(_) => 101,
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
            Err(e) => panic!("{e}"),
        };
        let expected = if caller.role().is_some() || matches!(caller, Caller::Member(_, None)) {
            101
        } else {
            401
        };
        if status != expected {
            failures.push(format!("{who} /ws/operator: got {status}, expected {expected}"));
        }
    }
    // The visitor's signed link opens the file without any session; not another file.
    let link = w.visible_file.link.clone().unwrap();
    expect_status(
        &w,
        &mut failures,
        "a signed link".into(),
        &[200],
        new_client().get(format!("{base}{link}")),
    )
    .await;
    let query = link.split_once('?').unwrap().1;
    expect_status(
        &w,
        &mut failures,
        "a signed link on another file".into(),
        &[404],
        new_client().get(format!("{base}/attachments/{}?{query}", w.hidden_file)),
    )
    .await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
