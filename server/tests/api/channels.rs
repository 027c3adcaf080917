//! Channels as a product feature: an admin creates a web chat channel, a visitor chats on it,
//! the sites allowed to frame it reach the chat page's policy, and turning it off or deleting
//! it does what it says.

use app::audit::{AuditView, ListAudit};
use app::channels::{ChannelView, DeleteChannel, ListChannels, SaveChannel, SetChannelEnabled};
use app::chat::{IdentifyVisitor, StartVisitor};
use app::contacts::GetContact;
use app::AppError;

use crate::helpers::*;

async fn save(
    app: &TestApp,
    id: &str,
    name: &str,
    colour: &str,
    workflow: &str,
    sites: &str,
) -> Result<ChannelView, AppError> {
    app.run(SaveChannel {
        id: id.into(),
        name: name.into(),
        colour: colour.into(),
        workflow_id: workflow.into(),
        allowed_sites: sites.into(),
        identity_secret: String::new(),
        require_verified: None,
    })
    .await
}

async fn start_visitor(app: &TestApp, key: &str) -> Result<String, AppError> {
    app.run_as(&new_client(), StartVisitor { key: key.into() }).await
}

async fn frame_ancestors(app: &TestApp, key: &str) -> String {
    let res = new_client()
        .get(format!("{}/chat/{key}", app.base))
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    csp.split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("frame-ancestors "))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn an_admin_creates_a_web_channel_and_a_visitor_chats_on_it() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let shop = save(
        &app,
        "",
        "Shop website",
        "#7C3AED",
        "1",
        "https://shop.example\nhttps://*.shop.example/",
    )
    .await
    .unwrap();
    assert!(shop.key.starts_with("shop-website-"), "{}", shop.key);
    assert_eq!(shop.colour, "#7c3aed");
    assert_eq!(shop.allowed_sites, ["https://shop.example", "https://*.shop.example"]);
    assert_eq!(
        shop.embed,
        format!(
            r#"<script src="{}/widget.js" data-channel="{}" async></script>"#,
            app.base, shop.key
        )
    );
    let listed: Vec<ChannelView> = app.run(ListChannels {}).await.unwrap();
    assert_eq!(
        listed.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["Website chat", "Shop website"]
    );

    // Only the listed sites (and Switchboard itself) may frame its chat; the demo channel lists
    // none, so any site may.
    assert_eq!(
        frame_ancestors(&app, &shop.key).await,
        "'self' https://shop.example https://*.shop.example"
    );
    assert_eq!(frame_ancestors(&app, server::demo::DEMO_WEB_CHANNEL).await, "*");
    assert_eq!(frame_ancestors(&app, "no-such-channel").await, "'none'");

    // A visitor of the new channel chats; the conversation is on it.
    let token: String = start_visitor(&app, &shop.key).await.unwrap();
    say(&app, &token, "Do you ship to Norway?").await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM conversations WHERE channel_id = {}",
            shop.id
        ))
        .await,
        1
    );

    // Renamed, recoloured, any site: the change is kept and audited.
    let changed = save(&app, &shop.id.to_string(), "Shop", "#0ea5e9", "1", "")
        .await
        .unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.key.as_str()),
        ("Shop", shop.key.as_str())
    );
    assert!(changed.allowed_sites.is_empty());
    assert_eq!(changed.conversations, 1);
    let audit: Vec<AuditView> = app
        .run(ListAudit {
            action: Some(String::new()),
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert!(
        actions.contains(&"channel.created") && actions.contains(&"channel.updated"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn bad_channel_settings_are_refused_in_words_and_nothing_is_stored() {
    let app = TestApp::signed_in_as(ADMIN).await;
    server::demo::create_owner(&app.store, "Other Co", "boss@other.example", "Boss", PASSWORD)
        .await
        .unwrap();
    let theirs = app.store.create_workflow(2, "Their bot").await.unwrap().to_string();
    let before = app.count("SELECT COUNT(*) FROM channels").await;
    for (name, colour, workflow, sites, field) in [
        ("", "#0ea5e9", "1", "", "Name"),
        ("Shop", "purple", "1", "", "Colour"),
        ("Shop", "#0ea5e9", &theirs, "", "Workflow it feeds"),
        ("Shop", "#0ea5e9", "1", "shop.example", "Sites allowed to show the chat"),
        (
            "Shop",
            "#0ea5e9",
            "1",
            "https://shop.example/checkout",
            "Sites allowed to show the chat",
        ),
        (
            "Shop",
            "#0ea5e9",
            "1",
            "https://shop.example; script-src *",
            "Sites allowed to show the chat",
        ),
    ] {
        match save(&app, "", name, colour, workflow, sites).await {
            Err(AppError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{name} {colour} {sites}: {other:?}"),
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM channels").await, before);
}

#[tokio::test]
async fn a_channel_turned_off_takes_no_chats_and_only_an_unused_one_is_deleted() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let demo = app.demo_channel().await;
    let token = app.visitor_token().await;
    say(&app, &token, "Hello").await;

    let off: ChannelView = app
        .run(SetChannelEnabled {
            id: demo.id,
            enabled: false,
        })
        .await
        .unwrap();
    assert!(!off.enabled);
    // No new visitor, and a returning one is told.
    let start = start_visitor(&app, server::demo::DEMO_WEB_CHANNEL).await;
    assert_eq!(
        start,
        Err(AppError::Conflict("This chat is turned off for now.".into()))
    );
    let mut again = app.visitor_with(&token).await;
    assert_eq!(
        again.closed_by_server(crate::sockets::WAIT).await,
        (1008, "This chat is turned off for now.".to_string())
    );
    // It has a conversation: it cannot be deleted, only turned off.
    let refused = app.run(DeleteChannel { id: demo.id }).await;
    assert!(
        matches!(&refused, Err(AppError::Conflict(m)) if m.contains("turn it off instead")),
        "{refused:?}"
    );
    app.run(SetChannelEnabled {
        id: demo.id,
        enabled: true,
    })
    .await
    .unwrap();
    app.visitor_token().await;

    // A new channel that only had a visitor who never wrote is deleted, with that visitor.
    let unused = save(&app, "", "Old site", "#0ea5e9", "1", "").await.unwrap();
    let _: String = start_visitor(&app, &unused.key).await.unwrap();
    let contacts = app.count("SELECT COUNT(*) FROM contacts").await;
    app.run(DeleteChannel { id: unused.id }).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, contacts - 1);
    let listed: Vec<ChannelView> = app.run(ListChannels {}).await.unwrap();
    assert!(listed.iter().all(|c| c.id != unused.id));
}

fn sign(secret: &str, id: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(id.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

async fn identify(app: &TestApp, token: &str, id: &str, name: &str, hmac: &str) -> Result<String, AppError> {
    let identify = IdentifyVisitor {
        key: server::demo::DEMO_WEB_CHANNEL.into(),
        token: token.into(),
        customer_id: id.into(),
        name: name.into(),
        email: "ada@example.com".into(),
        phone: String::new(),
        hmac: hmac.into(),
        attributes: r#"{"plan": "Pro", "orders": 7}"#.into(),
    };
    app.run_as(&new_client(), identify).await
}

/// The visitor writes and the message is stored.
pub async fn say(app: &TestApp, token: &str, body: &str) {
    let mut v = app.visitor_with(token).await;
    v.send(&app::events::VisitorCommand::Send {
        body: body.into(),
        idempotency_key: format!("k{}", body.len()),
        attachments: vec![],
    })
    .await;
    v.wait_for("the ack", |e| {
        matches!(e, app::events::VisitorEvent::Ack { .. }).then_some(())
    })
    .await;
}

/// The visitor's own messages a token resumes with.
async fn history(app: &TestApp, token: &str) -> Vec<String> {
    let mut v = app.visitor_with(token).await;
    v.send(&app::events::VisitorCommand::Ping).await;
    let mut said = Vec::new();
    v.wait_for("the pong", |e| match e {
        app::events::VisitorEvent::Message { message } if message.sender_kind == app::events::SenderKind::Contact => {
            said.push(message.body.clone());
            None
        }
        app::events::VisitorEvent::Pong => Some(()),
        _ => None,
    })
    .await;
    said
}

#[tokio::test]
async fn a_signed_in_customer_continues_on_another_browser_and_nobody_can_claim_them() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let demo = app.demo_channel().await;
    let secret = "0123456789abcdef0123456789abcdef-identity";
    let id = demo.id.to_string();
    let set = |require: bool| {
        let save = SaveChannel {
            id: id.clone(),
            name: "Website chat".into(),
            colour: "#0ea5e9".into(),
            workflow_id: "1".into(),
            allowed_sites: String::new(),
            identity_secret: secret.into(),
            require_verified: checkbox(require),
        };
        let app = &app;
        async move { app.run(save).await.unwrap() }
    };
    let saved = set(false).await;
    assert!(saved.has_identity_secret && !saved.require_verified);
    let listing = app.send(&app.client, &ListChannels {}).await.text().await.unwrap();
    assert!(!listing.contains(secret), "the secret never goes back to a browser");

    // On the laptop: the customer signs in to the site, which signs their id.
    let laptop = app.visitor_token().await;
    let same = identify(&app, &laptop, "cust-42", "Ada Lovelace", &sign(secret, "cust-42"))
        .await
        .unwrap();
    assert_eq!(same, laptop, "a visitor who was nobody becomes the customer");
    say(&app, &laptop, "My order 4471 is late").await;

    // On the phone, another browser: the same customer continues the same history.
    let phone = app.visitor_token().await;
    let theirs = identify(&app, &phone, "cust-42", "Ada Lovelace", &sign(secret, "cust-42"))
        .await
        .unwrap();
    assert_ne!(theirs, phone);
    assert_eq!(history(&app, &theirs).await, ["My order 4471 is late"]);
    let name = app
        .texts("SELECT name || ' ' || COALESCE(email, '-') FROM contacts WHERE id = (SELECT contact_id FROM contact_identities WHERE value = 'cust-42')")
        .await;
    assert_eq!(name, ["Ada Lovelace ada@example.com"]);
    let records = app
        .texts("SELECT key || '=' || value FROM contact_data WHERE contact_id = (SELECT contact_id FROM contact_identities WHERE value = 'cust-42') ORDER BY key")
        .await;
    assert_eq!(
        records,
        ["orders=7", "plan=Pro"],
        "the site's attributes are the contact's data records"
    );

    // Someone else claims the id without the signature: they stay themselves and see nothing.
    let stranger = app.visitor_token().await;
    for hmac in ["", "00", &sign("a guessed secret that is long enough!", "cust-42")] {
        let kept = identify(&app, &stranger, "cust-42", "Mallory", hmac).await.unwrap();
        assert_eq!(kept, stranger);
    }
    assert!(history(&app, &stranger).await.is_empty());
    // Only the verified customer has identities: their site id and the e-mail the site vouched
    // for (so their e-mails find them too); the stranger's unsigned claims made none.
    assert_eq!(
        app.texts("SELECT kind || ' ' || value FROM contact_identities ORDER BY kind")
            .await,
        ["email ada@example.com", "web cust-42"]
    );

    // Where verification is required, an unsigned identity is refused in words.
    assert!(set(true).await.require_verified);
    match identify(&app, &stranger, "cust-42", "Mallory", "").await {
        Err(AppError::Invalid { field, message }) => {
            assert_eq!(field, "Identity");
            assert!(message.contains("could not be verified"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Another channel's token, or none, identifies nobody.
    assert!(identify(&app, "v2.garbage", "cust-42", "Ada", &sign(secret, "cust-42"))
        .await
        .is_err());

    // Ada e-mails later from the address the site vouched for: the same customer, whose
    // information panel lists the chat beside the e-mail, each with its channel.
    let room = crate::email::email_channel(&app).await;
    let raw = crate::email::eml(
        "ada@example.com",
        "support@acme.example",
        "Order 4471",
        "ada-mail@example.com",
        "",
        "Any news on 4471?",
    );
    assert_eq!(room.deliver(&raw).await.status(), 202);
    let owners = app
        .texts("SELECT DISTINCT CAST(contact_id AS TEXT) FROM conversations WHERE contact_id IN (SELECT contact_id FROM contact_identities WHERE value IN ('cust-42', 'ada@example.com'))")
        .await;
    assert_eq!(owners.len(), 1, "one customer across the chat and e-mail");
    let mail_conversation = app
        .count("SELECT id FROM conversations WHERE subject = 'Order 4471'")
        .await;
    let detail: app::contacts::ContactDetail = app
        .run(GetContact {
            conversation_id: mail_conversation,
        })
        .await
        .unwrap();
    let channels: Vec<&str> = detail.conversations.iter().map(|c| c.channel_name.as_str()).collect();
    assert!(
        channels.contains(&"Website chat") && channels.contains(&"Support mail"),
        "{channels:?}"
    );
}

/// What the widget's socket answers to the site's identify.
async fn identify_on_socket(
    socket: &mut crate::sockets::VisitorSocket,
    id: &str,
    hmac: &str,
) -> Result<String, String> {
    use app::events::{VisitorCommand, VisitorEvent};
    socket
        .send(&VisitorCommand::Identify {
            identity: app::chat::Identity {
                id: id.into(),
                name: "Grace Hopper".into(),
                email: "grace@example.com".into(),
                hmac: hmac.into(),
                ..Default::default()
            },
        })
        .await;
    socket
        .wait_for("the answer to identify", |e| match e {
            VisitorEvent::Identified { token } => Some(Ok(token.clone())),
            VisitorEvent::IdentityRefused { message } => Some(Err(message.clone())),
            _ => None,
        })
        .await
}

#[tokio::test]
async fn the_widget_says_who_the_sites_customer_is_on_its_socket() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let demo = app.demo_channel().await;
    let secret = "fedcba9876543210fedcba9876543210-identity";
    app.run(SaveChannel {
        id: demo.id.to_string(),
        name: "Website chat".into(),
        colour: "#0ea5e9".into(),
        workflow_id: "1".into(),
        allowed_sites: String::new(),
        identity_secret: secret.into(),
        require_verified: checkbox(true),
    })
    .await
    .unwrap();

    // A visitor who was nobody becomes the customer, and keeps their token.
    let laptop = app.visitor_token().await;
    let mut on_laptop = app.visitor_with(&laptop).await;
    let kept = identify_on_socket(&mut on_laptop, "cust-7", &sign(secret, "cust-7")).await;
    assert_eq!(kept, Ok(laptop.clone()));
    on_laptop.close().await;
    say(&app, &laptop, "Where is parcel 88?").await;
    assert_eq!(
        app.texts("SELECT name || ' ' || email FROM contacts WHERE id = (SELECT contact_id FROM contact_identities WHERE value = 'cust-7')")
            .await,
        ["Grace Hopper grace@example.com"]
    );

    // Another browser, started on its socket: the customer's token, and with it their history.
    let mut on_phone = app.visitor_starting(server::demo::DEMO_WEB_CHANNEL).await;
    let phone = on_phone
        .wait_for("the new visitor's token", |e| match e {
            app::events::VisitorEvent::Token { token } => Some(token.clone()),
            _ => None,
        })
        .await;
    let theirs = identify_on_socket(&mut on_phone, "cust-7", &sign(secret, "cust-7"))
        .await
        .unwrap();
    // Tokens read `v2.<key id>.<contact>.<channel>.<expires>.<signature>`.
    let contact = |token: &str| token.split('.').nth(2).unwrap().to_string();
    assert_ne!(
        contact(&theirs),
        contact(&phone),
        "the phone's visitor is not the customer"
    );
    assert_eq!(contact(&theirs), contact(&laptop), "the token is the customer's");
    assert_eq!(history(&app, &theirs).await, ["Where is parcel 88?"]);

    // Unsigned where the chat requires a signature: refused in words, the visitor unchanged.
    let mut stranger = app.visitor_starting(server::demo::DEMO_WEB_CHANNEL).await;
    let refused = identify_on_socket(&mut stranger, "cust-7", "").await;
    assert_eq!(
        refused,
        Err("Identity: could not be verified: this chat accepts only identities signed by the site".into())
    );
    // The socket goes on as the visitor it was.
    stranger.send(&app::events::VisitorCommand::Ping).await;
    stranger
        .wait_for("the pong", |e| {
            matches!(e, app::events::VisitorEvent::Pong).then_some(())
        })
        .await;
}
