//! The operator's workspace: unread counts, notes, filters and search, macros, who else is
//! viewing, long histories, resolved conversations (files: `attachments.rs`; contacts, canned
//! responses and categories: `customers.rs`).

use std::time::Duration;

use app::contacts::{ContactDetail, UpdateContact};
use app::conversation::{
    ConversationDetail, GetConversation, GetConversationSummary, GetHistory, ReopenConversation, ResolveConversation,
    TakeOver,
};
use app::events::{MessageView, OperatorCommand, OperatorEvent, SenderKind, VisitorCommand, VisitorEvent};
use app::inbox::{ConversationSummary, ListConversations};
use app::lifecycle::Status;
use app::AppError;

use crate::helpers::*;
use crate::sockets::*;

pub(crate) const AGENT2: &str = "agent2@demo.switchboard.test";
pub(crate) const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake image bytes";

pub(crate) fn send(body: &str, key: &str) -> VisitorCommand {
    VisitorCommand::Send {
        body: body.into(),
        idempotency_key: key.into(),
        attachments: vec![],
    }
}

pub(crate) fn reply(
    conversation_id: i64,
    body: &str,
    key: &str,
    internal: bool,
    attachments: Vec<i64>,
) -> OperatorCommand {
    OperatorCommand::Send {
        conversation_id,
        body: body.into(),
        idempotency_key: key.into(),
        internal,
        attachments,
    }
}

/// A visitor whose conversation is in the inbox (always-on monitoring), and its id.
pub(crate) async fn monitored_visitor(app: &TestApp, first: &str) -> (VisitorSocket, String, i64) {
    app.store
        .set_workflow_handoff(1, "always_on", 3, "A human agent will be with you shortly.")
        .await
        .unwrap();
    let token = app.visitor_token().await;
    let mut v = app.visitor_with(&token).await;
    visitor_says(&mut v, first, "first").await;
    let conversation = app.store.newest_conversation().await.unwrap().unwrap();
    (v, token, conversation)
}

pub(crate) async fn visitor_says(v: &mut VisitorSocket, body: &str, key: &str) {
    v.send(&send(body, key)).await;
    v.wait_for("the ack", |e| matches!(e, VisitorEvent::Ack { .. }).then_some(()))
        .await;
}

pub(crate) async fn summary(app: &TestApp, client: &reqwest::Client, id: i64) -> ConversationSummary {
    app.run_as(client, GetConversationSummary { id }).await.unwrap()
}

pub(crate) async fn acked(op: &mut OperatorSocket, key: &str) -> Result<i64, String> {
    op.wait_for("the ack", |e| match e {
        OperatorEvent::Ack {
            idempotency_key, seq, ..
        } if idempotency_key == key => Some(Ok(*seq)),
        OperatorEvent::Error {
            message,
            idempotency_key: Some(k),
        } if k == key => Some(Err(message.clone())),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn unread_counts_are_per_operator_and_clear_when_read() {
    let app = spawn_app().await;
    let (mut v, _, id) = monitored_visitor(&app, "Hello?").await;
    visitor_says(&mut v, "Is anyone there?", "second").await;
    let ava = TestApp::client_signed_in(&app, AGENT).await;
    let ben = TestApp::client_signed_in(&app, AGENT2).await;
    assert_eq!(
        summary(&app, &ava, id).await.unread,
        2,
        "two customer messages, the assistant's do not count"
    );
    assert_eq!(summary(&app, &ben, id).await.unread, 2);

    // Ava opens it: read for her, not for Ben.
    let detail: ConversationDetail = app.run_as(&ava, GetConversation { id }).await.unwrap();
    assert_eq!(detail.summary.unread, 0);
    assert_eq!(summary(&app, &ben, id).await.unread, 2);

    visitor_says(&mut v, "Hello again", "third").await;
    assert_eq!(summary(&app, &ava, id).await.unread, 1);
    assert_eq!(summary(&app, &ben, id).await.unread, 3);

    // Reading over the socket clears it, and her other tabs are told.
    let mut tab1 = app.operator(AGENT).await;
    let mut tab2 = app.operator(AGENT).await;
    let last = summary(&app, &ava, id).await.last_seq;
    tab1.send(&OperatorCommand::Read {
        conversation_id: id,
        seq: last,
    })
    .await;
    tab2.wait_for("the read in another tab", |e| match e {
        OperatorEvent::Read { conversation_id, seq } if *conversation_id == id => Some(*seq),
        _ => None,
    })
    .await;
    assert_eq!(summary(&app, &ava, id).await.unread, 0);
    assert_eq!(summary(&app, &ben, id).await.unread, 3);

    // Ben's reply is unread for Ava, never for Ben himself; his conversation counts for the title.
    let mut ben_socket = app.operator(AGENT2).await;
    ben_socket
        .send(&reply(id, "Ben here, how can I help?", "ben-1", false, vec![]))
        .await;
    acked(&mut ben_socket, "ben-1").await.unwrap();
    assert_eq!(summary(&app, &ava, id).await.unread, 1);
    assert_eq!(
        summary(&app, &ben, id).await.unread,
        0,
        "replying reads the conversation"
    );
    visitor_says(&mut v, "My order is late", "fourth").await;
    let mine = ListConversations {
        view: Some("mine".into()),
        ..inbox_filter()
    };
    let page: app::inbox::InboxPage = app.run_as(&ben, mine).await.unwrap();
    assert_eq!(page.mine_unread, 1);
    assert_eq!(page.conversations[0].unread, 1);
}

#[tokio::test]
async fn a_note_reaches_the_team_but_never_the_visitor_and_does_not_take_the_conversation() {
    let app = spawn_app().await;
    let (mut v, token, id) = monitored_visitor(&app, "Where is my parcel?").await;
    v.drain(Duration::from_millis(300)).await;
    let mut ava = app.operator(AGENT).await;
    let mut ben = app.operator(AGENT2).await;
    ava.watch(id).await;
    ben.watch(id).await;
    ava.send(&reply(id, "VIP customer, be quick", "note-1", true, vec![]))
        .await;
    acked(&mut ava, "note-1").await.unwrap();
    let note = ben
        .wait_for("the note", |e| match e {
            OperatorEvent::Message { message } if message.internal => Some(message.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        (note.sender_kind, note.sender_name.as_str()),
        (SenderKind::Operator, "Ava Agent")
    );
    assert_eq!(note.body, "VIP customer, be quick");

    let heard = v.drain(Duration::from_millis(500)).await;
    assert!(
        !heard
            .iter()
            .any(|e| matches!(e, VisitorEvent::Message { message } if message.body.contains("VIP"))),
        "{heard:?}"
    );
    // A reconnecting visitor does not get it either.
    let mut again = app.visitor_with(&token).await;
    let replay = again.drain(Duration::from_millis(500)).await;
    assert!(replay
        .iter()
        .all(|e| !matches!(e, VisitorEvent::Message { message } if message.internal)));
    assert!(!replay
        .iter()
        .any(|e| matches!(e, VisitorEvent::Message { message } if message.body.contains("VIP"))));

    let c = app.store.conversation(id).await.unwrap().unwrap();
    assert_eq!(
        (c.handler.as_str(), c.assignee_id),
        ("ai", None),
        "a note claims nothing"
    );
}

#[tokio::test]
async fn the_inbox_filters_searches_and_pages() {
    // 56 chats started from this test's one address, more than a minute's allowance.
    let app = spawn_app_with(&[("SWITCHBOARD_CHAT_STARTS_PER_MINUTE", "1000")]).await;
    app.store
        .set_workflow_handoff(1, "always_on", 3, "A human agent will be with you shortly.")
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..55 {
        let mut v = app.visitor().await;
        visitor_says(&mut v, &format!("Question number {i} about invoices"), "q").await;
        ids.push(app.store.newest_conversation().await.unwrap().unwrap());
    }
    let mut special = app.visitor().await;
    visitor_says(&mut special, "My parcel from Reykjavik never came", "r").await;
    let special_id = app.store.newest_conversation().await.unwrap().unwrap();
    let ava = TestApp::client_signed_in(&app, AGENT).await;
    let page = |filters: ListConversations| {
        let client = ava.clone();
        let app = &app;
        async move { app.run_as(&client, filters).await }
    };
    let search = |q: &str| ListConversations {
        q: Some(q.into()),
        ..inbox_filter()
    };
    let first = page(inbox_filter()).await.unwrap();
    assert_eq!(first.conversations.len(), 50);
    assert_eq!(first.conversations[0].id, special_id, "newest activity first");
    assert_eq!(first.counts.all(), 56);
    let second = page(ListConversations {
        before: first.next.clone(),
        ..inbox_filter()
    })
    .await
    .unwrap();
    assert_eq!(second.conversations.len(), 6);
    assert!(second.next.is_none());
    let mut all: Vec<i64> = first
        .conversations
        .iter()
        .chain(&second.conversations)
        .map(|c| c.id)
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 56, "no conversation twice, none missed");

    let found = page(search("reykjavik")).await.unwrap();
    assert_eq!(
        found.conversations.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![special_id]
    );
    let by_name = app.store.conversation(special_id).await.unwrap().unwrap().contact_id;
    let name = app.store.contact_name(by_name).await.unwrap().unwrap();
    assert!(page(search(&name))
        .await
        .unwrap()
        .conversations
        .iter()
        .any(|c| c.id == special_id));
    assert!(page(search("100%_off")).await.unwrap().conversations.is_empty());
    // Control characters are in no message: alone they find nothing, beside words they are
    // left out (a NUL used to answer 500).
    let nul = page(search("\0")).await.unwrap();
    assert!(nul.conversations.is_empty() && nul.counts.all() == 0);
    assert_eq!(
        page(search("reyk\0javik\u{7}"))
            .await
            .unwrap()
            .conversations
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        vec![special_id]
    );

    let mut op = app.operator(AGENT).await;
    op.send(&reply(ids[3], "On it", "claim", false, vec![])).await;
    acked(&mut op, "claim").await.unwrap();
    let mine = page(ListConversations {
        view: Some("mine".into()),
        ..inbox_filter()
    })
    .await
    .unwrap();
    assert_eq!(
        mine.conversations.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![ids[3]]
    );
    let view = |view: &str| ListConversations {
        view: Some(view.into()),
        ..inbox_filter()
    };
    let status = |status: &str| ListConversations {
        status: Some(status.into()),
        ..inbox_filter()
    };
    let channel = |channel: &str| ListConversations {
        channel: Some(channel.into()),
        ..inbox_filter()
    };
    let unassigned = page(view("unassigned")).await.unwrap();
    assert_eq!(unassigned.counts.all(), 55);
    assert_eq!(page(status("active")).await.unwrap().counts.active, 1);
    assert_eq!(page(channel("web")).await.unwrap().counts.all(), 56);
    assert_eq!(page(channel("sms")).await.unwrap().counts.all(), 0);
    let workflow = ListConversations {
        workflow: Some("1".into()),
        ..inbox_filter()
    };
    assert_eq!(page(workflow).await.unwrap().counts.all(), 56);
    let before = ListConversations {
        before: Some("yesterday".into()),
        ..inbox_filter()
    };
    for (filters, what) in [
        (view("everyone"), "view=everyone"),
        (status("closed"), "status=closed"),
        (channel("fax"), "channel=fax"),
        (before, "before=yesterday"),
    ] {
        assert!(matches!(page(filters).await, Err(AppError::Invalid { .. })), "{what}");
    }
}

#[tokio::test]
async fn macros_are_expanded_when_sent_and_an_unknown_one_is_refused_with_nothing_stored() {
    let app = spawn_app().await;
    let (mut v, _, id) = monitored_visitor(&app, "Hi").await;
    let ava = TestApp::client_signed_in(&app, AGENT).await;
    let update = UpdateContact {
        conversation_id: id,
        name: "Maria Lopez".into(),
        email: "maria@example.com".into(),
        phone: String::new(),
    };
    let contact: ContactDetail = app.run_as(&ava, update).await.unwrap();
    assert_eq!(contact.email.as_deref(), Some("maria@example.com"));
    let mut op = app.operator(AGENT).await;
    op.send(&reply(
        id,
        "Hi {{contact.first_name}}, I'm {{operator.name}}. We'll call {{contact.phone | you}}.",
        "m1",
        false,
        vec![],
    ))
    .await;
    acked(&mut op, "m1").await.unwrap();
    let got = v
        .wait_for("the reply", |e| match e {
            VisitorEvent::Message { message } if message.sender_kind == SenderKind::Operator => {
                Some(message.body.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(got, "Hi Maria, I'm Ava Agent. We'll call you.");

    let before = app.store.conversation(id).await.unwrap().unwrap().last_seq;
    op.send(&reply(id, "Dear {{contact.nmae}}", "m2", false, vec![])).await;
    let refused = acked(&mut op, "m2").await.unwrap_err();
    assert!(refused.contains("{{contact.nmae}} is not a macro"), "{refused}");
    assert_eq!(app.store.conversation(id).await.unwrap().unwrap().last_seq, before);
}

#[tokio::test]
async fn operators_on_the_same_conversation_see_each_other() {
    let app = spawn_app().await;
    let (_v, _, id) = monitored_visitor(&app, "Hello").await;
    let mut ava = app.operator(AGENT).await;
    let mut ben = app.operator(AGENT2).await;
    ava.watch(id).await;
    ben.watch(id).await;
    let names = |e: &OperatorEvent| match e {
        OperatorEvent::Viewers {
            conversation_id,
            viewers,
        } if *conversation_id == id => {
            let mut n: Vec<String> = viewers.iter().map(|v| v.name.clone()).collect();
            n.sort();
            Some(n)
        }
        _ => None,
    };
    let seen = ava
        .wait_for("both viewers", |e| names(e).filter(|n| n.len() == 2))
        .await;
    assert_eq!(seen, vec!["Ava Agent".to_string(), "Ben Agent".to_string()]);
    ben.send(&OperatorCommand::Unwatch { conversation_id: id }).await;
    ava.wait_for("Ben leaving", |e| {
        names(e).filter(|n| n == &vec!["Ava Agent".to_string()])
    })
    .await;
    // Typing reaches the other operator with who it is.
    ben.watch(id).await;
    ava.wait_for("Ben back", |e| names(e).filter(|n| n.len() == 2)).await;
    ava.send(&OperatorCommand::Typing {
        conversation_id: id,
        composing: true,
    })
    .await;
    ben.wait_for("Ava typing", |e| match e {
        OperatorEvent::Typing {
            name, composing: true, ..
        } if name == "Ava Agent" => Some(()),
        _ => None,
    })
    .await;
}

#[tokio::test]
async fn long_histories_load_in_pages_newest_first() {
    // 130 messages from one visitor in a few seconds, far more than a person may send.
    let app = spawn_app_with(&[("SWITCHBOARD_VISITOR_MESSAGES_PER_MINUTE", "1000")]).await;
    let (mut v, _, id) = monitored_visitor(&app, "message 0").await;
    for i in 1..130 {
        visitor_says(&mut v, &format!("message {i}"), &format!("k{i}")).await;
    }
    let ava = TestApp::client_signed_in(&app, AGENT).await;
    let detail: ConversationDetail = app.run_as(&ava, GetConversation { id }).await.unwrap();
    assert_eq!(detail.messages.len(), 100);
    let oldest = detail.messages[0].seq;
    let earlier: Vec<MessageView> = app.run_as(&ava, GetHistory { id, before_seq: oldest }).await.unwrap();
    assert!(!earlier.is_empty());
    assert_eq!(earlier.last().unwrap().seq, oldest - 1);
    assert_eq!(earlier[0].seq, 1.max(oldest - 100));
}

#[tokio::test]
async fn a_resolved_conversation_stays_closed_to_operators_until_it_is_reopened() {
    let app = spawn_app().await;
    let (_v, _, id) = monitored_visitor(&app, "Where is my parcel?").await;
    let owner = TestApp::client_signed_in(&app, OWNER).await;
    assert_eq!(app.send(&owner, &ResolveConversation { id }).await.status(), 200);

    // Taking it over is refused in words; a reply is stored and changes nothing.
    let refused = app.run_as(&owner, TakeOver { id }).await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        "This conversation is resolved. Reopen it to take it over."
    );
    let mut op = app.operator(OWNER).await;
    op.send(&reply(id, "We shipped it yesterday.", "late", false, vec![]))
        .await;
    acked(&mut op, "late").await.unwrap();
    let after = summary(&app, &owner, id).await;
    assert_eq!((after.status, after.assignee_id), (Status::Resolved, None));

    // Reopened, it can be taken over.
    let reopened: ConversationSummary = app.run_as(&owner, ReopenConversation { id }).await.unwrap();
    assert_eq!(reopened.status, Status::Open);
    let taken: ConversationSummary = app.run_as(&owner, TakeOver { id }).await.unwrap();
    assert_eq!(taken.status, Status::Active);
}

/// What a visitor's message was stored as (its sequence number).
async fn visitor_says_at(v: &mut VisitorSocket, body: &str, key: &str) -> i64 {
    v.send(&send(body, key)).await;
    v.wait_for("the ack", |e| match e {
        VisitorEvent::Ack { seq, .. } => Some(*seq),
        _ => None,
    })
    .await
}

/// The inbox changes `op` receives until `until` picks one, in order: (conversation, last seq).
async fn changes_until(
    op: &mut OperatorSocket,
    what: &str,
    until: impl Fn(&ConversationSummary) -> bool,
) -> Vec<(i64, i64)> {
    let mut seen = Vec::new();
    op.wait_for(what, |e| match e {
        OperatorEvent::Conversation { conversation: c } => {
            seen.push((c.id, c.last_seq));
            until(c).then_some(())
        }
        _ => None,
    })
    .await;
    seen
}

/// An inbox change goes only to the consoles that can show it (fan-out by interest): an inbox
/// gets what fits its filters and what it lists (once more when a listed one leaves), another
/// page of the console only the member's own conversations and those it has open, and a socket
/// that said nothing everything it may see.
#[tokio::test]
async fn inbox_changes_reach_only_the_consoles_that_can_show_them() {
    use app::inbox::{InboxQuery, Showing};

    let app = spawn_app().await;
    let (mut v1, _, first) = monitored_visitor(&app, "Hello?").await;
    let mut v2 = app.visitor().await;
    visitor_says(&mut v2, "Hi there", "hi").await;
    let second = app.store.newest_conversation().await.unwrap().unwrap();
    assert_ne!(first, second);
    let ava = TestApp::client_signed_in(&app, AGENT).await;

    // Ava is on another page of the console; Ben's inbox lists the unassigned ones; the
    // supervisor's socket has not said what it shows.
    let mut ava_elsewhere = app.operator(AGENT).await;
    ava_elsewhere.show(Showing::Own).await;
    let mut ben_unassigned = app.operator(AGENT2).await;
    ben_unassigned
        .show(Showing::Inbox {
            query: InboxQuery {
                view: "unassigned".into(),
                ..Default::default()
            },
            listed: vec![first, second],
        })
        .await;
    let mut everything = app.operator(SUPERVISOR).await;

    // Ava takes the second conversation and its customer writes: Ben is told once that it left
    // his list, and not of what follows; the supervisor hears of everything.
    app.run_as(&ava, TakeOver { id: second }).await.unwrap();
    let thanks = visitor_says_at(&mut v2, "Thanks", "thanks").await;
    changes_until(&mut everything, "the supervisor hears of the message", |c| {
        c.id == second && c.last_seq >= thanks
    })
    .await;
    let still_there = visitor_says_at(&mut v1, "Still there?", "still").await;
    let ben = changes_until(&mut ben_unassigned, "Ben hears of the first conversation", |c| {
        c.id == first && c.last_seq >= still_there
    })
    .await;
    assert!(
        ben.iter().any(|(id, _)| *id == second),
        "told that the taken conversation left his list: {ben:?}"
    );
    assert!(
        !ben.iter().any(|(id, seq)| *id == second && *seq >= thanks),
        "nothing of it after it left: {ben:?}"
    );

    // Ava's other page hears of her own conversation to the end, of nobody else's.
    app.run_as(&ava, ResolveConversation { id: second }).await.unwrap();
    let ava_heard = changes_until(&mut ava_elsewhere, "Ava hears her conversation resolved", |c| {
        c.id == second && c.status == Status::Resolved
    })
    .await;
    assert!(
        !ava_heard.iter().any(|(id, _)| *id == first),
        "nothing of a conversation that is not hers: {ava_heard:?}"
    );

    // Once she opens the first one, she hears of it too.
    ava_elsewhere.watch(first).await;
    let one_more = visitor_says_at(&mut v1, "One more thing", "more").await;
    changes_until(&mut ava_elsewhere, "Ava hears of the conversation she opened", |c| {
        c.id == first && c.last_seq >= one_more
    })
    .await;
}

/// A console that does not read for a while as its inbox changes fast (a busy workspace, a
/// slow network, a laptop waking up) is not closed as one that cannot keep up: when it reads
/// again it gets each conversation as it is now, not every step in between — and a message in
/// a conversation it has open, which is not a step, is never left out.
#[tokio::test]
async fn a_console_that_falls_behind_a_busy_inbox_catches_up_with_the_inbox_as_it_is_now() {
    let app = TestApp::signed_in_as(SUPERVISOR).await;
    let (mut v, _, id) = monitored_visitor(&app, "Hello?").await;
    // A person has it: nothing but the customer writes in it from here on.
    app.take_over(id).await.unwrap();
    let workspace = app.me().await.unwrap().workspace_id;
    let mut console = app.operator(SUPERVISOR).await;
    console.watch(id).await;
    // The socket is listening once it answers.
    console.send(&OperatorCommand::Ping).await;
    console
        .wait_for("the pong", |e| matches!(e, OperatorEvent::Pong).then_some(()))
        .await;

    // Far more changes than the network and the server would hold for it, while it reads
    // nothing: each the whole of the conversation's summary, as the server publishes them.
    const CHANGES: usize = 20_000;
    let padding = "·".repeat(1_000);
    let base = summary(&app, &app.client, id).await;
    for n in 1..=CHANGES {
        let conversation = ConversationSummary {
            last_message: Some(format!("change {n} {padding}")),
            ..base.clone()
        };
        app.hub.publish(
            server::hub::Topic::Workspace(workspace),
            &server::hub::Event {
                facts: Some(conversation.facts()),
                latest: Some(server::hub::Latest::Summary(id)),
                for_operators: Some(
                    serde_json::to_string(&OperatorEvent::Conversation { conversation })
                        .unwrap()
                        .into(),
                ),
                ..Default::default()
            },
        );
    }
    // Then the customer writes: a message, and the conversation's newest summary.
    let said = visitor_says_at(&mut v, "Are you there?", "there").await;

    let (mut summaries, mut as_now, mut message_seen) = (0, false, false);
    while !(as_now && message_seen) {
        match console.next_within(WAIT).await {
            Some(OperatorEvent::Conversation { conversation }) if conversation.id == id => {
                summaries += 1;
                as_now =
                    conversation.last_seq == said && conversation.last_message.as_deref() == Some("Are you there?");
            }
            Some(OperatorEvent::Message { message }) => message_seen |= message.seq == said,
            Some(_) => {}
            None => panic!(
                "the console was closed or went quiet after {summaries} summaries \
                 (the newest seen: {as_now}, the customer's message seen: {message_seen})"
            ),
        }
    }
    assert!(
        summaries < CHANGES,
        "{summaries} summaries: the ones superseded while it was behind were not all sent"
    );
}
