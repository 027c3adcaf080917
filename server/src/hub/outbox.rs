//! One subscriber's frames waiting for its socket. A frame of which only the newest matters
//! (a conversation's summary, the live board) takes the place of the one of its kind still
//! waiting, so a console that falls behind under a busy inbox catches up with the inbox as it
//! is now instead of replaying every step of it; only frames that each matter (messages,
//! answers) fill the queue, and a queue full of them means the client cannot keep up.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::Notify;

use super::{Delivery, Topic};

/// Frames of which a client needs only the newest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Latest {
    /// A conversation's summary in the inbox.
    Summary(i64),
    /// The supervisors' live board.
    Board,
}

/// What became of a frame given to an outbox.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// The queue was full: the subscriber cannot keep up and must close.
    Full,
    /// The queue was full before, or the socket is gone: the subscriber is closing.
    Closed,
}

pub struct Outbox {
    queue: Mutex<Queue>,
    ready: Notify,
    capacity: usize,
}

#[derive(Default)]
struct Queue {
    frames: VecDeque<Delivery>,
    /// How many frames were ever taken out: a frame's position is `taken + its index`.
    taken: u64,
    /// Where the waiting frame of each kind is (its position).
    latest: HashMap<(Topic, Latest), u64>,
    full: bool,
}

impl Outbox {
    /// An outbox for at most `capacity` frames waiting.
    pub fn new(capacity: usize) -> Outbox {
        Outbox {
            queue: Mutex::default(),
            ready: Notify::new(),
            capacity,
        }
    }

    /// Queues the frame, in the place of the waiting one it supersedes if there is one.
    pub fn push(&self, d: Delivery) -> Pushed {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.full {
            return Pushed::Closed;
        }
        let key = d.latest.map(|l| (d.topic, l));
        if let Some(at) = key.and_then(|k| q.latest.get(&k).copied()) {
            let index = (at - q.taken) as usize;
            q.frames[index] = d;
            return Pushed::Queued;
        }
        if q.frames.len() >= self.capacity {
            q.full = true;
            q.frames.clear();
            q.latest.clear();
            return Pushed::Full;
        }
        let at = q.taken + q.frames.len() as u64;
        q.frames.push_back(d);
        if let Some(k) = key {
            q.latest.insert(k, at);
        }
        drop(q);
        self.ready.notify_one();
        Pushed::Queued
    }

    /// The socket is gone: frames are refused from now on, so that a topic it is still
    /// subscribed to drops it at the next event.
    pub fn close(&self) {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.full = true;
        q.frames.clear();
        q.latest.clear();
    }

    /// Waits for frames and takes up to `most` of them, oldest first. Nothing is lost when
    /// the wait is given up (as in a `select!`).
    pub async fn take(&self, most: usize) -> Vec<Delivery> {
        loop {
            {
                let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                if !q.frames.is_empty() {
                    let n = most.min(q.frames.len());
                    let taken: Vec<Delivery> = q.frames.drain(..n).collect();
                    let from = q.taken;
                    q.taken += n as u64;
                    for (i, d) in taken.iter().enumerate() {
                        if let Some(l) = d.latest {
                            let key = (d.topic, l);
                            if q.latest.get(&key) == Some(&(from + i as u64)) {
                                q.latest.remove(&key);
                            }
                        }
                    }
                    return taken;
                }
            }
            self.ready.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn frame(topic: Topic, text: &str, latest: Option<Latest>) -> Delivery {
        Delivery {
            topic,
            seq: None,
            text: text.into(),
            received_ms: None,
            latest,
        }
    }

    fn texts(frames: &[Delivery]) -> Vec<&str> {
        frames.iter().map(|d| &*d.text).collect()
    }

    const INBOX: Topic = Topic::Workspace(1);

    #[tokio::test]
    async fn a_newer_summary_takes_the_place_of_the_waiting_one_and_messages_all_wait() {
        let out = Outbox::new(8);
        let chat = Topic::Conversation(5);
        for f in [
            frame(INBOX, "5 waiting", Some(Latest::Summary(5))),
            frame(chat, "hello", None),
            frame(INBOX, "6 waiting", Some(Latest::Summary(6))),
            frame(INBOX, "board 1", Some(Latest::Board)),
            frame(chat, "anyone?", None),
            frame(INBOX, "5 active", Some(Latest::Summary(5))),
            frame(INBOX, "board 2", Some(Latest::Board)),
        ] {
            assert_eq!(out.push(f), Pushed::Queued);
        }
        assert_eq!(
            texts(&out.take(3).await),
            ["5 active", "hello", "6 waiting"],
            "the newest summary, where the first one waited"
        );
        // Once taken, a frame has nothing left to supersede.
        assert_eq!(
            out.push(frame(INBOX, "5 resolved", Some(Latest::Summary(5)))),
            Pushed::Queued
        );
        assert_eq!(
            out.push(frame(INBOX, "6 active", Some(Latest::Summary(6)))),
            Pushed::Queued
        );
        assert_eq!(
            texts(&out.take(10).await),
            ["board 2", "anyone?", "5 resolved", "6 active"]
        );
    }

    #[tokio::test]
    async fn a_queue_full_of_frames_that_each_matter_closes_and_stays_closed() {
        let out = Outbox::new(2);
        let chat = Topic::Conversation(5);
        assert_eq!(out.push(frame(chat, "1", None)), Pushed::Queued);
        assert_eq!(out.push(frame(INBOX, "5", Some(Latest::Summary(5)))), Pushed::Queued);
        assert_eq!(
            out.push(frame(INBOX, "5 again", Some(Latest::Summary(5)))),
            Pushed::Queued
        );
        assert_eq!(out.push(frame(chat, "2", None)), Pushed::Full);
        assert_eq!(out.push(frame(chat, "3", None)), Pushed::Closed);
        assert_eq!(
            out.push(frame(INBOX, "5 once more", Some(Latest::Summary(5)))),
            Pushed::Closed
        );
    }

    #[test]
    fn a_closed_outbox_refuses_every_frame() {
        let out = Outbox::new(8);
        assert_eq!(out.push(frame(INBOX, "5", Some(Latest::Summary(5)))), Pushed::Queued);
        out.close();
        assert_eq!(
            out.push(frame(INBOX, "5 again", Some(Latest::Summary(5)))),
            Pushed::Closed
        );
        assert_eq!(out.push(frame(Topic::Conversation(5), "hello", None)), Pushed::Closed);
    }

    #[tokio::test]
    async fn a_take_given_up_loses_nothing_and_a_waiting_take_wakes() {
        let out = Arc::new(Outbox::new(8));
        tokio::select! {
            biased;
            _ = out.take(1) => unreachable!("nothing was queued"),
            _ = std::future::ready(()) => {}
        }
        let waiting = tokio::spawn({
            let out = out.clone();
            async move { out.take(8).await }
        });
        assert_eq!(out.push(frame(INBOX, "board", Some(Latest::Board))), Pushed::Queued);
        assert_eq!(texts(&waiting.await.unwrap()), ["board"]);
    }
}
