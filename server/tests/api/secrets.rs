//! Secrets at rest: the Twilio auth token, a web channel's identity secret, a workflow's API
//! key and a webhook's signing secret are never in the database as given, yet work; a secret
//! kept plain by an earlier version is sealed at the next start.

use app::channels::SaveChannel;

use crate::fake_twilio::{FakeTwilio, TOKEN};
use crate::helpers::*;
use crate::sms::sms_channel;

#[tokio::test]
async fn secrets_are_sealed_in_the_database_and_plain_ones_from_before_are_sealed_at_the_start() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let twilio = FakeTwilio::start().await;
    let channel = sms_channel(&app, &twilio).await;
    let save = SaveChannel {
        id: "1".into(),
        name: "Website chat".into(),
        colour: "#0ea5e9".into(),
        workflow_id: "1".into(),
        allowed_sites: String::new(),
        identity_secret: "identity-secret-0123456789abcdef".into(),
        require_verified: None,
    };
    let res = app.send(&app.client, &save).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let stored = app
        .texts("SELECT provider_secret FROM channels WHERE provider_secret IS NOT NULL UNION ALL SELECT identity_secret FROM channels WHERE identity_secret IS NOT NULL")
        .await;
    assert_eq!(stored.len(), 2);
    for s in &stored {
        assert!(s.starts_with("sealed:v1:"), "{s}");
        assert!(!s.contains(TOKEN) && !s.contains("identity-secret"), "{s}");
    }
    // Opened where they are used.
    let sms = app.store.channel(channel.id).await.unwrap().unwrap();
    assert_eq!(sms.provider_secret.as_deref(), Some(TOKEN));
    let web = app.store.channel(1).await.unwrap().unwrap();
    assert_eq!(web.identity_secret.as_deref(), Some("identity-secret-0123456789abcdef"));

    // A secret an earlier version kept plain reads as it is, and is sealed by the sweep that
    // runs at every start.
    app.write_sql("UPDATE channels SET identity_secret = 'plain-from-before' WHERE id = 1")
        .await;
    assert_eq!(
        app.store.channel(1).await.unwrap().unwrap().identity_secret.as_deref(),
        Some("plain-from-before")
    );
    let done = app.store.seal_stored_secrets().await.unwrap();
    assert_eq!((done.sealed, done.unopenable), (1, 0));
    let sealed = app.texts("SELECT identity_secret FROM channels WHERE id = 1").await;
    assert!(sealed[0].starts_with("sealed:v1:"), "{sealed:?}");
    assert_eq!(
        app.store.channel(1).await.unwrap().unwrap().identity_secret.as_deref(),
        Some("plain-from-before")
    );
    // Nothing more to do the next time.
    assert_eq!(app.store.seal_stored_secrets().await.unwrap().sealed, 0);
}
