//! SMS through Twilio, against the fake Twilio on loopback: an admin sets up the channel, a
//! customer texts, the assistant and then an operator answer by text, Twilio's reports move
//! the reply's ticks; forged, repeated and opted-out traffic does what Twilio's users need.

use std::time::Duration;

use app::channels::{ChannelView, ListChannels, SaveSmsChannel};
use app::conversation::{ConversationDetail, GetConversation};
use app::events::OperatorEvent;
use app::lifecycle::{ChannelKind, DeliveryStatus, SenderKind};
use app::AppError;

use crate::fake_twilio::{self, FakeTwilio, ACCOUNT, NUMBER, TOKEN};
use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(20);

pub(crate) async fn sms_channel(app: &TestApp, twilio: &FakeTwilio) -> ChannelView {
    let admin = TestApp::client_signed_in(app, ADMIN).await;
    let workflow = app.demo_workflow().await.to_string();
    let save = SaveSmsChannel {
        id: String::new(),
        name: "Support line".into(),
        colour: "#16a34a".into(),
        workflow_id: workflow,
        account_sid: ACCOUNT.into(),
        from: NUMBER.into(),
        api_base_url: twilio.base.clone(),
        auth_token: TOKEN.into(),
    };
    app.run_as(&admin, save).await.expect("the SMS channel is created")
}

fn inbound(channel: &ChannelView) -> String {
    channel.sms.as_ref().unwrap().inbound_url.clone()
}

/// The conversation of the customer texting from `phone`.
async fn conversation_of(app: &TestApp, phone: &str) -> i64 {
    app.count(&format!(
        "SELECT v.id FROM conversations v JOIN contact_identities i ON i.contact_id = v.contact_id
         WHERE i.kind = 'phone' AND i.value = '{phone}' ORDER BY v.id DESC LIMIT 1"
    ))
    .await
}

async fn detail(app: &TestApp, id: i64) -> ConversationDetail {
    app.run(GetConversation { id }).await.unwrap()
}

pub(crate) async fn sent_to(twilio: &FakeTwilio, phone: &str, n: usize) -> Vec<fake_twilio::Sent> {
    eventually(&format!("{n} texts sent to {phone}"), WAIT, || async {
        let sent: Vec<_> = twilio
            .sent()
            .into_iter()
            .filter(|s| s.get("To") == Some(phone))
            .collect();
        (sent.len() >= n).then_some(sent)
    })
    .await
}

/// The text sent to `phone` with `body`, once the fake has it.
pub(crate) async fn texted(twilio: &FakeTwilio, phone: &str, body: &str) -> fake_twilio::Sent {
    eventually(&format!("\u{201c}{body}\u{201d} texted to {phone}"), WAIT, || async {
        twilio
            .sent()
            .into_iter()
            .find(|s| s.get("To") == Some(phone) && s.get("Body") == Some(body))
    })
    .await
}

#[tokio::test]
async fn a_customer_texts_the_assistant_and_then_an_operator_answer_by_text_and_twilio_reports_delivery() {
    let app = TestApp::signed_in_as(AGENT).await;
    let twilio = FakeTwilio::start().await;
    let channel = sms_channel(&app, &twilio).await;
    assert_eq!(channel.kind, ChannelKind::Sms);
    let sms = channel.sms.clone().unwrap();
    assert!(sms.has_auth_token);
    assert_eq!(
        sms.inbound_url,
        format!("{}/webhooks/twilio/{}/inbound", app.base, channel.key)
    );

    let customer = "+14155550123";
    let res = twilio
        .post_signed(
            &inbound(&channel),
            &twilio.text_fields("SM0001", customer, "How do I reset my password?"),
            TOKEN,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/xml");
    assert!(res.text().await.unwrap().contains("<Response></Response>"));

    // The customer is a contact known by their number, on the SMS channel.
    let conversation = conversation_of(&app, customer).await;
    let names = app
        .texts(&format!(
            "SELECT c.name FROM contacts c JOIN conversations v ON v.contact_id = c.id WHERE v.id = {conversation}"
        ))
        .await;
    assert_eq!(names, [customer]);
    // The assistant's answer goes back by text, from the channel's number, with delivery reports
    // asked for at the channel's status URL.
    let answer = &sent_to(&twilio, customer, 1).await[0];
    assert_eq!(answer.get("From"), Some(NUMBER));
    assert!(answer.get("Body").unwrap().contains("Forgot password"), "{answer:?}");
    assert_eq!(answer.get("StatusCallback"), Some(sms.status_url.as_str()));

    // The customer asks for a person; an operator takes over and replies.
    for (i, text) in ["Can I talk to a human?", "I want a real person", "agent please"]
        .iter()
        .enumerate()
    {
        let res = twilio
            .post_signed(
                &inbound(&channel),
                &twilio.text_fields(&format!("SM01{i}"), customer, text),
                TOKEN,
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    eventually("the escalation", WAIT, || async {
        (detail(&app, conversation).await.summary.status.as_str() == "waiting").then_some(())
    })
    .await;
    app.take_over(conversation).await.unwrap();
    let mut op = app.operator(AGENT).await;
    op.watch(conversation).await;
    op.say(conversation, "Hi, this is Ava from support.", "sms-1", false)
        .await;
    let reply = texted(&twilio, customer, "Hi, this is Ava from support.").await;
    // The handoff message and the join notice reached the customer by text as well.
    texted(&twilio, customer, "A human agent will be with you shortly.").await;
    texted(&twilio, customer, "Ava Agent joined the conversation.").await;
    // The thread shows it accepted by Twilio, then the reports move it on — never back.
    let seq = op
        .wait_for("the reply accepted", |e| match e {
            OperatorEvent::Delivery { seq, delivery, .. } if delivery.status == DeliveryStatus::Accepted => Some(*seq),
            _ => None,
        })
        .await;
    for status in ["sent", "delivered", "sent", "delivered"] {
        assert_eq!(twilio.report(&reply, status, None).await.status(), 204);
    }
    op.wait_for("the reply delivered", |e| match e {
        OperatorEvent::Delivery { delivery, seq: s, .. }
            if *s == seq && delivery.status == DeliveryStatus::Delivered =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    let stored = detail(&app, conversation).await;
    let message = stored.messages.iter().find(|m| m.seq == seq).unwrap();
    assert_eq!(message.sender_kind, SenderKind::Operator);
    assert_eq!(message.delivery.as_ref().unwrap().status, DeliveryStatus::Delivered);
    // The customer's messages carry no delivery; each text is stored once.
    assert!(stored
        .messages
        .iter()
        .filter(|m| m.sender_kind == SenderKind::Contact)
        .all(|m| m.delivery.is_none()));
}

#[tokio::test]
async fn a_forged_or_missing_signature_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let twilio = FakeTwilio::start().await;
    let channel = sms_channel(&app, &twilio).await;
    let fields = twilio.text_fields("SM0002", "+14155550124", "hello");
    let before = app.fingerprint().await;

    let forged = twilio
        .post_signed(&inbound(&channel), &fields, "not-the-auth-token-at-all")
        .await;
    assert_eq!(forged.status(), 403);
    let unsigned = new_client().post(inbound(&channel)).form(&fields).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    // Signed for another URL (another channel's), or with a field changed after signing.
    let elsewhere = format!("{}/webhooks/twilio/another/inbound", app.base);
    let res = new_client()
        .post(inbound(&channel))
        .header("X-Twilio-Signature", fake_twilio::sign(TOKEN, &elsewhere, &fields))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let mut changed = fields.clone();
    let signature = fake_twilio::sign(TOKEN, &inbound(&channel), &fields);
    changed.iter_mut().find(|(n, _)| n == "Body").unwrap().1 = "send me the admin password".into();
    let res = new_client()
        .post(inbound(&channel))
        .header("X-Twilio-Signature", signature)
        .form(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.fingerprint().await, before, "a refused webhook changed something");

    // Twilio may sign the URL without its port: accepted too (and with the right token only).
    let port = app.base.rsplit(':').next().unwrap();
    let without_port = inbound(&channel).replace(&format!(":{port}/"), "/");
    assert_ne!(without_port, inbound(&channel));
    let res = new_client()
        .post(inbound(&channel))
        .header("X-Twilio-Signature", fake_twilio::sign(TOKEN, &without_port, &fields))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE channel_message_id = 'SM0002'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_text_delivered_again_or_at_once_many_times_is_stored_once() {
    let app = spawn_app().await;
    let twilio = FakeTwilio::start().await;
    let channel = sms_channel(&app, &twilio).await;
    let customer = "+14155550125";
    let fields = twilio.text_fields("SM0003", customer, "Where is my order 1234?");
    let url = inbound(&channel);
    let tries = (0..6).map(|_| twilio.post_signed(&url, &fields, TOKEN));
    for res in futures_util::future::join_all(tries).await {
        assert_eq!(res.status(), 200);
    }
    assert_eq!(twilio.post_signed(&url, &fields, TOKEN).await.status(), 200);
    let conversation = conversation_of(&app, customer).await;
    let texts = app
        .count(&format!(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = {conversation} AND sender_kind = 'contact'"
        ))
        .await;
    assert_eq!(texts, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM contact_identities WHERE value = '{customer}'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn a_picture_message_arrives_as_a_file_of_the_conversation() {
    let app = TestApp::signed_in_as(AGENT).await;
    let twilio = FakeTwilio::start().await;
    let channel = sms_channel(&app, &twilio).await;
    let customer = "+14155550126";
    let res = twilio
        .post_signed(
            &inbound(&channel),
            &twilio.picture_fields("MM0004", customer, "The parcel arrived like this"),
            TOKEN,
        )
        .await;
    assert_eq!(res.status(), 200);
    let conversation = conversation_of(&app, customer).await;
    let stored = detail(&app, conversation).await;
    let text = stored
        .messages
        .iter()
        .find(|m| m.sender_kind == SenderKind::Contact)
        .unwrap();
    assert_eq!(text.body, "The parcel arrived like this");
    assert_eq!(text.attachments.len(), 1);
    let file = &text.attachments[0];
    assert_eq!(file.content_type, "image/png");
    let bytes = app
        .client
        .get(format!("{}/attachments/{}", app.base, file.id))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], fake_twilio::PNG);
}

#[tokio::test]
async fn a_customer_who_texts_stop_gets_no_reply_and_the_operator_is_told_why_until_they_text_start() {
    let app = TestApp::signed_in_as(AGENT).await;
    let twilio = FakeTwilio::start().await;
    let channel = sms_channel(&app, &twilio).await;
    let customer = "+14155550127";
    let url = inbound(&channel);
    twilio
        .post_signed(&url, &twilio.text_fields("SM0005", customer, "I need a person"), TOKEN)
        .await;
    let conversation = conversation_of(&app, customer).await;
    app.take_over(conversation).await.unwrap();
    assert_eq!(
        twilio
            .post_signed(&url, &twilio.text_fields("SM0006", customer, "STOP"), TOKEN)
            .await
            .status(),
        200
    );
    twilio.opt_out(customer);

    let blocked = detail(&app, conversation)
        .await
        .reply_blocked
        .expect("replies are blocked");
    assert!(blocked.contains("texted STOP"), "{blocked}");
    let mut op = app.operator(AGENT).await;
    op.watch(conversation).await;
    op.say(conversation, "Are you still there?", "stop-1", false).await;
    let refusal = op
        .wait_for("the refusal", |e| match e {
            OperatorEvent::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .await;
    assert!(refusal.contains("texted STOP"), "{refusal}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = {conversation} AND body = 'Are you still there?'"
        ))
        .await,
        0
    );
    // A note for the team is still fine.
    op.say(conversation, "Customer opted out of texts", "stop-note", true)
        .await;
    op.wait_for("the note", |e| match e {
        OperatorEvent::Message { message } if message.internal => Some(()),
        _ => None,
    })
    .await;

    // START: replies go again, and the open conversation hears so at once.
    twilio
        .post_signed(&url, &twilio.text_fields("SM0007", customer, "START"), TOKEN)
        .await;
    op.wait_for("replies allowed again", |e| match e {
        OperatorEvent::ReplyBlocked { reason: None, .. } => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(detail(&app, conversation).await.reply_blocked, None);
}

#[tokio::test]
async fn a_send_twilio_refuses_fails_with_its_code_and_one_it_cannot_take_now_waits_for_another_try() {
    let app = TestApp::signed_in_as(AGENT).await;
    let twilio = FakeTwilio::start().await;
    let channel = sms_channel(&app, &twilio).await;
    let url = inbound(&channel);

    // Twilio's own opt-out list, which Switchboard had not heard of: 21610, in words.
    let customer = "+14155550128";
    twilio
        .post_signed(&url, &twilio.text_fields("SM0008", customer, "I need a person"), TOKEN)
        .await;
    let conversation = conversation_of(&app, customer).await;
    app.take_over(conversation).await.unwrap();
    twilio.opt_out(customer);
    let mut op = app.operator(AGENT).await;
    op.watch(conversation).await;
    op.say(conversation, "Hello?", "refused-1", false).await;
    let failed = op
        .wait_for("the failure", |e| match e {
            OperatorEvent::Delivery { delivery, .. } if delivery.status == DeliveryStatus::Failed => {
                Some(delivery.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(
        failed.error.as_deref(),
        Some("21610 \u{2013} Attempt to send to unsubscribed recipient")
    );

    // Twilio unavailable: the reply stays pending, counted, for a later try.
    let other = "+14155550129";
    twilio
        .post_signed(&url, &twilio.text_fields("SM0009", other, "I need a person"), TOKEN)
        .await;
    let second = conversation_of(&app, other).await;
    app.take_over(second).await.unwrap();
    twilio.fail_next(100);
    op.watch(second).await;
    op.say(second, "One moment please", "later-1", false).await;
    let attempts = eventually("a failed try counted", WAIT, || async {
        let n = app
            .count(&format!(
                "SELECT COALESCE(MAX(delivery_attempts), 0) FROM messages
                 WHERE conversation_id = {second} AND delivery_status = 'pending' AND sender_kind = 'operator'"
            ))
            .await;
        (n >= 1).then_some(n)
    })
    .await;
    assert_eq!(attempts, 1);
    assert!(twilio.sent().iter().all(|s| s.get("Body") != Some("One moment please")));
}

#[tokio::test]
async fn an_sms_channel_needs_a_twilio_account_number_and_token_and_never_shows_the_token() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let workflow = app.demo_workflow().await.to_string();
    let save = |sid: &'static str, from: &'static str, token: &'static str| {
        let save = SaveSmsChannel {
            id: String::new(),
            name: "Texts".into(),
            colour: "#16a34a".into(),
            workflow_id: workflow.clone(),
            account_sid: sid.into(),
            from: from.into(),
            api_base_url: String::new(),
            auth_token: token.into(),
        };
        let app = &app;
        async move { app.run(save).await }
    };
    let field = |r: Result<ChannelView, AppError>| match r {
        Err(AppError::Invalid { field, .. }) => field,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(field(save("AC123", NUMBER, TOKEN).await), "Account SID");
    assert_eq!(field(save(ACCOUNT, "555-0100", TOKEN).await), "Number");
    assert_eq!(field(save(ACCOUNT, NUMBER, "").await), "Auth token");
    let made = save(ACCOUNT, NUMBER, TOKEN).await.unwrap();
    let listed = app.send(&app.client, &ListChannels {}).await.text().await.unwrap();
    assert!(!listed.contains(TOKEN), "the auth token went back to a browser");
    assert!(listed.contains(&made.key));
    // An agent cannot manage channels.
    let agent = TestApp::client_signed_in(&app, AGENT).await;
    let res = app.send(&agent, &ListChannels {}).await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_texted_customer_rates_the_resolved_conversation_by_replying_with_a_number() {
    let app = TestApp::signed_in_as(AGENT).await;
    let twilio = FakeTwilio::start().await;
    let channel = sms_channel(&app, &twilio).await;
    let customer = "+14155550177";
    let text = |sid: &str, body: &str| twilio.text_fields(sid, customer, body);
    let res = twilio
        .post_signed(&inbound(&channel), &text("SM3001", "Where is my parcel?"), TOKEN)
        .await;
    assert_eq!(res.status(), 200);
    let conversation = conversation_of(&app, customer).await;
    app.take_over(conversation).await.unwrap();
    app.resolve(conversation).await.unwrap();
    // The question goes out by text.
    texted(&twilio, customer, server::conversations::rating::QUESTION).await;

    // The answer is the rating, with its comment; Twilio delivering it again changes nothing.
    for _ in 0..2 {
        let res = twilio
            .post_signed(&inbound(&channel), &text("SM3002", "4 quick and kind"), TOKEN)
            .await;
        assert_eq!(res.status(), 200);
    }
    let rated = detail(&app, conversation).await;
    assert_eq!(
        rated.summary.status,
        app::lifecycle::Status::Resolved,
        "a rating does not reopen it"
    );
    let notes: Vec<&str> = rated
        .messages
        .iter()
        .filter(|m| m.body.starts_with("The customer rated"))
        .map(|m| m.body.as_str())
        .collect();
    assert_eq!(
        notes,
        ["The customer rated this conversation ★★★★☆ (4/5): “quick and kind”"]
    );
    assert_eq!(
        app.count(&format!(
            "SELECT csat_rating FROM conversations WHERE id = {conversation}"
        ))
        .await,
        4
    );
    // Once rated, a text starting with a number is a new message that reopens it.
    let res = twilio
        .post_signed(
            &inbound(&channel),
            &text("SM3003", "5 more questions about my parcel"),
            TOKEN,
        )
        .await;
    assert_eq!(res.status(), 200);
    eventually("the conversation reopened", WAIT, || async {
        (detail(&app, conversation).await.summary.status != app::lifecycle::Status::Resolved).then_some(())
    })
    .await;
    assert_eq!(
        app.count(&format!(
            "SELECT csat_rating FROM conversations WHERE id = {conversation}"
        ))
        .await,
        4
    );
}
