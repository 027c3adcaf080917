//! E-mail digests for members who are away: now and then, an e-mail listing their
//! conversations whose customers wrote and the conversations waiting for their team, since
//! their last digest or since they were last here. Members ask for it on Your account.

use std::sync::Arc;
use std::time::Duration;

use app::Scope;

use crate::conversations::visibility::Visibility;
use crate::mail::Mailer;
use crate::routing::Router;
use crate::store::{now_ms, DigestLine, DigestReader, Store};

pub struct Digests {
    pub store: Store,
    pub router: Arc<Router>,
    pub mailer: Mailer,
    pub public_url: String,
    /// At most one digest a member in this time.
    pub every: Duration,
    /// With several nodes, only the routing leader sends.
    pub cluster: Arc<crate::cluster::Cluster>,
}

impl Digests {
    /// Sends digests as they fall due, until the process ends.
    pub async fn run(self) {
        let mut ticker =
            tokio::time::interval((self.every / 4).clamp(Duration::from_millis(250), Duration::from_secs(60)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            // With several nodes, the routing leader sends the digests (each goes out once).
            if !self.cluster.leads() {
                continue;
            }
            if let Err(e) = self.round().await {
                tracing::warn!(error = %e, "could not send e-mail digests");
            }
        }
    }

    async fn round(&self) -> Result<(), crate::store::StoreError> {
        let now = now_ms();
        for reader in self.store.digest_readers(now, self.every.as_millis() as i64).await? {
            let me = &reader.me;
            if self.router.is_here(me.member_id).await {
                // They see it in the console: nothing up to now is news for a digest.
                self.store.digest_done(me.member_id, now).await?;
                continue;
            }
            let (mine, waiting) = self.lines(&reader).await?;
            if mine.is_empty() && waiting.is_empty() {
                continue;
            }
            let (subject, body) = compose(&reader, &mine, &waiting, &self.public_url);
            match self.mailer.send(&me.name, &me.email, &subject, &body).await {
                Ok(()) => {
                    tracing::info!(
                        member_id = me.member_id,
                        mine = mine.len(),
                        waiting = waiting.len(),
                        "e-mail digest sent"
                    );
                    self.store.digest_done(me.member_id, now).await?;
                }
                Err(e) => tracing::warn!(member_id = me.member_id, error = %e, "could not send an e-mail digest"),
            }
        }
        Ok(())
    }

    /// Their conversations with new customer messages, and those waiting that they may see
    /// (for those who handle or oversee conversations).
    async fn lines(
        &self,
        reader: &DigestReader,
    ) -> Result<(Vec<DigestLine>, Vec<DigestLine>), crate::store::StoreError> {
        let me = &reader.me;
        let mine = self.store.digest_mine(me.member_id, reader.since).await?;
        let waiting = if me.can(Scope::OperatorWrite) || me.can(Scope::ConversationsReadAll) {
            let seen = Visibility::of(&self.store, me).await?;
            self.store.digest_waiting(me.workspace_id, &seen, reader.since).await?
        } else {
            Vec::new()
        };
        Ok((mine, waiting))
    }
}

/// The digest's subject and plain-text body.
pub fn compose(
    reader: &DigestReader,
    mine: &[DigestLine],
    waiting: &[DigestLine],
    public_url: &str,
) -> (String, String) {
    let count = mine.len() + waiting.len();
    let subject = format!(
        "{count} conversation{} in {} need{} you",
        if count == 1 { "" } else { "s" },
        reader.me.workspace_name,
        if count == 1 { "s" } else { "" }
    );
    let link = |l: &DigestLine| format!("{public_url}/inbox/{}", l.conversation_id);
    let mut body = format!("Hello {},\n\nWhile you were away:\n", reader.me.name);
    if !mine.is_empty() {
        body.push_str("\nYour conversations with new messages from the customer:\n");
        for l in mine {
            let n = l.new_messages;
            body.push_str(&format!(
                "- {} ({}): {n} new message{}\n  {}\n",
                l.contact_name,
                l.workflow_name,
                if n == 1 { "" } else { "s" },
                link(l)
            ));
        }
    }
    if !waiting.is_empty() {
        body.push_str("\nWaiting for someone on your team to take them:\n");
        for l in waiting {
            let since = l
                .escalated_at
                .map(|t| format!(", waiting since {}", app::time::format_utc(t)))
                .unwrap_or_default();
            body.push_str(&format!(
                "- {} ({}{since})\n  {}\n",
                l.contact_name,
                l.workflow_name,
                link(l)
            ));
        }
    }
    body.push_str(&format!(
        "\nYou get this e-mail because you asked for a digest when away. Turn it off under Alerts on {public_url}/account\n"
    ));
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader() -> DigestReader {
        DigestReader {
            me: app::Me {
                member_id: 3,
                workspace_id: 1,
                workspace_name: "Acme Support".into(),
                name: "Sam Agent".into(),
                email: "sam@example.com".into(),
                role: app::Role::Agent,
                token_scopes: None,
                managers_handle_chats: false,
                instance_admin: false,
                alerts: app::AlertPreferences::default(),
            },
            since: 0,
        }
    }

    fn line(id: i64, name: &str, new: i64, escalated_at: Option<i64>) -> DigestLine {
        DigestLine {
            conversation_id: id,
            contact_name: name.into(),
            workflow_name: "Support".into(),
            new_messages: new,
            escalated_at,
        }
    }

    #[test]
    fn a_digest_lists_each_conversation_with_its_link_and_how_to_stop_it() {
        let (subject, body) = compose(
            &reader(),
            &[line(7, "Ada", 3, None)],
            &[line(9, "Bob", 0, Some(0))],
            "https://sb.example",
        );
        assert_eq!(subject, "2 conversations in Acme Support need you");
        assert!(
            body.contains("- Ada (Support): 3 new messages\n  https://sb.example/inbox/7"),
            "{body}"
        );
        assert!(
            body.contains("- Bob (Support, waiting since 1970-01-01 00:00 UTC)\n  https://sb.example/inbox/9"),
            "{body}"
        );
        assert!(body.contains("https://sb.example/account"), "{body}");
        let (subject, body) = compose(&reader(), &[line(7, "Ada", 1, None)], &[], "https://sb.example");
        assert_eq!(subject, "1 conversation in Acme Support needs you");
        assert!(body.contains("1 new message\n"), "{body}");
        assert!(!body.contains("Waiting for someone"), "{body}");
    }
}
