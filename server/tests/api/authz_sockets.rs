//! Every operator socket command, tried by each role and by a member of another workspace on a
//! conversation inside and outside the caller's visibility (the callers and their world:
//! `authz_routes.rs`). Refused means a refusal frame, nothing of the conversation shown, and the
//! database unchanged. A command added without a row in `needs` does not compile.

use app::events::{OperatorCommand, OperatorEvent};
use app::live::OperatorStatus;
use app::Scope;

use crate::authz_routes::{world, Caller, CALLERS};
use crate::sockets::OperatorSocket;

/// What each operator command needs, and whether it names a conversation. A new command does
/// not compile until it has a row here.
fn needs(command: &OperatorCommand) -> (Option<Scope>, bool) {
    use OperatorCommand::*;
    match command {
        Watch { .. } | Read { .. } => (Some(Scope::OperatorRead), true),
        // Ignored unless the socket follows the conversation (which Watch checks).
        Unwatch { .. } | Typing { .. } => (Some(Scope::OperatorRead), true),
        Send { .. } | Accept { .. } | Decline { .. } => (Some(Scope::OperatorWrite), true),
        GoLive { .. } => (Some(Scope::OperatorWrite), false),
        // Listing a conversation one may not see shows nothing of it: the workspace and the
        // member's visibility filter every change before what the console shows does.
        SetStatus { .. } | GoOffline | Active | Show { .. } | Ping => (None, false),
    }
}

/// One of every command, aimed at `conversation`.
fn every_command(conversation: i64) -> Vec<OperatorCommand> {
    vec![
        OperatorCommand::Watch {
            conversation_id: conversation,
            last_seq: 0,
        },
        OperatorCommand::Read {
            conversation_id: conversation,
            seq: 1,
        },
        OperatorCommand::Typing {
            conversation_id: conversation,
            composing: true,
        },
        OperatorCommand::Unwatch {
            conversation_id: conversation,
        },
        OperatorCommand::Send {
            conversation_id: conversation,
            body: "Reading your conversation".into(),
            idempotency_key: format!("peek-{conversation}"),
            internal: false,
            attachments: vec![],
        },
        OperatorCommand::Send {
            conversation_id: conversation,
            body: "A note on your conversation".into(),
            idempotency_key: format!("note-{conversation}"),
            internal: true,
            attachments: vec![],
        },
        OperatorCommand::Accept {
            conversation_id: conversation,
        },
        OperatorCommand::Decline {
            conversation_id: conversation,
        },
        OperatorCommand::GoLive { workflow_ids: vec![1] },
        OperatorCommand::SetStatus {
            status: OperatorStatus::Away,
        },
        OperatorCommand::GoOffline,
        OperatorCommand::Active,
        OperatorCommand::Show {
            showing: app::inbox::Showing::Inbox {
                query: Default::default(),
                listed: vec![conversation],
            },
        },
        OperatorCommand::Ping,
    ]
}

/// Sends `command` and reads until the answer to a ping after it: whether it was refused in
/// words, and whether any message of `conversation` came through.
async fn try_command(op: &mut OperatorSocket, command: &OperatorCommand, conversation: i64) -> (bool, bool) {
    op.send(command).await;
    op.send(&OperatorCommand::Ping).await;
    let (mut refused, mut leaked) = (false, false);
    op.wait_for("the pong after the command", |e| match e {
        OperatorEvent::Error { .. } => {
            refused = true;
            None
        }
        OperatorEvent::Message { message } if message.conversation_id == conversation => {
            leaked = true;
            None
        }
        OperatorEvent::Pong => Some(()),
        _ => None,
    })
    .await;
    (refused, leaked)
}

#[tokio::test]
async fn every_socket_command_is_refused_outside_what_the_caller_may_see_or_do() {
    let w = world().await;
    let mut failures = Vec::new();
    let mut tried = 0;
    for caller in CALLERS {
        let Caller::Member(email, role) = caller else {
            continue; // no socket without a session (every_http_route_answers_each_caller…)
        };
        let mut op: OperatorSocket = w.app.operator(email).await;
        // Outside: another workspace's conversation by its id; the hidden one for members who
        // see only their groups' workflows.
        let outside: Vec<i64> = match role {
            None => vec![w.visible, w.hidden],
            Some(r) if !r.has(Scope::ConversationsReadAll) => vec![w.hidden],
            Some(_) => vec![],
        };
        for conversation in outside {
            for command in every_command(conversation) {
                let (scope, names_it) = needs(&command);
                if !names_it {
                    continue;
                }
                tried += 1;
                let before = w.app.fingerprint().await;
                let (refused, leaked) = try_command(&mut op, &command, conversation).await;
                let silent = matches!(
                    command,
                    OperatorCommand::Typing { .. } | OperatorCommand::Unwatch { .. }
                );
                if leaked || (!refused && !silent) || w.app.fingerprint().await != before {
                    failures.push(format!(
                        "{email} {command:?} outside (scope {scope:?}): refused {refused}, leaked {leaked}"
                    ));
                }
            }
        }
        // Inside, what the role lacks is refused in words and changes nothing.
        if let Some(role) = role {
            for command in every_command(w.visible) {
                let (scope, _) = needs(&command);
                if scope.is_none_or(|s| role.has(s)) {
                    continue;
                }
                tried += 1;
                let before = w.app.fingerprint().await;
                let (refused, _) = try_command(&mut op, &command, w.visible).await;
                if !refused || w.app.fingerprint().await != before {
                    failures.push(format!("{email} {command:?} without {scope:?}: refused {refused}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Agent and support agent outside (8 each), the other workspace's owner on two (16), the
    // account manager without operator:write (5).
    assert_eq!(tried, 8 + 8 + 16 + 5);
    // A visitor token opens no operator socket, and a session opens no chat (tested in
    // the_sockets_check_who_is_calling).
    assert_eq!(w.app.operator_connect_status("/ws/operator").await, Some(401));
}
