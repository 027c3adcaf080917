//! The web chat channel: the embeddable widget's visitors. A visitor is identified by a token
//! signed with the server's secret, kept in the visitor's browser; it names the contact and the
//! channel, so a token can reach only its own conversation.

use std::net::IpAddr;
use std::sync::Arc;

use app::chat::{Identity, WidgetChannel};
use app::AppError;

pub use super::tokens::{unix_now, Checked, Visitor, VisitorTokens};
use crate::limits::Limits;
use crate::store::{ChannelRecord, Store};

fn unknown_channel(key: &str) -> AppError {
    AppError::not_found(format!("The chat channel \u{201c}{key}\u{201d}"))
}

/// What a visitor of a channel that was turned off is told.
pub fn turned_off() -> AppError {
    AppError::Conflict("This chat is turned off for now.".into())
}

/// The web channel named by a widget's key (refused when it is turned off).
pub async fn channel(store: &Store, key: &str) -> Result<ChannelRecord, AppError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 100 {
        return Err(unknown_channel(key));
    }
    match store.channel_by_key(key).await? {
        Some(c) if c.kind == app::lifecycle::ChannelKind::Web && c.enabled => Ok(c),
        Some(c) if c.kind == app::lifecycle::ChannelKind::Web => Err(turned_off()),
        _ => Err(unknown_channel(key)),
    }
}

/// The web channel as the widget reaches it: which channel a key names, and new visitors.
pub struct WebChat {
    store: Store,
    tokens: VisitorTokens,
    limits: Arc<Limits>,
}

impl WebChat {
    pub fn new(store: Store, tokens: VisitorTokens, limits: Arc<Limits>) -> Self {
        WebChat { store, tokens, limits }
    }

    /// A new visitor on the channel `key` (a few a minute from one address): who they are, and
    /// their token.
    pub async fn start(&self, key: &str, client: Option<IpAddr>) -> Result<(Visitor, String), AppError> {
        if let Some(client) = client {
            self.limits.start_chat(client)?;
        }
        let channel = channel(&self.store, key).await?;
        let visitor = Visitor {
            contact_id: self.new_visitor(&channel).await?,
            channel_id: channel.id,
        };
        Ok((visitor, self.tokens.issue(visitor, unix_now())))
    }

    async fn new_visitor(&self, channel: &ChannelRecord) -> Result<i64, AppError> {
        let mut n = [0u8; 2];
        getrandom::getrandom(&mut n).map_err(|_| AppError::Internal)?;
        let name = format!("Visitor {}", 1000 + u16::from_le_bytes(n) % 9000);
        Ok(self.store.create_visitor(channel, &name).await?)
    }
}

/// The most attributes one identify call may set.
const MAX_ATTRIBUTES: usize = 20;

/// A site's attributes for its customer: a JSON object of strings, numbers and booleans (a
/// `null` removes one), each key a data record's key, each value at most 500 characters.
pub fn attributes(json: &str) -> Result<Vec<(String, Option<String>)>, AppError> {
    let bad = |why: &str| AppError::invalid("Attributes", why.to_string());
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).map_err(|_| bad("must be an object like {\"plan\": \"pro\"}"))?;
    if map.len() > MAX_ATTRIBUTES {
        return Err(bad(&format!("at most {MAX_ATTRIBUTES} at a time")));
    }
    let mut out = Vec::new();
    for (key, value) in map {
        let key = crate::contacts::check_key(&key).map_err(|_| {
            bad(&format!(
                "\u{201c}{key}\u{201d} is not a key (1 to 40 letters, digits, spaces, -, _ or .)"
            ))
        })?;
        let value = match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => {
                return Err(bad(&format!(
                    "\u{201c}{key}\u{201d} must be text, a number or true/false"
                )))
            }
        };
        if value.as_ref().is_some_and(|v| v.chars().count() > 500) {
            return Err(bad(&format!("\u{201c}{key}\u{201d} is longer than 500 characters")));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// Whether `hmac` (hex) is HMAC-SHA256 of `id` under `secret`, compared in constant time.
pub fn identity_signed(secret: &str, id: &str, hmac: &str) -> bool {
    use hmac::Mac;
    let Some(given) = (0..hmac.len())
        .step_by(2)
        .map(|i| hmac.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    hmac.len() == 64 && mac.verify_slice(&given).is_ok()
}

#[async_trait::async_trait]
impl app::chat::ChatApi for WebChat {
    /// What the widget shows before the first message.
    async fn widget(&self, key: &str) -> Result<WidgetChannel, AppError> {
        let channel = channel(&self.store, key).await?;
        let workflow = self
            .store
            .workflow(channel.workflow_id)
            .await?
            .ok_or_else(|| unknown_channel(key))?;
        Ok(WidgetChannel {
            key: channel.public_key,
            name: channel.name,
            workflow_name: workflow.name,
            greeting: workflow.greeting,
            colour: channel.colour,
        })
    }

    /// A new visitor on the channel (a few a minute from one address), and their token.
    async fn start_visitor(&self, key: &str, client: Option<IpAddr>) -> Result<String, AppError> {
        self.start(key, client).await.map(|(_, token)| token)
    }

    /// A site's signed-in customer. Verified (the channel has a secret and `hmac` signs the
    /// id): the visitor becomes the contact the workspace knows by that id — this visitor,
    /// if it was nobody yet, or the customer from another browser — and the details are
    /// theirs. Unverified: refused where the channel requires verification, else the details
    /// only name this visitor, who reaches no other history.
    async fn identify(
        &self,
        key: &str,
        token: &str,
        who: &Identity,
        client: Option<IpAddr>,
    ) -> Result<String, AppError> {
        let channel = channel(&self.store, key).await?;
        let current = self.tokens.verify(token, unix_now())?.visitor;
        if current.channel_id != channel.id || !self.store.contact_on_channel(current.contact_id, channel.id).await? {
            return Err(AppError::invalid(
                "Visitor token",
                "is not for this chat; reload it to start again",
            ));
        }
        let id = who.id.trim();
        if id.is_empty() || id.chars().count() > 200 {
            return Err(AppError::invalid(
                "Identity",
                "needs the customer's id, 1 to 200 characters",
            ));
        }
        let name = who.name.trim();
        if name.chars().count() > 100 {
            return Err(AppError::invalid("Name", "must be at most 100 characters"));
        }
        let email = crate::contacts::check_email(&who.email)?;
        let phone = crate::contacts::check_phone(&who.phone)?;
        let attributes = attributes(&who.attributes)?;
        let verified = channel
            .identity_secret
            .as_deref()
            .is_some_and(|secret| identity_signed(secret, id, who.hmac.trim()));
        let contact = if verified {
            match self.store.identity_contact(channel.workspace_id, "web", id).await? {
                Some(known) => known,
                None => {
                    // This visitor becomes the customer, unless it already is somebody else.
                    let contact = if self.store.has_identity(current.contact_id, "web").await? {
                        if let Some(client) = client {
                            self.limits.start_chat(client)?;
                        }
                        self.new_visitor(&channel).await?
                    } else {
                        current.contact_id
                    };
                    self.store
                        .claim_identity(channel.workspace_id, contact, "web", id)
                        .await?
                }
            }
        } else if channel.require_verified {
            return Err(AppError::invalid(
                "Identity",
                "could not be verified: this chat accepts only identities signed by the site",
            ));
        } else if self.store.has_identity(current.contact_id, "web").await? {
            // A verified customer's details are not changed by an unsigned call.
            return Ok(token.to_string());
        } else {
            current.contact_id
        };
        self.store
            .set_contact_details(
                contact,
                (!name.is_empty()).then_some(name),
                email.as_deref(),
                phone.as_deref(),
            )
            .await?;
        if !attributes.is_empty() {
            let existing = self.store.contact_data_keys(contact).await?;
            let new = attributes
                .iter()
                .filter(|(k, v)| v.is_some() && !existing.contains(k))
                .count();
            if existing.len() + new > 50 {
                return Err(AppError::invalid("Attributes", "a contact has at most 50 data records"));
            }
            for (key, value) in &attributes {
                self.store.set_contact_data(contact, key, value.as_deref()).await?;
            }
        }
        if verified {
            // The site vouches for these too: the customer's texts and e-mails from them find
            // this contact (unless another contact has them already).
            let email = email.as_deref().and_then(app::contacts::email_address);
            let phone = phone.as_deref().and_then(app::contacts::phone_e164);
            for (kind, value) in [("email", email), ("phone", phone)] {
                if let Some(value) = value {
                    self.store
                        .claim_identity(channel.workspace_id, contact, kind, &value)
                        .await?;
                }
            }
        }
        if contact == current.contact_id {
            return Ok(token.to_string());
        }
        Ok(self.tokens.issue(
            Visitor {
                contact_id: contact,
                channel_id: channel.id,
            },
            unix_now(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_plain_values_under_data_record_keys() {
        assert_eq!(
            attributes(r#"{"plan": "pro", "orders": 3, "vip": true, "old": null, "blank": " "}"#).unwrap(),
            [
                ("blank".to_string(), None),
                ("old".to_string(), None),
                ("orders".to_string(), Some("3".to_string())),
                ("plan".to_string(), Some("pro".to_string())),
                ("vip".to_string(), Some("true".to_string())),
            ]
        );
        assert!(attributes("").unwrap().is_empty());
        assert!(attributes("[1, 2]").is_err());
        assert!(attributes(r#"{"nested": {"a": 1}}"#).is_err());
        assert!(attributes(r#"{"bad/key": "x"}"#).is_err());
        let many: Vec<String> = (0..21).map(|i| format!(r#""k{i}": 1"#)).collect();
        assert!(attributes(&format!("{{{}}}", many.join(","))).is_err());
    }
}
