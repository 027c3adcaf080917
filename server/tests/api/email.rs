//! E-mail: an admin sets up the channel, e-mails come in over HTTP as raw MIME (what a mail
//! server pipe or a provider posts), the assistant and then an operator answer by SMTP to the
//! fake mail server, and replies thread back into the same conversation by any of the three
//! anchors; automatic mail, duplicates, bounces and bad requests do what they should.

use std::time::Duration;

use app::channels::{ChannelView, ListChannels, SaveEmailChannel};
use app::conversation::{ConversationDetail, GetConversation};
use app::events::OperatorEvent;
use app::lifecycle::{DeliveryStatus, SenderKind};

use crate::fake_smtp::{FakeSmtp, Mail};
use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(20);
const INGEST: &str = "ingest-secret-0123456789abcdef0123456789";
const SUPPORT: &str = "support@acme.example";

pub(crate) struct Mailroom {
    channel: ChannelView,
    smtp: FakeSmtp,
}

/// A new e-mail channel on `workflow` that sends through the fake mail server on `smtp_port`
/// and takes mail posted with `INGEST`; no mailbox to read.
fn new_email_channel(name: &str, workflow: i64, smtp_port: u16) -> SaveEmailChannel {
    SaveEmailChannel {
        id: String::new(),
        name: name.into(),
        colour: "#9333ea".into(),
        workflow_id: workflow.to_string(),
        address: SUPPORT.into(),
        display_name: String::new(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: smtp_port.to_string(),
        smtp_security: "none".into(),
        smtp_user: "mailer".into(),
        smtp_password: "mail-pass".into(),
        ingest_secret: INGEST.into(),
        imap_host: String::new(),
        imap_port: String::new(),
        imap_security: String::new(),
        imap_user: String::new(),
        imap_password: String::new(),
        imap_mailbox: String::new(),
        imap_interval_secs: String::new(),
    }
}

pub(crate) async fn email_channel(app: &TestApp) -> Mailroom {
    let smtp = FakeSmtp::start("mailer", "mail-pass", "nobody").await;
    let admin = TestApp::client_signed_in(app, ADMIN).await;
    let save = SaveEmailChannel {
        display_name: "Acme Support".into(),
        ..new_email_channel("Support mail", app.demo_workflow().await, smtp.port)
    };
    let channel: ChannelView = app.run_as(&admin, save).await.expect("the e-mail channel is created");
    Mailroom { channel, smtp }
}

impl Mailroom {
    fn url(&self) -> String {
        self.channel.email.as_ref().unwrap().ingest_url.clone()
    }

    pub(crate) async fn deliver(&self, raw: &str) -> reqwest::Response {
        self.deliver_with(raw, INGEST).await
    }

    async fn deliver_with(&self, raw: &str, secret: &str) -> reqwest::Response {
        new_client()
            .post(self.url())
            .bearer_auth(secret)
            .header("content-type", "message/rfc822")
            .body(raw.to_string())
            .send()
            .await
            .unwrap()
    }

    /// The e-mail the fake server took for `to` whose text contains `words`.
    async fn sent(&self, to: &str, words: &str) -> Mail {
        eventually(&format!("an e-mail to {to} saying {words:?}"), WAIT, || async {
            self.smtp
                .mails()
                .into_iter()
                .find(|m| m.to.iter().any(|t| t == to) && m.body.contains(words))
        })
        .await
    }
}

/// An e-mail as a customer's mail program sends it.
pub(crate) fn eml(from: &str, to: &str, subject: &str, id: &str, extra: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

/// A header's value in a sent e-mail's headers (unfolded).
fn header(mail: &Mail, name: &str) -> Option<String> {
    let unfolded = mail.headers.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

async fn detail(app: &TestApp, id: i64) -> ConversationDetail {
    app.run(GetConversation { id }).await.unwrap()
}

async fn conversation_of(app: &TestApp, address: &str) -> Vec<i64> {
    app.texts(&format!(
        "SELECT CAST(v.id AS TEXT) FROM conversations v JOIN contact_identities i ON i.contact_id = v.contact_id
         WHERE i.kind = 'email' AND i.value = '{address}' ORDER BY v.id"
    ))
    .await
    .into_iter()
    .map(|s| s.parse().unwrap())
    .collect()
}

#[tokio::test]
async fn an_email_is_answered_by_the_assistant_then_by_an_operator_and_every_reply_threads() {
    let app = TestApp::signed_in_as(AGENT).await;
    let room = email_channel(&app).await;
    let ada = "ada@customer.example";
    let res = room
        .deliver(&eml(
            &format!("Ada Lovelace <{ada}>"),
            SUPPORT,
            "Password trouble",
            "first@customer.example",
            "",
            "How do I reset my password?",
        ))
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.headers()["x-switchboard-outcome"], "stored");
    let conversation = conversation_of(&app, ada).await[0];

    // The assistant answers by e-mail, in the thread, marked automatic, with the signed reply
    // address and our loop header.
    let answer = room.sent(ada, "Forgot password").await;
    assert_eq!(header(&answer, "Subject").as_deref(), Some("Re: Password trouble"));
    assert_eq!(
        header(&answer, "In-Reply-To").as_deref(),
        Some("<first@customer.example>")
    );
    assert_eq!(header(&answer, "Auto-Submitted").as_deref(), Some("auto-replied"));
    assert_eq!(header(&answer, "X-Switchboard-Loop").as_deref(), Some(SUPPORT));
    let reply_to = header(&answer, "Reply-To").unwrap();
    assert!(reply_to.contains(&format!("support+c-{conversation}-")), "{reply_to}");
    let answer_id = header(&answer, "Message-ID").unwrap();
    assert!(answer_id.ends_with("@acme.example>"), "{answer_id}");
    assert!(answer.from.contains(SUPPORT));

    // Ada answers the answer from Outlook, asking for a person three times: each threads in
    // by In-Reply-To, the quoted history is not shown.
    for (i, text) in ["Can I talk to a human?", "I want a real person", "agent please"]
        .iter()
        .enumerate()
    {
        let raw = eml(
            ada,
            SUPPORT,
            "RE: Password trouble",
            &format!("reply-{i}@customer.example"),
            &format!("In-Reply-To: {answer_id}\r\nReferences: <first@customer.example> {answer_id}\r\n"),
            &format!("{text}\r\n\r\n________________________________\r\nFrom: Acme Support <{SUPPORT}>\r\nSent: Monday\r\nSubject: Re: Password trouble\r\n\r\nForgot password? ..."),
        );
        assert_eq!(room.deliver(&raw).await.status(), 202);
    }
    assert_eq!(
        conversation_of(&app, ada).await,
        [conversation],
        "the replies started no new conversation"
    );
    eventually("the escalation", WAIT, || async {
        (detail(&app, conversation).await.summary.status.as_str() == "waiting").then_some(())
    })
    .await;
    let shown = detail(&app, conversation).await;
    let from_ada: Vec<&str> = shown
        .messages
        .iter()
        .filter(|m| m.sender_kind == SenderKind::Contact)
        .map(|m| m.body.as_str())
        .collect();
    assert_eq!(
        from_ada,
        [
            "How do I reset my password?",
            "Can I talk to a human?",
            "I want a real person",
            "agent please"
        ]
    );
    // The originals are kept whole, quoted history and all.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM inbound_mail WHERE conversation_id = {conversation} AND {raw} LIKE '%Forgot password? ...%'",
            raw = if on_postgres() { "convert_from(raw, 'UTF8')" } else { "CAST(raw AS TEXT)" }
        ))
        .await,
        3
    );

    // An operator takes over and replies: a person's e-mail, threaded to Ada's last one.
    app.take_over(conversation).await.unwrap();
    let mut op = app.operator(AGENT).await;
    op.watch(conversation).await;
    op.say(conversation, "Hi Ada, I've **reset** it for you.", "mail-1", false)
        .await;
    let reply = room.sent(ada, "reset it for you").await;
    assert_eq!(
        header(&reply, "In-Reply-To").as_deref(),
        Some("<reply-2@customer.example>")
    );
    let references = header(&reply, "References").unwrap();
    assert!(references.starts_with("<first@customer.example>"), "{references}");
    assert!(references.contains("<reply-2@customer.example>"), "{references}");
    assert_eq!(header(&reply, "Auto-Submitted"), None);
    assert!(
        reply.body.contains("<strong>reset</strong>"),
        "the HTML part carries the formatting"
    );
    op.wait_for("the reply sent", |e| match e {
        OperatorEvent::Delivery { delivery, .. } if delivery.status == DeliveryStatus::Sent => Some(()),
        _ => None,
    })
    .await;

    // A reply to the plus address alone (no In-Reply-To: a new mail program) threads too.
    let raw = eml(
        ada,
        &reply_to,
        "Another question",
        "plus@customer.example",
        "",
        "And my invoice?",
    );
    assert_eq!(room.deliver(&raw).await.status(), 202);
    assert_eq!(conversation_of(&app, ada).await, [conversation]);
    // A forged plus address (another conversation's number) does not.
    let forged = reply_to.replace(&format!("c-{conversation}-"), &format!("c-{}-", conversation + 1));
    let raw = eml(ada, &forged, "Hello", "forged@customer.example", "", "New topic");
    assert_eq!(room.deliver(&raw).await.status(), 202);
    assert_eq!(
        conversation_of(&app, ada).await.len(),
        2,
        "a new topic is a new conversation"
    );
}

#[tokio::test]
async fn a_wrong_secret_an_oversized_email_a_duplicate_and_automatic_mail_store_nothing_new() {
    let app = spawn_app().await;
    let room = email_channel(&app).await;
    let raw = eml(
        "bob@customer.example",
        SUPPORT,
        "Hi",
        "dup@customer.example",
        "",
        "Where is my order?",
    );
    let before = app.fingerprint().await;
    assert_eq!(room.deliver_with(&raw, "not-the-secret").await.status(), 401);
    let anonymous = new_client().post(room.url()).body(raw.clone()).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let huge = format!("{raw}{}", "x".repeat(26 * 1024 * 1024));
    let res = room.deliver(&huge).await;
    assert_eq!(res.status(), 413);
    assert_eq!(app.fingerprint().await, before, "a refused e-mail changed something");

    for _ in 0..3 {
        assert_eq!(room.deliver(&raw).await.status(), 202);
    }
    let conversation = conversation_of(&app, "bob@customer.example").await[0];
    let count = |sql: String| {
        let app = &app;
        async move { app.count(&sql).await }
    };
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = {conversation} AND sender_kind = 'contact'"
        ))
        .await,
        1
    );

    // An out-of-office reply and our own e-mail coming back are kept out.
    let ooo = eml(
        "bob@customer.example",
        SUPPORT,
        "Out of office",
        "ooo@customer.example",
        "Auto-Submitted: auto-replied\r\n",
        "I am away until Monday.",
    );
    let res = room.deliver(&ooo).await;
    assert_eq!(res.headers()["x-switchboard-outcome"], "automatic reply");
    let echo = eml(
        "someone@customer.example",
        SUPPORT,
        "Re: Hi",
        "echo@acme.example",
        &format!("X-Switchboard-Loop: {SUPPORT}\r\n"),
        "loop",
    );
    assert_eq!(
        room.deliver(&echo).await.headers()["x-switchboard-outcome"],
        "our own e-mail"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM messages WHERE body IN ('I am away until Monday.', 'loop')".into()).await,
        0
    );
    assert!(conversation_of(&app, "someone@customer.example").await.is_empty());
    // Not an e-mail at all.
    assert_eq!(room.deliver("hello").await.status(), 400);
}

#[tokio::test]
async fn html_only_mail_foreign_charsets_and_inline_images_arrive_readable() {
    let app = TestApp::signed_in_as(AGENT).await;
    let room = email_channel(&app).await;
    let html = "From: Chloé <chloe@customer.example>\r\nTo: support@acme.example\r\nSubject: =?ISO-8859-1?Q?Caf=E9?=\r\n\
        Message-ID: <html@customer.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b1\"\r\n\r\n\
        --b1\r\nContent-Type: text/html; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
        <html><body><p>Le caf=E9 est <b>froid</b>.</p><img src=3D\"cid:pic1\"></body></html>\r\n\
        --b1\r\nContent-Type: image/png\r\nContent-ID: <pic1>\r\nContent-Disposition: inline; filename=\"photo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
        iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4//8/AAX+Av6n1qSxAAAAAElFTkSuQmCC\r\n--b1--\r\n";
    assert_eq!(room.deliver(html).await.status(), 202);
    let conversation = conversation_of(&app, "chloe@customer.example").await[0];
    let shown = detail(&app, conversation).await;
    let text = shown
        .messages
        .iter()
        .find(|m| m.sender_kind == SenderKind::Contact)
        .unwrap();
    assert!(text.body.contains("Le café est froid."), "{:?}", text.body);
    assert_eq!(text.attachments.len(), 1);
    assert_eq!(text.attachments[0].content_type, "image/png");
    assert_eq!(shown.summary.contact_name, "Chloé");
}

#[tokio::test]
async fn a_bounce_marks_the_reply_it_names_as_not_delivered() {
    let app = TestApp::signed_in_as(AGENT).await;
    let room = email_channel(&app).await;
    let raw = eml(
        "dora@customer.example",
        SUPPORT,
        "Help",
        "dora1@customer.example",
        "",
        "I need a person",
    );
    room.deliver(&raw).await;
    let conversation = conversation_of(&app, "dora@customer.example").await[0];
    let answer = room.sent("dora@customer.example", "").await;
    let id = header(&answer, "Message-ID").unwrap();
    let dsn = format!(
        "From: Mail Delivery System <mailer-daemon@customer.example>\r\nTo: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <dsn1@customer.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n\
         --r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
         --r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.example\r\n\r\n\
         Final-Recipient: rfc822; dora@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <dora@customer.example>: Recipient address rejected\r\n\
         --r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {SUPPORT}\r\nTo: dora@customer.example\r\nMessage-ID: {id}\r\nSubject: Re: Help\r\n\
         --r--\r\n"
    );
    let res = room.deliver(&dsn).await;
    assert_eq!(res.headers()["x-switchboard-outcome"], "bounce");
    let shown = eventually("the bounce recorded", WAIT, || async {
        let d = detail(&app, conversation).await;
        d.messages
            .iter()
            .find(|m| m.delivery.as_ref().is_some_and(|d| d.status == DeliveryStatus::Failed))
            .cloned()
    })
    .await;
    let error = shown.delivery.unwrap().error.unwrap();
    assert!(error.contains("550 5.1.1"), "{error}");
    // The report itself is no customer message.
    assert!(conversation_of(&app, "mailer-daemon@customer.example").await.is_empty());
}

/// An e-mail channel that reads the fake IMAP server's INBOX every second.
async fn mailbox_channel(app: &TestApp, imap: &crate::fake_imap::FakeImap, password: &str) -> Mailroom {
    let smtp = FakeSmtp::start("mailer", "mail-pass", "nobody").await;
    let admin = TestApp::client_signed_in(app, ADMIN).await;
    let save = SaveEmailChannel {
        imap_host: "127.0.0.1".into(),
        imap_port: imap.port.to_string(),
        imap_security: "none".into(),
        imap_user: "support".into(),
        imap_password: password.into(),
        imap_mailbox: "INBOX".into(),
        imap_interval_secs: "1".into(),
        ..new_email_channel("Mailbox", app.demo_workflow().await, smtp.port)
    };
    let channel: ChannelView = app.run_as(&admin, save).await.expect("the e-mail channel is created");
    Mailroom { channel, smtp }
}

#[tokio::test]
async fn an_email_channel_reads_new_mail_from_a_mailbox_and_never_changes_its_flags() {
    let app = spawn_app().await;
    let old = eml(
        "old@customer.example",
        SUPPORT,
        "Old",
        "old@customer.example",
        "",
        "From before",
    );
    let imap = crate::fake_imap::FakeImap::start("support", "imap-pass", &[old]).await;
    let room = mailbox_channel(&app, &imap, "imap-pass").await;
    let cursor = |sql: &'static str| {
        let app = &app;
        async move { app.count(sql).await }
    };
    // The first look starts after the mail already there.
    eventually("the first look", WAIT, || async {
        (cursor("SELECT COUNT(*) FROM imap_cursors WHERE problem IS NULL AND last_uid = 1").await == 1).then_some(())
    })
    .await;

    imap.append(&eml(
        "Eve <eve@customer.example>",
        SUPPORT,
        "Password",
        "eve1@customer.example",
        "",
        "How do I reset my password?",
    ));
    room.sent("eve@customer.example", "Forgot password").await;
    // The same e-mail in the mailbox twice is one message.
    imap.append(&eml(
        "Eve <eve@customer.example>",
        SUPPORT,
        "Password",
        "eve1@customer.example",
        "",
        "How do I reset my password?",
    ));
    eventually("the second one read", WAIT, || async {
        (cursor("SELECT COUNT(*) FROM imap_cursors WHERE last_uid = 3").await == 1).then_some(())
    })
    .await;
    let from_eve = "SELECT COUNT(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id
        JOIN contact_identities i ON i.contact_id = v.contact_id
        WHERE i.value = 'eve@customer.example' AND m.sender_kind = 'contact'";
    assert_eq!(cursor(from_eve).await, 1);
    assert!(conversation_of(&app, "old@customer.example").await.is_empty());

    // The folder rebuilt (a new UIDVALIDITY): read again from the start, nothing doubled.
    imap.rebuild();
    eventually("the rebuilt folder read", WAIT, || async {
        (cursor("SELECT COUNT(*) FROM imap_cursors WHERE uid_validity = 8 AND last_uid = 3").await == 1).then_some(())
    })
    .await;
    assert_eq!(cursor(from_eve).await, 1);

    // Read-only all along: the folder was only examined, bodies only peeked at.
    let commands = imap.commands();
    assert!(commands.iter().any(|c| c.contains("EXAMINE")), "{commands:?}");
    assert!(
        !commands.iter().any(|c| {
            let c = c.to_ascii_uppercase();
            c.contains(" SELECT ")
                || c.contains("STORE")
                || c.contains("EXPUNGE")
                || (c.contains("FETCH") && !c.contains("BODY.PEEK[]"))
        }),
        "{commands:?}"
    );
    assert!(!imap.any_seen());
}

#[tokio::test]
async fn a_mailbox_that_refuses_the_sign_in_is_shown_on_the_channel() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let imap = crate::fake_imap::FakeImap::start("support", "imap-pass", &[]).await;
    let room = mailbox_channel(&app, &imap, "wrong-pass").await;
    let status = eventually("the failed look shown", WAIT, || async {
        let channels: Vec<ChannelView> = app.run(ListChannels {}).await.unwrap();
        channels
            .into_iter()
            .find(|c| c.id == room.channel.id)
            .and_then(|c| c.email.and_then(|e| e.imap_status))
            .filter(|s| s.contains("failed"))
    })
    .await;
    assert!(status.contains("sign-in refused"), "{status}");
    let listed = app.send(&app.client, &ListChannels {}).await.text().await.unwrap();
    assert!(
        !listed.contains("wrong-pass"),
        "the IMAP password went back to a browser"
    );
}

#[tokio::test]
async fn an_emailed_customer_rates_the_resolved_conversation_by_answering_the_question() {
    let app = TestApp::signed_in_as(AGENT).await;
    let room = email_channel(&app).await;
    let grace = "grace@customer.example";
    let res = room
        .deliver(&eml(
            grace,
            SUPPORT,
            "Invoice copy",
            "inv-1@customer.example",
            "",
            "Can I get a copy of my invoice?",
        ))
        .await;
    assert_eq!(res.status(), 202);
    let id = conversation_of(&app, grace).await[0];
    app.take_over(id).await.unwrap();
    app.resolve(id).await.unwrap();
    // The question goes out as a reply in the thread.
    let question = room.sent(grace, "How did we do?").await;
    assert_eq!(header(&question, "Subject").as_deref(), Some("Re: Invoice copy"));
    let asked = header(&question, "Message-ID").unwrap();
    // The customer answers it from their mail program, quoting it below.
    let res = room
        .deliver(&eml(
            grace,
            SUPPORT,
            "Re: Invoice copy",
            "inv-2@customer.example",
            &format!("In-Reply-To: {asked}\r\nReferences: <inv-1@customer.example> {asked}\r\n"),
            "5 - thank you!\r\n\r\nOn Mon, 30 Nov 2026, Acme Support wrote:\r\n> How did we do? Reply with a number from 1 (poor) to 5 (excellent), and a comment if you like.",
        ))
        .await;
    assert_eq!(res.status(), 202);
    let rated = detail(&app, id).await;
    assert_eq!(
        rated.summary.status,
        app::lifecycle::Status::Resolved,
        "a rating does not reopen it"
    );
    assert!(
        rated
            .messages
            .iter()
            .any(|m| m.body == "The customer rated this conversation ★★★★★ (5/5): “thank you!”"),
        "{:?}",
        rated.messages.iter().map(|m| &m.body).collect::<Vec<_>>()
    );
    assert_eq!(conversation_of(&app, grace).await, [id], "no new conversation either");
}
