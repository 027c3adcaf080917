//! The team of the endurance load. Agents go live on their workflows, accept the chats offered
//! to them, answer (now and then with a file), hand each chat back to the assistant after a
//! while, go offline, close the console and come back later. Supervisors keep the whole inbox
//! open and reload it every so often. All of it on the console's own socket and endpoints.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use app::conversation::AttachmentView;
use app::events::{OperatorCommand, OperatorEvent, SenderKind};
use app::inbox::{InboxQuery, Showing};
use app::lifecycle::Handler;
use app::Me;

use super::visitor::{download, picture, send_picture};
use super::{Counters, Dice, SoakArgs, Stop};
use crate::clients::connect;
use crate::setup::Http;

fn frame(command: &OperatorCommand) -> Message {
    Message::Text(serde_json::to_string(command).expect("commands serialise").into())
}

/// A console's inbox: `view` is `mine` for an agent, empty for everything (a supervisor).
fn show(view: &str) -> Message {
    frame(&OperatorCommand::Show {
        showing: Showing::Inbox {
            query: InboxQuery {
                view: view.into(),
                ..Default::default()
            },
            listed: vec![],
        },
    })
}

/// Who signed in with `cookie`.
pub async fn me(http: &Http, cookie: &str) -> Result<Me, String> {
    http.call("auth/me", &[], Some(cookie))
        .await?
        .json::<Me>()
        .await
        .map_err(|e| format!("auth/me: {e}"))
}

/// Uploads a picture as a member into one conversation; what the server stored.
async fn upload(http: &Http, cookie: &str, conversation: i64, bytes: Vec<u8>) -> Result<AttachmentView, String> {
    let request = http
        .client
        .post(format!("{}/api/attachments", http.base))
        .query(&[
            ("conversation_id", conversation.to_string()),
            ("name", "label.png".to_string()),
        ])
        .header("cookie", cookie);
    send_picture(request, bytes)
        .await
        .map_err(|e| format!("{e} (as an agent)"))
}

/// One agent's console, over and over: live for a while, then offline for a while.
pub async fn agent(
    server: SocketAddr,
    http: Arc<Http>,
    cookie: String,
    me: Me,
    n: usize,
    args: SoakArgs,
    counters: Arc<Counters>,
    stop: Stop,
) {
    let mut dice = Dice::new(1_000 + n as u64);
    let mut replies = 0u64;
    while !stop.is_set() {
        match connect(server, "/ws/operator", Some(&cookie), n).await {
            Ok(ws) => {
                shift(
                    ws,
                    &http,
                    &cookie,
                    &me,
                    &args,
                    &counters,
                    &stop,
                    &mut dice,
                    &mut replies,
                )
                .await
            }
            Err(e) => counters.error(format!("an agent's console: {e}")),
        }
        if stop.is_set() {
            break;
        }
        stop.wait(dice.between(args.offline_secs * 1000, args.offline_secs * 2000))
            .await;
    }
}

/// One stretch live: goes live, takes what it is offered, hands every chat back after a while,
/// goes offline and closes the console.
#[allow(clippy::too_many_arguments)]
async fn shift(
    ws: crate::clients::Ws,
    http: &Http,
    cookie: &str,
    me: &Me,
    args: &SoakArgs,
    counters: &Counters,
    stop: &Stop,
    dice: &mut Dice,
    replies: &mut u64,
) {
    let (mut sink, mut stream) = ws.split();
    if sink.send(show("mine")).await.is_err() {
        counters.error("an agent's console closed at once".to_string());
        return;
    }
    let shift_ends = Instant::now() + dice.between(args.live_secs * 1000, args.live_secs * 2000);
    let mut live = false;
    // The chats this agent holds, and when each goes back to the assistant.
    let mut held: HashMap<i64, Instant> = HashMap::new();
    // The chats it accepted and has not seen assigned to it yet: a chat becomes held once, when
    // that news arrives (not again from news sent before it was handed back).
    let mut accepting: HashSet<i64> = HashSet::new();
    let mut ticker = tokio::time::interval(std::time::Duration::from_millis(250));
    let reply = |conversation_id: i64, attachments: Vec<i64>, replies: &mut u64| {
        *replies += 1;
        frame(&OperatorCommand::Send {
            conversation_id,
            body: "Thanks for waiting, I am looking into it now.".into(),
            idempotency_key: format!("soak-agent-{}-{replies}", me.member_id),
            internal: false,
            attachments,
        })
    };
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let now = Instant::now();
                let ending = stop.is_set() || now >= shift_ends;
                let due: Vec<i64> = held.iter().filter(|(_, at)| ending || **at <= now).map(|(c, _)| *c).collect();
                for c in due {
                    held.remove(&c);
                    let id = c.to_string();
                    match http.call("inbox/restore_to_ai", &[("id", id.as_str())], Some(cookie)).await {
                        Ok(_) => { counters.handed_back.fetch_add(1, Ordering::Relaxed); }
                        Err(e) => counters.error(format!("handing a chat back: {e}")),
                    }
                    if sink.send(frame(&OperatorCommand::Unwatch { conversation_id: c })).await.is_err() {
                        counters.error("an agent's console closed".to_string());
                        return;
                    }
                }
                if ending {
                    if live {
                        let _ = sink.send(frame(&OperatorCommand::GoOffline)).await;
                        counters.went_offline.fetch_add(1, Ordering::Relaxed);
                    }
                    let _ = sink.close().await;
                    return;
                }
            }
            next = stream.next() => {
                let text = match next {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => { counters.error(format!("an agent's console failed: {e}")); return; }
                    None => { counters.error("the server closed an agent's console".to_string()); return; }
                };
                let Ok(event) = serde_json::from_str::<OperatorEvent>(&text) else {
                    counters.error(format!("an agent's console got a frame it cannot read: {text}"));
                    continue;
                };
                let command = match event {
                    OperatorEvent::Presence { presence } => {
                        let now_live = !presence.live_workflows.is_empty();
                        if now_live && !live {
                            counters.went_live.fetch_add(1, Ordering::Relaxed);
                        }
                        live = now_live;
                        (!live && !presence.available_workflows.is_empty()).then(|| {
                            frame(&OperatorCommand::GoLive {
                                workflow_ids: presence.available_workflows.iter().map(|w| w.id).collect(),
                            })
                        })
                    }
                    OperatorEvent::Offer { offer } => {
                        counters.offers.fetch_add(1, Ordering::Relaxed);
                        accepting.insert(offer.conversation.id);
                        Some(frame(&OperatorCommand::Accept { conversation_id: offer.conversation.id }))
                    }
                    OperatorEvent::Conversation { conversation: c }
                        if c.assignee_id == Some(me.member_id)
                            && c.handler == Handler::Human
                            && accepting.remove(&c.id) =>
                    {
                        counters.accepted.fetch_add(1, Ordering::Relaxed);
                        held.insert(c.id, Instant::now() + dice.between(args.hold_secs * 1000, args.hold_secs * 2000));
                        let watch = frame(&OperatorCommand::Watch { conversation_id: c.id, last_seq: c.last_seq });
                        if sink.send(watch).await.is_err() {
                            return;
                        }
                        // Every other chat gets a file with the first answer.
                        let mut files = vec![];
                        if *replies % 2 == 0 {
                            let bytes = picture(me.member_id as u64 * 7_919 + *replies, 3_000);
                            match upload(http, cookie, c.id, bytes.clone()).await {
                                Ok(file) => {
                                    counters.files_sent.fetch_add(1, Ordering::Relaxed);
                                    files.push(file.id);
                                    match download(http, &file.path(), Some(cookie), &bytes).await {
                                        Ok(()) => { counters.files_opened.fetch_add(1, Ordering::Relaxed); }
                                        Err(e) => counters.error(e),
                                    }
                                }
                                Err(e) => counters.error(e),
                            }
                        }
                        Some(reply(c.id, files, replies))
                    }
                    OperatorEvent::Message { message }
                        if message.sender_kind == SenderKind::Contact && held.contains_key(&message.conversation_id) =>
                    {
                        Some(reply(message.conversation_id, vec![], replies))
                    }
                    OperatorEvent::Ack { .. } => {
                        counters.agent_replies.fetch_add(1, Ordering::Relaxed);
                        None
                    }
                    // Two agents accept the same pooled chat: one of them is told it is taken.
                    OperatorEvent::Error { message, .. } => {
                        counters.refusal(message);
                        None
                    }
                    _ => None,
                };
                if let Some(command) = command {
                    if sink.send(command).await.is_err() {
                        counters.error("an agent's console closed".to_string());
                        return;
                    }
                }
            }
        }
    }
}

/// A supervisor's console on the whole inbox, reloaded every so often.
pub async fn supervisor(
    server: SocketAddr,
    cookie: String,
    n: usize,
    args: SoakArgs,
    counters: Arc<Counters>,
    stop: Stop,
) {
    let mut dice = Dice::new(2_000 + n as u64);
    while !stop.is_set() {
        let ws = match connect(server, "/ws/operator", Some(&cookie), n).await {
            Ok(ws) => ws,
            Err(e) => {
                counters.error(format!("a supervisor's console: {e}"));
                stop.wait(dice.between(250, 750)).await;
                continue;
            }
        };
        let (mut sink, mut stream) = ws.split();
        if sink.send(show("")).await.is_err() {
            counters.error("a supervisor's console closed at once".to_string());
            continue;
        }
        let reload = Instant::now() + dice.between(args.live_secs * 1000, args.live_secs * 2000);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(reload) => break,
                _ = stop.wait_forever() => break,
                next = stream.next() => match next {
                    Some(Ok(Message::Text(_))) => { counters.supervisor_events.fetch_add(1, Ordering::Relaxed); }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => { counters.error(format!("a supervisor's console failed: {e}")); break; }
                    None => { counters.error("the server closed a supervisor's console".to_string()); break; }
                },
            }
        }
        let _ = sink.close().await;
        counters.reloads.fetch_add(1, Ordering::Relaxed);
    }
}
