//! The visitor's chat socket (`/ws/visitor`): the token in the first frame, then the chat.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::Extension;

use app::events::{
    check_idempotency_key, MessageBody, OperatorEvent, SenderKind, VisitorCommand, VisitorEvent, TOKEN_REFUSED,
};
use app::service::ClientAddress;
use app::AppError;

use crate::channels::tokens::{unix_now, Visitor};
use crate::hub::{Audience, Delivery, Event, Outbox, Topic, VISITOR_QUEUE};
use crate::AppState;

use super::*;

pub async fn visitor(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    client: Option<Extension<ClientAddress>>,
) -> Response {
    let client = client.map(|Extension(ClientAddress(ip))| ip);
    // Held for as long as the socket is open.
    let permit = match client {
        Some(ip) => match state.limits.open_visitor_socket(ip) {
            Ok(p) => Some(p),
            Err(e) => return with_status(e),
        },
        None => None,
    };
    configure(ws).on_upgrade(move |mut socket| async move {
        if let Some(hello) = hello(&mut socket, &state, client).await {
            run_visitor(socket, state, hello, client).await;
        }
        drop(permit);
    })
}

/// How long a new chat socket may take to say who it is.
const HELLO_WITHIN: Duration = Duration::from_secs(10);

/// Who a chat socket's first frame said the visitor is.
struct Hello {
    visitor: Visitor,
    /// The newest message the visitor had.
    last_seq: i64,
    /// The token the visitor holds now (for `identify`).
    token: String,
}

/// The chat socket's first frame must be `resume` with the visitor's token (never in the URL)
/// and the newest message they had, or `start` for a new visitor. A token past half its life
/// is replaced. A socket that says nothing in time, or something else, is closed; one with a
/// token we do not accept is closed with `TOKEN_REFUSED` and the reason.
async fn hello(socket: &mut WebSocket, state: &AppState, client: Option<IpAddr>) -> Option<Hello> {
    let first = match tokio::time::timeout(HELLO_WITHIN, socket.recv()).await {
        Ok(first) => first,
        Err(_) => {
            close_with(socket, 1008, "say who you are first (resume with your token, or start)").await;
            return None;
        }
    };
    let (token, last_seq) = match frame::<VisitorCommand>(first) {
        Frame::Command(Ok(VisitorCommand::Resume { token, last_seq })) => (token, last_seq),
        Frame::Command(Ok(VisitorCommand::Start { key })) => return start(socket, state, &key, client).await,
        Frame::Closed => return None,
        _ => {
            close_with(socket, 1008, "the first frame must be resume with your token, or start").await;
            return None;
        }
    };
    let refused = match state.tokens.verify(&token, unix_now()) {
        Ok(checked) => match state
            .store
            .contact_on_channel(checked.visitor.contact_id, checked.visitor.channel_id)
            .await
        {
            Ok(true) => {
                // A channel that was turned off takes no more messages.
                if state
                    .store
                    .channel(checked.visitor.channel_id)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|c| !c.enabled)
                {
                    close_with(socket, 1008, "This chat is turned off for now.").await;
                    return None;
                }
                let mut token = token;
                if state.tokens.due_for_renewal(&token, &checked, unix_now()) {
                    token = state.tokens.issue(checked.visitor, unix_now());
                    if socket
                        .feed(text(&VisitorEvent::Token { token: token.clone() }))
                        .await
                        .is_err()
                    {
                        return None;
                    }
                }
                return Some(Hello {
                    visitor: checked.visitor,
                    last_seq,
                    token,
                });
            }
            Ok(false) => "Visitor token names no visitor; reload the chat to start again".to_string(),
            Err(e) => {
                tracing::error!(error = %e, "could not look up a visitor");
                close_with(socket, 1011, "the server could not check your token; try again").await;
                return None;
            }
        },
        Err(e) => e.to_string(),
    };
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: TOKEN_REFUSED,
            reason: refused.into(),
        })))
        .await;
    None
}

/// A new visitor on the web channel `key`, as `start_visitor` over HTTP (with the same limit
/// for each address): their token is the first frame back. A refusal closes the socket with
/// the reason in words (1013 for a limit: try again later).
async fn start(socket: &mut WebSocket, state: &AppState, key: &str, client: Option<IpAddr>) -> Option<Hello> {
    match state.services.chat.start(key, client).await {
        Ok((visitor, token)) => {
            if socket
                .feed(text(&VisitorEvent::Token { token: token.clone() }))
                .await
                .is_err()
            {
                return None;
            }
            Some(Hello {
                visitor,
                last_seq: 0,
                token,
            })
        }
        Err(e) => {
            let code = match e.status() {
                429 | 503 => 1013,
                500 => 1011,
                _ => 1008,
            };
            close_with(socket, code, &e.to_string()).await;
            None
        }
    }
}

/// The site's signed-in customer, as `identify_visitor` over HTTP: the token to chat with from
/// now on, or why not.
async fn identify(
    state: &AppState,
    visitor: Visitor,
    token: &str,
    who: &app::chat::Identity,
    client: Option<IpAddr>,
) -> VisitorEvent {
    use app::chat::ChatApi;
    let identified = async {
        let channel = state
            .store
            .channel(visitor.channel_id)
            .await?
            .ok_or_else(|| AppError::not_found("This chat"))?;
        state
            .services
            .chat
            .identify(&channel.public_key, token, who, client)
            .await
    };
    match identified.await {
        Ok(token) => VisitorEvent::Identified { token },
        Err(e) => VisitorEvent::IdentityRefused { message: e.to_string() },
    }
}

/// A visitor's socket, once `hello` has said who it is and what they had.
async fn run_visitor(mut socket: WebSocket, state: AppState, hello: Hello, client: Option<IpAddr>) {
    let Hello {
        visitor,
        last_seq,
        token,
    } = hello;
    let hub = state.conversations.hub().clone();
    let outbox = Arc::new(Outbox::new(VISITOR_QUEUE));
    let _closes = Closes(outbox.clone());
    let id = hub.new_subscriber();
    let mut closings = hub.closings();
    let mut conversation = state
        .conversations
        .latest_for(visitor.contact_id, visitor.channel_id)
        .await
        .ok()
        .flatten();
    // Listening first, then reading what was missed: a message published in between comes
    // both ways and is sent once. Live messages at or below the newest the client had or got
    // in the backlog are the backlog's again; every other one is sent, even one overtaken by
    // a later message (two writers publish in the order their commits return, not always in
    // sequence order; the client sorts by seq).
    let mut resumed_through = last_seq;
    if let Some(c) = conversation {
        hub.subscribe(Topic::Conversation(c), id, Audience::Visitor, outbox.clone());
        match state.conversations.missed(c, last_seq, true).await {
            Ok(backlog) => {
                for m in backlog {
                    resumed_through = resumed_through.max(m.seq);
                    if socket.feed(text(&VisitorEvent::Message { message: m })).await.is_err() {
                        hub.unsubscribe(Topic::Conversation(c), id);
                        return;
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "could not read the backlog"),
        }
    }
    // A resolved chat not rated yet asks again (the widget was closed when it was resolved).
    if let Some(c) = conversation {
        if state.store.rating_pending(c, 0).await.unwrap_or(false)
            && socket.feed(text(&VisitorEvent::RatingRequested)).await.is_err()
        {
            hub.unsubscribe(Topic::Conversation(c), id);
            return;
        }
    }
    if socket.flush().await.is_err() {
        if let Some(c) = conversation {
            hub.unsubscribe(Topic::Conversation(c), id);
        }
        return;
    }
    let contact_name = state.conversations.customer_name(visitor.contact_id).await;
    let mut last_heard = Instant::now();
    let mut ticker = tokio::time::interval(PING_EVERY);
    ticker.tick().await;

    loop {
        tokio::select! {
            batch = outbox.take(BATCH) => {
                let fresh = |d: &Delivery| d.seq.is_none_or(|seq| seq > resumed_through);
                if !write_all(&mut socket, batch, fresh).await { break; }
            }
            incoming = socket.recv() => {
                last_heard = Instant::now();
                let command = match frame::<VisitorCommand>(incoming) {
                    Frame::Command(c) => c,
                    Frame::Closed => break,
                    Frame::Other => continue,
                };
                let reply = match command {
                    Err(e) => Some(VisitorEvent::Error { message: format!("That message could not be read: {e}"), idempotency_key: None }),
                    Ok(VisitorCommand::Ping) => Some(VisitorEvent::Pong),
                    Ok(VisitorCommand::Resume { .. } | VisitorCommand::Start { .. }) => Some(VisitorEvent::Error {
                        message: "This chat has already resumed; reconnect to resume again.".into(),
                        idempotency_key: None,
                    }),
                    Ok(VisitorCommand::Identify { identity }) => Some(identify(&state, visitor, &token, &identity, client).await),
                    Ok(VisitorCommand::Send { body, idempotency_key, attachments }) => {
                        Some(visitor_send(&state, visitor, &mut conversation, id, &outbox, &body, &idempotency_key, &attachments).await)
                    }
                    Ok(VisitorCommand::Rate { rating, comment }) => Some(match conversation {
                        None => VisitorEvent::Error { message: "There is no conversation to rate yet.".into(), idempotency_key: None },
                        Some(c) => match state.conversations.rate(c, rating, &comment).await {
                            Ok(()) => VisitorEvent::Rated { rating },
                            Err(e) => VisitorEvent::Error { message: e.to_string(), idempotency_key: None },
                        },
                    }),
                    Ok(VisitorCommand::Typing { composing }) => {
                        if let Some(c) = conversation {
                            hub.publish(Topic::Conversation(c), &Event {
                                for_operators: Some(shared(&OperatorEvent::Typing { conversation_id: c, name: contact_name.clone(), sender_kind: SenderKind::Contact, composing })),
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
                if let Some(reason) = closing_reason(closing, id, None) {
                    close_with(&mut socket, 1012, reason).await;
                    break;
                }
            }
            _ = ticker.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT { break; }
                if socket.send(Message::Ping(Default::default())).await.is_err() { break; }
            }
        }
    }
    if let Some(c) = conversation {
        hub.unsubscribe(Topic::Conversation(c), id);
    }
}

#[allow(clippy::too_many_arguments)]
async fn visitor_send(
    state: &AppState,
    visitor: Visitor,
    conversation: &mut Option<i64>,
    id: u64,
    outbox: &Arc<Outbox>,
    body: &str,
    key: &str,
    attachments: &[i64],
) -> VisitorEvent {
    let refused = |e: AppError| VisitorEvent::Error {
        message: e.to_string(),
        idempotency_key: Some(key.to_string()),
    };
    let body = match check_idempotency_key(key)
        .and_then(|_| MessageBody::parse_with_files(body, attachments.len()))
        .and_then(|b| state.limits.visitor_message(visitor.contact_id).map(|_| b))
    {
        Ok(b) => b,
        Err(e) => return refused(e),
    };
    // The first message (or a file sent before it) starts the conversation: listen to it
    // before the message goes in, so nothing said after it is missed.
    let c = match *conversation {
        Some(c) => c,
        None => match state
            .conversations
            .conversation_for(visitor.contact_id, visitor.channel_id)
            .await
        {
            Ok(c) => {
                state
                    .conversations
                    .hub()
                    .subscribe(Topic::Conversation(c), id, Audience::Visitor, outbox.clone());
                *conversation = Some(c);
                c
            }
            Err(e) => return refused(e),
        },
    };
    match state.conversations.visitor_message(c, body, key, attachments).await {
        Ok(appended) => {
            if !appended.duplicate {
                crate::metrics::COUNTERS.received(app::lifecycle::ChannelKind::Web);
            }
            VisitorEvent::Ack {
                idempotency_key: key.to_string(),
                seq: appended.message.seq,
            }
        }
        Err(e) => refused(e),
    }
}
