//! The signed-in member's one operator socket, opened by the application frame and shared by
//! every page: the status control, incoming offers and the live board are kept here, and pages
//! listen for the events they show (the inbox: conversations, messages, typing).

#[cfg(feature = "hydrate")]
use std::rc::Rc;

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
use crate::events::SESSION_ENDED;
use crate::events::{OperatorCommand, OperatorEvent};
use crate::inbox::Showing;
use crate::live::{LiveBoard, MyPresence, OfferView};
#[cfg(feature = "hydrate")]
use crate::socket::ws_url;
use crate::socket::{BrowserCell, Socket};

#[cfg(feature = "hydrate")]
type Listener = Rc<dyn Fn(&OperatorEvent)>;
#[cfg(feature = "hydrate")]
type Reconnect = Rc<dyn Fn()>;

// On the server there are no sockets and no listeners; the stored values are empty there, so
// dropping them on whatever thread the render ends on is harmless.
#[cfg(feature = "hydrate")]
type Listeners = Vec<(u64, Listener)>;
#[cfg(not(feature = "hydrate"))]
type Listeners = ();
#[cfg(feature = "hydrate")]
type Reconnects = Vec<(u64, Reconnect)>;
#[cfg(not(feature = "hydrate"))]
type Reconnects = ();

#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct OperatorLink {
    pub connected: RwSignal<bool>,
    pub presence: RwSignal<Option<MyPresence>>,
    pub offers: RwSignal<Vec<OfferView>>,
    pub board: RwSignal<Option<LiveBoard>>,
    /// The last refusal of a presence or offer command, in words.
    pub notice: RwSignal<Option<String>>,
    /// Conversations waiting too long with nobody live (supervisors'): (id, words).
    pub waiting_alerts: RwSignal<Vec<(i64, String)>>,
    /// Unread messages in the member's own conversations (the tab title shows it).
    pub mine_unread: RwSignal<u32>,
    /// What the console shows, told to the server again on every (re)connect.
    showing: StoredValue<Showing>,
    socket: BrowserCell<Option<Socket>>,
    listeners: BrowserCell<Listeners>,
    reconnects: BrowserCell<Reconnects>,
    next_id: StoredValue<u64>,
}

impl OperatorLink {
    /// Opens the socket (in the browser) and keeps it until the frame goes away.
    pub fn open() -> OperatorLink {
        let link = OperatorLink {
            connected: RwSignal::new(false),
            presence: RwSignal::new(None),
            offers: RwSignal::new(Vec::new()),
            board: RwSignal::new(None),
            notice: RwSignal::new(None),
            waiting_alerts: RwSignal::new(Vec::new()),
            mine_unread: RwSignal::new(0),
            showing: StoredValue::new(Showing::Own),
            socket: BrowserCell::new(|| None),
            listeners: BrowserCell::new(Default::default),
            reconnects: BrowserCell::new(Default::default),
            next_id: StoredValue::new(0),
        };
        #[cfg(feature = "hydrate")]
        {
            Effect::new(move |_| {
                let s = Socket::open(
                    ws_url("/ws/operator"),
                    move || {
                        link.connected.set(true);
                        link.send(&OperatorCommand::Show {
                            showing: link.showing.get_value(),
                        });
                        let callbacks: Vec<Reconnect> =
                            link.reconnects.with(|r| r.iter().map(|(_, f)| f.clone()).collect());
                        for f in callbacks {
                            f();
                        }
                    },
                    move |text| link.dispatch(&text),
                    move |_, code, reason| {
                        link.connected.set(false);
                        // The session ended (signed out, expired, idle): sign in again, then
                        // come back here. The reason is the server's error in words.
                        if code == SESSION_ENDED {
                            let expired = reason == crate::AppError::SessionExpired.to_string();
                            to_sign_in(expired);
                        } else if code == CONNECTION_REFUSED {
                            // The socket did not open at all: a browser is not shown why, and a
                            // session that ended before the socket opened is refused this way.
                            // Ask whether this browser is still signed in.
                            leptos::task::spawn_local(async move {
                                if let Err(e) = crate::auth::current_member().await {
                                    if e.needs_sign_in() {
                                        to_sign_in(matches!(e, crate::AppError::SessionExpired));
                                    }
                                }
                            });
                        }
                    },
                );
                link.socket.update(|slot| *slot = Some(s));
            });
            // A key or a click anywhere in the console tells the server the person is here
            // (at most twice a minute), so an attended session does not end as idle.
            let said = StoredValue::new(0f64);
            let active = move || {
                let now = js_sys::Date::now();
                if now - said.get_value() > 30_000.0 && link.send(&OperatorCommand::Active) {
                    said.set_value(now);
                }
            };
            let keys = window_event_listener(leptos::ev::keydown, move |_| active());
            let clicks = window_event_listener(leptos::ev::pointerdown, move |_| active());
            on_cleanup(move || {
                keys.remove();
                clicks.remove();
                link.socket.with(|s| {
                    if let Some(s) = s {
                        s.close()
                    }
                })
            });
        }
        link
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn dispatch(&self, text: &str) {
        let Ok(event) = serde_json::from_str::<OperatorEvent>(text) else {
            return;
        };
        match &event {
            OperatorEvent::Presence { presence } => self.presence.set(Some(presence.clone())),
            OperatorEvent::Offer { offer } => self.offers.update(|o| {
                o.retain(|x| x.conversation.id != offer.conversation.id);
                o.push(offer.clone());
            }),
            OperatorEvent::OfferClosed { conversation_id } => self
                .offers
                .update(|o| o.retain(|x| x.conversation.id != *conversation_id)),
            OperatorEvent::Board { board } => self.board.set(Some(board.clone())),
            OperatorEvent::WaitingAlert {
                conversation_id,
                contact_name,
                workflow_name,
                ..
            } => self.waiting_alerts.update(|a| {
                a.retain(|(id, _)| id != conversation_id);
                a.push((
                    *conversation_id,
                    format!("{contact_name} has waited on {workflow_name} with nobody live."),
                ));
            }),
            OperatorEvent::Error {
                message,
                idempotency_key: None,
            } => self.notice.set(Some(message.clone())),
            _ => {}
        }
        #[cfg(feature = "hydrate")]
        {
            let listeners: Vec<Listener> = self.listeners.with(|l| l.iter().map(|(_, f)| f.clone()).collect());
            for f in listeners {
                f(&event);
            }
        }
    }

    pub fn send(&self, command: &OperatorCommand) -> bool {
        let text = serde_json::to_string(command).unwrap_or_default();
        self.socket.with(|s| s.as_ref().is_some_and(|s| s.send(&text)))
    }

    /// Tells the server what the console shows now (and again after every reconnect), so that
    /// it sends only the inbox changes the console can show.
    pub fn show(&self, showing: Showing) {
        // The frame (and its link) may be going away with the page that calls this.
        if self.showing.try_with_value(|s| *s != showing) == Some(true) {
            self.showing.try_set_value(showing.clone());
            self.send(&OperatorCommand::Show { showing });
        }
    }

    /// Calls `f` for every event while the calling component lives (in the browser).
    pub fn listen(&self, f: impl Fn(&OperatorEvent) + 'static) {
        #[cfg(feature = "hydrate")]
        {
            let id = self.next();
            self.listeners.update(|l| l.push((id, Rc::new(f))));
            let listeners = self.listeners;
            on_cleanup(move || listeners.update(|l| l.retain(|(i, _)| *i != id)));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = f;
    }

    /// Calls `f` after every (re)connect while the calling component lives (in the browser).
    pub fn on_connect(&self, f: impl Fn() + 'static) {
        #[cfg(feature = "hydrate")]
        {
            let id = self.next();
            self.reconnects.update(|r| r.push((id, Rc::new(f))));
            let reconnects = self.reconnects;
            on_cleanup(move || reconnects.update(|r| r.retain(|(i, _)| *i != id)));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = f;
    }

    #[cfg(feature = "hydrate")]
    fn next(&self) -> u64 {
        let id = self.next_id.get_value() + 1;
        self.next_id.set_value(id);
        id
    }
}

/// Goes to the sign-in page, coming back here after signing in.
#[cfg(feature = "hydrate")]
fn to_sign_in(expired: bool) {
    let why = if expired { "expired" } else { "signed_out" };
    if let Some(w) = web_sys::window() {
        let here = w.location().pathname().unwrap_or_default();
        let next = js_sys::encode_uri_component(&here);
        let _ = w.location().assign(&format!("/sign-in?reason={why}&next={next}"));
    }
}

/// The close code a browser reports for a socket that closed without a closing handshake,
/// which includes an upgrade the server refused.
#[cfg(feature = "hydrate")]
const CONNECTION_REFUSED: u16 = 1006;
