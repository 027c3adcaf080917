//! Snooze: a conversation put aside leaves the inbox's views for Snoozed, and comes back when
//! its time is up or its customer writes.

use app::conversation::SnoozeConversation;
use app::inbox::{ConversationSummary, ListConversations};
use app::AppError;

use crate::handoff::{escalate, send};
use crate::helpers::*;

async fn listed(app: &TestApp, view: &str) -> Vec<i64> {
    app.inbox(ListConversations {
        view: Some(view.into()),
        ..inbox_filter()
    })
    .await
    .unwrap()
    .conversations
    .iter()
    .map(|c| c.id)
    .collect()
}

async fn snooze(app: &TestApp, id: i64, until: &str) -> Result<ConversationSummary, AppError> {
    app.run(SnoozeConversation {
        id,
        until: until.into(),
    })
    .await
}

#[tokio::test]
async fn a_snoozed_conversation_comes_back_when_the_customer_writes_or_the_time_is_up() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let mut v = app.visitor().await;
    let id = escalate(&mut v).await;
    assert!(listed(&app, "").await.contains(&id));

    let snoozed = snooze(&app, id, "reply").await.expect("snoozed");
    assert_eq!(snoozed.snoozed_until, Some(app::inbox::UNTIL_REPLY));
    assert!(!listed(&app, "").await.contains(&id), "out of All while snoozed");
    assert_eq!(listed(&app, "snoozed").await, vec![id]);
    // The customer writes: it is back.
    v.send(&send("Any news?", "n1")).await;
    eventually(
        "the conversation back in All",
        std::time::Duration::from_secs(20),
        || async { listed(&app, "").await.contains(&id).then_some(()) },
    )
    .await;
    assert!(listed(&app, "snoozed").await.is_empty());

    // For a moment: back by itself, with a note.
    let soon = (server::store::now_ms() + 1_000).to_string();
    snooze(&app, id, &soon).await.unwrap();
    assert!(!listed(&app, "").await.contains(&id));
    eventually("the snooze to run out", std::time::Duration::from_secs(20), || async {
        listed(&app, "").await.contains(&id).then_some(())
    })
    .await;
    let notes = eventually(
        "the team told the snooze is over",
        std::time::Duration::from_secs(20),
        || async {
            let notes = app
                .texts(&format!(
                    "SELECT body FROM messages WHERE conversation_id = {id} AND internal = TRUE ORDER BY seq"
                ))
                .await;
            notes.iter().any(|n| n == "The snooze is over.").then_some(notes)
        },
    )
    .await;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("snoozed the conversation until the customer writes")),
        "{notes:?}"
    );

    // Words for what cannot be.
    let past = (server::store::now_ms() - 1_000).to_string();
    assert!(matches!(snooze(&app, id, &past).await, Err(AppError::Invalid { .. })));
    app.resolve(id).await.unwrap();
    assert!(matches!(snooze(&app, id, "reply").await, Err(AppError::Conflict(_))));
}
