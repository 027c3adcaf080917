//! The web chat channel: the embeddable widget's visitors. A visitor is identified by a token
//! signed with the server's secret, kept in the visitor's browser; it names the contact and the
//! channel, so a token can reach only its own conversation.

use std::net::IpAddr;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use app::chat::WidgetChannel;
use app::AppError;

use crate::limits::Limits;
use crate::store::{ChannelRecord, Store};

/// Who a visitor token says the visitor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visitor {
    pub contact_id: i64,
    pub channel_id: i64,
}

/// Signs and checks visitor tokens.
#[derive(Clone)]
pub struct VisitorTokens {
    key: Vec<u8>,
}

impl VisitorTokens {
    pub fn new(secret: &[u8]) -> Self {
        VisitorTokens { key: secret.to_vec() }
    }

    fn signature(&self, payload: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(payload.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn issue(&self, visitor: Visitor) -> String {
        let payload = format!("v1.{}.{}", visitor.contact_id, visitor.channel_id);
        let sig = self.signature(&payload);
        format!("{payload}.{sig}")
    }

    /// The visitor a token names, if the signature is ours.
    pub fn verify(&self, token: &str) -> Result<Visitor, AppError> {
        let bad = || AppError::invalid("Visitor token", "is not valid; reload the chat to start again");
        let (payload, sig) = token.rsplit_once('.').ok_or_else(bad)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(payload.as_bytes());
        let sig_bytes: Vec<u8> = (0..sig.len())
            .step_by(2)
            .map(|i| sig.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(bad)?;
        mac.verify_slice(&sig_bytes).map_err(|_| bad())?;
        let mut parts = payload.split('.');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("v1"), Some(contact), Some(channel), None) => Ok(Visitor {
                contact_id: contact.parse().map_err(|_| bad())?,
                channel_id: channel.parse().map_err(|_| bad())?,
            }),
            _ => Err(bad()),
        }
    }
}

fn unknown_channel(key: &str) -> AppError {
    AppError::not_found(format!("The chat channel \u{201c}{key}\u{201d}"))
}

/// The web channel named by a widget's key.
pub async fn channel(store: &Store, key: &str) -> Result<ChannelRecord, AppError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 100 {
        return Err(unknown_channel(key));
    }
    match store.channel_by_key(key).await? {
        Some(c) if c.kind == app::lifecycle::ChannelKind::Web => Ok(c),
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
        if let Some(client) = client {
            self.limits.start_chat(client)?;
        }
        let channel = channel(&self.store, key).await?;
        let mut n = [0u8; 2];
        getrandom::getrandom(&mut n).map_err(|_| AppError::Internal)?;
        let name = format!("Visitor {}", 1000 + u16::from_le_bytes(n) % 9000);
        let contact_id = self.store.create_visitor(&channel, &name).await?;
        Ok(self.tokens.issue(Visitor {
            contact_id,
            channel_id: channel.id,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_with_its_own_signature() {
        let tokens = VisitorTokens::new(b"secret");
        let v = Visitor {
            contact_id: 42,
            channel_id: 7,
        };
        let token = tokens.issue(v);
        assert_eq!(tokens.verify(&token).unwrap(), v);
        let forged = token.replace("v1.42.", "v1.43.");
        assert!(
            tokens.verify(&forged).is_err(),
            "changing the contact breaks the signature"
        );
        assert!(VisitorTokens::new(b"other").verify(&token).is_err());
        assert!(tokens.verify("garbage").is_err());
        assert!(tokens.verify("v1.1.2.zz").is_err());
    }
}
