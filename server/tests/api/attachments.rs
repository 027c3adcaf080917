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
        fetch(new_client(), format!("?token={token}")).await.status(),
        404,
        "not sent yet"
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
    assert_eq!(
        fetch(new_client(), format!("?token={token}")).await.status(),
        200,
        "the visitor of this conversation"
    );
    let other_visitor = app.visitor_token().await;
    assert_eq!(
        fetch(new_client(), format!("?token={other_visitor}")).await.status(),
        404
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
        new_client()
            .get(format!("{url}?token={token}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(ava.get(&url).send().await.unwrap().status(), 200);

    // A file id cannot be reused or borrowed.
    op.send(&reply(id, "again", "reuse", false, vec![file.id])).await;
    assert!(acked(&mut op, "reuse").await.unwrap_err().contains("Attachments"));

    // The visitor sends a file; the team can open it.
    let res = upload(
        &app,
        &new_client(),
        &format!("/widget/attachments?token={token}"),
        "damage.jpg",
        "image/jpeg",
        &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3],
    )
    .await;
    assert_eq!(res.status(), 200);
    let theirs: AttachmentView = res.json().await.unwrap();
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
