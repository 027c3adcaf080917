//! The outbox: replies to customers on providers' channels, stored `pending` with the action
//! that wrote them, are sent from here — at once when one is stored (the conversation service
//! wakes this task), again after a provider was unreachable (backing off, then failing in
//! words), and after a restart (whatever was still pending). A provider that refuses a message
//! fails it with its code and text, shown to the operator under the message.

use std::sync::Arc;
use std::time::Duration;

use app::lifecycle::{ChannelKind, DeliveryStatus};

use super::email;
use super::sms::{self, SendError};
use super::tokens::{unix_now, VisitorTokens};
use crate::conversations::Conversations;
use crate::store::{now_ms, Moved, Outgoing, Store};

/// Tries before a reply that could not reach its provider is failed.
const MAX_ATTEMPTS: i64 = 6;

/// How long after the `attempt`th failed try the next one is made: 5 s, doubling, at most
/// 10 minutes.
pub fn backoff(attempt: i64) -> Duration {
    Duration::from_secs((5u64 << attempt.clamp(0, 10) as u64).min(600))
}

/// How often the task looks for due replies even when nothing woke it.
const LOOK_EVERY: Duration = Duration::from_secs(30);

/// Whether handling a reply was recorded: its new state stored (`Yes`), handed to the
/// provider without the record (`SentOnly`), or nothing stored (`No`).
enum Recorded {
    Yes,
    SentOnly,
    No,
}

pub struct Outbox {
    pub store: Store,
    pub conversations: Arc<Conversations>,
    pub http: reqwest::Client,
    pub public_url: String,
    pub tokens: VisitorTokens,
    /// Where stored files are, for e-mail attachments.
    pub data_dir: std::path::PathBuf,
    /// With several nodes, only the routing leader sends (a reply goes out once).
    pub cluster: Arc<crate::cluster::Cluster>,
}

impl Outbox {
    pub async fn run(self) {
        let wake = self.conversations.outbox();
        // Replies the provider took whose id could not be stored (the database refusing
        // writes): never sent again by this process, whatever the database still says.
        let mut sent_unrecorded = std::collections::HashSet::new();
        // With several nodes, replies stored on another node do not wake this one.
        let look_every = if self.cluster.is_shared() {
            Duration::from_secs(1)
        } else {
            LOOK_EVERY
        };
        loop {
            if !self.cluster.leads() {
                tokio::time::sleep(look_every).await;
                continue;
            }
            let mut recorded_any = false;
            match self.store.due_deliveries(now_ms(), 20).await {
                Ok(due) => {
                    for reply in due {
                        if sent_unrecorded.contains(&reply.message_id) {
                            continue;
                        }
                        let id = reply.message_id;
                        match self.deliver(reply).await {
                            Recorded::Yes => recorded_any = true,
                            Recorded::SentOnly => {
                                sent_unrecorded.insert(id);
                            }
                            Recorded::No => {}
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "could not read the replies waiting to be sent"),
            }
            // Only while replies move on: a batch that changed nothing waits like an empty one,
            // so a database refusing writes is not asked again and again.
            if recorded_any {
                continue;
            }
            let wait = match self.store.next_delivery_due().await {
                Ok(Some(at)) => Duration::from_millis((at - now_ms()).clamp(0, look_every.as_millis() as i64) as u64),
                _ => look_every,
            };
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    fn publish(&self, moved: Option<Moved>) {
        if let Some(m) = moved {
            self.conversations
                .publish_delivery(m.conversation_id, m.seq, m.delivery);
        }
    }

    async fn fail(&self, reply: &Outgoing, why: &str) -> Recorded {
        tracing::warn!(message = reply.message_id, why, "a reply could not be sent");
        match self
            .store
            .delivery_report(reply.message_id, DeliveryStatus::Failed, Some(why))
            .await
        {
            Ok(moved) => {
                self.publish(moved);
                Recorded::Yes
            }
            Err(e) => {
                tracing::error!(error = %e, "could not record a failed reply");
                Recorded::No
            }
        }
    }

    async fn deliver(&self, reply: Outgoing) -> Recorded {
        let channel = match self.store.channel(reply.channel_id).await {
            Ok(Some(c)) => c,
            Ok(None) => return self.fail(&reply, "the channel was deleted").await,
            Err(e) => {
                tracing::error!(error = %e, "could not read a reply's channel");
                return self.later(&reply, "the database did not answer").await;
            }
        };
        let result = match channel.kind {
            ChannelKind::Sms => self.send_sms(&channel, &reply).await,
            ChannelKind::Email => self.send_email(&channel, &reply).await,
            other => Err(SendError::Refused(format!(
                "replies on {} channels cannot be sent yet",
                other.as_str()
            ))),
        };
        let counted: &'static str = match &result {
            Ok(_) => "accepted",
            Err(SendError::Refused(_)) => "failed",
            Err(SendError::Unavailable(_)) => "retried",
        };
        crate::metrics::COUNTERS.delivery(channel.kind, counted);
        match result {
            Ok(sent) => match self
                .store
                .delivery_accepted(reply.message_id, &sent.sid, sent.status)
                .await
            {
                Ok(moved) => {
                    self.publish(moved);
                    Recorded::Yes
                }
                Err(e) => {
                    tracing::error!(error = %e, sid = sent.sid, "a sent reply's id could not be stored");
                    Recorded::SentOnly
                }
            },
            Err(SendError::Refused(why)) => self.fail(&reply, &why).await,
            Err(SendError::Unavailable(why)) => self.later(&reply, &why).await,
        }
    }

    /// The provider could not be reached: try again later, or give up after `MAX_ATTEMPTS`.
    async fn later(&self, reply: &Outgoing, why: &str) -> Recorded {
        if reply.attempts + 1 >= MAX_ATTEMPTS {
            return self.fail(reply, &format!("{why} (tried {MAX_ATTEMPTS} times)")).await;
        }
        let after = now_ms() + backoff(reply.attempts).as_millis() as i64;
        tracing::info!(message = reply.message_id, why, "a reply will be tried again");
        match self.store.retry_delivery(reply.message_id, after).await {
            Ok(()) => Recorded::Yes,
            Err(e) => {
                tracing::error!(error = %e, "could not put a reply back in the outbox");
                Recorded::No
            }
        }
    }

    async fn send_sms(&self, channel: &crate::store::ChannelRecord, reply: &Outgoing) -> Result<sms::Sent, SendError> {
        let (Some(settings), Some(token)) = (channel.sms(), channel.provider_secret.as_deref()) else {
            return Err(SendError::Refused("the SMS channel has no Twilio account set".into()));
        };
        let database =
            |e: crate::store::StoreError| SendError::Unavailable(format!("the database did not answer: {e}"));
        if self
            .store
            .sms_opted_out(channel.id, reply.contact_id)
            .await
            .map_err(database)?
        {
            return Err(SendError::Refused(format!("21610 \u{2013} {}", sms::OPTED_OUT)));
        }
        let Some(to) = self.store.contact_phone(reply.contact_id).await.map_err(database)? else {
            return Err(SendError::Refused("the customer has no phone number".into()));
        };
        // Files go as links Twilio fetches: the same signed links a visitor opens.
        let media: Vec<String> = self
            .store
            .message_files(reply.conversation_id, reply.seq)
            .await
            .map_err(database)?
            .into_iter()
            .map(|id| format!("{}{}", self.public_url, self.tokens.file_link(id, unix_now())))
            .collect();
        let callback = sms::status_url(&self.public_url, &channel.public_key);
        let body = app::format::plain_lines(&reply.body);
        sms::send(&self.http, &settings, token, &to, &body, &media, &callback).await
    }

    async fn send_email(
        &self,
        channel: &crate::store::ChannelRecord,
        reply: &Outgoing,
    ) -> Result<sms::Sent, SendError> {
        let Some(settings) = channel.email() else {
            return Err(SendError::Refused("the e-mail channel has no mail server set".into()));
        };
        let secrets = email::EmailSecrets::of(channel);
        let database =
            |e: crate::store::StoreError| SendError::Unavailable(format!("the database did not answer: {e}"));
        let Some(to) = self.store.contact_email(reply.contact_id).await.map_err(database)? else {
            return Err(SendError::Refused("the customer has no e-mail address".into()));
        };
        let to_name = self
            .store
            .contact_name(reply.contact_id)
            .await
            .map_err(database)?
            .unwrap_or_default();
        let subject = self
            .store
            .conversation_subject(reply.conversation_id)
            .await
            .map_err(database)?;
        let thread = self.store.thread_ids(reply.conversation_id).await.map_err(database)?;
        let mut files = Vec::new();
        for id in self
            .store
            .message_files(reply.conversation_id, reply.seq)
            .await
            .map_err(database)?
        {
            if let Some(a) = self.store.attachment(id).await.map_err(database)? {
                let path = self.data_dir.join("attachments").join(&a.storage_key);
                match tokio::fs::read(&path).await {
                    Ok(bytes) => files.push((a.file_name, a.content_type, bytes)),
                    Err(e) => return Err(SendError::Unavailable(format!("a file could not be read: {e}"))),
                }
            }
        }
        email::send(
            &settings,
            &secrets,
            &self.tokens,
            email::Outgoing {
                message_id: reply.message_id,
                conversation_id: reply.conversation_id,
                to: &to,
                to_name: &to_name,
                subject: subject.as_deref(),
                body: &reply.body,
                sender_kind: reply.sender_kind,
                thread: &thread,
                files,
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_ten_minutes() {
        assert_eq!(backoff(0), Duration::from_secs(5));
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(3), Duration::from_secs(40));
        assert_eq!(backoff(20), Duration::from_secs(600));
    }
}
