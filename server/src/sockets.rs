//! The WebSocket endpoints: `/ws/visitor` (a visitor token) and `/ws/operator` (a member's
//! session cookie). Each socket runs one loop that forwards hub deliveries, handles the
//! client's commands, and pings; it leaves the hub on the one way out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::future::{BoxFuture, Shared};
use futures_util::{FutureExt, SinkExt};
use tokio::sync::{broadcast, mpsc};

use app::auth::SessionApi;
use app::events::{
    check_idempotency_key, MessageBody, OperatorCommand, OperatorEvent, SenderKind, VisitorCommand, VisitorEvent,
    SESSION_ENDED, TOKEN_REFUSED,
};
use app::inbox::{Showing, MOST_LISTED};
use app::service::ClientAddress;
use app::{AppError, Me, Scope};

use crate::channels::tokens::{unix_now, Visitor};
use crate::hub::{Audience, Closing, Delivery, Event, SubscriberId, Topic, Visibility, QUEUE};
use crate::AppState;

/// How often the server pings, and how long a silent client is kept.
const PING_EVERY: Duration = Duration::from_secs(20);
const SILENCE_LIMIT: Duration = Duration::from_secs(50);

/// Whether a closing concerns this socket (subscriber `id`, signed in as `member` if a member's):
/// the reason to give its client, which reconnects and resumes.
fn closing_reason(
    closing: Result<Closing, broadcast::error::RecvError>,
    id: SubscriberId,
    member: Option<i64>,
) -> Option<&'static str> {
    match closing {
        Ok(Closing::Subscriber(s)) if s == id => Some("fell behind; reconnect and resume"),
        Ok(Closing::Member(m)) if Some(m) == member => Some("your access changed; reconnect"),
        Ok(Closing::Everyone) => Some("events may have been missed; reconnect and resume"),
        Ok(_) => None,
        // Too many closings went by unread: one of them may have been for this socket.
        Err(broadcast::error::RecvError::Lagged(_)) => Some("fell behind; reconnect and resume"),
        Err(broadcast::error::RecvError::Closed) => Some("the server is stopping"),
    }
}

/// Closes the socket with `code` (1012, service restart: the client reconnects and resumes)
/// and a reason.
async fn close_with(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

fn text<T: serde::Serialize>(value: &T) -> Message {
    Message::Text(serde_json::to_string(value).expect("events serialise").into())
}

fn shared<T: serde::Serialize>(value: &T) -> Arc<str> {
    Arc::from(serde_json::to_string(value).expect("events serialise"))
}

pub async fn visitor(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    client: Option<Extension<ClientAddress>>,
) -> Response {
    // Held for as long as the socket is open.
    let permit = match client {
        Some(Extension(ClientAddress(ip))) => match state.limits.open_visitor_socket(ip) {
            Ok(p) => Some(p),
            Err(e) => return with_status(e),
        },
        None => None,
    };
    configure(ws).on_upgrade(move |mut socket| async move {
        if let Some((visitor, last_seq)) = hello(&mut socket, &state).await {
            run_visitor(socket, state, visitor, last_seq).await;
        }
        drop(permit);
    })
}

/// How long a new chat socket may take to say who it is.
const HELLO_WITHIN: Duration = Duration::from_secs(10);

/// The chat socket's first frame must be `resume` with the visitor's token (never in the URL):
/// the visitor and the newest message they had. A token past half its life is replaced. A socket that says nothing in time, or
/// something else, is closed; one with a token we do not accept is closed with
/// `TOKEN_REFUSED` and the reason.
async fn hello(socket: &mut WebSocket, state: &AppState) -> Option<(Visitor, i64)> {
    let first = match tokio::time::timeout(HELLO_WITHIN, socket.recv()).await {
        Ok(first) => first,
        Err(_) => {
            close_with(socket, 1008, "say who you are first (resume with your token)").await;
            return None;
        }
    };
    let (token, last_seq) = match frame::<VisitorCommand>(first) {
        Frame::Command(Ok(VisitorCommand::Resume { token, last_seq })) => (token, last_seq),
        Frame::Closed => return None,
        _ => {
            close_with(socket, 1008, "the first frame must be resume with your token").await;
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
                if state.tokens.due_for_renewal(&token, &checked, unix_now()) {
                    let fresh = state.tokens.issue(checked.visitor, unix_now());
                    if socket.feed(text(&VisitorEvent::Token { token: fresh })).await.is_err() {
                        return None;
                    }
                }
                return Some((checked.visitor, last_seq));
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

/// Frames are small JSON objects: a 4 KiB read buffer (tungstenite's default is 128 KiB, kept
/// for every idle socket). Writes gather in a buffer until the socket loop flushes, which it
/// does after each batch of deliveries (see `drain`), so a busy socket makes one write for many
/// frames and an idle one holds little.
pub fn configure(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
}

/// The most deliveries written before one flush.
const BATCH: usize = 64;

/// The delivery just received and whatever else is already waiting (up to `BATCH`): written
/// together and flushed once.
fn drain(first: Delivery, rx: &mut mpsc::Receiver<Delivery>) -> Vec<Delivery> {
    let mut batch = vec![first];
    while batch.len() < BATCH {
        match rx.try_recv() {
            Ok(d) => batch.push(d),
            Err(_) => break,
        }
    }
    batch
}

/// Writes the deliveries `fresh` keeps (a message the client has is not sent again) and
/// flushes once; false when the socket is gone.
async fn write_all(
    socket: &mut WebSocket,
    deliveries: Vec<Delivery>,
    mut fresh: impl FnMut(&Delivery) -> bool,
) -> bool {
    let mut received = Vec::new();
    for d in deliveries.iter().filter(|d| fresh(d)) {
        if socket.feed(Message::Text(d.text.to_string().into())).await.is_err() {
            return false;
        }
        received.extend(d.received_ms);
    }
    if socket.flush().await.is_err() {
        return false;
    }
    if !received.is_empty() {
        let now = crate::store::now_ms();
        for at in received {
            crate::metrics::COUNTERS.written_to_socket((now - at) as f64 / 1000.0);
        }
    }
    true
}

/// What came in on a socket.
enum Frame<C> {
    /// A command, or why it could not be read.
    Command(Result<C, serde_json::Error>),
    /// The client closed, or the connection broke.
    Closed,
    /// A frame that is not a command (ping, pong, binary).
    Other,
}

fn frame<C: serde::de::DeserializeOwned>(incoming: Option<Result<Message, axum::Error>>) -> Frame<C> {
    match incoming {
        Some(Ok(Message::Text(t))) => Frame::Command(serde_json::from_str(&t)),
        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Frame::Closed,
        Some(Ok(_)) => Frame::Other,
    }
}

fn with_status(e: AppError) -> Response {
    e.into_response()
}

/// A visitor's socket, once `hello` has said who it is and what they had (`last_seq`).
async fn run_visitor(mut socket: WebSocket, state: AppState, visitor: Visitor, last_seq: i64) {
    let hub = state.conversations.hub().clone();
    let (tx, mut rx) = mpsc::channel::<Delivery>(QUEUE);
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
        hub.subscribe(Topic::Conversation(c), id, Audience::Visitor, tx.clone());
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
            Some(first) = rx.recv() => {
                let fresh = |d: &Delivery| d.seq.is_none_or(|seq| seq > resumed_through);
                if !write_all(&mut socket, drain(first, &mut rx), fresh).await { break; }
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
                    Ok(VisitorCommand::Resume { .. }) => Some(VisitorEvent::Error {
                        message: "This chat has already resumed; reconnect to resume again.".into(),
                        idempotency_key: None,
                    }),
                    Ok(VisitorCommand::Send { body, idempotency_key, attachments }) => {
                        Some(visitor_send(&state, visitor, &mut conversation, id, &tx, &body, &idempotency_key, &attachments).await)
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
    tx: &mpsc::Sender<Delivery>,
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
                    .subscribe(Topic::Conversation(c), id, Audience::Visitor, tx.clone());
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

/// An operator's socket: the inbox of their workspace, and the conversations they watch.
async fn run_operator(mut socket: WebSocket, state: AppState, me: Me, session: String) {
    let hub = state.conversations.hub().clone();
    // First, so that no change of rights slips by while the socket is set up.
    let mut closings = hub.closings();
    let (tx, mut rx) = mpsc::channel::<Delivery>(QUEUE);
    let id = hub.new_subscriber();
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
    let audience = Audience::Operator(visibility);
    hub.subscribe(Topic::Workspace(me.workspace_id), id, audience.clone(), tx.clone());
    hub.subscribe(Topic::Member(me.member_id), id, audience.clone(), tx.clone());
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
    let me_id = me.member_id;
    let mut sending: HashMap<i64, Shared<BoxFuture<'static, ()>>> = HashMap::new();
    let mut last_heard = Instant::now();
    // When this socket last wrote the session's activity down (see `Active`).
    let mut last_touch = Instant::now() - state.sessions.touch_every();
    let mut ticker = tokio::time::interval(PING_EVERY.min(state.sessions.touch_every() * 2));
    ticker.tick().await;

    loop {
        tokio::select! {
            Some(first) = rx.recv() => {
                // As for visitors: what the backlog sent on Watch is not sent again; anything
                // newer is, in whatever order it comes.
                let fresh = |d: &Delivery| match (d.seq, d.topic) {
                    (Some(seq), Topic::Conversation(c)) => watched.get(&c).is_some_and(|through| seq > *through),
                    _ => true,
                };
                if !write_all(&mut socket, drain(first, &mut rx), fresh).await { break; }
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
                        let (before, tx): (Vec<_>, _) = (sending.values().cloned().collect(), tx.clone());
                        tokio::spawn(async move {
                            futures_util::future::join_all(before).await;
                            let pong = Delivery { topic: Topic::Member(me_id), seq: None, text: shared(&OperatorEvent::Pong), received_ms: None };
                            let _ = tx.send(pong).await;
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
                        match state.conversations.access(&me, conversation_id).await {
                            Err(e) => Some(OperatorEvent::Error { message: e.to_string(), idempotency_key: None }),
                            Ok(_) => {
                                hub.subscribe(Topic::Conversation(conversation_id), id, audience.clone(), tx.clone());
                                let mut last = last_seq.max(0);
                                let mut ok = true;
                                match state.conversations.missed(conversation_id, last, false).await {
                                    Ok(backlog) => for m in backlog {
                                        last = last.max(m.seq);
                                        if socket.send(text(&OperatorEvent::Message { message: m })).await.is_err() { ok = false; break; }
                                    },
                                    Err(e) => tracing::error!(error = %e, "could not read the backlog"),
                                }
                                if !ok { break; }
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
                        let (state, router, me, tx) = (state.clone(), router.clone(), me.clone(), tx.clone());
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
                                state.conversations.operator_message(&me, conversation_id, body, &key, internal, &attachments).await
                            }
                            .await;
                            let answer = match result {
                                Ok(a) => OperatorEvent::Ack { idempotency_key: key, conversation_id, seq: a.message.seq },
                                Err(e) => OperatorEvent::Error { message: e.to_string(), idempotency_key: Some(key) },
                            };
                            let _ = tx
                                .send(Delivery { topic: Topic::Member(me.member_id), seq: None, text: shared(&answer), received_ms: None })
                                .await;
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
