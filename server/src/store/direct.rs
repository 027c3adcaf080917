//! The SQLite writer's common case stepped on the commit task's own thread.
//!
//! sqlx runs each SQLite connection on a worker thread of its own: every statement is handed to
//! that thread and its rows handed back, two thread switches a statement, four or five
//! statements a message, each a chance for the busy machine to schedule something else in
//! between (about 58 µs a statement on an idle machine against SQLite's own 8:
//! `cargo bench -p server --bench statements`). So the group commit takes the connection's
//! handle once a batch (`lock_handle`: the worker waits meanwhile) and steps the messages that
//! take the common path itself: a visitor's, the assistant's or an operator's text with no
//! files, on a conversation whose state the message does not turn into a webhook event. The statements are
//! the same ones `append.rs` runs, from the same SQL text, and the lifecycle decides as it does
//! there; anything else (a refusal, a repeated key, files, a provider's message id, an
//! endpoint wanting `message.created`) stops the run and that message goes the full way
//! through sqlx, inside the same transaction.
//!
//! A repeated idempotency key is looked for among the conversation's last [`REPEAT_WINDOW`]
//! messages. Reading them back for every keyed message was most of the writer's time under
//! load (an index range and a table lookup each), so the writer remembers the keys of the
//! conversations it stored to lately ([`RecentKeys`]) and reads them once per conversation.

use std::collections::hash_map::{Entry, HashMap};
use std::collections::VecDeque;
use std::ffi::c_int;
use std::hash::{Hash, Hasher};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::SqliteConnection;

use app::events::SenderKind;
use app::lifecycle::{ChannelKind, DeliveryStatus, Handler, Status};

use crate::conversations::lifecycle::{self, Event};

use super::append::{self, Appended, Refusal, INSERT_MESSAGE, REPEAT_WINDOW};
use super::commit::Pending;
use super::conversations::{self, Standing};
use super::inbox;
use super::messages::MessageRow;
use super::now_ms;

/// Stores, in order, the leading messages of `batch` that take the common path, on the
/// transaction's connection; how many it stored. The caller stores the next one the full way.
pub(super) async fn store_leading(
    tx: &mut SqliteConnection,
    batch: &[Pending],
    results: &mut Vec<Result<Appended, Refusal>>,
    recent: &mut RecentKeys,
) -> Result<usize, sqlx::Error> {
    if !batch.first().is_some_and(may_go_direct) {
        return Ok(0);
    }
    let mut handle = tx.lock_handle().await?;
    let db = handle.as_raw_handle();
    let stored = off_the_workers(|| {
        let mut statements = Statements::prepare(db)?;
        let mut stored = 0;
        for p in batch {
            if !may_go_direct(p) {
                break;
            }
            let Some(appended) = statements.store(p, recent)? else { break };
            results.push(Ok(appended));
            stored += 1;
        }
        Ok::<_, sqlx::Error>(stored)
    })?;
    crate::metrics::COUNTERS.stored_directly(stored);
    Ok(stored)
}

/// Runs SQLite's work for a batch (milliseconds of it, back to back) on this thread while
/// tokio hands the thread's other tasks to another worker, so that the sockets waiting behind
/// it are not held up (`block_in_place`); inline on a single-threaded runtime (the tests).
fn off_the_workers<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// What can be told before reading anything: a visitor's, the assistant's or an operator's
/// plain text (Switchboard's own notices are written by the conversation changes).
fn may_go_direct(p: &Pending) -> bool {
    let m = p.message();
    matches!(m.sender_kind, SenderKind::Contact | SenderKind::Ai | SenderKind::Operator)
        && m.attachments.is_empty()
        && m.channel_message_id.is_none()
}

/// The idempotency keys of the latest messages of the conversations this writer stored to
/// lately, so that a repeated key is recognised without reading those messages back.
///
/// It never misses a key the database has: an entry is trusted only while the conversation's
/// last message number is the one the entry was brought up to (any message stored another way
/// moves that number on, and the entry is read again); the writer forgets a conversation it
/// stores to the full way, and everything when a batch fails. What it holds too much (a key of
/// a batch that was rolled back, two keys with the same fingerprint) only sends the message the
/// full way, whose read decides. So it can only save reads, never let a repeat through.
#[derive(Default)]
pub(in crate::store) struct RecentKeys {
    conversations: HashMap<i64, Recent>,
}

/// One conversation's keyed messages among its last [`REPEAT_WINDOW`] (and a few older ones,
/// until the next message), oldest first, as `(fingerprint, seq)`.
struct Recent {
    last_seq: i64,
    keys: VecDeque<(u64, i64)>,
}

/// How many conversations' keys are kept (about 1.6 KB each at most).
const RECENT_CONVERSATIONS: usize = 4096;

impl RecentKeys {
    /// A message of the conversation was stored some other way (with files, say).
    pub(in crate::store) fn forget(&mut self, conversation_id: i64) {
        self.conversations.remove(&conversation_id);
    }

    /// The batch was not committed.
    pub(in crate::store) fn clear(&mut self) {
        self.conversations.clear();
    }

    /// The entry for a conversation whose last message is `last_seq`, if it is up to date.
    fn current(&self, conversation_id: i64, last_seq: i64) -> Option<&Recent> {
        self.conversations
            .get(&conversation_id)
            .filter(|r| r.last_seq == last_seq)
    }

    fn insert(&mut self, conversation_id: i64, recent: Recent) {
        if self.conversations.len() >= RECENT_CONVERSATIONS && !self.conversations.contains_key(&conversation_id) {
            // Any one goes; it is read again when its conversation is written to.
            if let Some(&old) = self.conversations.keys().next() {
                self.conversations.remove(&old);
            }
        }
        self.conversations.insert(conversation_id, recent);
    }

    /// The message `seq` was stored directly, keyed by `fingerprint` if it has a key.
    fn stored(&mut self, conversation_id: i64, seq: i64, fingerprint: Option<u64>) {
        let Entry::Occupied(mut entry) = self.conversations.entry(conversation_id) else {
            return;
        };
        let recent = entry.get_mut();
        if recent.last_seq != seq - 1 {
            entry.remove();
            return;
        }
        recent.last_seq = seq;
        if let Some(print) = fingerprint {
            recent.keys.push_back((print, seq));
        }
        while recent.keys.front().is_some_and(|&(_, s)| s <= seq - REPEAT_WINDOW) {
            recent.keys.pop_front();
        }
    }
}

impl Recent {
    /// Whether a message after `last_seq` with this fingerprint may repeat one in the window.
    fn may_repeat(&self, print: u64, last_seq: i64) -> bool {
        self.keys
            .iter()
            .any(|&(p, seq)| p == print && seq > last_seq - REPEAT_WINDOW)
    }
}

/// A sender's key, as `append::REPEAT_CONDITION` compares it (the sender's kind and id with it).
fn fingerprint(key: &str, sender_kind: &str, sender_id: Option<i64>) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    (key, sender_kind, sender_id.unwrap_or(0)).hash(&mut h);
    h.finish()
}

/// The write path's statements, prepared on the locked connection for one batch.
struct Statements {
    standing: Statement,
    /// The keyed messages among a conversation's latest, for [`RecentKeys`].
    window: Statement,
    insert: Statement,
    /// An operator's read marker, prepared at the batch's first operator message.
    mark_read: Option<Statement>,
    /// The conversation's UPDATE, whose text depends on what the message changes.
    moves: HashMap<String, Statement>,
    db: NonNull<ffi::sqlite3>,
}

impl Statements {
    fn prepare(db: NonNull<ffi::sqlite3>) -> Result<Statements, sqlx::Error> {
        Ok(Statements {
            standing: Statement::prepare(db, &conversations::lite::standing_sql(""))?,
            window: Statement::prepare(
                db,
                "SELECT seq, idempotency_key, sender_kind, sender_id FROM messages
                 WHERE conversation_id = $1 AND seq > $2 AND idempotency_key IS NOT NULL ORDER BY seq",
            )?,
            insert: Statement::prepare(db, INSERT_MESSAGE)?,
            mark_read: None,
            moves: HashMap::new(),
            db,
        })
    }

    /// Stores the message as `append::store_message` would, or `None` (nothing written) when it
    /// needs the full path.
    fn store(&mut self, p: &Pending, recent: &mut RecentKeys) -> Result<Option<Appended>, sqlx::Error> {
        let m = p.message();
        let conversation_id = p.conversation_id();
        let Some(found) = self.standing(conversation_id)? else {
            return Ok(None);
        };
        if found.wants_messages {
            return Ok(None);
        }
        let print = m
            .idempotency_key
            .map(|key| fingerprint(key, m.sender_kind.as_str(), m.sender_id));
        if let Some(print) = print {
            if recent.current(conversation_id, found.last_seq).is_none() {
                let keys = self.window(conversation_id, found.last_seq)?;
                recent.insert(conversation_id, Recent { last_seq: found.last_seq, keys });
            }
            // The full path reads the message stored then (or finds the fingerprints differ).
            if recent
                .current(conversation_id, found.last_seq)
                .is_some_and(|r| r.may_repeat(print, found.last_seq))
            {
                return Ok(None);
            }
        }
        let before = found.state();
        let event = Event::of_message(m.sender_kind, m.internal, m.sender_id);
        let Ok(after) = lifecycle::decide(before, event) else {
            return Ok(None);
        };
        if !super::webhooks::changes(before, after).is_empty() {
            return Ok(None);
        }
        let outbound = m.sender_kind != SenderKind::Contact && !m.internal;
        let delivery = (outbound && found.channel_kind.through_provider()).then_some(DeliveryStatus::Pending);
        let row = self.insert.row(
            &[
                Value::Int(found.workspace_id),
                Value::Int(p.conversation_id()),
                Value::Int(found.last_seq + 1),
                Value::Text(m.sender_kind.as_str()),
                Value::OptInt(m.sender_id),
                Value::Text(m.body),
                Value::Bool(m.internal),
                Value::OptText(m.idempotency_key),
                Value::Int(now_ms()),
                Value::OptText(m.channel_message_id),
                Value::OptText(delivery.map(DeliveryStatus::as_str)),
            ],
            message_row,
        )?;
        let message = row
            .ok_or_else(|| sqlx::Error::Protocol("the message insert returned no row".into()))?
            .into_view();
        let moved = append::Move::new(event, before, after);
        let update = match self.moves.entry(moved.sql) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let statement = Statement::prepare(self.db, e.key())?;
                e.insert(statement)
            }
        };
        update.execute(&[
            Value::Int(message.conversation_id),
            Value::Int(message.seq),
            Value::Int(message.created_at),
            Value::Text(after.status.as_str()),
            Value::Text(after.handler.as_str()),
            Value::Bool(moved.first_human_reply),
            Value::OptInt(after.assignee),
            Value::Bool(moved.ends_snooze),
        ])?;
        // An operator's own message (reply or note) reads the conversation for them.
        if let (SenderKind::Operator, Some(member)) = (m.sender_kind, m.sender_id) {
            let mark_read = match &mut self.mark_read {
                Some(statement) => statement,
                empty => empty.insert(Statement::prepare(self.db, &inbox::lite::mark_read_sql())?),
            };
            mark_read.execute(&[Value::Int(member), Value::Int(message.conversation_id), Value::Int(message.seq)])?;
        }
        recent.stored(conversation_id, message.seq, print);
        Ok(Some(Appended {
            message,
            duplicate: false,
            before: Some(before),
        }))
    }

    /// The keyed messages among the conversation's last [`REPEAT_WINDOW`], as fingerprints.
    fn window(&mut self, conversation_id: i64, last_seq: i64) -> Result<VecDeque<(u64, i64)>, sqlx::Error> {
        let mut keys = VecDeque::new();
        self.window.rows(
            &[Value::Int(conversation_id), Value::Int(last_seq - REPEAT_WINDOW)],
            |r| {
                let key = r.text(1);
                keys.push_back((fingerprint(&key, &r.text(2), r.opt_int(3)), r.int(0)));
                Ok(())
            },
        )?;
        Ok(keys)
    }

    fn standing(&mut self, conversation_id: i64) -> Result<Option<Standing>, sqlx::Error> {
        self.standing.row(&[Value::Int(conversation_id)], |r| {
            Ok(Standing {
                workspace_id: r.int(0),
                last_seq: r.int(1),
                status: r.word(2, Status::parse)?,
                handler: r.word(3, Handler::parse)?,
                assignee_id: r.opt_int(4),
                escalated: r.int(5) != 0,
                channel_kind: r.word(6, ChannelKind::parse)?,
                wants_messages: r.int(7) != 0,
            })
        })
    }
}

/// The columns of `INSERT_MESSAGE`'s RETURNING clause, in its order.
fn message_row(r: &Row<'_>) -> Result<MessageRow, sqlx::Error> {
    Ok(MessageRow {
        conversation_id: r.int(0),
        seq: r.int(1),
        sender_kind: r.text(2),
        sender_name: r.text(3),
        body: r.text(4),
        internal: r.int(5) != 0,
        idempotency_key: r.opt_text(6),
        created_at: r.int(7),
        sender_id: r.opt_int(8),
        delivery_status: match r.opt_text(9) {
            Some(s) => Some(DeliveryStatus::parse(&s).ok_or_else(|| unexpected(9, &s))?),
            None => None,
        },
        delivery_error: r.opt_text(10),
    })
}

/// A value bound to a statement's parameter (`$n` is the n-th, as sqlx binds them).
enum Value<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
    Text(&'a str),
    OptText(Option<&'a str>),
}

/// A statement prepared on the locked connection, finalised when dropped (before the lock is
/// given back: `Statements` lives inside `store_leading`).
struct Statement {
    raw: NonNull<ffi::sqlite3_stmt>,
    db: NonNull<ffi::sqlite3>,
}

impl Statement {
    fn prepare(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<Statement, sqlx::Error> {
        let mut raw = ptr::null_mut();
        // SAFETY: `db` is the open connection, held locked by the caller for as long as this
        // statement lives; the length is given, so the text needs no terminating NUL.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                sql.as_ptr().cast(),
                sql.len() as c_int,
                &mut raw,
                ptr::null_mut(),
            )
        };
        check(db, rc)?;
        let raw = NonNull::new(raw).ok_or_else(|| sqlx::Error::Protocol(format!("no statement in {sql}")))?;
        Ok(Statement { raw, db })
    }

    /// Binds `values[n - 1]` to the parameter named `$n`, as sqlx does (a statement need not
    /// use every number: the conversation's UPDATE leaves out `$7` when the assignee stays).
    fn bind(&mut self, values: &[Value<'_>]) -> Result<(), sqlx::Error> {
        let s = self.raw.as_ptr();
        // SAFETY: the statement is prepared and not running (reset before every use); a
        // parameter's name lives as long as the statement; text is copied by SQLite during the
        // call (SQLITE_TRANSIENT).
        unsafe {
            ffi::sqlite3_reset(s);
            ffi::sqlite3_clear_bindings(s);
            for i in 1..=ffi::sqlite3_bind_parameter_count(s) {
                let name = ffi::sqlite3_bind_parameter_name(s, i);
                let number = (!name.is_null())
                    .then(|| std::ffi::CStr::from_ptr(name).to_str().ok())
                    .flatten()
                    .and_then(|n| n.strip_prefix('$'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .ok_or_else(|| sqlx::Error::Protocol("a parameter not named $n".into()))?;
                let value = number
                    .checked_sub(1)
                    .and_then(|n| values.get(n))
                    .ok_or_else(|| sqlx::Error::Protocol(format!("no value for ${number}")))?;
                let rc = match *value {
                    Value::Int(v) | Value::OptInt(Some(v)) => ffi::sqlite3_bind_int64(s, i, v),
                    Value::Bool(v) => ffi::sqlite3_bind_int64(s, i, v as i64),
                    Value::Text(v) | Value::OptText(Some(v)) => {
                        ffi::sqlite3_bind_text(s, i, v.as_ptr().cast(), v.len() as c_int, ffi::SQLITE_TRANSIENT())
                    }
                    Value::OptInt(None) | Value::OptText(None) => ffi::sqlite3_bind_null(s, i),
                };
                check(self.db, rc)?;
            }
        }
        Ok(())
    }

    /// Runs the statement and reads its first row, if any, with `read`.
    fn row<T>(
        &mut self,
        values: &[Value<'_>],
        read: impl FnOnce(&Row<'_>) -> Result<T, sqlx::Error>,
    ) -> Result<Option<T>, sqlx::Error> {
        self.bind(values)?;
        // SAFETY: prepared and bound; the row's columns are read before the next step or reset.
        let rc = unsafe { ffi::sqlite3_step(self.raw.as_ptr()) };
        let found = match rc {
            ffi::SQLITE_ROW => Some(read(&Row(&*self))?),
            ffi::SQLITE_DONE => None,
            rc => return Err(self.failed(rc)),
        };
        // Finish the statement (an INSERT … RETURNING has written its row at the first step).
        // SAFETY: as above.
        let rc = unsafe { ffi::sqlite3_reset(self.raw.as_ptr()) };
        check(self.db, rc)?;
        Ok(found)
    }

    /// Runs the statement and reads every row with `read`.
    fn rows(
        &mut self,
        values: &[Value<'_>],
        mut read: impl FnMut(&Row<'_>) -> Result<(), sqlx::Error>,
    ) -> Result<(), sqlx::Error> {
        self.bind(values)?;
        loop {
            // SAFETY: prepared and bound; each row's columns are read before the next step.
            match unsafe { ffi::sqlite3_step(self.raw.as_ptr()) } {
                ffi::SQLITE_ROW => read(&Row(&*self))?,
                ffi::SQLITE_DONE => break,
                rc => return Err(self.failed(rc)),
            }
        }
        // SAFETY: as above.
        let rc = unsafe { ffi::sqlite3_reset(self.raw.as_ptr()) };
        check(self.db, rc)
    }

    /// Runs a statement that returns no rows.
    fn execute(&mut self, values: &[Value<'_>]) -> Result<(), sqlx::Error> {
        self.row(values, |_| Ok(())).map(drop)
    }

    fn failed(&self, rc: c_int) -> sqlx::Error {
        // SAFETY: reading the statement's connection's last error, under the same lock.
        unsafe { ffi::sqlite3_reset(self.raw.as_ptr()) };
        match check(self.db, rc) {
            Err(e) => e,
            Ok(()) => sqlx::Error::Protocol(format!("SQLite answered {rc}")),
        }
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: finalised once, while the connection is open and still locked.
        unsafe { ffi::sqlite3_finalize(self.raw.as_ptr()) };
    }
}

/// The current row of a statement.
struct Row<'s>(&'s Statement);

impl Row<'_> {
    fn is_null(&self, i: c_int) -> bool {
        // SAFETY: the statement stands on a row and `i` is one of its columns.
        unsafe { ffi::sqlite3_column_type(self.0.raw.as_ptr(), i) == ffi::SQLITE_NULL }
    }

    fn int(&self, i: c_int) -> i64 {
        // SAFETY: as above.
        unsafe { ffi::sqlite3_column_int64(self.0.raw.as_ptr(), i) }
    }

    fn opt_int(&self, i: c_int) -> Option<i64> {
        (!self.is_null(i)).then(|| self.int(i))
    }

    fn text(&self, i: c_int) -> String {
        // SAFETY: as above; the bytes stay valid until the next step, reset or type conversion
        // of this column, and are copied here at once.
        unsafe {
            let s = self.0.raw.as_ptr();
            let bytes = ffi::sqlite3_column_text(s, i);
            let len = ffi::sqlite3_column_bytes(s, i);
            if bytes.is_null() {
                return String::new();
            }
            String::from_utf8_lossy(std::slice::from_raw_parts(bytes, len as usize)).into_owned()
        }
    }

    fn opt_text(&self, i: c_int) -> Option<String> {
        (!self.is_null(i)).then(|| self.text(i))
    }

    fn word<T>(&self, i: c_int, parse: fn(&str) -> Option<T>) -> Result<T, sqlx::Error> {
        let s = self.text(i);
        parse(&s).ok_or_else(|| unexpected(i, &s))
    }
}

fn unexpected(column: c_int, value: &str) -> sqlx::Error {
    sqlx::Error::Protocol(format!("unexpected value {value:?} in column {column}"))
}

/// SQLite's answer as an error, with its message.
fn check(db: NonNull<ffi::sqlite3>, rc: c_int) -> Result<(), sqlx::Error> {
    if rc == ffi::SQLITE_OK || rc == ffi::SQLITE_DONE || rc == ffi::SQLITE_ROW {
        return Ok(());
    }
    // SAFETY: the connection is open and locked by the caller; the message is copied at once.
    let message = unsafe { std::ffi::CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) }
        .to_string_lossy()
        .into_owned();
    Err(sqlx::Error::Protocol(format!("SQLite answered {rc}: {message}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::append::lite::store_message;
    use crate::store::append::NewMessage;
    use crate::store::commit::tests::{agent, demo_store};
    use crate::store::engine::lite::begin_write;
    use crate::store::Store;

    fn visitor(chat: i64, body: &str, key: &str) -> Pending {
        let m = NewMessage {
            sender_kind: SenderKind::Contact,
            sender_id: None,
            body,
            internal: false,
            idempotency_key: Some(key),
            attachments: &[],
            channel_message_id: None,
        };
        Pending::new(chat, &m, tokio::sync::oneshot::channel().0)
    }

    /// The leading plain messages are stored directly, numbered as the full path numbers them;
    /// the first that needs more (here a repeated key) stops the run and nothing of it is written.
    #[tokio::test]
    async fn plain_messages_are_stepped_directly_until_one_needs_the_full_path() {
        let dir = tempfile::tempdir().unwrap();
        let (store, channel) = demo_store(&dir).await;
        let contact = store.create_visitor(&channel, "Direct").await.unwrap();
        let chat = store.open_conversation(&channel, contact).await.unwrap().id;
        let batch = [
            visitor(chat, "one", "k1"),
            visitor(chat, "two", "k2"),
            visitor(chat, "one, sent again", "k1"),
            visitor(chat, "three", "k3"),
        ];
        let write = &store.lite().unwrap().write;
        let mut tx = begin_write(write).await.unwrap();
        let mut results = Vec::new();
        let mut recent = RecentKeys::default();
        let stored = store_leading(&mut tx, &batch, &mut results, &mut recent).await.unwrap();
        assert_eq!(stored, 2, "the repeated key needs the full path");
        // The rest of the batch continues in the same transaction, as the committer does.
        let repeat = store_message(&mut tx, chat, &batch[2].message()).await;
        assert!(
            matches!(&repeat, Err(Refusal::Duplicate(m)) if m.seq == 1),
            "{repeat:?}"
        );
        recent.forget(chat);
        let more = store_leading(&mut tx, &batch[3..], &mut results, &mut recent).await.unwrap();
        assert_eq!(more, 1);
        tx.commit().await.unwrap();

        let answered: Vec<_> = results.into_iter().map(Result::unwrap).collect();
        let kept = store.latest_messages(chat, 10).await.unwrap();
        assert_eq!(
            kept,
            answered.iter().map(|a| a.message.clone()).collect::<Vec<_>>(),
            "what the sender is told is what was stored"
        );
        assert_eq!(
            kept.iter()
                .map(|m| (m.seq, m.body.as_str(), m.sender_name.as_str()))
                .collect::<Vec<_>>(),
            [(1, "one", "Direct"), (2, "two", "Direct"), (3, "three", "Direct")]
        );
        let record = store.conversation(chat).await.unwrap().unwrap();
        assert_eq!(record.last_seq, 3, "the conversation moved with its messages");
    }

    /// The writer's memory of recent keys never lets a repeat through: a key stored by another
    /// writer since (the store's own group commit here) is found, and a batch rolled back leaves
    /// no key behind that would refuse the message when it is sent again.
    #[tokio::test]
    async fn remembered_keys_are_read_again_when_the_conversation_moved_on_without_them() {
        let dir = tempfile::tempdir().unwrap();
        let (store, channel) = demo_store(&dir).await;
        let contact = store.create_visitor(&channel, "Remembered").await.unwrap();
        let chat = store.open_conversation(&channel, contact).await.unwrap().id;
        let write = &store.lite().unwrap().write;
        let mut recent = RecentKeys::default();
        let direct = async |batch: &[Pending], recent: &mut RecentKeys, commit: bool| {
            let mut tx = begin_write(write).await.unwrap();
            let stored = store_leading(&mut tx, batch, &mut Vec::new(), recent).await.unwrap();
            if commit {
                tx.commit().await.unwrap();
            }
            stored
        };
        assert_eq!(direct(&[visitor(chat, "one", "k1")], &mut recent, true).await, 1);
        store.append_visitor_message(chat, "two", "k2", &[]).await.unwrap();
        assert_eq!(
            direct(&[visitor(chat, "two, sent again", "k2")], &mut recent, true).await,
            0,
            "the key the other writer stored is found"
        );
        assert_eq!(direct(&[visitor(chat, "one, sent again", "k1")], &mut recent, true).await, 0);

        assert_eq!(direct(&[visitor(chat, "three", "k3")], &mut recent, false).await, 1, "then rolled back");
        assert_eq!(
            direct(&[visitor(chat, "three", "k3")], &mut recent, true).await,
            1,
            "the rolled-back message is stored when it comes again"
        );
        assert_eq!(
            store
                .latest_messages(chat, 10)
                .await
                .unwrap()
                .iter()
                .map(|m| m.body.as_str())
                .collect::<Vec<_>>(),
            ["one", "two", "three"]
        );
    }

    /// What the conversation's row and the operator's read marker say, for comparing paths.
    async fn standing_of(store: &Store, chat: i64, operator: i64) -> (String, String, Option<i64>, i64, bool, bool, Option<i64>) {
        sqlx::query_as(
            "SELECT status, handler, assignee_id, last_seq, waiting_since IS NOT NULL, first_human_reply_at IS NOT NULL,
                (SELECT last_read_seq FROM read_markers WHERE member_id = $2 AND conversation_id = $1)
             FROM conversations WHERE id = $1",
        )
        .bind(chat)
        .bind(operator)
        .fetch_one(&store.lite().unwrap().write)
        .await
        .unwrap()
    }

    /// An operator's reply and note are stepped directly and leave the conversation, its
    /// messages and the operator's read marker as the full path leaves them.
    #[tokio::test]
    async fn an_operators_messages_are_stepped_directly_as_the_full_path_stores_them() {
        let dir = tempfile::tempdir().unwrap();
        let (store, channel) = demo_store(&dir).await;
        let operator = agent(&store).await;
        let write = &store.lite().unwrap().write;
        let mut chats = Vec::new();
        for name in ["Direct", "Full"] {
            let contact = store.create_visitor(&channel, name).await.unwrap();
            let chat = store.open_conversation(&channel, contact).await.unwrap().id;
            store.take_over(chat, operator).await.unwrap();
            chats.push(chat);
        }
        let turns = |chat| {
            [
                visitor(chat, "is anyone there?", "v1"),
                Pending::new(chat, &NewMessage::by_operator(operator, "I am", false, "o1", &[]), tokio::sync::oneshot::channel().0),
                Pending::new(chat, &NewMessage::by_operator(operator, "a regular", true, "o2", &[]), tokio::sync::oneshot::channel().0),
                visitor(chat, "thanks", "v2"),
            ]
        };
        let direct = turns(chats[0]);
        let mut tx = begin_write(write).await.unwrap();
        let mut results = Vec::new();
        assert_eq!(store_leading(&mut tx, &direct, &mut results, &mut RecentKeys::default()).await.unwrap(), 4, "every turn is stepped directly");
        tx.commit().await.unwrap();
        let full = turns(chats[1]);
        let mut tx = begin_write(write).await.unwrap();
        for p in &full {
            store_message(&mut tx, chats[1], &p.message()).await.unwrap();
        }
        tx.commit().await.unwrap();

        let direct_stored = store.latest_messages(chats[0], 10).await.unwrap();
        assert_eq!(
            direct_stored[1..],
            results.into_iter().map(|r| r.unwrap().message).collect::<Vec<_>>(),
            "what the senders are told is what was stored"
        );
        let full_stored = store.latest_messages(chats[1], 10).await.unwrap();
        let shape = |ms: &[app::events::MessageView]| {
            ms.iter()
                .map(|m| (m.seq, m.sender_kind, m.sender_id, m.sender_name.clone(), m.body.clone(), m.internal))
                .filter(|(_, kind, ..)| *kind != SenderKind::Contact)
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(&direct_stored), shape(&full_stored));
        assert!(shape(&direct_stored).iter().any(|m| m.3 != "Operator" && m.2 == Some(operator)), "{direct_stored:?}");
        let (d, f) = (standing_of(&store, chats[0], operator).await, standing_of(&store, chats[1], operator).await);
        assert_eq!(d, f, "the conversation and the read marker move alike");
        assert_eq!(d.6, Some(d.3 - 1), "the operator has read up to their note, not the customer's answer");
        assert!(d.4 && d.5, "the customer waits again and the first human reply is recorded: {d:?}");
    }

    /// A file or a refusal is never stepped directly; the assistant's answer on a conversation
    /// a person holds and another operator's reply are refused by the full path, not written here.
    #[tokio::test]
    async fn what_the_lifecycle_refuses_is_left_to_the_full_path() {
        let dir = tempfile::tempdir().unwrap();
        let (store, channel) = demo_store(&dir).await;
        let operator = agent(&store).await;
        let contact = store.create_visitor(&channel, "Held").await.unwrap();
        let chat = store.open_conversation(&channel, contact).await.unwrap().id;
        store.take_over(chat, operator).await.unwrap();
        let seq = store.conversation(chat).await.unwrap().unwrap().last_seq;
        let assistant = NewMessage {
            sender_kind: SenderKind::Ai,
            sender_id: None,
            body: "too late",
            internal: false,
            idempotency_key: None,
            attachments: &[],
            channel_message_id: None,
        };
        let other = store
            .member_by_email("agent2@demo.switchboard.test")
            .await
            .unwrap()
            .unwrap()
            .id;
        let not_theirs = NewMessage::by_operator(other, "hello", false, "op-1", &[]);
        let with_file = NewMessage {
            attachments: &[1],
            ..NewMessage::by_operator(operator, "see this", false, "op-2", &[])
        };
        let write = &store.lite().unwrap().write;
        for m in [assistant, not_theirs, with_file] {
            let batch = [Pending::new(chat, &m, tokio::sync::oneshot::channel().0)];
            let mut tx = begin_write(write).await.unwrap();
            let mut results = Vec::new();
            assert_eq!(
                store_leading(&mut tx, &batch, &mut results, &mut RecentKeys::default()).await.unwrap(),
                0,
                "{}",
                m.body
            );
            assert!(results.is_empty());
            tx.commit().await.unwrap();
        }
        assert_eq!(
            store.conversation(chat).await.unwrap().unwrap().last_seq,
            seq,
            "nothing written"
        );
    }
}
