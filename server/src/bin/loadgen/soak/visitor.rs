//! One visitor of the endurance load: chats with the assistant on the widget's socket, asks for
//! a person now and then, sends a file now and then (uploaded over HTTP, then opened through
//! the signed link the server gives back), and drops its socket and resumes every so often, as
//! a browser tab does.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use app::conversation::AttachmentView;
use app::events::{SenderKind, VisitorCommand, VisitorEvent};

use super::{Counters, Dice, SoakArgs, Stop};
use crate::clients::connect;
use crate::setup::Http;

/// What the visitors say: questions the demo's built-in assistant knows, and some it does not.
const LINES: [&str; 6] = [
    "What are your opening hours?",
    "How long does shipping take to Lisbon?",
    "Can I return a jacket I bought last week?",
    "Do you have the blue one in medium?",
    "My order number is 48213, where is it?",
    "Thanks, that helps a lot",
];

/// What a visitor says when it wants a person, as many times as the workflow's escalation
/// threshold asks (the demo's default: the third request hands the chat to the team).
const ASK_FOR_A_PERSON: &str = "Can I talk to a human please?";
const ASKS_BEFORE_A_PERSON: u8 = 3;

/// A small picture as a phone would send it: PNG's signature, then bytes of this visitor's own.
pub fn picture(seed: u64, len: usize) -> Vec<u8> {
    let mut dice = Dice::new(seed);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((bytes.len()..len).map(|_| dice.next() as u8));
    bytes
}

/// Uploads a picture as the visitor with `token`, for its next message; the file's id.
async fn upload(http: &Http, token: &str, name: &str, bytes: Vec<u8>) -> Result<AttachmentView, String> {
    let request = http
        .client
        .post(format!("{}/widget/attachments", http.base))
        .query(&[("name", name)])
        .bearer_auth(token);
    send_picture(request, bytes).await
}

/// Sends a PNG upload whose address and credentials `request` holds; what the server stored.
pub async fn send_picture(request: reqwest::RequestBuilder, bytes: Vec<u8>) -> Result<AttachmentView, String> {
    request
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("uploading a file: {e}"))?
        .json::<AttachmentView>()
        .await
        .map_err(|e| format!("uploading a file: {e}"))
}

/// Opens a file the way a browser follows its link and checks it holds what was sent.
pub async fn download(http: &Http, path: &str, cookie: Option<&str>, sent: &[u8]) -> Result<(), String> {
    let mut request = http.client.get(format!("{}{path}", http.base));
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    let got = request
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("opening a file: {e}"))?
        .bytes()
        .await
        .map_err(|e| format!("opening a file: {e}"))?;
    if got.as_ref() != sent {
        return Err(format!(
            "opening a file: {} bytes came back for {} sent",
            got.len(),
            sent.len()
        ));
    }
    Ok(())
}

/// One visitor: connect, chat for a while, drop the socket, connect again, until `stop`.
pub async fn visitor(
    server: SocketAddr,
    http: Arc<Http>,
    token: String,
    n: usize,
    args: SoakArgs,
    counters: Arc<Counters>,
    stop: Stop,
) {
    let mut dice = Dice::new(n as u64 + 1);
    let mut said = 0u64;
    // What this visitor has seen, so a reconnect resumes after it as the widget does.
    let mut last_seq = 0i64;
    // Requests for a person still to make, one a message.
    let mut asks_left = 0u8;
    // Messages sent and not yet acknowledged as stored: each key and its frame.
    let mut waiting: Vec<(String, String)> = Vec::new();
    // Spread the first messages over one interval so the visitors do not speak in step.
    tokio::time::sleep(dice.between(0, args.interval_ms)).await;
    while !stop.is_set() {
        let ws = match connect(server, "/ws/visitor", None, n).await {
            Ok(ws) => ws,
            Err(e) => {
                counters.error(e);
                tokio::time::sleep(dice.between(250, 750)).await;
                continue;
            }
        };
        let (mut sink, mut stream) = ws.split();
        let resume = serde_json::to_string(&VisitorCommand::Resume {
            token: token.to_string(),
            last_seq,
        })
        .expect("serialises");
        if let Err(e) = sink.send(Message::Text(resume.into())).await {
            counters.error(format!("resuming a chat: {e}"));
            continue;
        }
        let session_ends =
            tokio::time::Instant::now() + dice.between(args.reconnect_secs * 1000, args.reconnect_secs * 2000);
        let mut next_send = tokio::time::Instant::now();
        // What was sent and not acknowledged before the socket dropped goes again, with the
        // same keys, as the widget does: the server stores each message once.
        for (_, frame) in &waiting {
            if sink.send(Message::Text(frame.clone().into())).await.is_err() {
                break;
            }
            counters.resent.fetch_add(1, Ordering::Relaxed);
        }
        loop {
            if stop.is_set() || tokio::time::Instant::now() >= session_ends {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(next_send) => {
                    let key = format!("soak-{n}-{said}");
                    said += 1;
                    // Visitors reach the same turn at different times (7,919 is prime), so
                    // files and requests for a person are spread over the run from the start.
                    let turn = said + n as u64 * 7_919;
                    let mut attachments = vec![];
                    if args.human_every > 0 && turn % args.human_every == 0 {
                        counters.asked_for_a_person.fetch_add(1, Ordering::Relaxed);
                        asks_left = ASKS_BEFORE_A_PERSON;
                    }
                    let body = if asks_left > 0 {
                        asks_left -= 1;
                        ASK_FOR_A_PERSON.to_string()
                    } else if args.file_every > 0 && turn % args.file_every == 0 {
                        let bytes = picture(turn, 2048 + (turn % 4096) as usize);
                        match upload(&http, &token, &format!("photo-{n}-{said}.png"), bytes.clone()).await {
                            Ok(file) => {
                                counters.files_sent.fetch_add(1, Ordering::Relaxed);
                                attachments.push(file.id);
                                match download(&http, &file.path(), None, &bytes).await {
                                    Ok(()) => { counters.files_opened.fetch_add(1, Ordering::Relaxed); }
                                    Err(e) => counters.error(e),
                                }
                            }
                            Err(e) => counters.error(e),
                        }
                        "Here is a photo of it".to_string()
                    } else {
                        LINES[(turn as usize) % LINES.len()].to_string()
                    };
                    let frame = serde_json::to_string(&VisitorCommand::Send {
                        body,
                        idempotency_key: key.clone(),
                        attachments,
                    })
                    .expect("serialises");
                    waiting.push((key, frame.clone()));
                    if let Err(e) = sink.send(Message::Text(frame.into())).await {
                        counters.error(format!("sending a visitor message: {e}"));
                        break;
                    }
                    counters.sent.fetch_add(1, Ordering::Relaxed);
                    next_send = tokio::time::Instant::now()
                        + dice.between(args.interval_ms / 2, args.interval_ms * 3 / 2);
                }
                frame = stream.next() => {
                    let frame = match frame {
                        Some(Ok(frame)) => frame,
                        Some(Err(e)) => {
                            counters.error(format!("the visitor socket failed: {e}"));
                            break;
                        }
                        None => {
                            counters.error("the server closed a visitor socket".to_string());
                            break;
                        }
                    };
                    let Message::Text(text) = frame else { continue };
                    match serde_json::from_str::<VisitorEvent>(&text) {
                        Ok(VisitorEvent::Ack { idempotency_key, seq }) => {
                            last_seq = last_seq.max(seq);
                            if let Some(i) = waiting.iter().position(|(k, _)| *k == idempotency_key) {
                                waiting.swap_remove(i);
                                counters.acknowledged.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Ok(VisitorEvent::Message { message }) => {
                            last_seq = last_seq.max(message.seq);
                            match message.sender_kind {
                                SenderKind::Ai => { counters.answers.fetch_add(1, Ordering::Relaxed); }
                                SenderKind::Operator => { counters.people_answered.fetch_add(1, Ordering::Relaxed); }
                                _ => {}
                            }
                        }
                        Ok(VisitorEvent::Error { message, .. }) => counters.error(format!("a visitor was told: {message}")),
                        _ => {}
                    }
                }
            }
        }
        let _ = sink.close().await;
        counters.reconnects.fetch_add(1, Ordering::Relaxed);
    }
}
