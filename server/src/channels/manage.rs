//! Managing a workspace's channels (`channels:write`): creating and changing web chat channels,
//! turning them off, deleting unused ones. Every change is in the audit log.

use app::channels::{
    check_auth_token, check_channel_name, check_colour, check_identity_secret, check_sites, embed_snippet, ChannelView,
    ChannelsApi, EmailSettings, EmailView, SmsSettings, SmsView,
};
use app::{AppError, Me};

use crate::store::channels::ChannelListing;
use crate::store::workspaces::AuditEntry;
use crate::store::Store;

/// A provider's channel as it is stored: its kind, what every channel has, and its checked
/// settings (JSON) and secret (`None`: keep the stored one).
struct ProviderChannel<'a> {
    kind: &'static str,
    name: &'a str,
    colour: &'a str,
    workflow_id: i64,
    settings: &'a str,
    secret: Option<&'a str>,
}

pub struct ChannelAdmin {
    store: Store,
    /// Where the widget is served from, for the embed snippet.
    public_url: String,
}

impl ChannelAdmin {
    pub fn new(store: Store, public_url: String) -> Self {
        ChannelAdmin { store, public_url }
    }

    fn view(&self, l: ChannelListing) -> ChannelView {
        let c = l.channel;
        let sms = c.sms().map(|settings| SmsView {
            settings,
            has_auth_token: c.provider_secret.is_some(),
            inbound_url: super::sms::inbound_url(&self.public_url, &c.public_key),
            status_url: super::sms::status_url(&self.public_url, &c.public_key),
        });
        let email = c.email().map(|settings| {
            let secrets = super::email::EmailSecrets::of(&c);
            EmailView {
                settings,
                has_smtp_password: secrets.smtp_password.is_some(),
                has_ingest_secret: secrets.ingest_secret.is_some(),
                ingest_url: super::email::ingest_url(&self.public_url, &c.public_key),
                has_imap_password: secrets.imap_password.is_some(),
                imap_status: imap_status(l.imap_checked_at, l.imap_problem.as_deref()),
            }
        });
        ChannelView {
            sms,
            email,
            id: c.id,
            kind: c.kind,
            allowed_sites: c.sites(),
            embed: embed_snippet(&self.public_url, &c.public_key),
            name: c.name,
            colour: c.colour,
            workflow_id: c.workflow_id,
            workflow_name: l.workflow_name,
            key: c.public_key,
            enabled: c.enabled,
            conversations: l.conversations,
            has_identity_secret: c.identity_secret.is_some(),
            require_verified: c.require_verified,
        }
    }

    async fn one(&self, me: &Me, id: i64) -> Result<ChannelView, AppError> {
        let listing = self
            .store
            .channel_listings(me.workspace_id, Some(id))
            .await?
            .pop()
            .ok_or_else(|| AppError::not_found("That channel"))?;
        Ok(self.view(listing))
    }

    /// Creates (`id` none) or changes a provider's channel with checked settings, audited.
    async fn save_provider(
        &self,
        me: &Me,
        id: Option<i64>,
        before: Option<ChannelView>,
        c: ProviderChannel<'_>,
    ) -> Result<ChannelView, AppError> {
        let id = match id {
            Some(id) => id,
            None => {
                self.store
                    .create_channel(
                        me.workspace_id,
                        c.workflow_id,
                        c.kind,
                        c.name,
                        c.colour,
                        &new_key(c.name),
                    )
                    .await?
            }
        };
        self.store
            .update_channel(me.workspace_id, id, c.name, c.colour, c.workflow_id, "")
            .await?;
        self.store
            .set_provider(me.workspace_id, id, c.settings, c.secret)
            .await?;
        let after = self.one(me, id).await?;
        match &before {
            None => self.audit(me, "channel.created", None, Some(&after)).await,
            Some(before) => self.audit(me, "channel.updated", Some(before), Some(&after)).await,
        }
        Ok(after)
    }

    async fn check_workflow(&self, me: &Me, workflow_id: i64) -> Result<(), AppError> {
        let workflow = self.store.workflow(workflow_id).await?;
        if workflow.is_none_or(|w| w.workspace_id != me.workspace_id) {
            return Err(AppError::invalid("Workflow it feeds", "choose one of your workflows"));
        }
        Ok(())
    }

    async fn audit(&self, me: &Me, action: &str, before: Option<&ChannelView>, after: Option<&ChannelView>) {
        let json = |c: &ChannelView| serde_json::to_value(c).unwrap_or_default();
        let name = after.or(before).map(|c| c.name.clone()).unwrap_or_default();
        self.store
            .audit(AuditEntry {
                before: before.map(json),
                after: after.map(json),
                ..AuditEntry::by(me, action, &format!("channel {name}"))
            })
            .await;
    }
}

/// How reading an e-mail channel's mailbox went last time, in words.
fn imap_status(checked_at: Option<i64>, problem: Option<&str>) -> Option<String> {
    let ago = (crate::store::now_ms() - checked_at?).max(0) / 1000;
    let when = match ago {
        0..=59 => format!("{ago} s ago"),
        60..=3599 => format!("{} min ago", ago / 60),
        _ => format!("{} h ago", ago / 3600),
    };
    Some(match problem {
        Some(p) => format!("The last look at the mailbox ({when}) failed: {p}"),
        None => format!("Mailbox read {when}."),
    })
}

/// A key for a new channel: its name in lower-case words and a random tail, e.g.
/// `shop-website-3f9a1c`.
fn new_key(name: &str) -> String {
    let words: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let words: Vec<&str> = words.split('-').filter(|w| !w.is_empty()).collect();
    let stem: String = words.join("-").chars().take(40).collect();
    let tail = &crate::auth::new_token()[..6];
    if stem.is_empty() {
        format!("chat-{tail}")
    } else {
        format!("{}-{tail}", stem.trim_end_matches('-'))
    }
}

#[async_trait::async_trait]
impl ChannelsApi for ChannelAdmin {
    async fn list(&self, me: &Me) -> Result<Vec<ChannelView>, AppError> {
        let listings = self.store.channel_listings(me.workspace_id, None).await?;
        Ok(listings.into_iter().map(|l| self.view(l)).collect())
    }

    async fn save(
        &self,
        me: &Me,
        id: Option<i64>,
        name: &str,
        colour: &str,
        workflow_id: i64,
        allowed_sites: &str,
        identity_secret: &str,
        require_verified: bool,
    ) -> Result<ChannelView, AppError> {
        let name = check_channel_name(name)?;
        let secret = check_identity_secret(identity_secret)?;
        let colour = check_colour(colour)?;
        let sites = check_sites(allowed_sites)?.join(" ");
        self.check_workflow(me, workflow_id).await?;
        let had_secret = match id {
            Some(id) => {
                let channel = self.one(me, id).await?;
                if channel.kind != app::lifecycle::ChannelKind::Web {
                    return Err(AppError::Conflict("That channel is not a web chat channel.".into()));
                }
                channel.has_identity_secret
            }
            None => false,
        };
        if require_verified && secret.is_none() && !had_secret {
            return Err(AppError::invalid(
                "Require verified identities",
                "needs an identity secret to verify them with",
            ));
        }
        // The settings, written the same way to a new channel and a changed one.
        let apply = |admin: &Self, id: i64| {
            let (name, colour, sites, secret) = (name.clone(), colour.clone(), sites.clone(), secret.clone());
            let store = admin.store.clone();
            let workspace = me.workspace_id;
            async move {
                store
                    .update_channel(workspace, id, &name, &colour, workflow_id, &sites)
                    .await?;
                store
                    .set_identity_check(workspace, id, secret.as_deref(), require_verified)
                    .await
            }
        };
        match id {
            None => {
                let id = self
                    .store
                    .create_channel(me.workspace_id, workflow_id, "web", &name, &colour, &new_key(&name))
                    .await?;
                apply(self, id).await?;
                let created = self.one(me, id).await?;
                self.audit(me, "channel.created", None, Some(&created)).await;
                Ok(created)
            }
            Some(id) => {
                let before = self.one(me, id).await?;
                apply(self, id).await?;
                let after = self.one(me, id).await?;
                self.audit(me, "channel.updated", Some(&before), Some(&after)).await;
                Ok(after)
            }
        }
    }

    async fn save_sms(
        &self,
        me: &Me,
        id: Option<i64>,
        name: &str,
        colour: &str,
        workflow_id: i64,
        settings: SmsSettings,
        auth_token: &str,
    ) -> Result<ChannelView, AppError> {
        let name = check_channel_name(name)?;
        let colour = check_colour(colour)?;
        let token = check_auth_token(auth_token)?;
        self.check_workflow(me, workflow_id).await?;
        let before = match id {
            Some(id) => Some(self.one(me, id).await?),
            None => None,
        };
        if before.as_ref().is_some_and(|b| b.sms.is_none()) {
            return Err(AppError::Conflict("That channel is not an SMS channel.".into()));
        }
        if token.is_none()
            && before
                .as_ref()
                .is_none_or(|b| b.sms.as_ref().is_none_or(|s| !s.has_auth_token))
        {
            return Err(AppError::invalid(
                "Auth token",
                "is needed to check Twilio's signatures and to send texts",
            ));
        }
        let json = serde_json::to_string(&settings).map_err(|_| AppError::Internal)?;
        let fields = ProviderChannel {
            kind: "sms",
            name: &name,
            colour: &colour,
            workflow_id,
            settings: &json,
            secret: token.as_deref(),
        };
        self.save_provider(me, id, before, fields).await
    }

    async fn save_email(
        &self,
        me: &Me,
        id: Option<i64>,
        name: &str,
        colour: &str,
        workflow_id: i64,
        settings: EmailSettings,
        typed: app::channels::EmailSecretsInput,
    ) -> Result<ChannelView, AppError> {
        let name = check_channel_name(name)?;
        let colour = check_colour(colour)?;
        let ingest = app::channels::check_ingest_secret(&typed.ingest_secret)?;
        let password = typed.smtp_password.trim();
        let imap_password = typed.imap_password.trim();
        if password.len() > 500 || imap_password.len() > 500 {
            return Err(AppError::invalid("Password", "must be at most 500 characters"));
        }
        self.check_workflow(me, workflow_id).await?;
        let existing = match id {
            Some(id) => Some(
                self.store
                    .channel(id)
                    .await?
                    .filter(|c| c.workspace_id == me.workspace_id)
                    .ok_or_else(|| AppError::not_found("That channel"))?,
            ),
            None => None,
        };
        if existing
            .as_ref()
            .is_some_and(|c| c.kind != app::lifecycle::ChannelKind::Email)
        {
            return Err(AppError::Conflict("That channel is not an e-mail channel.".into()));
        }
        let mut secrets = existing
            .as_ref()
            .map(super::email::EmailSecrets::of)
            .unwrap_or_default();
        if !password.is_empty() {
            secrets.smtp_password = Some(password.to_string());
        }
        if let Some(ingest) = ingest {
            secrets.ingest_secret = Some(ingest);
        }
        if !imap_password.is_empty() {
            secrets.imap_password = Some(imap_password.to_string());
        }
        if settings.imap.is_some() && secrets.imap_password.is_none() {
            return Err(AppError::invalid(
                "IMAP password",
                "is needed to sign in to the mailbox",
            ));
        }
        if secrets.ingest_secret.is_none() {
            return Err(AppError::invalid(
                "Ingest secret",
                "is needed: the mail server proves with it that e-mails come from it (Generate makes one)",
            ));
        }
        let before = match id {
            Some(id) => Some(self.one(me, id).await?),
            None => None,
        };
        let json = serde_json::to_string(&settings).map_err(|_| AppError::Internal)?;
        let secret = serde_json::to_string(&secrets).map_err(|_| AppError::Internal)?;
        let fields = ProviderChannel {
            kind: "email",
            name: &name,
            colour: &colour,
            workflow_id,
            settings: &json,
            secret: Some(&secret),
        };
        self.save_provider(me, id, before, fields).await
    }

    async fn set_enabled(&self, me: &Me, id: i64, enabled: bool) -> Result<ChannelView, AppError> {
        let before = self.one(me, id).await?;
        self.store.set_channel_enabled(me.workspace_id, id, enabled).await?;
        let after = self.one(me, id).await?;
        let action = if enabled {
            "channel.turned_on"
        } else {
            "channel.turned_off"
        };
        self.audit(me, action, Some(&before), Some(&after)).await;
        Ok(after)
    }

    async fn delete(&self, me: &Me, id: i64) -> Result<(), AppError> {
        let before = self.one(me, id).await?;
        if !self.store.delete_unused_channel(me.workspace_id, id).await? {
            return Err(AppError::Conflict(format!(
                "\u{201c}{}\u{201d} has conversations, which stay in the inbox: turn it off instead.",
                before.name
            )));
        }
        self.audit(me, "channel.deleted", Some(&before), None).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_the_name_in_words_and_a_random_tail() {
        let key = new_key("Shop Website (EU)!");
        assert!(key.starts_with("shop-website-eu-"), "{key}");
        assert_eq!(key.len(), "shop-website-eu-".len() + 6);
        assert_ne!(new_key("Shop"), new_key("Shop"));
        assert!(new_key("€€€").starts_with("chat-"));
    }
}
