//! The web chat channel: the embeddable widget's visitors. A visitor is identified by a token
//! signed with the server's secret, kept in the visitor's browser; it names the contact and the
//! channel, so a token can reach only its own conversation.

use std::net::IpAddr;
use std::sync::Arc;

use app::chat::WidgetChannel;
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
        Ok(self.tokens.issue(
            Visitor {
                contact_id,
                channel_id: channel.id,
            },
            unix_now(),
        ))
    }
}
