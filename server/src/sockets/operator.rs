//! The operator console's socket (`/ws/operator`): the inbox's live changes, open
//! conversations, presence and offers, and the console's commands.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::future::{BoxFuture, Shared};
use futures_util::FutureExt;

use app::auth::SessionApi;
use app::events::{
    check_idempotency_key, MessageBody, OperatorCommand, OperatorEvent, SenderKind, VisitorEvent, SESSION_ENDED,
};
use app::inbox::{Showing, MOST_LISTED};
use app::{AppError, Me, Scope};

use crate::hub::{Audience, Delivery, Event, Outbox, Topic, Visibility, OPERATOR_QUEUE};
use crate::AppState;

use super::*;

pub async fn operator(ws: WebSocketUpgrade, State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = app::service::session_token_in(&headers) else {
        return with_status(AppError::Unauthenticated);
    };
    let me = match state.sessions.member(&token).await {
        Ok(me) => me,
        Err(e) => return with_status(e),
    };
    if !me.can(Scope::OperatorRead) {
        return with_status(AppError::forbidden("follow the inbox"));
    }
    // Held for as long as the socket is open.
    let permit = match state.limits.open_member_socket(me.member_id) {
        Ok(p) => p,
        Err(e) => return with_status(e),
    };
    configure(ws).on_upgrade(move |socket| async move {
        run_operator(socket, state, me, token).await;
        drop(permit);
    })
}

/// An operator's socket: the inbox of their workspace, and the conversations they watch.
async fn run_operator(mut socket: WebSocket, state: AppState, me: Me, session: String) {
    let hub = state.conversations.hub().clone();
    // First, so that no change of rights slips by while the socket is set up.
    let mut closings = hub.closings();
    let outbox = Arc::new(Outbox::new(OPERATOR_QUEUE));
    let _closes = Closes(outbox.clone());
    let id = hub.new_subscriber();
    let answers = Answers {
        hub: hub.clone(),
        outbox: outbox.clone(),
        id,
        topic: Topic::Member(me.member_id),
    };
    let visibility = match Visibility::of(&state.store, &me).await {
        Ok(v) => Arc::new(v),
        Err(e) => {
            tracing::error!(error = %e, "could not read what the member may see");
            return;
        }
    };
    // The session may have ended between the upgrade's check and the subscription above (its
    // closing then went by unheard): check again now that no closing can be missed.
    if let Err(e) = state.sessions.member(&session).await {
        let _ = socket
            .send(Message::Close(Some(CloseFrame {
                code: SESSION_ENDED,
                reason: e.to_string().into(),
            })))
            .await;
        return;
    }
    let audience = Audience::Operator(visibility.clone());
    hub.subscribe(Topic::Workspace(me.workspace_id), id, audience.clone(), outbox.clone());
    hub.subscribe(Topic::Member(me.member_id), id, audience.clone(), outbox.clone());
    // Read after subscribing, so that a conversation that becomes the member's own meanwhile
    // is not missed (it comes as an event).
    match state.store.own_conversations(me.member_id).await {
        Ok(own) => hub.own(Topic::Workspace(me.workspace_id), id, own),
        Err(e) => tracing::error!(error = %e, "could not read the member's conversations"),
    }
    let router = state.router.clone();
    if let Err(e) = router.connect(&me).await {
        let _ = socket
            .send(text(&OperatorEvent::Error {
                message: e.to_string(),
                idempotency_key: None,
            }))
            .await;
        hub.remove(id, &[Topic::Workspace(me.workspace_id), Topic::Member(me.member_id)]);
        return;
    }
    // Where this socket starts: its own presence, and the live board for supervisors.
    if let Some(presence) = router.presence_of(me.member_id).await {
        let _ = socket.send(text(&OperatorEvent::Presence { presence })).await;
    }
    if me.can(Scope::ConversationsReadAll) {
        if let Ok(board) = app::live::LiveApi::live_board(&*router, &me).await {
            let _ = socket.send(text(&OperatorEvent::Board { board })).await;
        }
    }
    let mut watched: HashMap<i64, i64> = HashMap::new();
    // Messages being stored, by conversation: the last one sent to each (see `Send`).
    let mut sending: HashMap<i64, Shared<BoxFuture<'static, ()>>> = HashMap::new();
    let mut last_heard = Instant::now();
    // When this socket last wrote the session's activity down (see `Active`).
    let mut last_touch = Instant::now() - state.sessions.touch_every();
    let mut ticker = tokio::time::interval(PING_EVERY.min(state.sessions.touch_every() * 2));
    ticker.tick().await;

    loop {
        tokio::select! {
            batch = outbox.take(BATCH) => {
                // As for visitors: what the backlog sent on Watch is not sent again; anything
                // newer is, in whatever order it comes.
                let fresh = |d: &Delivery| match (d.seq, d.topic) {
                    (Some(seq), Topic::Conversation(c)) => watched.get(&c).is_some_and(|through| seq > *through),
                    _ => true,
                };
                if !write_all(&mut socket, batch, fresh).await { break; }
            }
            incoming = socket.recv() => {
                last_heard = Instant::now();
                let command = match frame::<OperatorCommand>(incoming) {
                    Frame::Command(c) => c,
                    Frame::Closed => break,
                    Frame::Other => continue,
                };
                let reply = match command {
                    Err(e) => Some(OperatorEvent::Error { message: format!("That message could not be read: {e}"), idempotency_key: None }),
                    Ok(OperatorCommand::Ping) => {
                        // After the answers to every message sent before it.
                        let (before, answers) = (sending.values().cloned().collect::<Vec<_>>(), answers.clone());
                        tokio::spawn(async move {
                            futures_util::future::join_all(before).await;
                            answers.send(&OperatorEvent::Pong);
                        });
                        None
                    }
                    Ok(OperatorCommand::Show { showing }) => match &showing {
                        Showing::Inbox { listed, .. } if listed.len() > MOST_LISTED => Some(refused(AppError::invalid(
                            "listed",
                            format!("An inbox may follow at most {MOST_LISTED} listed conversations live."),
                        ))),
                        _ => {
                            hub.show(Topic::Workspace(me.workspace_id), id, showing);
                            None
                        }
                    },
                    Ok(OperatorCommand::Active) => {
                        if last_touch.elapsed() >= state.sessions.touch_every() {
                            last_touch = Instant::now();
                            state.sessions.touch(&session).await;
                        }
                        None
                    }
                    Ok(OperatorCommand::SetStatus { status }) => router.set_status(&me, status).await.err().map(refused),
                    Ok(OperatorCommand::GoLive { workflow_ids }) => router.go_live(&me, &workflow_ids).await.err().map(refused),
                    Ok(OperatorCommand::GoOffline) => router.go_offline(&me).await.err().map(refused),
                    Ok(OperatorCommand::Accept { conversation_id }) => router.accept(&me, conversation_id).await.err().map(refused),
                    Ok(OperatorCommand::Decline { conversation_id }) => router.decline(&me, conversation_id).await.err().map(refused),
                    Ok(OperatorCommand::Watch { conversation_id, last_seq }) => {
                        match state.conversations.access_as(&me, &visibility, conversation_id).await {
                            Err(e) => Some(OperatorEvent::Error { message: e.to_string(), idempotency_key: None }),
                            Ok(_) => {
                                hub.subscribe(Topic::Conversation(conversation_id), id, audience.clone(), outbox.clone());
                                let mut last = last_seq.max(0);
                                let mut ok = true;
                                match state.conversations.missed(conversation_id, last, false).await {
                                    Ok(backlog) => for m in backlog {
                                        last = last.max(m.seq);
                                        if socket.send(text(&OperatorEvent::Message { message: m })).await.is_err() { ok = false; break; }
                                    },
                                    Err(e) => tracing::error!(error = %e, "could not read the backlog"),
                                }
                                if !ok {
                                    hub.unsubscribe(Topic::Conversation(conversation_id), id);
                                    break;
                                }
                                watched.insert(conversation_id, last);
                                let viewing = hub.view(conversation_id, id, me.member_id, &me.name);
                                publish_viewers(&hub, conversation_id, viewing);
                                None
                            }
                        }
                    }
                    Ok(OperatorCommand::Unwatch { conversation_id }) => {
                        if watched.remove(&conversation_id).is_some() {
                            let left = hub.unview(conversation_id, id);
                            publish_viewers(&hub, conversation_id, left);
                        }
                        hub.unsubscribe(Topic::Conversation(conversation_id), id);
                        None
                    }
                    Ok(OperatorCommand::Read { conversation_id, seq }) => {
                        state.conversations.mark_read(&me, conversation_id, seq).await.err().map(refused)
                    }
                    Ok(OperatorCommand::Send { conversation_id, body, idempotency_key, internal, attachments }) => {
                        // Stored while the socket goes on reading: one conversation's messages
                        // one after another, in the order sent; different conversations at once.
                        // The answer comes the way events do.
                        let before = sending.remove(&conversation_id);
                        sending.retain(|_, task| task.peek().is_none());
                        let (state, router, me, answers, seen) = (state.clone(), router.clone(), me.clone(), answers.clone(), visibility.clone());
                        let task = tokio::spawn(async move {
                            if let Some(before) = before {
                                let _ = before.await;
                            }
                            let key = idempotency_key;
                            let result = async {
                                check_idempotency_key(&key)?;
                                let body = MessageBody::parse_with_files(&body, attachments.len())?;
                                // A reply to the customer takes a seat; a note for the team does not.
                                if !internal {
                                    router.require_seat(&me).await?;
                                }
                                state.conversations.operator_message(&me, &seen, conversation_id, body, &key, internal, &attachments).await
                            }
                            .await;
                            let answer = match result {
                                Ok(a) => OperatorEvent::Ack { idempotency_key: key, conversation_id, seq: a.message.seq },
                                Err(e) => OperatorEvent::Error { message: e.to_string(), idempotency_key: Some(key) },
                            };
                            answers.send(&answer);
                        });
                        sending.insert(conversation_id, task.map(|_| ()).boxed().shared());
                        None
                    }
                    Ok(OperatorCommand::Typing { conversation_id, composing }) => {
                        if watched.contains_key(&conversation_id) {
                            hub.publish(Topic::Conversation(conversation_id), &Event {
                                for_visitors: Some(shared(&VisitorEvent::Typing { name: me.name.clone(), composing })),
                                for_operators: Some(shared(&OperatorEvent::Typing { conversation_id, name: me.name.clone(), sender_kind: SenderKind::Operator, composing })),
                                except: Some(id),
                                ..Default::default()
                            });
                        }
                        None
                    }
                };
                if let Some(reply) = reply {
                    if socket.send(text(&reply)).await.is_err() { break; }
                }
            }
            closing = closings.recv() => {
                if let Some(reason) = closing_reason(closing, id, Some(me.member_id)) {
                    // Rights changed: reconnect to get the new ones; the session ended (signed
                    // out everywhere, deactivated): sign in again.
                    match state.sessions.member(&session).await {
                        Err(e) => { let _ = socket.send(Message::Close(Some(CloseFrame { code: SESSION_ENDED, reason: e.to_string().into() }))).await; }
                        Ok(_) => close_with(&mut socket, 1012, reason).await,
                    }
                    break;
                }
            }
            _ = ticker.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT { break; }
                // The socket of a session that ended (signed out, deactivated, expired, idle)
                // closes, and the console goes to the sign-in page.
                if let Err(e) = state.sessions.member(&session).await {
                    let _ = socket.send(Message::Close(Some(CloseFrame { code: SESSION_ENDED, reason: e.to_string().into() }))).await;
                    break;
                }

                if socket.send(Message::Ping(Default::default())).await.is_err() { break; }
            }
        }
    }
    for c in watched.keys() {
        let left = hub.unview(*c, id);
        publish_viewers(&hub, *c, left);
    }
    let mut topics: HashSet<Topic> = watched.keys().map(|c| Topic::Conversation(*c)).collect();
    topics.insert(Topic::Workspace(me.workspace_id));
    topics.insert(Topic::Member(me.member_id));
    hub.remove(id, &topics.into_iter().collect::<Vec<_>>());
    router.disconnect(me.member_id);
}

/// Tells the team on a conversation who has it open.
fn publish_viewers(hub: &crate::hub::Hub, conversation_id: i64, viewers: Vec<(i64, String)>) {
    let viewers = viewers
        .into_iter()
        .map(|(member_id, name)| app::conversation::Viewer { member_id, name })
        .collect();
    hub.publish(
        Topic::Conversation(conversation_id),
        &Event {
            for_operators: Some(shared(&OperatorEvent::Viewers {
                conversation_id,
                viewers,
            })),
            ..Default::default()
        },
    );
}

fn refused(e: AppError) -> OperatorEvent {
    OperatorEvent::Error {
        message: e.to_string(),
        idempotency_key: None,
    }
}
