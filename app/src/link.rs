//! The signed-in member's one operator socket, opened by the application frame and shared by
//! every page: the status control, incoming offers and the live board are kept here, and pages
//! listen for the events they show (the inbox: conversations, messages, typing).

use std::rc::Rc;

use leptos::prelude::*;

use crate::events::{OperatorCommand, OperatorEvent};
use crate::model::{LiveBoard, MyPresence, OfferView};
use crate::socket::{ws_url, Socket};

type Listener = Rc<dyn Fn(&OperatorEvent)>;
type Reconnect = Rc<dyn Fn()>;

#[derive(Clone, Copy)]
pub struct OperatorLink {
    pub connected: RwSignal<bool>,
    pub presence: RwSignal<Option<MyPresence>>,
    pub offers: RwSignal<Vec<OfferView>>,
    pub board: RwSignal<Option<LiveBoard>>,
    /// The last refusal of a presence or offer command, in words.
    pub notice: RwSignal<Option<String>>,
    socket: StoredValue<Option<Socket>, LocalStorage>,
    listeners: StoredValue<Vec<(u64, Listener)>, LocalStorage>,
    reconnects: StoredValue<Vec<(u64, Reconnect)>, LocalStorage>,
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
            socket: StoredValue::new_local(None),
            listeners: StoredValue::new_local(Vec::new()),
            reconnects: StoredValue::new_local(Vec::new()),
            next_id: StoredValue::new(0),
        };
        Effect::new(move |_| {
            let s = Socket::open(
                ws_url("/ws/operator"),
                move || {
                    link.connected.set(true);
                    let callbacks: Vec<Reconnect> = link
                        .reconnects
                        .with_value(|r| r.iter().map(|(_, f)| f.clone()).collect());
                    for f in callbacks {
                        f();
                    }
                },
                move |text| link.dispatch(&text),
                move |_| link.connected.set(false),
            );
            link.socket.set_value(Some(s));
        });
        on_cleanup(move || {
            link.socket.with_value(|s| {
                if let Some(s) = s {
                    s.close()
                }
            })
        });
        link
    }

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
            OperatorEvent::Error {
                message,
                idempotency_key: None,
            } => self.notice.set(Some(message.clone())),
            _ => {}
        }
        let listeners: Vec<Listener> = self
            .listeners
            .with_value(|l| l.iter().map(|(_, f)| f.clone()).collect());
        for f in listeners {
            f(&event);
        }
    }

    pub fn send(&self, command: &OperatorCommand) -> bool {
        let text = serde_json::to_string(command).unwrap_or_default();
        self.socket.with_value(|s| s.as_ref().is_some_and(|s| s.send(&text)))
    }

    /// Calls `f` for every event while the calling component lives.
    pub fn listen(&self, f: impl Fn(&OperatorEvent) + 'static) {
        let id = self.next();
        self.listeners.update_value(|l| l.push((id, Rc::new(f))));
        let listeners = self.listeners;
        on_cleanup(move || listeners.update_value(|l| l.retain(|(i, _)| *i != id)));
    }

    /// Calls `f` after every (re)connect while the calling component lives.
    pub fn on_connect(&self, f: impl Fn() + 'static) {
        let id = self.next();
        self.reconnects.update_value(|r| r.push((id, Rc::new(f))));
        let reconnects = self.reconnects;
        on_cleanup(move || reconnects.update_value(|r| r.retain(|(i, _)| *i != id)));
    }

    fn next(&self) -> u64 {
        let id = self.next_id.get_value() + 1;
        self.next_id.set_value(id);
        id
    }
}
