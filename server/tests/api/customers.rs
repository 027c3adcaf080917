//! What operators keep about customers and replies: contact details, canned responses and categories.

use app::canned::{CannedResponse, DeleteCanned, ListCanned, SaveCanned};
use app::contacts::{
    ContactData, ContactDetail, ContactLabel, EraseContact, GetContact, MergeContacts, SearchContacts, UpdateContact,
};
use app::conversation::{
    AddCategory, CategoryView, DeleteCategory, ReopenConversation, ResolveConversation, SetConversationCategory,
};
use app::inbox::ConversationSummary;

use crate::helpers::*;
use crate::inbox::*;

#[tokio::test]
async fn contact_details_are_checked_edited_and_show_earlier_conversations() {
    let app = spawn_app().await;
    let (mut v, _token, id) = monitored_visitor(&app, "First visit").await;
    let ava = TestApp::client_signed_in(&app, AGENT).await;
    let update = UpdateContact {
        conversation_id: id,
        name: "Maria".into(),
        email: "maria@".into(),
        phone: String::new(),
    };
    let bad = app.send(&ava, &update).await;
    assert_eq!(bad.status(), 400);
    let before: ContactDetail = app.run_as(&ava, GetContact { conversation_id: id }).await.unwrap();
    assert!(before.email.is_none(), "nothing changed");

    let label = ContactLabel {
        conversation_id: id,
        label: "VIP".into(),
        add: true,
    };
    let labelled: ContactDetail = app.run_as(&ava, label).await.unwrap();
    assert_eq!(labelled.labels, vec!["VIP".to_string()]);
    let data = |value: &str| ContactData {
        conversation_id: id,
        key: "Plan".into(),
        value: value.into(),
    };
    let with_data: ContactDetail = app.run_as(&ava, data("Gold")).await.unwrap();
    assert_eq!(with_data.data, vec![("Plan".to_string(), "Gold".to_string())]);
    let removed: ContactDetail = app.run_as(&ava, data("")).await.unwrap();
    assert!(removed.data.is_empty());

    // The conversation is resolved and the visitor comes back: both are the contact's.
    let owner = TestApp::client_signed_in(&app, OWNER).await;
    let mut op = app.operator(OWNER).await;
    op.send(&reply(id, "Done!", "done", false, vec![])).await;
    acked(&mut op, "done").await.unwrap();
    assert_eq!(app.send(&owner, &ResolveConversation { id }).await.status(), 200);
    let reopened: ConversationSummary = app.run_as(&owner, ReopenConversation { id }).await.unwrap();
    assert_eq!(reopened.status, app::lifecycle::Status::Active);
    visitor_says(&mut v, "Back again", "back").await;
    let detail: ContactDetail = app.run_as(&owner, GetContact { conversation_id: id }).await.unwrap();
    assert_eq!(detail.conversations.len(), 1);
    assert_eq!(detail.labels, vec!["VIP".to_string()]);
}

#[tokio::test]
async fn canned_responses_are_personal_group_or_workspace_wide_and_checked() {
    let app = spawn_app().await;
    let ava = TestApp::client_signed_in(&app, AGENT).await;
    let ben = TestApp::client_signed_in(&app, AGENT2).await;
    let admin = TestApp::client_signed_in(&app, ADMIN).await;
    let save = |client: &reqwest::Client, scope: &str, group: &str, shortcut: &str, body: &str| {
        let save = SaveCanned {
            id: String::new(),
            scope: scope.into(),
            group_id: group.into(),
            shortcut: shortcut.into(),
            title: format!("Title {shortcut}"),
            body: body.into(),
        };
        let client = client.clone();
        let app = &app;
        async move { app.send(&client, &save).await }
    };
    assert_eq!(
        save(&ava, "personal", "", "mine", "Hi {{contact.first_name}}")
            .await
            .status(),
        200
    );
    assert_eq!(save(&ava, "workspace", "", "all", "Hello").await.status(), 403);
    assert_eq!(
        save(&admin, "workspace", "", "hello", "Hello {{contact.name | there}}")
            .await
            .status(),
        200
    );
    assert_eq!(
        save(&ava, "group", "1", "team", "Our team is here").await.status(),
        200,
        "Ava is in Frontline"
    );
    assert_eq!(
        save(&ava, "personal", "", "mine", "again").await.status(),
        409,
        "the shortcut is taken"
    );
    let unknown = save(&ava, "personal", "", "bad", "Dear {{customer.name}}").await;
    assert_eq!(unknown.status(), 400);

    let shortcuts = |list: Vec<CannedResponse>| {
        let mut s: Vec<String> = list.into_iter().map(|c| c.shortcut).collect();
        s.sort();
        s
    };
    let for_ava: Vec<CannedResponse> = app.run_as(&ava, ListCanned {}).await.unwrap();
    assert_eq!(shortcuts(for_ava.clone()), vec!["hello", "mine", "team"]);
    assert!(!for_ava.iter().find(|c| c.shortcut == "hello").unwrap().editable);
    let for_ben: Vec<CannedResponse> = app.run_as(&ben, ListCanned {}).await.unwrap();
    assert_eq!(shortcuts(for_ben), vec!["hello", "team"], "Ava's own stays hers");

    let mine = DeleteCanned {
        id: for_ava.iter().find(|c| c.shortcut == "mine").unwrap().id,
    };
    assert_eq!(app.send(&ben, &mine).await.status(), 404);
    assert_eq!(app.send(&ava, &mine).await.status(), 200);
}

#[tokio::test]
async fn categories_are_the_workspaces_and_file_conversations() {
    let app = spawn_app().await;
    let (_v, _, id) = monitored_visitor(&app, "Billing question").await;
    let admin = TestApp::client_signed_in(&app, ADMIN).await;
    let ava = TestApp::client_signed_in(&app, AGENT).await;
    let billing = AddCategory { name: "Billing".into() };
    assert_eq!(app.send(&ava, &billing).await.status(), 403);
    let list: Vec<CategoryView> = app.run_as(&admin, billing.clone()).await.unwrap();
    assert_eq!(app.send(&admin, &billing).await.status(), 409);
    let billing = list[0].id;
    let file_under = |category_id: String| SetConversationCategory { id, category_id };
    let filed: ConversationSummary = app.run_as(&ava, file_under(billing.to_string())).await.unwrap();
    assert_eq!(filed.category.as_deref(), Some("Billing"));
    assert_eq!(app.send(&ava, &file_under("99999".into())).await.status(), 404);
    let _: Vec<CategoryView> = app.run_as(&admin, DeleteCategory { id: billing }).await.unwrap();
    assert_eq!(summary(&app, &ava, id).await.category, None);
}

#[tokio::test]
async fn an_agent_merges_two_contacts_who_are_the_same_customer_but_not_one_they_cannot_see() {
    let app = spawn_app().await;
    let ava = TestApp::client_signed_in(&app, AGENT).await;
    let (_v1, _t1, first) = monitored_visitor(&app, "My parcel did not arrive").await;
    let (_v2, _t2, second) = monitored_visitor(&app, "It is me again, from my phone").await;
    let search = |query: &str| SearchContacts {
        conversation_id: first,
        query: query.into(),
    };
    let merge = |other: i64| MergeContacts {
        conversation_id: first,
        other,
    };
    // The phone's contact has the details the team wrote down.
    let update = UpdateContact {
        conversation_id: second,
        name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        phone: String::new(),
    };
    assert_eq!(app.send(&ava, &update).await.status(), 200, "contacts/update");
    let label = ContactLabel {
        conversation_id: second,
        label: "vip".into(),
        add: true,
    };
    assert_eq!(app.send(&ava, &label).await.status(), 200, "contacts/label");
    let data = ContactData {
        conversation_id: second,
        key: "plan".into(),
        value: "gold".into(),
    };
    assert_eq!(app.send(&ava, &data).await.status(), 200, "contacts/data");

    // Found by part of the name, not by one letter.
    let short = app.send(&ava, &search("a")).await;
    assert_eq!(short.status(), 400);
    let found: Vec<app::contacts::ContactMatch> = app.run_as(&ava, search("LOVEL")).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].name.as_str(), found[0].conversations), ("Ada Lovelace", 1));

    let merged: ContactDetail = app.run_as(&ava, merge(found[0].id)).await.unwrap();
    assert_eq!(merged.email.as_deref(), Some("ada@example.com"));
    assert_eq!(merged.labels, ["vip"]);
    assert_eq!(merged.data, [("plan".to_string(), "gold".to_string())]);
    let mut ids: Vec<i64> = merged.conversations.iter().map(|c| c.id).collect();
    ids.sort();
    assert_eq!(ids, [first, second]);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM contacts WHERE id = {}", found[0].id))
            .await,
        0
    );
    let audit = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'contact.merged'")
        .await;
    assert_eq!(audit, 1);

    // A contact whose conversations the agent may not see is neither found nor merged.
    let hidden_token = app.visitor_nobody_in_a_group_sees().await;
    crate::channels::say(&app, &hidden_token, "Private billing question").await;
    let hidden_contact: i64 = app
        .count("SELECT contact_id FROM conversations ORDER BY id DESC LIMIT 1")
        .await;
    // The assistant answers after the customer's message is acknowledged: once it has, nothing
    // else is on its way to change the tables compared below.
    let answered = format!(
        "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE c.contact_id = {hidden_contact} AND m.sender_kind = 'ai'"
    );
    eventually("the assistant's answer", crate::sockets::WAIT, || async {
        (app.count(&answered).await > 0).then_some(())
    })
    .await;
    let name = app
        .texts(&format!("SELECT name FROM contacts WHERE id = {hidden_contact}"))
        .await
        .remove(0);
    let found: Vec<app::contacts::ContactMatch> = app.run_as(&ava, search(&name)).await.unwrap();
    assert!(found.is_empty(), "{found:?}");
    let before = app.fingerprint().await;
    let refused = app.send(&ava, &merge(hidden_contact)).await;
    assert_eq!(refused.status(), 404);
    assert_eq!(app.fingerprint().await, before, "nothing changed");
}

#[tokio::test]
async fn an_admin_exports_a_customers_data_and_erases_it_once_their_conversations_are_resolved() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let (mut v, token, id) = monitored_visitor(&app, "My address is 12 Elm Street").await;
    let file: app::conversation::AttachmentView =
        crate::attachments::upload_as_visitor(&app, &token, "passport.txt", "text/plain", b"P<GBR")
            .await
            .json()
            .await
            .unwrap();
    v.send(&app::events::VisitorCommand::Send {
        body: "Here is my ID".into(),
        idempotency_key: "id".into(),
        attachments: vec![file.id],
    })
    .await;
    v.wait_for("the file's message", |e| match e {
        app::events::VisitorEvent::Message { message } if !message.attachments.is_empty() => Some(()),
        _ => None,
    })
    .await;
    let stored = app.texts("SELECT storage_key FROM attachments").await;
    assert_eq!(stored.len(), 1);
    let on_disk = app.data_dir.join("attachments").join(&stored[0]);
    assert!(on_disk.exists());

    // The export: every message and the file's name, as a JSON file to download.
    let res = app
        .client
        .get(format!("{}/api/contacts/export?conversation_id={id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let export: app::contacts::ContactExport = res.json().await.unwrap();
    let bodies: Vec<&str> = export.conversations[0]
        .messages
        .iter()
        .map(|m| m.body.as_str())
        .collect();
    assert!(
        bodies.contains(&"My address is 12 Elm Street") && bodies.contains(&"Here is my ID"),
        "{bodies:?}"
    );
    assert!(export.conversations[0]
        .messages
        .iter()
        .any(|m| m.attachments.iter().any(|a| a.file_name == "passport.txt")));

    // An agent may do neither.
    let ava = TestApp::client_signed_in(&app, AGENT).await;
    let erase = EraseContact { conversation_id: id };
    assert_eq!(app.send(&ava, &erase).await.status(), 403);
    let res = ava
        .get(format!("{}/api/contacts/export?conversation_id={id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Not while someone may still be answering them.
    let open = app.run(erase.clone()).await;
    match open {
        Err(app::AppError::Conflict(why)) => assert!(why.contains("not resolved yet"), "{why}"),
        other => panic!("{other:?}"),
    }
    app.resolve(id).await.unwrap();
    let erased: app::contacts::ErasedContact = app.run(erase).await.unwrap();
    assert_eq!((erased.conversations, erased.files), (1, 1));
    assert!(erased.messages >= 2);

    // Gone: the messages, the file on disk, the contact; their chat starts afresh.
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM messages WHERE conversation_id = {id}"))
            .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, 0);
    assert!(!on_disk.exists());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE body LIKE '%Elm Street%'")
            .await,
        0
    );
    app.visitor_refusal(&token).await;
    // The audit log says it happened, not what was erased.
    let audit = app
        .texts("SELECT action || ': ' || target FROM audit_log WHERE action LIKE 'contact.%' ORDER BY id")
        .await;
    assert!(audit.iter().any(|a| a.starts_with("contact.erased")), "{audit:?}");
    assert!(audit.iter().all(|a| !a.contains("Elm")), "{audit:?}");
}
