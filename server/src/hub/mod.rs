//! The real-time hub: who is subscribed to what, and fan-out of events to them. It knows
//! nothing of sockets or HTTP: events arrive already encoded (once per audience, shared by
//! every subscriber) and wait in each subscriber's outbox (`outbox.rs`), where a newer summary
//! of a conversation takes the place of the one still waiting; a subscriber whose outbox fills
//! anyway cannot keep up and is dropped — its client reconnects and resumes from its last
//! sequence number.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, mpsc};

mod interest;
mod outbox;

pub use interest::Interest;
pub use outbox::{Latest, Outbox, Pushed};

/// What can be subscribed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Messages and typing in one conversation.
    Conversation(i64),
    /// Inbox changes of a workspace (for operators).
    Workspace(i64),
    /// One member's own events (presence, offers), to every tab they have open.
    Member(i64),
}

pub use crate::conversations::visibility::Visibility;

/// Which kind of client a subscriber is.
#[derive(Clone, Debug)]
pub enum Audience {
    Visitor,
    Operator(Arc<Visibility>),
}

/// One frame, encoded for each audience that should get it.
#[derive(Clone, Debug, Default)]
pub struct Event {
    /// The message's sequence number, so a resuming client can skip what it already has.
    pub seq: Option<i64>,
    pub for_visitors: Option<Arc<str>>,
    pub for_operators: Option<Arc<str>>,
    /// For inbox changes: what decides who may see the conversation and whose console can
    /// show it.
    pub facts: Option<app::inbox::Facts>,
    /// Not delivered back to this subscriber (the sender of a typing event).
    pub except: Option<u64>,
    /// Only for members who see the whole workspace (the supervisors' live board).
    pub supervisors_only: bool,
    /// A message's arrival at the server (Unix ms): sockets measure its delivery from it.
    pub received_ms: Option<i64>,
    /// Set when the event states the whole of what it shows (a conversation's summary, the
    /// live board), so that a newer one of the same kind makes it useless to a client that has
    /// not got it yet (see `Outbox`).
    pub latest: Option<Latest>,
}

/// What a subscriber receives.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub topic: Topic,
    pub seq: Option<i64>,
    /// The frame's bytes, shared by every subscriber it goes to.
    pub text: Utf8Bytes,
    /// See `Event::received_ms`.
    pub received_ms: Option<i64>,
    /// Set when only the newest frame of its kind matters (see `Outbox`).
    pub latest: Option<Latest>,
}

impl Delivery {
    /// A frame for this subscriber alone (an answer to its command), in its own order.
    pub fn answer(topic: Topic, text: Utf8Bytes) -> Delivery {
        Delivery {
            topic,
            seq: None,
            text,
            received_ms: None,
            latest: None,
        }
    }
}

struct Subscriber {
    audience: Audience,
    outbox: Arc<Outbox>,
    /// What an operator's console shows (on a workspace's topic).
    interest: Interest,
}

/// A subscriber's identity, used to unsubscribe.
pub type SubscriberId = u64;

/// Why open sockets must close; their clients reconnect and resume from their last sequence
/// number, with rights and subscriptions read afresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    /// What the member may see or do changed (their role, their groups, a group's workflows).
    Member(i64),
    /// The subscriber could not keep up and was dropped from a topic.
    Subscriber(SubscriberId),
    /// Events from other nodes may have been missed (the bus's connection dropped).
    Everyone,
}

pub struct Hub {
    topics: Mutex<HashMap<Topic, HashMap<SubscriberId, Subscriber>>>,
    /// Who has each conversation open: (subscriber, member id, name), for collision warnings.
    viewers: Mutex<HashMap<i64, Vec<(SubscriberId, i64, String)>>>,
    next_id: AtomicU64,
    closing: broadcast::Sender<Closing>,
    /// Where events go to reach the other nodes, when there is a bus (`bus.rs`).
    relay: OnceLock<mpsc::UnboundedSender<crate::bus::Wire>>,
    /// Whether the bus's connection is down now.
    bus_down: AtomicBool,
    /// Where routing's calls and answers from other nodes go (`cluster.rs`).
    cluster: OnceLock<mpsc::UnboundedSender<(String, crate::bus::Wire)>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            topics: Mutex::default(),
            viewers: Mutex::default(),
            next_id: AtomicU64::default(),
            closing: broadcast::channel(CLOSINGS).0,
            relay: OnceLock::new(),
            bus_down: AtomicBool::new(false),
            cluster: OnceLock::new(),
        }
    }
}

/// How many closings a socket may not have looked at yet; one that falls further behind closes
/// too (it cannot know whether one was meant for it).
const CLOSINGS: usize = 1024;

/// How many frames may wait for one slow visitor before it is dropped.
pub const VISITOR_QUEUE: usize = 512;

/// How many frames may wait for one slow console: more than for a visitor, for a console that
/// shows every conversation falls behind by every conversation's latest summary (one each)
/// while it is busy (opening, reading a backlog) or its network is slow.
pub const OPERATOR_QUEUE: usize = 4096;

impl Hub {
    pub fn new() -> Self {
        Hub::default()
    }

    /// What sockets listen to, to learn that they must close.
    pub fn closings(&self) -> broadcast::Receiver<Closing> {
        self.closing.subscribe()
    }

    /// The member's rights changed: their open sockets close, and reconnect with the new ones,
    /// on every node.
    pub fn close_member(&self, member_id: i64) {
        self.close_here(Closing::Member(member_id));
        if let Some(relay) = self.relay.get() {
            let _ = relay.send(crate::bus::Wire::CloseMember(member_id));
        }
    }

    /// Closes the sockets of this node that `closing` concerns.
    pub fn close_here(&self, closing: Closing) {
        // Nobody listening means no socket is open: nothing to close.
        let _ = self.closing.send(closing);
    }

    /// Notes whether the bus's connection is down (for `/readyz`).
    pub fn set_bus_down(&self, down: bool) {
        self.bus_down.store(down, Ordering::Relaxed);
    }

    /// Whether events reach the other nodes now: `None` on one node (no bus).
    pub fn bus_connected(&self) -> Option<bool> {
        self.relay.get().map(|_| !self.bus_down.load(Ordering::Relaxed))
    }

    /// From now on every event published here also goes to `relay`, for the other nodes.
    pub fn relay_to(&self, relay: mpsc::UnboundedSender<crate::bus::Wire>) {
        let _ = self.relay.set(relay);
    }

    /// Sends to the other nodes only (routing's calls and answers); nothing without a bus.
    pub fn send_to_nodes(&self, wire: crate::bus::Wire) {
        if let Some(relay) = self.relay.get() {
            let _ = relay.send(wire);
        }
    }

    /// From now on routing's calls and answers from other nodes go to `cluster`.
    pub fn cluster_to(&self, cluster: mpsc::UnboundedSender<(String, crate::bus::Wire)>) {
        let _ = self.cluster.set(cluster);
    }

    /// A call or answer for routing arrived from node `from`.
    pub fn to_cluster(&self, from: &str, wire: crate::bus::Wire) {
        if let Some(cluster) = self.cluster.get() {
            let _ = cluster.send((from.to_string(), wire));
        }
    }

    /// A new subscriber identity; one socket uses one for all its topics.
    pub fn new_subscriber(&self) -> SubscriberId {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn subscribe(&self, topic: Topic, id: SubscriberId, audience: Audience, outbox: Arc<Outbox>) {
        let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        topics.entry(topic).or_default().insert(
            id,
            Subscriber {
                audience,
                outbox,
                interest: Interest::default(),
            },
        );
    }

    /// The subscriber's console shows `showing` now (see `Interest`).
    pub fn show(&self, topic: Topic, id: SubscriberId, showing: app::inbox::Showing) {
        self.with_interest(topic, id, |i| i.show(showing));
    }

    /// These conversations were the subscriber's member's own when its socket opened.
    pub fn own(&self, topic: Topic, id: SubscriberId, conversations: Vec<i64>) {
        self.with_interest(topic, id, |i| i.own(conversations));
    }

    fn with_interest(&self, topic: Topic, id: SubscriberId, f: impl FnOnce(&mut Interest)) {
        let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sub) = topics.get_mut(&topic).and_then(|subs| subs.get_mut(&id)) {
            f(&mut sub.interest);
        }
    }

    pub fn unsubscribe(&self, topic: Topic, id: SubscriberId) {
        let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(subs) = topics.get_mut(&topic) {
            subs.remove(&id);
            if subs.is_empty() {
                topics.remove(&topic);
            }
        }
    }

    /// Removes a subscriber from every topic (its socket closed).
    pub fn remove(&self, id: SubscriberId, topics_of: &[Topic]) {
        for topic in topics_of {
            self.unsubscribe(*topic, id);
        }
    }

    /// Delivers the event to every interested subscriber of the topic, on every node.
    pub fn publish(&self, topic: Topic, event: &Event) {
        self.deliver(topic, event);
        if let Some(relay) = self.relay.get() {
            let _ = relay.send(crate::bus::Wire::event(topic, event));
        }
    }

    /// Delivers the event to the interested subscribers of the topic on this node.
    pub fn deliver(&self, topic: Topic, event: &Event) {
        let mut dropped = Vec::new();
        {
            let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
            // For an inbox change: the consoles that have the conversation open, and the time
            // that decides whether a snoozed one has woken.
            let change = event.facts.map(|f| {
                let open: Vec<SubscriberId> = topics
                    .get(&Topic::Conversation(f.id))
                    .map(|subs| subs.keys().copied().collect())
                    .unwrap_or_default();
                (f, open, crate::store::now_ms())
            });
            let Some(subs) = topics.get_mut(&topic) else { return };
            let latest = event.latest;
            // Encoded once for each audience, and those bytes shared by every socket.
            let for_visitors = event.for_visitors.as_ref().map(shared_bytes);
            let for_operators = event.for_operators.as_ref().map(shared_bytes);
            for (id, sub) in subs.iter_mut() {
                if event.except == Some(*id) {
                    continue;
                }
                let text = match &sub.audience {
                    Audience::Visitor => for_visitors.as_ref(),
                    Audience::Operator(vis) if event.supervisors_only && !vis.all => None,
                    Audience::Operator(vis) => match &change {
                        Some((f, open, now))
                            if !vis.sees(f.workflow_id, f.assignee_id)
                                || !sub.interest.wants(f, vis.member_id, open.contains(id), *now) =>
                        {
                            None
                        }
                        _ => for_operators.as_ref(),
                    },
                };
                let Some(text) = text else { continue };
                let pushed = sub.outbox.push(Delivery {
                    topic,
                    seq: event.seq,
                    text: text.clone(),
                    received_ms: event.received_ms,
                    latest,
                });
                if pushed != Pushed::Queued {
                    dropped.push((*id, pushed));
                }
            }
        }
        for (id, pushed) in dropped {
            self.unsubscribe(topic, id);
            if pushed == Pushed::Full {
                tracing::warn!(subscriber = id, ?topic, "closing a subscriber that cannot keep up");
                let _ = self.closing.send(Closing::Subscriber(id));
            }
        }
    }

    /// A member's socket opened the conversation; returns who has it open now, one entry per
    /// member however many tabs they use.
    pub fn view(&self, conversation_id: i64, id: SubscriberId, member_id: i64, name: &str) -> Vec<(i64, String)> {
        let mut viewers = self.viewers.lock().unwrap_or_else(|p| p.into_inner());
        let list = viewers.entry(conversation_id).or_default();
        if !list.iter().any(|(s, _, _)| *s == id) {
            list.push((id, member_id, name.to_string()));
        }
        distinct(list)
    }

    /// The socket left the conversation; returns who still has it open.
    pub fn unview(&self, conversation_id: i64, id: SubscriberId) -> Vec<(i64, String)> {
        let mut viewers = self.viewers.lock().unwrap_or_else(|p| p.into_inner());
        let Some(list) = viewers.get_mut(&conversation_id) else {
            return vec![];
        };
        list.retain(|(s, _, _)| *s != id);
        let left = distinct(list);
        if list.is_empty() {
            viewers.remove(&conversation_id);
        }
        left
    }

    /// How many subscribers a topic has (for tests and metrics).
    pub fn subscribers(&self, topic: Topic) -> usize {
        self.topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&topic)
            .map_or(0, |s| s.len())
    }
}

/// The frame's bytes without a copy: each socket's handle on them keeps the event's text alive.
fn shared_bytes(text: &Arc<str>) -> Utf8Bytes {
    struct Text(Arc<str>);
    impl AsRef<[u8]> for Text {
        fn as_ref(&self) -> &[u8] {
            self.0.as_bytes()
        }
    }
    Utf8Bytes::try_from(Bytes::from_owner(Text(text.clone()))).expect("a str is UTF-8")
}

fn distinct(list: &[(SubscriberId, i64, String)]) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = Vec::new();
    for (_, member, name) in list {
        if !out.iter().any(|(m, _)| m == member) {
            out.push((*member, name.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscriber_that_cannot_keep_up_is_told_to_close() {
        let hub = Hub::new();
        let mut closings = hub.closings();
        let slow = hub.new_subscriber();
        hub.subscribe(
            Topic::Conversation(1),
            slow,
            Audience::Visitor,
            Arc::new(Outbox::new(2)),
        );
        let event = Event {
            for_visitors: Some(Arc::from("{}")),
            ..Event::default()
        };
        for _ in 0..3 {
            hub.publish(Topic::Conversation(1), &event);
        }
        assert_eq!(closings.try_recv(), Ok(Closing::Subscriber(slow)));
        assert_eq!(hub.subscribers(Topic::Conversation(1)), 0);
    }

    #[test]
    fn a_subscriber_told_to_close_leaves_its_other_topics_without_being_told_again() {
        let hub = Hub::new();
        let mut closings = hub.closings();
        let slow = hub.new_subscriber();
        let outbox = Arc::new(Outbox::new(1));
        hub.subscribe(Topic::Conversation(1), slow, Audience::Visitor, outbox.clone());
        hub.subscribe(Topic::Member(2), slow, Audience::Visitor, outbox);
        let event = Event {
            for_visitors: text("{}"),
            ..Event::default()
        };
        hub.publish(Topic::Conversation(1), &event);
        hub.publish(Topic::Conversation(1), &event);
        hub.publish(Topic::Member(2), &event);
        assert_eq!(closings.try_recv(), Ok(Closing::Subscriber(slow)));
        assert!(closings.try_recv().is_err(), "told once");
        assert_eq!(hub.subscribers(Topic::Member(2)), 0);
    }

    #[test]
    fn viewers_are_one_per_member_and_leave_with_their_last_tab() {
        let hub = Hub::new();
        assert_eq!(hub.view(7, 1, 10, "Ava").len(), 1);
        assert_eq!(hub.view(7, 2, 10, "Ava").len(), 1, "a second tab is the same viewer");
        assert_eq!(
            hub.view(7, 3, 11, "Ben"),
            vec![(10, "Ava".to_string()), (11, "Ben".to_string())]
        );
        assert_eq!(hub.unview(7, 1).len(), 2);
        assert_eq!(hub.unview(7, 2), vec![(11, "Ben".to_string())]);
        assert!(hub.unview(7, 3).is_empty());
        assert!(hub.viewers.lock().unwrap().is_empty());
    }

    fn text(s: &str) -> Option<Arc<str>> {
        Some(Arc::from(s))
    }

    fn texts(frames: Vec<Delivery>) -> Vec<String> {
        frames.iter().map(|d| d.text.to_string()).collect()
    }

    fn facts(workflow_id: i64, assignee_id: Option<i64>) -> app::inbox::Facts {
        app::inbox::Facts {
            id: 1,
            workflow_id,
            assignee_id,
            status: app::lifecycle::Status::Waiting,
            channel_kind: app::lifecycle::ChannelKind::Web,
            snoozed_until: None,
        }
    }

    #[tokio::test]
    async fn visitors_and_operators_get_their_own_encoding_and_internal_notes_skip_visitors() {
        let hub = Hub::new();
        let (vrx, orx) = (Arc::new(Outbox::new(8)), Arc::new(Outbox::new(8)));
        let vis = Arc::new(Visibility {
            member_id: 1,
            all: true,
            workflows: vec![],
        });
        hub.subscribe(Topic::Conversation(7), 1, Audience::Visitor, vrx.clone());
        hub.subscribe(Topic::Conversation(7), 2, Audience::Operator(vis), orx.clone());
        hub.publish(
            Topic::Conversation(7),
            &Event {
                seq: Some(1),
                for_visitors: text("v"),
                for_operators: text("o"),
                ..Default::default()
            },
        );
        hub.publish(
            Topic::Conversation(7),
            &Event {
                seq: Some(2),
                for_operators: text("note"),
                ..Default::default()
            },
        );
        assert_eq!(
            texts(vrx.take(10).await),
            ["v"],
            "the visitor never sees an internal note"
        );
        assert_eq!(texts(orx.take(10).await), ["o", "note"]);
    }

    #[tokio::test]
    async fn workspace_events_reach_only_operators_who_may_see_the_conversation() {
        let hub = Hub::new();
        let (arx, brx) = (Arc::new(Outbox::new(8)), Arc::new(Outbox::new(8)));
        hub.subscribe(
            Topic::Workspace(1),
            1,
            Audience::Operator(Arc::new(Visibility {
                member_id: 1,
                all: false,
                workflows: vec![10],
            })),
            arx.clone(),
        );
        hub.subscribe(
            Topic::Workspace(1),
            2,
            Audience::Operator(Arc::new(Visibility {
                member_id: 2,
                all: false,
                workflows: vec![20],
            })),
            brx.clone(),
        );
        hub.publish(
            Topic::Workspace(1),
            &Event {
                for_operators: text("wf10"),
                facts: Some(facts(10, None)),
                ..Default::default()
            },
        );
        hub.publish(
            Topic::Workspace(1),
            &Event {
                for_operators: text("assigned to 2"),
                facts: Some(facts(10, Some(2))),
                ..Default::default()
            },
        );
        assert_eq!(texts(arx.take(10).await), ["wf10", "assigned to 2"]);
        assert_eq!(texts(brx.take(10).await), ["assigned to 2"]);
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_dropped_and_empty_topics_are_removed() {
        let hub = Hub::new();
        hub.subscribe(Topic::Conversation(1), 1, Audience::Visitor, Arc::new(Outbox::new(1)));
        let e = Event {
            for_visitors: text("x"),
            ..Default::default()
        };
        hub.publish(Topic::Conversation(1), &e);
        assert_eq!(hub.subscribers(Topic::Conversation(1)), 1);
        hub.publish(Topic::Conversation(1), &e);
        assert_eq!(hub.subscribers(Topic::Conversation(1)), 0);
        assert!(hub.topics.lock().unwrap().is_empty());
    }
}
