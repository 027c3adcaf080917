//! The clients: visitors on the widget protocol and operators on theirs, over real WebSockets
//! and HTTP, to Switchboard or to the relay alike. Every message body carries the phase and the
//! time it was sent, so the receiving side measures the delivery latency on one clock.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpSocket;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use app::events::{OperatorCommand, OperatorEvent, SenderKind, VisitorCommand, VisitorEvent};

use crate::measure::Leg;

/// Phases of a run; message bodies carry theirs so late arrivals count where they belong.
pub const PHASES: usize = 16;

/// The shared clock and the latency legs of every phase.
pub struct Stats {
    pub start: Instant,
    pub to_operator: Vec<Leg>,
    pub to_visitor: Vec<Leg>,
    pub keys: AtomicU64,
    /// Operator sockets the server closed that reconnected and resumed.
    pub reconnects: AtomicU64,
}

impl Stats {
    pub fn new() -> Arc<Stats> {
        Arc::new(Stats {
            start: Instant::now(),
            to_operator: (0..PHASES).map(|_| Leg::default()).collect(),
            to_visitor: (0..PHASES).map(|_| Leg::default()).collect(),
            keys: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
        })
    }

    pub fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    pub fn key(&self) -> String {
        format!("lg{}", self.keys.fetch_add(1, Ordering::Relaxed))
    }

    /// `p=<phase> t=<µs>`: what a measured message says.
    pub fn body(&self, phase: usize) -> String {
        format!("p={phase} t={}", self.now_us())
    }

    /// The phase and latency of a measured message's body, if it is one.
    pub fn latency(&self, body: &str) -> Option<(usize, u64)> {
        let mut parts = body.split_whitespace();
        let phase = parts.next()?.strip_prefix("p=")?.parse::<usize>().ok()?;
        let sent = parts.next()?.strip_prefix("t=")?.parse::<u64>().ok()?;
        (phase < PHASES).then(|| (phase, self.now_us().saturating_sub(sent)))
    }
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Only loopback: the load generator never sends traffic anywhere else.
pub fn loopback(url: &str) -> Result<SocketAddr, String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("ws://"))
        .ok_or_else(|| format!("{url}: only http:// or ws:// addresses on loopback are driven"))?;
    let host = rest.split('/').next().unwrap_or_default();
    let addr: SocketAddr = host
        .parse()
        .map_err(|_| format!("{url}: give the address as 127.0.0.1:PORT"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("{url}: the load generator only drives loopback addresses"));
    }
    Ok(addr)
}

/// Opens a WebSocket from one of several 127.0.0.x source addresses (one address has only
/// about 28,000 ports towards one server port).
pub async fn connect(server: SocketAddr, path: &str, cookie: Option<&str>, n: usize) -> Result<Ws, String> {
    let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (n % 8) as u8));
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(SocketAddr::new(source, 0))
        .map_err(|e| format!("binding {source}: {e}"))?;
    let stream = socket.connect(server).await.map_err(|e| format!("connecting: {e}"))?;
    let _ = stream.set_nodelay(true);
    let mut request = format!("ws://{server}{path}")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    if let Some(c) = cookie {
        request
            .headers_mut()
            .insert("cookie", c.parse().map_err(|_| "a bad cookie".to_string())?);
    }
    let (ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .map_err(|e| format!("upgrading {path}: {e}"))?;
    Ok(ws)
}

/// A task that writes what is sent to the returned channel into the socket.
fn writer(
    mut sink: futures_util::stream::SplitSink<Ws, Message>,
    depth: usize,
) -> (mpsc::Sender<Message>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Message>(depth);
    let task = tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if sink.send(m).await.is_err() {
                break;
            }
        }
    });
    (tx, task)
}

fn frame<T: serde::Serialize>(v: &T) -> Message {
    Message::Text(serde_json::to_string(v).expect("commands serialise").into())
}

/// Background tasks of one connection, stopped (and the socket closed) when dropped.
pub struct Tasks(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// A connected visitor: send frames through `tx`; its reader records operator replies.
pub struct Visitor {
    pub tx: mpsc::Sender<Message>,
    pub conversation: Option<i64>,
    _tasks: Tasks,
}

/// Connects a visitor, resumes, and (with `first`) sends a first message and waits until it
/// knows its conversation.
pub async fn visitor(
    server: SocketAddr,
    token: &str,
    n: usize,
    stats: Arc<Stats>,
    first: Option<&str>,
) -> Result<Visitor, String> {
    let ws = connect(server, "/ws/visitor", None, n).await?;
    let (mut sink, mut stream) = ws.split();
    sink.send(frame(&VisitorCommand::Resume {
        token: token.to_string(),
        last_seq: 0,
    }))
    .await
    .map_err(|e| e.to_string())?;
    let mut conversation = None;
    if let Some(text) = first {
        sink.send(frame(&VisitorCommand::Send {
            body: text.to_string(),
            idempotency_key: stats.key(),
            attachments: vec![],
        }))
        .await
        .map_err(|e| e.to_string())?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while conversation.is_none() {
            let next = tokio::time::timeout_at(deadline, stream.next())
                .await
                .map_err(|_| "no answer to the first message".to_string())?;
            let Some(Ok(Message::Text(t))) = next else {
                return Err("the visitor socket closed".into());
            };
            if let Ok(VisitorEvent::Message { message }) = serde_json::from_str(&t) {
                conversation = Some(message.conversation_id);
            }
        }
    }
    let (tx, writer) = writer(sink, 256);
    let reader = tokio::spawn(async move {
        while let Some(Ok(m)) = stream.next().await {
            let Message::Text(t) = m else { continue };
            if let Ok(VisitorEvent::Message { message }) = serde_json::from_str::<VisitorEvent>(&t) {
                if message.sender_kind == SenderKind::Operator {
                    if let Some((phase, us)) = stats.latency(&message.body) {
                        stats.to_visitor[phase].record(us);
                    }
                }
            }
        }
    });
    Ok(Visitor {
        tx,
        conversation,
        _tasks: Tasks(vec![writer, reader]),
    })
}

/// A visitor that connects, resumes and then only holds its socket open.
pub async fn idle_visitor(server: SocketAddr, token: &str, n: usize) -> Result<Ws, String> {
    let mut ws = connect(server, "/ws/visitor", None, n).await?;
    ws.send(frame(&VisitorCommand::Resume {
        token: token.to_string(),
        last_seq: 0,
    }))
    .await
    .map_err(|e| e.to_string())?;
    Ok(ws)
}

/// An operator socket watching some conversations; it answers every visitor message at once
/// with a measured reply. When the server closes it (a socket that fell behind is closed with
/// 1012), it reconnects and watches again from the newest message it saw of each conversation,
/// as the console does, so what it missed arrives late rather than never.
pub async fn operator(
    server: SocketAddr,
    cookie: Option<&str>,
    n: usize,
    watch: &[i64],
    stats: Arc<Stats>,
) -> Result<Tasks, String> {
    let first = connect(server, "/ws/operator", cookie, n).await?;
    let cookie = cookie.map(str::to_string);
    let watch = watch.to_vec();
    let task = tokio::spawn(async move {
        let mut seen: HashMap<i64, i64> = watch.iter().map(|c| (*c, 0)).collect();
        let mut next = Some(first);
        let mut failures = 0u32;
        loop {
            let ws = match next.take() {
                Some(ws) => ws,
                None => match connect(server, "/ws/operator", cookie.as_deref(), n).await {
                    Ok(ws) => {
                        stats.reconnects.fetch_add(1, Ordering::Relaxed);
                        failures = 0;
                        ws
                    }
                    Err(_) if failures < 20 => {
                        failures += 1;
                        tokio::time::sleep(Duration::from_millis(100 << failures.min(5))).await;
                        continue;
                    }
                    Err(_) => return,
                },
            };
            answer(ws, &mut seen, &stats).await;
        }
    });
    Ok(Tasks(vec![task]))
}

/// Watches the conversations in `seen` from the newest message seen of each, and answers
/// visitor messages until the socket ends.
async fn answer(ws: Ws, seen: &mut HashMap<i64, i64>, stats: &Arc<Stats>) {
    let (mut sink, mut stream) = ws.split();
    // As a console does: its inbox shows the operator's own conversations.
    let show = frame(&OperatorCommand::Show {
        showing: app::inbox::Showing::Inbox {
            query: app::inbox::InboxQuery {
                view: "mine".into(),
                ..Default::default()
            },
            listed: vec![],
        },
    });
    if sink.send(show).await.is_err() {
        return;
    }
    for (c, last_seq) in seen.iter() {
        let watch = frame(&OperatorCommand::Watch {
            conversation_id: *c,
            last_seq: *last_seq,
        });
        if sink.send(watch).await.is_err() {
            return;
        }
    }
    let (tx, writer) = writer(sink, 4096);
    let _writer = Tasks(vec![writer]);
    while let Some(Ok(m)) = stream.next().await {
        let Message::Text(t) = m else { continue };
        let Ok(OperatorEvent::Message { message }) = serde_json::from_str::<OperatorEvent>(&t) else {
            continue;
        };
        let newest = seen.entry(message.conversation_id).or_insert(0);
        if message.seq <= *newest {
            continue;
        }
        *newest = message.seq;
        if message.sender_kind != SenderKind::Contact {
            continue;
        }
        if let Some((phase, us)) = stats.latency(&message.body) {
            stats.to_operator[phase].record(us);
            stats.to_visitor[phase].sent.fetch_add(1, Ordering::Relaxed);
            let reply = frame(&OperatorCommand::Send {
                conversation_id: message.conversation_id,
                body: stats.body(phase),
                idempotency_key: stats.key(),
                internal: false,
                attachments: vec![],
            });
            if tx.send(reply).await.is_err() {
                return;
            }
        }
    }
}

/// Sends `rate` visitor messages a second, spread over the visitors, for `secs` seconds.
pub async fn drive(visitors: &[Visitor], stats: &Arc<Stats>, phase: usize, rate: u64, secs: u64) {
    let tick = Duration::from_millis(10);
    let per_tick = rate as f64 / 100.0;
    let mut owed = 0.0;
    let mut next = 0usize;
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        ticker.tick().await;
        owed += per_tick;
        while owed >= 1.0 {
            owed -= 1.0;
            let v = &visitors[next % visitors.len()];
            next += 1;
            let m = frame(&VisitorCommand::Send {
                body: stats.body(phase),
                idempotency_key: stats.key(),
                attachments: vec![],
            });
            if v.tx.try_send(m).is_ok() {
                stats.to_operator[phase].sent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
