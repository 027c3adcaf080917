//! Files in conversations: who may upload and fetch them, and what the checks refuse.

use app::conversation::AttachmentView;
use app::events::{VisitorCommand, VisitorEvent};

use crate::helpers::*;
use crate::inbox::*;

pub async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    name: &str,
    kind: &str,
    bytes: &[u8],
) -> reqwest::Response {
    client
        .post(format!("{}{path}&name={name}", app.base))
        .header("content-type", kind)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

/// Uploads as the visitor whose token is `token` (sent as a bearer token, never in the URL).
pub async fn upload_as_visitor(app: &TestApp, token: &str, name: &str, kind: &str, bytes: &[u8]) -> reqwest::Response {
    new_client()
        .post(format!("{}/widget/attachments?name={name}", app.base))
        .bearer_auth(token)
        .header("content-type", kind)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

/// The query of a visitor's link (`?expires=…&sig=…`), with a signature anyone could write.
const FORGED_LINK: &str =
    "?expires=4102444800&sig=0000000000000000000000000000000000000000000000000000000000000000000000";

#[tokio::test]
async fn attachments_reach_only_those_who_may_see_the_conversation() {
    let app = spawn_app().await;
    let (mut v, token, id) = monitored_visitor(&app, "I have a photo of the damage").await;
    let ava = TestApp::client_signed_in(&app, AGENT).await;

    // Refused uploads say why and store nothing.
    let res = upload(
        &app,
        &ava,
        &format!("/api/attachments?conversation_id={id}"),
        "run.exe",
        "application/x-msdownload",
        b"MZ",
    )
    .await;
    assert_eq!(res.status(), 400);
    let res = upload(
        &app,
        &ava,
        &format!("/api/attachments?conversation_id={id}"),
        "fake.png",
        "image/png",
        b"<script>",
    )
    .await;
    assert_eq!(res.status(), 400);
    let err: serde_json::Value = res.json().await.unwrap();
    assert!(err["error"].as_str().unwrap().contains("not really"), "{err}");
    // A program declared as text is refused by its name; text declared as an image by the
    // disagreement.
    for (name, kind, bytes, why) in [
        (
            "invoice.exe",
            "text/plain",
            &b"MZ\x90\0"[..],
            "is not a kind of file that can be sent",
        ),
        (
            "notes.txt",
            "image/png",
            &b"hello"[..],
            "is named as a text file but sent as image/png",
        ),
    ] {
        let res = upload(
            &app,
            &ava,
            &format!("/api/attachments?conversation_id={id}"),
            name,
            kind,
            bytes,
        )
        .await;
        assert_eq!(res.status(), 400, "{name}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert!(err["error"].as_str().unwrap().contains(why), "{err}");
    }

    // The operator sends a file with a reply.
    let res = upload(
        &app,
        &ava,
        &format!("/api/attachments?conversation_id={id}"),
        "label.png",
        "image/png",
        PNG,
    )
    .await;
    assert_eq!(res.status(), 200);
    let file: AttachmentView = res.json().await.unwrap();
    let fetch = |client: reqwest::Client, query: String| {
        let url = format!("{}/attachments/{}{query}", app.base, file.id);
        async move { client.get(url).send().await.unwrap() }
    };
    assert_eq!(
        fetch(new_client(), FORGED_LINK.to_string()).await.status(),
        404,
        "a link nobody signed"
    );
    let mut op = app.operator(AGENT).await;
    op.send(&reply(
        id,
        "Here is the return label",
        "with-file",
        false,
        vec![file.id],
    ))
    .await;
    acked(&mut op, "with-file").await.unwrap();
    let received = v
        .wait_for("the reply with the file", |e| match e {
            VisitorEvent::Message { message } if !message.attachments.is_empty() => Some(message.clone()),
            _ => None,
        })
        .await;
    assert_eq!(received.attachments[0].file_name, "label.png");

    let ok = fetch(ava.clone(), String::new()).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "image/png");
    assert_eq!(ok.bytes().await.unwrap().as_ref(), PNG);
    // The visitor opens it through the signed link their message carries (their token never
    // goes in a URL); the link opens that file only.
    let link = received.attachments[0]
        .link
        .clone()
        .expect("a visitor's file has a link");
    assert!(!link.contains(&token), "{link}");
    let query = link.split_once('?').map(|(_, q)| format!("?{q}")).unwrap();
    assert_eq!(link, format!("/attachments/{}{query}", file.id));
    assert_eq!(
        fetch(new_client(), query.clone()).await.status(),
        200,
        "the visitor of this conversation"
    );
    assert_eq!(
        fetch(new_client(), query.replacen("expires=", "expires=1", 1))
            .await
            .status(),
        404,
        "a link whose expiry was moved"
    );
    assert_eq!(fetch(new_client(), String::new()).await.status(), 404, "anonymous");
    server::demo::create_owner(&app.store, "Other Co", "boss@other.example", "Boss", PASSWORD)
        .await
        .unwrap();
    let stranger = TestApp::client_signed_in(&app, "boss@other.example").await;
    assert_eq!(
        fetch(stranger.clone(), String::new()).await.status(),
        404,
        "another workspace"
    );
    let res = upload(
        &app,
        &stranger,
        &format!("/api/attachments?conversation_id={id}"),
        "x.png",
        "image/png",
        PNG,
    )
    .await;
    assert_eq!(res.status(), 404);

    // A file sent with a note is the team's only.
    let res = upload(
        &app,
        &ava,
        &format!("/api/attachments?conversation_id={id}"),
        "internal.pdf",
        "application/pdf",
        b"%PDF-1.4 notes",
    )
    .await;
    let note_file: AttachmentView = res.json().await.unwrap();
    op.send(&reply(
        id,
        "Invoice for the team",
        "note-file",
        true,
        vec![note_file.id],
    ))
    .await;
    acked(&mut op, "note-file").await.unwrap();
    let url = format!("{}/attachments/{}", app.base, note_file.id);
    // A PDF is downloaded, never shown in the page.
    let pdf = ava.get(&url).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert!(
        pdf.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"),
        "{:?}",
        pdf.headers()["content-disposition"]
    );
    assert_eq!(
        new_client().get(format!("{url}{query}")).send().await.unwrap().status(),
        404,
        "another file's link does not open the note's file"
    );
    assert_eq!(ava.get(&url).send().await.unwrap().status(), 200);

    // A file id cannot be reused or borrowed.
    op.send(&reply(id, "again", "reuse", false, vec![file.id])).await;
    assert!(acked(&mut op, "reuse").await.unwrap_err().contains("Attachments"));

    // The visitor sends a file; the team can open it.
    let res = upload_as_visitor(
        &app,
        &token,
        "damage.jpg",
        "image/jpeg",
        &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3],
    )
    .await;
    assert_eq!(res.status(), 200);
    let theirs: AttachmentView = res.json().await.unwrap();
    let their_link = format!("{}{}", app.base, theirs.link.clone().expect("the uploader's link"));
    assert_eq!(new_client().get(&their_link).send().await.unwrap().status(), 200);
    v.send(&VisitorCommand::Send {
        body: String::new(),
        idempotency_key: "photo".into(),
        attachments: vec![theirs.id],
    })
    .await;
    v.wait_for("the ack", |e| matches!(e, VisitorEvent::Ack { .. }).then_some(()))
        .await;
    let theirs_url = format!("{}/attachments/{}", app.base, theirs.id);
    assert_eq!(ava.get(&theirs_url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn uploads_never_sent_and_files_past_the_retention_period_are_deleted() {
    let app = spawn_app().await;
    let (mut v, token, _) = monitored_visitor(&app, "Here is my receipt").await;
    let upload = |name: &'static str| upload_as_visitor(&app, &token, name, "text/plain", b"receipt 4471");
    let sent: AttachmentView = upload("sent.txt").await.json().await.unwrap();
    let abandoned: AttachmentView = upload("abandoned.txt").await.json().await.unwrap();
    v.send(&VisitorCommand::Send {
        body: "the receipt".into(),
        idempotency_key: "receipt".into(),
        attachments: vec![sent.id],
    })
    .await;
    v.wait_for("the ack", |e| matches!(e, VisitorEvent::Ack { .. }).then_some(()))
        .await;
    let files_on_disk = || std::fs::read_dir(app.data_dir.join("attachments")).unwrap().count();
    assert_eq!(files_on_disk(), 2);
    let day = 24 * 3600 * 1000;
    let now = server::store::now_ms();

    // Without a retention period, only the upload nobody sent goes, after a day.
    let removed = server::attachments::remove_expired(&app.store, &app.data_dir, 0, now + day / 2).await;
    assert_eq!(removed.unwrap(), 0, "not yet a day old");
    let removed = server::attachments::remove_expired(&app.store, &app.data_dir, 0, now + 2 * day).await;
    assert_eq!(removed.unwrap(), 1);
    assert_eq!(app.texts("SELECT file_name FROM attachments").await, ["sent.txt"]);
    assert_eq!(files_on_disk(), 1);
    // Too late to send it now: refused in words.
    v.send(&VisitorCommand::Send {
        body: "and this".into(),
        idempotency_key: "late".into(),
        attachments: vec![abandoned.id],
    })
    .await;
    let refusal = v.refusal().await;
    assert!(refusal.contains("ttachment"), "{refusal}");

    // With a retention of 30 days, the sent file goes after 30 days; its message stays and
    // says so, and the link no longer opens it.
    let removed = server::attachments::remove_expired(&app.store, &app.data_dir, 30, now + 29 * day).await;
    assert_eq!(removed.unwrap(), 0);
    let removed = server::attachments::remove_expired(&app.store, &app.data_dir, 30, now + 31 * day).await;
    assert_eq!(removed.unwrap(), 1);
    assert_eq!(files_on_disk(), 0);
    let mut again = app.visitor_with(&token).await;
    let message = again
        .wait_for("the message with the file", |e| match e {
            VisitorEvent::Message { message } if !message.attachments.is_empty() => Some(message.clone()),
            _ => None,
        })
        .await;
    assert_eq!(message.body, "the receipt");
    let file = &message.attachments[0];
    assert!(file.removed, "{file:?}");
    assert_eq!(file.file_name, "sent.txt");
    let res = new_client()
        .get(format!("{}{}", app.base, file.path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("retention period"), "{body}");
    // Deleted files no longer count against the quota.
    assert_eq!(app.store.attachment_bytes(1).await.unwrap(), 0);
}
