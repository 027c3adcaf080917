//! The inbox's state in the browser: the page of conversations, kept current by the live events, and the links that carry its filters.

use leptos::prelude::*;

use crate::conversation::get_conversation_summary;
use crate::conversation::Viewer;
use crate::events::{MessageView, OperatorCommand, OperatorEvent, SenderKind};
use crate::inbox::inbox_page;
use crate::inbox::{ConversationSummary, InboxQuery, Showing, StatusCounts};
use crate::lifecycle::Status;
use crate::link::OperatorLink;

/// A message this member sent that the server has not confirmed yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub key: String,
    pub conversation_id: i64,
    pub body: String,
    pub internal: bool,
    pub attachments: Vec<i64>,
}

impl Pending {
    fn command(&self) -> OperatorCommand {
        OperatorCommand::Send {
            conversation_id: self.conversation_id,
            body: self.body.clone(),
            idempotency_key: self.key.clone(),
            internal: self.internal,
            attachments: self.attachments.clone(),
        }
    }
}

/// The inbox's live state, shared by the list and the open conversation.
#[derive(Clone, Copy)]
pub struct Inbox {
    pub conversations: RwSignal<Vec<ConversationSummary>>,
    pub counts: RwSignal<StatusCounts>,
    pub next: RwSignal<Option<String>>,
    pub loaded: RwSignal<bool>,
    pub loading_more: RwSignal<bool>,
    pub connected: RwSignal<bool>,
    pub open: RwSignal<Option<i64>>,
    /// The open conversation as it stands, whether or not the list's view shows it (a
    /// snoozed one, say).
    pub open_summary: RwSignal<Option<ConversationSummary>>,
    pub thread: RwSignal<Vec<MessageView>>,
    pub thread_loaded: RwSignal<bool>,
    /// Older messages exist before the first one shown.
    pub has_earlier: RwSignal<bool>,
    pub typing: RwSignal<Option<String>>,
    /// Why a reply cannot be sent on the open conversation's channel now (an SMS customer who
    /// texted STOP).
    pub reply_blocked: RwSignal<Option<String>>,
    /// The open conversation's subject (e-mail).
    pub subject: RwSignal<Option<String>>,
    /// Others on the team who have the open conversation open too.
    pub viewers: RwSignal<Vec<Viewer>>,
    pub pending: RwSignal<Vec<Pending>>,
    pub problem: RwSignal<Option<String>>,
    pub query: Memo<InboxQuery>,
    pub help_open: RwSignal<bool>,
    /// The composer writes a note for the team rather than a reply.
    pub compose_note: RwSignal<bool>,
    pub me: StoredValue<i64>,
    pub link: OperatorLink,
    /// Counts the live changes applied to the list, so that a reload which was in flight while
    /// one arrived is not allowed to put the older state back.
    live_changes: StoredValue<u64>,
}

/// The inbox address for a query (and an open conversation).
pub fn inbox_href(q: &InboxQuery, id: Option<i64>) -> String {
    let mut params = Vec::new();
    for (k, v) in [
        ("view", &q.view),
        ("status", &q.status),
        ("channel", &q.channel),
        ("workflow", &q.workflow),
        ("q", &q.q),
    ] {
        if !v.is_empty() {
            params.push(format!("{k}={}", encode(v)));
        }
    }
    let path = match id {
        Some(id) => format!("/inbox/{id}"),
        None => "/inbox".to_string(),
    };
    if params.is_empty() {
        path
    } else {
        format!("{path}?{}", params.join("&"))
    }
}

pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Inbox {
    /// A reply to `conversation_id`'s customer that the server has not confirmed yet. Until it
    /// has, handing the conversation back or transferring it would race the reply, which takes
    /// the conversation again when it is stored after them.
    pub fn replying(&self, conversation_id: i64) -> bool {
        self.pending
            .with(|p| p.iter().any(|x| !x.internal && x.conversation_id == conversation_id))
    }

    /// Sends a message (a reply, or a note when `internal`) and shows it as "Sending…" until
    /// the server confirms it; false when not connected (nothing was sent).
    pub fn send_message(&self, conversation_id: i64, body: String, internal: bool, attachments: Vec<i64>) -> bool {
        let pending = Pending {
            key: crate::socket::new_key(),
            conversation_id,
            body,
            internal,
            attachments,
        };
        if !self.send(&pending.command()) {
            return false;
        }
        self.pending.update(|p| p.push(pending));
        true
    }

    /// Sends again what the server had not confirmed when the socket dropped: the same keys,
    /// so a message that was stored is not stored twice.
    pub fn resend_pending(&self) {
        for p in self.pending.get_untracked() {
            self.send(&p.command());
        }
    }

    pub fn new(link: OperatorLink, query: Memo<InboxQuery>, me: i64) -> Self {
        Inbox {
            conversations: RwSignal::new(Vec::new()),
            counts: RwSignal::new(StatusCounts::default()),
            next: RwSignal::new(None),
            loaded: RwSignal::new(false),
            loading_more: RwSignal::new(false),
            connected: link.connected,
            open: RwSignal::new(None),
            thread: RwSignal::new(Vec::new()),
            thread_loaded: RwSignal::new(false),
            has_earlier: RwSignal::new(false),
            typing: RwSignal::new(None),
            reply_blocked: RwSignal::new(None),
            subject: RwSignal::new(None),
            viewers: RwSignal::new(Vec::new()),
            pending: RwSignal::new(Vec::new()),
            problem: RwSignal::new(None),
            query,
            help_open: RwSignal::new(false),
            compose_note: RwSignal::new(false),
            me: StoredValue::new(me),
            link,
            live_changes: StoredValue::new(0),
            open_summary: RwSignal::new(None),
        }
    }

    pub fn send(&self, command: &OperatorCommand) -> bool {
        self.link.send(command)
    }

    /// Keeps the open conversation's summary current.
    fn follow_open(&self, c: &ConversationSummary) {
        if self.open.get_untracked() == Some(c.id) {
            self.open_summary.set(Some(c.clone()));
        }
    }

    /// The open conversation (from the list, or as it stands when the list's view leaves it out).
    pub fn open_conversation(&self, id: i64) -> Option<ConversationSummary> {
        self.summary(id)
            .or_else(|| self.open_summary.get().filter(|s| s.id == id))
    }

    /// Puts a conversation in the list (or replaces it), newest activity first.
    pub fn upsert(&self, c: ConversationSummary) {
        self.follow_open(&c);
        self.conversations.update(|list| {
            list.retain(|x| x.id != c.id);
            list.push(c);
            list.sort_by(|a, b| b.last_activity_at.cmp(&a.last_activity_at).then(b.id.cmp(&a.id)));
        });
    }

    pub fn summary(&self, id: i64) -> Option<ConversationSummary> {
        self.conversations.with(|l| l.iter().find(|c| c.id == id).cloned())
    }

    /// Reloads the first page for the current filters. A page fetched while live changes
    /// arrived may predate them, so it is fetched again (a few times at most) rather than shown.
    pub fn reload_list(self) {
        self.reload_list_within(3);
    }

    pub fn reload_list_within(self, attempts: u8) {
        let query = self.query.get_untracked();
        let changes = self.live_changes.get_value();
        // Every change while the page loads, since the page may not include it.
        self.link.show(Showing::Everything);
        leptos::task::spawn_local(async move {
            match inbox_page(query.clone()).await {
                // A newer query may have replaced this one meanwhile.
                Ok(_) if self.query.get_untracked() != query => return,
                Ok(_) if self.live_changes.get_value() != changes && attempts > 1 => {
                    return self.reload_list_within(attempts - 1);
                }
                Ok(page) => {
                    self.conversations.set(page.conversations);
                    self.counts.set(page.counts);
                    self.next.set(page.next);
                    self.link.mine_unread.set(page.mine_unread);
                    self.problem.set(None);
                    self.show_listed();
                }
                Err(e) => self.problem.set(Some(e.to_string())),
            }
            self.loaded.set(true);
        });
    }

    pub fn load_more(self) {
        let Some(before) = self.next.get_untracked() else {
            return;
        };
        let query = InboxQuery {
            before,
            ..self.query.get_untracked()
        };
        self.loading_more.set(true);
        self.link.show(Showing::Everything);
        leptos::task::spawn_local(async move {
            match inbox_page(query).await {
                Ok(page) => {
                    self.conversations.update(|l| {
                        for c in page.conversations {
                            if !l.iter().any(|x| x.id == c.id) {
                                l.push(c);
                            }
                        }
                    });
                    self.next.set(page.next);
                    self.show_listed();
                }
                Err(e) => self.problem.set(Some(e.to_string())),
            }
            self.loading_more.set(false);
        });
    }

    /// Tells the server which conversations the list shows under which query (see `Showing`).
    fn show_listed(&self) {
        let listed = self
            .conversations
            .with_untracked(|l| l.iter().map(|c| c.id).take(crate::inbox::MOST_LISTED).collect());
        self.link.show(Showing::Inbox {
            query: self.query.get_untracked(),
            listed,
        });
    }

    /// Whether a conversation belongs in the list under the current filters (search aside,
    /// which only the server can answer).
    pub fn fits(&self, c: &ConversationSummary) -> bool {
        self.query
            .get_untracked()
            .fits(&c.facts(), self.me.get_value(), crate::socket::js_now() as i64)
    }

    pub fn reading(&self, id: i64) -> bool {
        self.open.get_untracked() == Some(id) && !crate::browser::tab_hidden()
    }

    /// Tells the server (and this member's other tabs) that the open conversation is read.
    pub fn mark_read(&self, id: i64, seq: i64) {
        if seq > 0 {
            self.send(&OperatorCommand::Read {
                conversation_id: id,
                seq,
            });
        }
        self.conversations.update(|l| {
            if let Some(c) = l.iter_mut().find(|c| c.id == id) {
                c.unread = 0;
            }
        });
    }

    /// Asks the server for the conversation as it is (for its exact unread count). What the
    /// socket said while the answer was on its way is not overwritten by it.
    pub fn refetch(self, id: i64) {
        leptos::task::spawn_local(async move {
            let Ok(s) = get_conversation_summary(id).await else {
                return;
            };
            let shown = self
                .conversations
                .with_untracked(|l| l.iter().find(|c| c.id == id).map(|c| c.last_seq));
            match shown {
                // A newer message came meanwhile: the count that goes with it.
                Some(seq) if seq > s.last_seq => self.refetch(id),
                // The row is as new: its state may be newer still; only the count is taken.
                Some(seq) if seq == s.last_seq => self.conversations.update(|l| {
                    if let Some(c) = l.iter_mut().find(|c| c.id == id) {
                        c.unread = s.unread;
                    }
                }),
                _ if self.fits(&s) => self.upsert(s),
                _ => {}
            }
        });
    }

    /// A conversation changed: keep the list, the counts and the unread numbers right.
    pub fn changed(&self, mut c: ConversationSummary) {
        self.follow_open(&c);
        let me = self.me.get_value();
        let existing = self.summary(c.id);
        let fits = self.fits(&c);
        self.counts.update(|counts| {
            let bump = |counts: &mut StatusCounts, status: Status, by: i32| {
                let slot = match status {
                    Status::Open => &mut counts.open,
                    Status::Waiting => &mut counts.waiting,
                    Status::Active => &mut counts.active,
                    Status::Resolved => &mut counts.resolved,
                };
                *slot = (*slot as i32 + by).max(0) as u32;
            };
            match &existing {
                Some(old) if old.status != c.status => {
                    bump(counts, old.status, -1);
                    bump(counts, c.status, 1);
                }
                None if fits && self.query.get_untracked().q.is_empty() => bump(counts, c.status, 1),
                _ => {}
            }
        });
        if !fits {
            self.conversations.update(|l| l.retain(|x| x.id != c.id));
            return;
        }
        match existing {
            Some(old) => {
                c.unread = if c.last_seq <= old.last_seq {
                    old.unread
                } else if self.reading(c.id) {
                    0
                } else if c.last_seq == old.last_seq + 1 {
                    old.unread
                        + u32::from(ConversationSummary::counts_as_unread(
                            c.last_sender_kind,
                            c.last_sender_id,
                            me,
                        ))
                } else {
                    // Several messages at once: ask the server for the exact number.
                    self.refetch(c.id);
                    old.unread
                };
                self.upsert(c);
            }
            None if self.query.get_untracked().q.is_empty() => {
                let id = c.id;
                self.upsert(c);
                self.refetch(id);
            }
            None => {}
        }
    }

    pub fn handle(&self, event: &OperatorEvent) {
        if matches!(event, OperatorEvent::Conversation { .. } | OperatorEvent::Read { .. }) {
            self.live_changes.update_value(|n| *n += 1);
        }
        match event.clone() {
            OperatorEvent::Conversation { conversation } => self.changed(conversation),
            OperatorEvent::Message { message } => {
                if self.open.get_untracked() != Some(message.conversation_id) {
                    return;
                }
                if message.sender_kind != SenderKind::Operator || message.internal {
                    self.typing.set(None);
                }
                if let Some(key) = &message.idempotency_key {
                    self.pending.update(|p| p.retain(|x| &x.key != key));
                }
                let (id, seq) = (message.conversation_id, message.seq);
                self.thread.update(|t| {
                    if !t.iter().any(|m| m.seq == message.seq) {
                        t.push(message);
                        t.sort_by_key(|m| m.seq);
                    }
                });
                if !crate::browser::tab_hidden() {
                    self.mark_read(id, seq);
                }
            }
            OperatorEvent::Delivery {
                conversation_id,
                seq,
                delivery,
            } => {
                if self.open.get_untracked() == Some(conversation_id) {
                    self.thread.update(|t| {
                        if let Some(m) = t.iter_mut().find(|m| m.seq == seq) {
                            m.delivery = Some(delivery);
                        }
                    });
                }
            }
            OperatorEvent::ReplyBlocked {
                conversation_id,
                reason,
            } => {
                if self.open.get_untracked() == Some(conversation_id) {
                    self.reply_blocked.set(reason);
                }
            }
            OperatorEvent::Typing {
                conversation_id,
                name,
                composing,
                ..
            } => {
                if self.open.get_untracked() == Some(conversation_id) {
                    self.typing.set(composing.then_some(name));
                }
            }
            OperatorEvent::Viewers {
                conversation_id,
                viewers,
            } => {
                if self.open.get_untracked() == Some(conversation_id) {
                    let me = self.me.get_value();
                    self.viewers
                        .set(viewers.into_iter().filter(|v| v.member_id != me).collect());
                }
            }
            OperatorEvent::Read { conversation_id, seq } => {
                let stale = self.summary(conversation_id).is_some_and(|c| c.last_seq > seq);
                if stale {
                    self.refetch(conversation_id);
                } else {
                    self.conversations.update(|l| {
                        if let Some(c) = l.iter_mut().find(|c| c.id == conversation_id) {
                            c.unread = 0;
                        }
                    });
                }
            }
            OperatorEvent::Ack { idempotency_key, .. } => {
                self.pending.update(|p| p.retain(|x| x.key != idempotency_key))
            }
            OperatorEvent::Error {
                message,
                idempotency_key: Some(key),
            } => {
                self.pending.update(|p| p.retain(|x| x.key != key));
                self.problem.set(Some(message));
            }
            // Refusals of presence and offer commands are shown by the status control.
            OperatorEvent::Error {
                idempotency_key: None, ..
            } => {}
            OperatorEvent::Presence { .. }
            | OperatorEvent::Offer { .. }
            | OperatorEvent::OfferClosed { .. }
            | OperatorEvent::Board { .. }
            | OperatorEvent::WaitingAlert { .. }
            | OperatorEvent::Pong => {}
        }
    }

    /// The conversation `step` places after (1) or before (-1) the open one.
    pub fn neighbour(&self, step: i32) -> Option<i64> {
        self.conversations.with_untracked(|l| {
            let at = self
                .open
                .get_untracked()
                .and_then(|id| l.iter().position(|c| c.id == id));
            let target = match at {
                None if step > 0 => Some(0),
                None => None,
                Some(i) => {
                    let j = i as i32 + step;
                    (j >= 0).then_some(j as usize)
                }
            };
            target.and_then(|j| l.get(j)).map(|c| c.id)
        })
    }
}
