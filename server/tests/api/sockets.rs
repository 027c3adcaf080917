//! WebSocket clients for tests: a visitor on the widget protocol and an operator.

use std::time::Duration;

use app::events::{OperatorCommand, OperatorEvent, VisitorCommand, VisitorEvent};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for an event before it fails (a bound, never a pause: waits end as
/// soon as the event comes). Generous: the suite runs many servers at once on two cores.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct Socket<Cmd, Ev> {
    ws: Ws,
    _types: std::marker::PhantomData<(Cmd, Ev)>,
}

pub type VisitorSocket = Socket<VisitorCommand, VisitorEvent>;
pub type OperatorSocket = Socket<OperatorCommand, OperatorEvent>;

pub async fn connect<Cmd, Ev>(url: &str, cookie: Option<&str>) -> Result<Socket<Cmd, Ev>, u16> {
    let cookie: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    connect_with(url, &cookie).await
}

/// Opens a socket with these request headers (a cookie, an `Origin` a browser would send).
pub async fn connect_with<Cmd, Ev>(url: &str, headers: &[(&str, &str)]) -> Result<Socket<Cmd, Ev>, u16> {
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let opened = tokio::time::timeout(WAIT * 3, tokio_tungstenite::connect_async(request))
        .await
        .unwrap_or_else(|_| panic!("the server did not answer the socket's handshake within {:?}", WAIT * 3));
    match opened {
        Ok((ws, _)) => Ok(Socket {
            ws,
            _types: std::marker::PhantomData,
        }),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("could not connect: {e}"),
    }
}

impl<Cmd: serde::Serialize, Ev: serde::de::DeserializeOwned + std::fmt::Debug> Socket<Cmd, Ev> {
    pub async fn send(&mut self, command: &Cmd) {
        self.ws
            .send(Message::Text(serde_json::to_string(command).unwrap().into()))
            .await
            .expect("the socket takes the frame");
    }

    /// The next event, or `None` if none comes within `within`.
    pub async fn next_within(&mut self, within: Duration) -> Option<Ev> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next()).await.ok()??.ok()?;
            if let Message::Text(t) = frame {
                return Some(serde_json::from_str(&t).unwrap_or_else(|e| panic!("{e}: {t}")));
            }
        }
    }

    /// Waits for the first event `pick` accepts, returning what it picks out.
    pub async fn wait_for<T>(&mut self, what: &str, mut pick: impl FnMut(&Ev) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some(ev) => {
                    if let Some(t) = pick(&ev) {
                        return t;
                    }
                    seen.push(ev);
                }
                None => panic!("waited for {what}; saw only {seen:#?}"),
            }
        }
    }

    /// Every event that arrives until the socket is quiet for `quiet`.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Ev> {
        let mut out = Vec::new();
        while let Some(ev) = self.next_within(quiet).await {
            out.push(ev);
        }
        out
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }

    /// Reads until the server closes the socket; gives the close frame's code and reason.
    /// Panics if it stays open for `within`.
    pub async fn closed_by_server(&mut self, within: Duration) -> (u16, String) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => panic!("the server did not close the socket within {within:?}"),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return frame.map_or((1005, String::new()), |f| (f.code.into(), f.reason.to_string()))
                }
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(e))) => panic!("the socket failed instead of closing: {e}"),
                Ok(None) => panic!("the socket ended without a close frame"),
            }
        }
    }
}

impl VisitorSocket {
    /// The words of the next command the server refused on this chat socket.
    pub async fn refusal(&mut self) -> String {
        self.wait_for("the refusal", |e| match e {
            VisitorEvent::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .await
    }
}

/// What an operator does on their socket, one method per command.
impl OperatorSocket {
    /// Opens a conversation in the console (its messages from the start).
    pub async fn watch(&mut self, conversation_id: i64) {
        self.send(&OperatorCommand::Watch {
            conversation_id,
            last_seq: 0,
        })
        .await;
    }

    /// Tells the server what the console shows, and waits until it has taken it in.
    pub async fn show(&mut self, showing: app::inbox::Showing) {
        self.send(&OperatorCommand::Show { showing }).await;
        self.send(&OperatorCommand::Ping).await;
        self.wait_for("the pong after Show", |e| {
            matches!(e, app::events::OperatorEvent::Pong).then_some(())
        })
        .await;
    }

    /// Sends `body` to the customer (`internal`: a note for the team instead).
    pub async fn say(&mut self, conversation_id: i64, body: &str, key: &str, internal: bool) {
        self.send(&OperatorCommand::Send {
            conversation_id,
            body: body.into(),
            idempotency_key: key.into(),
            internal,
            attachments: vec![],
        })
        .await;
    }
}
