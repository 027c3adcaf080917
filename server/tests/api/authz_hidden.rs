//! A conversation of the caller's own workspace that they may not see is, to them, not there:
//! every server function that names it, its files and the operator socket answer as if it did
//! not exist, and nothing changes (the functions and their needs: `authz.rs`).

use app::conversation::GetConversation;
use app::events::{OperatorCommand, OperatorEvent};
use app::inbox::ListConversations;
use app::Role;

use crate::attachments::upload_as_visitor;
use crate::authz::{agent2, args, conversation_state, first_message, Needs, MATRIX};
use crate::helpers::*;

/// Every server function that names a conversation, its files and the operator socket treat a
/// conversation of the caller's own workspace that they may not see (on a workflow none of
/// their groups has, held by nobody) as if it did not exist, and change nothing.
#[tokio::test]
async fn a_conversation_outside_an_agents_groups_is_not_found_anywhere_and_nothing_changes() {
    let app = spawn_app().await;
    let token = app.visitor_nobody_in_a_group_sees().await;
    let mut v = app.visitor_with(&token).await;
    let hidden = first_message(&app, &mut v, "My invoice 4471 is wrong").await;
    let file: app::conversation::AttachmentView =
        upload_as_visitor(&app, &token, "invoice.txt", "text/plain", b"invoice 4471")
            .await
            .json()
            .await
            .unwrap();
    let target = agent2(&app).await;
    let before = conversation_state(&app, hidden).await;

    let agent = TestApp::client_signed_in(&app, AGENT).await;
    let id = hidden.to_string();
    let mut tried = Vec::new();
    let mut failures = Vec::new();
    for (n, (endpoint, needs)) in MATRIX.iter().enumerate() {
        let form = args(endpoint, hidden, target, n);
        let names_it = form
            .iter()
            .any(|(k, v)| (k == "id" || k == "conversation_id") && *v == id);
        let agents_may = match needs {
            Needs::Public | Needs::Member => true,
            Needs::Scope(s) => Role::Agent.has(*s),
            Needs::InstanceAdmin => false,
        };
        if !names_it || !agents_may {
            continue;
        }
        tried.push(*endpoint);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let status = app.call_with(&agent, endpoint, &form).await.status().as_u16();
        if status != 404 {
            failures.push(format!("{endpoint}: {status}, expected 404"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(tried.len() >= 12, "every conversation function was tried: {tried:?}");

    // Its file, its messages in search, its place in the inbox.
    let file_status = agent
        .get(format!("{}/attachments/{}", app.base, file.id))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(file_status, 404);
    let search = ListConversations {
        view: Some("all".into()),
        q: Some("invoice".into()),
        ..inbox_filter()
    };
    let page = app.run_as(&agent, search).await.unwrap();
    assert!(page.conversations.iter().all(|c| c.id != hidden), "search found it");

    // The operator socket: following it, marking it read, accepting it and replying to it are
    // each refused in words; none of its messages comes through.
    let mut op = app.operator(AGENT).await;
    let commands = [
        OperatorCommand::Watch {
            conversation_id: hidden,
            last_seq: 0,
        },
        OperatorCommand::Read {
            conversation_id: hidden,
            seq: 1,
        },
        OperatorCommand::Accept {
            conversation_id: hidden,
        },
        OperatorCommand::Send {
            conversation_id: hidden,
            body: "I can see your invoice".into(),
            idempotency_key: "peek".into(),
            internal: false,
            attachments: vec![],
        },
    ];
    for command in &commands {
        op.send(command).await;
        op.wait_for("the refusal", |e| match e {
            OperatorEvent::Error { .. } => Some(()),
            OperatorEvent::Ack { .. } => panic!("{command:?} was stored"),
            OperatorEvent::Message { message } if message.conversation_id == hidden => {
                panic!("{command:?} let a message through: {message:?}")
            }
            _ => None,
        })
        .await;
    }

    assert_eq!(conversation_state(&app, hidden).await, before, "nothing changed");
    // The same conversation is there for a supervisor, who sees the whole workspace.
    let supervisor = TestApp::client_signed_in(&app, SUPERVISOR).await;
    let res = app.send(&supervisor, &GetConversation { id: hidden }).await;
    assert_eq!(res.status(), 200);
}
