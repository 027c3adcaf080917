//! A chat visitor's token: it is given on the socket to a new visitor, travels only in the
//! socket's first frame and a header, expires, and is renewed past half its life.

use app::events::{VisitorCommand, VisitorEvent};
use server::channels::tokens::{unix_now, Visitor, VisitorTokens};

use crate::helpers::*;

const KEY: &str = "a test key that is long enough to sign tokens";
const DAY: i64 = 24 * 3600;

/// The visitor a token names (`v2.<key id>.<contact>.<channel>.<expires>.<sig>`).
fn named(token: &str) -> Visitor {
    let parts: Vec<&str> = token.split('.').collect();
    Visitor {
        contact_id: parts[2].parse().unwrap(),
        channel_id: parts[3].parse().unwrap(),
    }
}

#[tokio::test]
async fn a_visitor_token_expires_and_one_past_half_its_life_is_renewed() {
    let app = spawn_app_with(&[
        ("SWITCHBOARD_SECRET_KEY", KEY),
        ("SWITCHBOARD_VISITOR_TOKEN_DAYS", "30"),
    ])
    .await;
    let token = app.visitor_token().await;
    let visitor = named(&token);
    let tokens = VisitorTokens::new(KEY.as_bytes(), None, 30 * DAY);
    let checked = tokens
        .verify(&token, unix_now())
        .expect("the server signs with the configured key");
    assert!(
        checked.expires_at > unix_now() + 29 * DAY,
        "a new token lasts the configured 30 days"
    );

    // A fresh token is kept: the first thing after resuming is the answer to a ping.
    let mut v = app.visitor_with(&token).await;
    v.send(&VisitorCommand::Ping).await;
    let first = v.wait_for("an event", |e| Some(e.clone())).await;
    assert_eq!(first, VisitorEvent::Pong);

    // One issued 20 days ago (10 left) is replaced on resume, by one that lasts 30 days.
    let aging = tokens.issue(visitor, unix_now() - 20 * DAY);
    let mut v = app.visitor_with(&aging).await;
    let fresh = v
        .wait_for("a new token", |e| match e {
            VisitorEvent::Token { token } => Some(token.clone()),
            _ => None,
        })
        .await;
    let renewed = tokens.verify(&fresh, unix_now()).unwrap();
    assert_eq!(renewed.visitor, visitor);
    assert!(renewed.expires_at > unix_now() + 29 * DAY);

    // One issued 31 days ago is refused in words; the widget then starts a new visitor.
    let expired = tokens.issue(visitor, unix_now() - 31 * DAY);
    let reason = app.visitor_refusal(&expired).await;
    assert!(reason.contains("has expired"), "{reason}");
    // So is a token signed with another key, and uploads with either are refused.
    let foreign = VisitorTokens::new(b"somebody else's key, also long enough", None, DAY).issue(visitor, unix_now());
    assert!(app.visitor_refusal(&foreign).await.contains("no longer has"));
    for bad in [&expired, &foreign] {
        let res = crate::attachments::upload_as_visitor(&app, bad, "a.txt", "text/plain", b"hello").await;
        assert_eq!(res.status(), 400);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, 0);
}

#[tokio::test]
async fn a_visitor_token_in_the_url_opens_nothing() {
    let app = spawn_app().await;
    let token = app.visitor_token().await;
    // An upload names the visitor only in its Authorization header.
    let res = new_client()
        .post(format!("{}/widget/attachments?token={token}&name=a.txt", app.base))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("Authorization: Bearer"),
        "{body}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, 0);
}

#[tokio::test]
async fn visitors_who_never_wrote_are_forgotten_once_their_token_has_expired() {
    let app = spawn_app().await;
    let silent = app.visitor_token().await;
    let talker = app.visitor_token().await;
    crate::channels::say(&app, &talker, "Hello").await;
    let contacts = app.count("SELECT COUNT(*) FROM contacts").await;
    let token_secs = 30 * DAY;
    let now = server::store::now_ms();
    // Within the token's life the silent visitor may still come back.
    let forgotten = server::retention::forget_silent_visitors(&app.store, token_secs, now + 29 * DAY * 1000).await;
    assert_eq!(forgotten.unwrap(), 0);
    let forgotten = server::retention::forget_silent_visitors(&app.store, token_secs, now + 31 * DAY * 1000).await;
    assert_eq!(forgotten.unwrap(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, contacts - 1);
    let silent_contact = named(&silent).contact_id;
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM contacts WHERE id = {silent_contact}"))
            .await,
        0
    );
    // The one who wrote keeps their conversation and their name.
    let talker_contact = named(&talker).contact_id;
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM contacts WHERE id = {talker_contact}"))
            .await,
        1
    );
}

#[tokio::test]
async fn a_new_visitor_starts_on_the_socket_and_its_token_resumes_the_chat() {
    let app = spawn_app().await;
    let contacts = app.count("SELECT COUNT(*) FROM contacts").await;
    let mut v = app.visitor_starting(server::demo::DEMO_WEB_CHANNEL).await;
    let token = v
        .wait_for("the new visitor's token", |e| match e {
            VisitorEvent::Token { token } => Some(token.clone()),
            _ => None,
        })
        .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, contacts + 1);
    // The socket that started is the chat: the first message is stored at once.
    v.send(&VisitorCommand::Send {
        body: "Hello, I just arrived".into(),
        idempotency_key: "k-start-1".into(),
        attachments: vec![],
    })
    .await;
    v.wait_for("the ack", |e| matches!(e, VisitorEvent::Ack { .. }).then_some(()))
        .await;
    // Starting again on a socket that has begun is refused in words.
    v.send(&VisitorCommand::Start {
        key: server::demo::DEMO_WEB_CHANNEL.into(),
    })
    .await;
    let refusal = v.refusal().await;
    assert!(refusal.contains("already"), "{refusal}");
    v.close().await;

    // Another connection with the token is the same visitor, with what they wrote.
    let mut again = app.visitor_with(&token).await;
    let said = again
        .wait_for("the visitor's own message", |e| match e {
            VisitorEvent::Message { message } => Some(message.body.clone()),
            _ => None,
        })
        .await;
    assert_eq!(said, "Hello, I just arrived");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM contacts").await,
        contacts + 1,
        "no one else"
    );

    // A key that names no chat: closed with the reason in words, and no one is made.
    let mut lost = app.visitor_starting("no-such-chat").await;
    let (code, reason) = lost.closed_by_server(crate::sockets::WAIT).await;
    assert_eq!(
        (code, reason.as_str()),
        (1008, "The chat channel \u{201c}no-such-chat\u{201d} was not found.")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, contacts + 1);
}
