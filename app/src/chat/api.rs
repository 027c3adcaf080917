//! The server functions of this feature.

#[cfg(feature = "ssr")]
use std::sync::Arc;

use leptos::prelude::*;

use super::*;
use crate::AppError;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait ChatApi: Send + Sync + 'static {
    /// The web chat channel a widget names (public: visitors are not members).
    async fn widget(&self, key: &str) -> Result<WidgetChannel, AppError>;
    /// A new visitor on the web channel: their signed token.
    async fn start_visitor(&self, key: &str, client: Option<std::net::IpAddr>) -> Result<String, AppError>;
    /// What the site says of its signed-in customer: the token to chat with from now on.
    async fn identify(
        &self,
        key: &str,
        token: &str,
        identity: &Identity,
        client: Option<std::net::IpAddr>,
    ) -> Result<String, AppError>;
}

/// Public: which channel a widget's key names (the chat page reads it as the server renders).
#[server(endpoint = "widget/channel")]
pub async fn get_widget_channel(key: String) -> Result<WidgetChannel, AppError> {
    use crate::service::*;
    public(|chat: Arc<dyn ChatApi>| async move { chat.widget(&key).await }).await
}

/// Public: a new visitor on a web channel gets a signed token to keep. (The widget itself
/// starts on its socket, `VisitorCommand::Start`; this is the same for other clients.)
#[server(endpoint = "widget/start")]
pub async fn start_visitor(key: String) -> Result<String, AppError> {
    use crate::service::*;
    public(|chat: Arc<dyn ChatApi>| async move { chat.start_visitor(&key, client_ip()).await }).await
}

/// Public: the site says who its signed-in customer is (`Switchboard.identify` on the
/// widget). With a valid `hmac` of the id under the channel's identity secret, the visitor
/// becomes that customer, whose history follows them to any browser; without one, the details
/// only name this visitor (and a channel that requires verification refuses it). The widget
/// says this on its socket (`VisitorCommand::Identify`).
#[server(endpoint = "widget/identify")]
pub async fn identify_visitor(
    key: String,
    token: String,
    customer_id: String,
    name: String,
    email: String,
    phone: String,
    hmac: String,
    #[server(default)] attributes: String,
) -> Result<String, AppError> {
    use crate::service::*;
    public(|chat: Arc<dyn ChatApi>| async move {
        let identity = Identity {
            id: customer_id,
            name,
            email,
            phone,
            attributes,
            hmac,
        };
        chat.identify(&key, &token, &identity, client_ip()).await
    })
    .await
}
