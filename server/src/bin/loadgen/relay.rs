//! The baseline: a bare in-memory WebSocket relay speaking Switchboard's visitor and operator
//! protocol (same frames, same JSON), with no storage, no routing and no authentication. What
//! the load generator measures against it is what this machine and client can do at all.
//!
//! A visitor's token names its conversation (`c<N>`); operators `watch` conversations; a
//! `send` from either side is numbered, acknowledged and pushed to the other side.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tokio::sync::mpsc;

use app::events::{MessageView, OperatorCommand, OperatorEvent, SenderKind, VisitorCommand, VisitorEvent};

#[derive(Default)]
struct Conversation {
    seq: i64,
    visitor: Option<mpsc::Sender<Arc<str>>>,
    operators: Vec<mpsc::Sender<Arc<str>>>,
}

#[derive(Clone, Default)]
struct Relay {
    conversations: Arc<Mutex<HashMap<i64, Conversation>>>,
}

fn text<T: serde::Serialize>(v: &T) -> Arc<str> {
    Arc::from(serde_json::to_string(v).expect("events serialise"))
}

impl Relay {
    /// Numbers a message and pushes it to the other side; the sequence number for the ack.
    fn relay(&self, conversation_id: i64, from_visitor: bool, body: String, key: String) -> i64 {
        let mut all = self.conversations.lock().unwrap_or_else(|p| p.into_inner());
        let c = all.entry(conversation_id).or_default();
        c.seq += 1;
        let message = MessageView {
            conversation_id,
            seq: c.seq,
            sender_kind: if from_visitor {
                SenderKind::Contact
            } else {
                SenderKind::Operator
            },
            sender_name: if from_visitor {
                "Visitor".into()
            } else {
                "Operator".into()
            },
            body,
            internal: false,
            idempotency_key: Some(key),
            created_at: 0,
            sender_id: None,
            attachments: vec![],
            delivery: None,
        };
        if from_visitor {
            let frame = text(&OperatorEvent::Message { message });
            c.operators.retain(|o| o.try_send(frame.clone()).is_ok());
        } else if let Some(v) = &c.visitor {
            let _ = v.try_send(text(&VisitorEvent::Message { message }));
        }
        c.seq
    }
}

pub fn router() -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/ws/visitor", get(visitor))
        .route("/ws/operator", get(operator))
        .with_state(Relay::default())
}

async fn visitor(ws: WebSocketUpgrade, State(relay): State<Relay>) -> Response {
    server::sockets::configure(ws).on_upgrade(move |socket| run(socket, relay, true))
}

async fn operator(ws: WebSocketUpgrade, State(relay): State<Relay>) -> Response {
    server::sockets::configure(ws).on_upgrade(move |socket| run(socket, relay, false))
}

/// One socket, one loop (as Switchboard's sockets are): forwards what the relay pushes,
/// answers commands. A visitor's first frame (`resume`) names its conversation by its token
/// (`c<id>`), as Switchboard's visitors name themselves.
async fn run(mut socket: WebSocket, relay: Relay, visitor: bool) {
    let (tx, mut rx) = mpsc::channel::<Arc<str>>(512);
    let mut visitor_of: Option<i64> = None;
    loop {
        tokio::select! {
            Some(frame) = rx.recv() => {
                if socket.send(Message::Text(frame.to_string().into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => {
                let Some(Ok(Message::Text(t))) = incoming else { break };
                if visitor && visitor_of.is_none() {
                    if let Ok(VisitorCommand::Resume { token, .. }) = serde_json::from_str::<VisitorCommand>(&t) {
                        let c: i64 = token.trim_start_matches('c').parse().unwrap_or(0);
                        visitor_of = Some(c);
                        relay
                            .conversations
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .entry(c)
                            .or_default()
                            .visitor = Some(tx.clone());
                    }
                    continue;
                }
                let reply = match visitor_of {
                    Some(c) => match serde_json::from_str::<VisitorCommand>(&t) {
                        Ok(VisitorCommand::Send { body, idempotency_key, .. }) => {
                            let seq = relay.relay(c, true, body, idempotency_key.clone());
                            Some(text(&VisitorEvent::Ack { idempotency_key, seq }))
                        }
                        Ok(VisitorCommand::Ping) => Some(text(&VisitorEvent::Pong)),
                        _ => None,
                    },
                    None => match serde_json::from_str::<OperatorCommand>(&t) {
                        Ok(OperatorCommand::Watch { conversation_id, .. }) => {
                            relay
                                .conversations
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .entry(conversation_id)
                                .or_default()
                                .operators
                                .push(tx.clone());
                            None
                        }
                        Ok(OperatorCommand::Send {
                            conversation_id,
                            body,
                            idempotency_key,
                            ..
                        }) => {
                            let seq = relay.relay(conversation_id, false, body, idempotency_key.clone());
                            Some(text(&OperatorEvent::Ack {
                                idempotency_key,
                                conversation_id,
                                seq,
                            }))
                        }
                        Ok(OperatorCommand::Ping) => Some(text(&OperatorEvent::Pong)),
                        _ => None,
                    },
                };
                if let Some(r) = reply {
                    if socket.send(Message::Text(r.to_string().into())).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    if let Some(c) = visitor_of {
        relay.conversations.lock().unwrap_or_else(|p| p.into_inner()).remove(&c);
    }
}
