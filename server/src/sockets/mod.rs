//! The WebSocket endpoints: `/ws/visitor` (a visitor token) and `/ws/operator` (a member's
//! session cookie). Each socket runs one loop that forwards hub deliveries, handles the
//! client's commands, and pings; it leaves the hub on the one way out.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures_util::SinkExt;
use tokio::sync::broadcast;

use app::AppError;

use crate::hub::{Closing, Delivery, Hub, Outbox, Pushed, SubscriberId, Topic};

mod operator;
mod visitor;

pub use operator::operator;
pub use visitor::visitor;

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
async fn close_with(socket: &mut WebSocket, code: u16, reason: &str) {
    // A close frame's reason has room for 123 bytes; a longer one is cut at a character.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason[..end].into(),
        })))
        .await;
}

fn text<T: serde::Serialize>(value: &T) -> Message {
    Message::Text(serde_json::to_string(value).expect("events serialise").into())
}

fn shared<T: serde::Serialize>(value: &T) -> Arc<str> {
    Arc::from(serde_json::to_string(value).expect("events serialise"))
}

/// Frames are small JSON objects: a 4 KiB read buffer (tungstenite's default is 128 KiB, kept
/// for every idle socket). Writes gather in a buffer until the socket loop flushes, which it
/// does after each batch of deliveries (see `BATCH`), so a busy socket makes one write for many
/// frames and an idle one holds little.
pub fn configure(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
}

/// The most deliveries taken from an outbox and written before one flush.
const BATCH: usize = 64;

/// Closes the socket's outbox when its loop ends, however it ends (a return, a panic), so that
/// no topic keeps a subscriber that is gone.
struct Closes(Arc<Outbox>);

impl Drop for Closes {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Where a socket's answers to its commands go when they are made away from its loop (a
/// message being stored): into its outbox, after the frames already waiting there.
#[derive(Clone)]
struct Answers {
    hub: Arc<Hub>,
    outbox: Arc<Outbox>,
    id: SubscriberId,
    topic: Topic,
}

impl Answers {
    fn send<T: serde::Serialize>(&self, answer: &T) {
        // A client that lets its answers pile up cannot keep up either.
        let text = serde_json::to_string(answer).expect("events serialise").into();
        if self.outbox.push(Delivery::answer(self.topic, text)) == Pushed::Full {
            tracing::warn!(subscriber = self.id, "closing a socket whose answers are not read");
            self.hub.close_here(Closing::Subscriber(self.id));
        }
    }
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
        if socket.feed(Message::Text(d.text.clone())).await.is_err() {
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
