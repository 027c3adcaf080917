//! Group commit: messages are stored by one task that takes every append waiting at that moment
//! and writes them in one transaction, answering each caller only after the commit.
//!
//! A commit writes every page it touched, once: the last page of the messages table, a page of
//! each index, the conversation's row. Stored one by one, a message costs five or six pages; in
//! a batch, messages share the pages they have in common. When messages arrive often (more
//! than one expected within `window`), the task lingers after the first one for about two more
//! (never longer than `window`), so that a batch forms even at moderate rates and the wait
//! shrinks as the pace grows; when they are rare it commits at once, and a lone message waits
//! for nothing.
//!
//! SQLite has one writer, so there is one such task. PostgreSQL takes several writers, and a
//! task that waits for the database's answer to each statement of a batch in turn cannot use
//! them: one task tops out at a few hundred messages a second there (BENCHMARKS.md). So on
//! PostgreSQL `LANES` tasks share the work, each conversation always on the same lane (its
//! messages stay in order and lanes never wait for one another's rows), and a batch takes its
//! conversations' rows in ascending order, so that two nodes' batches wait for each other rather
//! than deadlock.

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::append::{Appended, NewMessage, Refusal};
use super::direct::RecentKeys;
use super::engine::Engine;
use super::StoreError;
use app::lifecycle::SenderKind;

/// How batches are formed.
#[derive(Clone, Copy, Debug)]
pub struct CommitPolicy {
    /// The longest a message waits for others to join its batch (zero: never).
    pub window: Duration,
    /// At most this many messages in one transaction.
    pub max_batch: usize,
}

impl Default for CommitPolicy {
    fn default() -> Self {
        // What the server runs with unless `commit_window_ms` says otherwise: no lingering.
        // Waiting up to 8 ms wrote a third fewer pages a message at 200 messages a second but
        // added about 3 ms to every message's delivery, more than the rest of the path
        // (BENCHMARKS.md); batches still form from what arrives during a transaction.
        CommitPolicy {
            window: Duration::ZERO,
            max_batch: 256,
        }
    }
}

/// A message to store, owned so that it can wait in the queue.
pub(super) struct Pending {
    conversation_id: i64,
    sender_kind: SenderKind,
    sender_id: Option<i64>,
    body: String,
    internal: bool,
    idempotency_key: Option<String>,
    attachments: Vec<i64>,
    channel_message_id: Option<String>,
    arrived: Instant,
    reply: oneshot::Sender<Result<Appended, Refusal>>,
}

impl Pending {
    /// The message, owned, with where its answer goes.
    pub(super) fn new(
        conversation_id: i64,
        m: &NewMessage<'_>,
        reply: oneshot::Sender<Result<Appended, Refusal>>,
    ) -> Pending {
        Pending {
            conversation_id,
            sender_kind: m.sender_kind,
            sender_id: m.sender_id,
            body: m.body.to_owned(),
            internal: m.internal,
            idempotency_key: m.idempotency_key.map(str::to_owned),
            attachments: m.attachments.to_vec(),
            channel_message_id: m.channel_message_id.map(str::to_owned),
            arrived: Instant::now(),
            reply,
        }
    }

    pub(super) fn conversation_id(&self) -> i64 {
        self.conversation_id
    }

    pub(super) fn message(&self) -> NewMessage<'_> {
        NewMessage {
            sender_kind: self.sender_kind,
            sender_id: self.sender_id,
            body: &self.body,
            internal: self.internal,
            idempotency_key: self.idempotency_key.as_deref(),
            attachments: &self.attachments,
            channel_message_id: self.channel_message_id.as_deref(),
        }
    }
}

/// Writing tasks on PostgreSQL (SQLite: one).
const LANES: usize = 4;

/// The handle appends go through; the tasks end when the last handle is dropped.
#[derive(Clone)]
pub(super) struct Committer {
    lanes: Vec<mpsc::UnboundedSender<Pending>>,
}

impl Committer {
    pub(super) fn start(db: Engine, policy: CommitPolicy) -> Committer {
        let lanes = match db {
            Engine::Sqlite(_) => 1,
            Engine::Postgres(_) => LANES,
        };
        let lanes = (0..lanes)
            .map(|_| {
                let (queue, waiting) = mpsc::unbounded_channel();
                tokio::spawn(run(db.clone(), policy, waiting));
                queue
            })
            .collect();
        Committer { lanes }
    }

    /// Stores the message in the next batch and answers once that batch is committed.
    pub(super) async fn append(&self, conversation_id: i64, m: &NewMessage<'_>) -> Result<Appended, Refusal> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending::new(conversation_id, m, reply);
        let lane = &self.lanes[conversation_id.rem_euclid(self.lanes.len() as i64) as usize];
        lane.send(pending).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Refusal {
    Refusal::Store(StoreError::Database(sqlx::Error::PoolClosed))
}

/// Arrival gaps are averaged with this weight for the newest one.
const GAP_WEIGHT: f64 = 0.1;

/// How long to linger for company: the average gap between arrivals says how many more are
/// expected within the window. Waiting pays only if at least one is; it then lasts as long as
/// about `COMPANIONS` more take to arrive, never longer than the window, so that the busier
/// the server, the shorter the wait.
#[derive(Debug)]
struct Pace {
    last: Option<Instant>,
    mean_gap: Option<Duration>,
}

/// How many more messages a batch waits for, on average.
const COMPANIONS: u32 = 2;

impl Pace {
    fn new() -> Self {
        Pace {
            last: None,
            mean_gap: None,
        }
    }

    fn arrived(&mut self, at: Instant) {
        if let Some(last) = self.last {
            let gap = at.saturating_duration_since(last).as_secs_f64();
            let mean = match self.mean_gap {
                Some(m) => m.as_secs_f64() * (1.0 - GAP_WEIGHT) + gap * GAP_WEIGHT,
                None => gap,
            };
            self.mean_gap = Some(Duration::from_secs_f64(mean));
        }
        self.last = Some(self.last.map_or(at, |l| l.max(at)));
    }

    /// How long the batch may wait for more, if at all.
    fn linger(&self, window: Duration) -> Option<Duration> {
        let gap = self.mean_gap?;
        if window.is_zero() || gap > window {
            return None;
        }
        Some(window.min(gap * COMPANIONS))
    }
}

async fn run(db: Engine, policy: CommitPolicy, mut waiting: mpsc::UnboundedReceiver<Pending>) {
    let mut pace = Pace::new();
    let mut recent = RecentKeys::default();
    while let Some(first) = waiting.recv().await {
        pace.arrived(first.arrived);
        let deadline = pace.linger(policy.window).map(|l| first.arrived + l);
        let mut batch = vec![first];
        while batch.len() < policy.max_batch {
            let next = match (waiting.try_recv(), deadline) {
                (Ok(p), _) => Some(p),
                (Err(_), Some(deadline)) => tokio::time::timeout_at(deadline.into(), waiting.recv())
                    .await
                    .ok()
                    .flatten(),
                (Err(_), None) => None,
            };
            let Some(p) = next else { break };
            pace.arrived(p.arrived);
            batch.push(p);
        }
        // Rows in ascending order (see above); one conversation's messages keep theirs.
        batch.sort_by_key(|p| p.conversation_id);
        let began = Instant::now();
        let results = on_db!(db, |read, write| side::store_batch(write, &batch, &mut recent).await);
        crate::metrics::COUNTERS.batch_committed(
            batch
                .iter()
                .map(|p| began.saturating_duration_since(p.arrived).as_secs_f64()),
            began.elapsed().as_secs_f64(),
            batch.len(),
        );
        for (pending, result) in batch.into_iter().zip(results) {
            // A caller that stopped waiting (its connection closed) needs no answer.
            let _ = pending.reply.send(result);
        }
    }
}

dual! {
/// Stores the batch in one transaction: each message as it would be alone (a refused one
/// leaves nothing behind), every answer held back until the commit.
pub(in crate::store) async fn store_batch(
    write: &Pool,
    batch: &[Pending],
    recent: &mut RecentKeys,
) -> Vec<Result<Appended, Refusal>> {
    let failed = |e: &sqlx::Error, recent: &mut RecentKeys| -> Vec<Result<Appended, Refusal>> {
        tracing::error!(error = %e, messages = batch.len(), "could not store a batch of messages");
        recent.clear();
        batch
            .iter()
            .map(|_| {
                Err(Refusal::Store(StoreError::Database(sqlx::Error::Protocol(
                    e.to_string(),
                ))))
            })
            .collect()
    };
    let mut tx = match begin_write(write).await {
        Ok(tx) => tx,
        Err(e) => return failed(&e, recent),
    };
    let mut results = Vec::with_capacity(batch.len());
    let mut next = 0;
    while next < batch.len() {
        // On SQLite the common path's messages are stepped on this task's thread (`direct.rs`);
        // the next one after them goes the full way.
        next += match store_leading(&mut tx, &batch[next..], &mut results, recent).await {
            Ok(stored) => stored,
            Err(e) => return failed(&e, recent),
        };
        if let Some(p) = batch.get(next) {
            recent.forget(p.conversation_id);
            results.push(store_one(&mut tx, p).await);
            next += 1;
        }
    }
    match tx.commit().await {
        Ok(()) => results,
        Err(e) => failed(&e, recent),
    }
}

/// One message of a batch. A message with files takes several statements, so a savepoint
/// undoes all of them when one is refused; a lone INSERT that stores nothing changes nothing.
async fn store_one(tx: &mut Tx<'_>, p: &Pending) -> Result<Appended, Refusal> {
    let m = p.message();
    if m.attachments.is_empty() {
        return append::store_message(tx, p.conversation_id, &m).await;
    }
    sqlx::query("SAVEPOINT message").execute(&mut **tx).await?;
    let result = append::store_message(tx, p.conversation_id, &m).await;
    if result.is_err() {
        sqlx::query("ROLLBACK TO message").execute(&mut **tx).await?;
    }
    sqlx::query("RELEASE message").execute(&mut **tx).await?;
    result
}
}

#[cfg(test)]
pub(in crate::store) mod tests {
    use super::*;
    use crate::store::Store;
    use futures_util::future::join_all;

    #[test]
    fn rare_messages_are_committed_at_once() {
        let window = Duration::from_millis(8);
        let start = Instant::now();
        let mut pace = Pace::new();
        assert_eq!(pace.linger(window), None, "nothing is known before the first message");
        for i in 0..20 {
            pace.arrived(start + Duration::from_millis(100 * i));
        }
        assert_eq!(pace.linger(window), None);
    }

    #[test]
    fn the_busier_the_shorter_the_wait_and_none_once_the_pace_drops() {
        let window = Duration::from_millis(8);
        let mut pace = Pace::new();
        let mut at = Instant::now();
        let mut every = |pace: &mut Pace, gap: Duration, times: usize| {
            for _ in 0..times {
                at += gap;
                pace.arrived(at);
            }
        };
        // 200 a second: a message every 5 ms; waiting for two more would take 10 ms.
        every(&mut pace, Duration::from_millis(5), 100);
        assert_eq!(pace.linger(window), Some(window));
        assert_eq!(pace.linger(Duration::ZERO), None, "a zero window never waits");
        // 2,000 a second: two more arrive within a millisecond.
        every(&mut pace, Duration::from_micros(500), 200);
        let busy = pace.linger(window).unwrap();
        assert!(busy < Duration::from_millis(2), "{busy:?}");
        every(&mut pace, Duration::from_millis(50), 100);
        assert_eq!(pace.linger(window), None);
    }

    async fn send_all(store: &Store, chat: i64, texts: &[(String, String)]) -> Vec<Result<Appended, StoreError>> {
        join_all(
            texts
                .iter()
                .map(|(body, key)| store.append_visitor_message(chat, body, key, &[])),
        )
        .await
    }

    /// Messages that wait together are committed together, and each is stored, numbered,
    /// refused or recognised as a repeat exactly as it would have been alone.
    /// A store seeded with the demo workspace, and its web channel.
    pub(in crate::store) async fn demo_store(dir: &tempfile::TempDir) -> (Store, crate::store::ChannelRecord) {
        let url = format!("sqlite://{}", dir.path().join("batch.db").display());
        let policy = CommitPolicy {
            window: Duration::ZERO,
            max_batch: 256,
        };
        let store = Store::open_with(&url, policy).await.unwrap();
        store.migrate().await.unwrap();
        crate::demo::seed_demo(&store).await.unwrap();
        let channel = store
            .channel_by_key(crate::demo::DEMO_WEB_CHANNEL)
            .await
            .unwrap()
            .unwrap();
        (store, channel)
    }

    /// The demo's first agent.
    pub(in crate::store) async fn agent(store: &Store) -> i64 {
        store
            .member_by_email("agent1@demo.switchboard.test")
            .await
            .unwrap()
            .unwrap()
            .id
    }

    #[tokio::test]
    async fn a_batch_stores_each_message_as_if_it_were_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (store, channel) = demo_store(&dir).await;
        let operator = agent(&store).await;
        let contact = store.create_visitor(&channel, "Batch").await.unwrap();
        let chat = store.open_conversation(&channel, contact).await.unwrap().id;
        let other = store.create_visitor(&channel, "Taken").await.unwrap();
        let taken = store.open_conversation(&channel, other).await.unwrap().id;
        store.take_over(taken, operator).await.unwrap();
        let pages_before = store.pages_written().await.unwrap();

        // Queued in this order before the committer runs, so they form one batch.
        let texts: Vec<(String, String)> = (0..40).map(|i| (format!("m{i}"), format!("k{i}"))).collect();
        let first = send_all(&store, chat, &texts[..20]);
        let missing_file = store.append_visitor_message(chat, "with a file that is not there", "kf", &[999_999]);
        let second = send_all(&store, chat, &texts[20..]);
        let repeat = store.append_visitor_message(chat, "m0 sent again", "k0", &[]);
        let too_late = store.append_ai_message(taken, "the assistant answers too late");
        let (first, missing_file, second, repeat, too_late) =
            tokio::join!(first, missing_file, second, repeat, too_late);

        let stored: Vec<_> = first.into_iter().chain(second).map(Result::unwrap).collect();
        let seqs: Vec<i64> = stored.iter().map(|a| a.message.seq).collect();
        assert_eq!(
            seqs,
            (1..=40).collect::<Vec<_>>(),
            "numbered in order, with no gap for the refused one"
        );
        assert!(matches!(missing_file, Err(StoreError::NotFound)), "{missing_file:?}");
        let repeat = repeat.unwrap();
        assert!(repeat.duplicate);
        assert_eq!((repeat.message.seq, repeat.message.body.as_str()), (1, "m0"));
        assert!(matches!(too_late, Err(Refusal::NotAiHandled)), "{too_late:?}");

        let kept = store.latest_messages(chat, 100).await.unwrap();
        let bodies: Vec<&str> = kept.iter().map(|m| m.body.as_str()).collect();
        let sent: Vec<&str> = texts.iter().map(|(body, _)| body.as_str()).collect();
        assert_eq!(bodies, sent, "everything stored once, nothing of the refused message");
        let pages = store.pages_written().await.unwrap() - pages_before;
        assert!(
            pages < 40,
            "{pages} pages for 40 messages: they were not committed together"
        );
    }

    /// A retry is recognised among the conversation's last `REPEAT_WINDOW` messages, whoever
    /// wrote the ones in between; only the same sender's key counts.
    #[tokio::test]
    async fn a_repeat_is_recognised_among_the_recent_messages() {
        use crate::store::append::REPEAT_WINDOW;
        let dir = tempfile::tempdir().unwrap();
        let (store, channel) = demo_store(&dir).await;
        let contact = store.create_visitor(&channel, "Retry").await.unwrap();
        let chat = store.open_conversation(&channel, contact).await.unwrap().id;
        let first = store
            .append_visitor_message(chat, "where is my order", "retry-1", &[])
            .await
            .unwrap();
        for i in 1..REPEAT_WINDOW {
            store.append_ai_message(chat, &format!("answer {i}")).await.unwrap();
        }
        let again = store
            .append_visitor_message(chat, "where is my order", "retry-1", &[])
            .await
            .unwrap();
        assert!(
            again.duplicate,
            "the retry came {REPEAT_WINDOW} messages later and is still a repeat"
        );
        assert_eq!(again.message.seq, first.message.seq);
        assert_eq!(store.latest_messages(chat, 1).await.unwrap()[0].seq, REPEAT_WINDOW);

        let operator = agent(&store).await;
        store.take_over(chat, operator).await.unwrap();
        let reply = store
            .append_operator_message(chat, operator, "let me look", "retry-1", &[])
            .await
            .unwrap();
        assert!(!reply.duplicate, "an operator's key is theirs, not the visitor's");
    }
}
