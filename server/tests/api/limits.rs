//! Limits: a visitor or a client address that asks too often is told when to try again, and
//! nothing of what was refused is stored; behind a trusted proxy the forwarded address counts,
//! from anyone else the header changes nothing.

use app::chat::StartVisitor;
use app::events::{SenderKind, VisitorCommand, VisitorEvent};
use app::AppError;
use leptos::server_fn::ServerFn;

use crate::attachments::upload_as_visitor;
use crate::helpers::*;

async fn start_chat(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let start = StartVisitor {
        key: server::demo::DEMO_WEB_CHANNEL.into(),
    };
    let mut req = new_client()
        .post(format!("{}{}", app.base, StartVisitor::PATH))
        .form(&start);
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.expect("the server answers")
}

async fn contacts(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM contacts").await
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn chats_started_too_often_from_one_address_are_refused_with_the_wait() {
    let app = spawn_app_with(&[("SWITCHBOARD_CHAT_STARTS_PER_MINUTE", "2")]).await;
    let before = contacts(&app).await;
    for _ in 0..2 {
        assert_eq!(start_chat(&app, None).await.status(), 200);
    }
    // Without trusted proxies, a forged header is nobody's address but the peer's.
    let res = start_chat(&app, Some("198.51.100.7")).await;
    assert_eq!(res.status(), 429);
    let wait = retry_after(&res);
    assert!((1..=30).contains(&wait), "{wait}");
    match result::<String>(res).await.unwrap_err() {
        AppError::TooFast { what, retry_after_secs } => {
            assert_eq!(retry_after_secs, wait);
            assert!(what.contains("chats"), "{what}");
        }
        other => panic!("expected a limit, got {other:?}"),
    }
    assert_eq!(contacts(&app).await, before + 2, "the refused start made no contact");
}

#[tokio::test]
async fn chats_started_on_the_socket_count_against_the_same_allowance() {
    let app = spawn_app_with(&[("SWITCHBOARD_CHAT_STARTS_PER_MINUTE", "2")]).await;
    let before = contacts(&app).await;
    assert_eq!(start_chat(&app, None).await.status(), 200);
    let mut second = app.visitor_starting(server::demo::DEMO_WEB_CHANNEL).await;
    second
        .wait_for("the token", |e| matches!(e, VisitorEvent::Token { .. }).then_some(()))
        .await;
    // The third is refused with "try again later" and the wait in words; the widget shows it
    // and its socket tries again by itself.
    let mut third = app.visitor_starting(server::demo::DEMO_WEB_CHANNEL).await;
    let (code, reason) = third.closed_by_server(crate::sockets::WAIT).await;
    assert_eq!(code, 1013, "{reason}");
    assert!(
        reason.starts_with("Too many chats were started from your network. Try again in "),
        "{reason}"
    );
    assert_eq!(contacts(&app).await, before + 2, "the refused start made no contact");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance() {
    let app = spawn_app_with(&[
        ("SWITCHBOARD_CHAT_STARTS_PER_MINUTE", "1"),
        ("SWITCHBOARD_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    assert_eq!(start_chat(&app, Some("198.51.100.7")).await.status(), 200);
    // The client forged an address in front; the proxy appended the real one.
    assert_eq!(start_chat(&app, Some("203.0.113.1, 198.51.100.7")).await.status(), 429);
    assert_eq!(start_chat(&app, Some("198.51.100.8")).await.status(), 200);
    // The proxy's own requests (no header) count for the proxy.
    assert_eq!(start_chat(&app, None).await.status(), 200);
    assert_eq!(start_chat(&app, None).await.status(), 429);
}

#[tokio::test]
async fn a_visitor_over_the_message_limit_is_told_and_the_message_is_not_stored() {
    let app = spawn_app_with(&[("SWITCHBOARD_VISITOR_MESSAGES_PER_MINUTE", "3")]).await;
    let mut v = app.visitor().await;
    for i in 0..3 {
        let key = format!("ok-{i}");
        v.send(&VisitorCommand::Send {
            body: format!("message {i}"),
            idempotency_key: key.clone(),
            attachments: vec![],
        })
        .await;
        v.wait_for("the ack", |e| match e {
            VisitorEvent::Ack { idempotency_key, .. } if *idempotency_key == key => Some(()),
            VisitorEvent::Error { message, .. } => panic!("refused: {message}"),
            _ => None,
        })
        .await;
    }
    v.send(&VisitorCommand::Send {
        body: "one too many".into(),
        idempotency_key: "too-many".into(),
        attachments: vec![],
    })
    .await;
    let refusal = v
        .wait_for("the refusal", |e| match e {
            VisitorEvent::Error {
                message,
                idempotency_key: Some(k),
            } if k == "too-many" => Some(message.clone()),
            VisitorEvent::Ack { idempotency_key, .. } if idempotency_key == "too-many" => {
                panic!("the fourth message was stored")
            }
            _ => None,
        })
        .await;
    assert!(
        refusal.contains("faster") && refusal.contains("Try again in"),
        "{refusal}"
    );
    let id = app.store.newest_conversation().await.unwrap().unwrap();
    let theirs: Vec<String> = app
        .store
        .latest_messages(id, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.sender_kind == SenderKind::Contact)
        .map(|m| m.body)
        .collect();
    assert_eq!(theirs, ["message 0", "message 1", "message 2"]);
}

#[tokio::test]
async fn a_visitor_over_the_upload_limit_gets_429_and_no_file_is_kept() {
    let app = spawn_app_with(&[("SWITCHBOARD_VISITOR_UPLOADS_PER_HOUR", "1")]).await;
    let token = app.visitor_token().await;
    let upload = |name: &'static str| upload_as_visitor(&app, &token, name, "text/plain", b"order 1234");
    assert_eq!(upload("first.txt").await.status(), 200);
    let res = upload("second.txt").await;
    assert_eq!(res.status(), 429);
    assert!(retry_after(&res) > 60, "the allowance comes back over the hour");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("files"), "{body}");
    let names = app.texts("SELECT file_name FROM attachments").await;
    assert_eq!(names, ["first.txt"]);
}

#[tokio::test]
async fn sign_in_attempts_sent_at_once_cannot_slip_past_the_throttle() {
    let app = spawn_app_with(&[("SWITCHBOARD_SIGN_IN_MAX_ATTEMPTS", "3")]).await;
    let tries =
        (0..12).map(|_| async { send_at(&app.base, &new_client(), &sign_in_as(ADMIN, "wrong-password")).await });
    let statuses: Vec<u16> = futures_util::future::join_all(tries)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(checked, 3, "only three passwords were checked: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 9, "{statuses:?}");
    assert_eq!(app.sign_in(ADMIN, PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn chat_connections_per_address_are_capped_and_a_closed_one_gives_its_place_back() {
    let app = spawn_app_with(&[("SWITCHBOARD_VISITOR_SOCKETS_PER_ADDRESS", "2")]).await;
    let token = app.visitor_token().await;
    let first = app.visitor_with(&token).await;
    let _second = app.visitor_with(&token).await;
    assert_eq!(app.visitor_connect_status().await, Some(429));
    first.close().await;
    let url = app.ws_url("/ws/visitor");
    let _third: crate::sockets::VisitorSocket = eventually(
        "the closed connection's place to be given back",
        crate::sockets::WAIT,
        || async { crate::sockets::connect(&url, None).await.ok() },
    )
    .await;
}

#[tokio::test]
async fn a_chat_connection_that_never_says_who_it_is_is_closed() {
    let app = spawn_app().await;
    let url = app.ws_url("/ws/visitor");
    // Silent: closed once the time to say who it is has passed.
    let mut silent: crate::sockets::VisitorSocket = crate::sockets::connect(&url, None).await.expect("it opens");
    // Anything but resume with a token (or start) first: closed at once.
    let mut rude: crate::sockets::VisitorSocket = crate::sockets::connect(&url, None).await.expect("it opens");
    rude.send(&VisitorCommand::Send {
        body: "hello".into(),
        idempotency_key: "k1".into(),
        attachments: vec![],
    })
    .await;
    let (code, reason) = rude.closed_by_server(crate::sockets::WAIT).await;
    assert_eq!(
        (code, reason.as_str()),
        (1008, "the first frame must be resume with your token, or start")
    );
    let (code, reason) = silent.closed_by_server(std::time::Duration::from_secs(20)).await;
    assert_eq!(
        (code, reason.as_str()),
        (1008, "say who you are first (resume with your token, or start)")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages").await,
        0,
        "nothing was stored"
    );
}

#[tokio::test]
async fn an_upload_past_the_workspace_quota_is_refused_in_words_and_nothing_is_kept() {
    let app = spawn_app_with(&[("SWITCHBOARD_ATTACHMENT_QUOTA_MB", "1")]).await;
    let token = app.visitor_token().await;
    let big = vec![b'a'; 600 * 1024];
    let upload = |name: &'static str| upload_as_visitor(&app, &token, name, "text/plain", &big);
    assert_eq!(upload("first.txt").await.status(), 200);
    let res = upload("second.txt").await;
    assert_eq!(res.status(), 409);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["error"].as_str().unwrap(),
        "Files cannot be added: this workspace's files fill its 1 MB."
    );
    assert_eq!(app.texts("SELECT file_name FROM attachments").await, ["first.txt"]);
    let files = std::fs::read_dir(app.data_dir.join("attachments")).unwrap().count();
    assert_eq!(files, 1, "only the first file is on disk");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off_and_connections_are_capped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(&[
        ("SWITCHBOARD_READ_TIMEOUT_SECS", "2"),
        ("SWITCHBOARD_MAX_CONNECTIONS", "2"),
    ])
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    // Two clients start a request and never finish its headers: they hold both places.
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: switchboard\r\n")
            .await
            .unwrap();
        slow.push(s);
    }
    // A third client is answered, but only once the server has cut the slow ones off.
    let answered = new_client()
        .get(format!("{}/healthz", app.base))
        .timeout(crate::sockets::WAIT * 3)
        .send()
        .await
        .expect("the third client is answered once the slow ones are cut off");
    assert_eq!(answered.status(), 200);
    for mut s in slow {
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(std::time::Duration::from_millis(500), s.read_to_end(&mut rest)).await;
        assert!(
            matches!(closed, Ok(Ok(_))),
            "a slow client was still connected when the third was answered"
        );
    }
}

#[tokio::test]
async fn a_member_holds_a_bounded_number_of_console_sockets() {
    use app::events::{OperatorCommand, OperatorEvent};
    let app = spawn_app_with(&[("SWITCHBOARD_MEMBER_SOCKETS", "2")]).await;
    let cookie = app.session_cookie(AGENT, PASSWORD).await;
    let url = app.ws_url("/ws/operator");
    let open = || crate::sockets::connect::<OperatorCommand, OperatorEvent>(&url, Some(&cookie));
    let first = open().await.expect("the first tab");
    let _second = open().await.expect("the second tab");
    assert_eq!(open().await.err(), Some(429), "a third tab is refused");
    // Another member has their own allowance.
    let _admin = app.operator(ADMIN).await;
    first.close().await;
    eventually(
        "the closed tab's place to be given back",
        crate::sockets::WAIT,
        || async { open().await.ok() },
    )
    .await;
}
