//! The server functions of this feature.

#[cfg(feature = "ssr")]
use std::sync::Arc;

use leptos::prelude::*;

use super::*;
use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{Me, Scope};

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait ChannelsApi: Send + Sync + 'static {
    async fn list(&self, me: &Me) -> Result<Vec<ChannelView>, AppError>;
    /// Creates a web chat channel (no `id`) or changes one.
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
    ) -> Result<ChannelView, AppError>;
    /// Creates an SMS channel (no `id`) or changes one; a blank `auth_token` keeps the saved one.
    async fn save_sms(
        &self,
        me: &Me,
        id: Option<i64>,
        name: &str,
        colour: &str,
        workflow_id: i64,
        settings: SmsSettings,
        auth_token: &str,
    ) -> Result<ChannelView, AppError>;
    /// Creates an e-mail channel (no `id`) or changes one; a blank password or ingest secret
    /// keeps the saved one.
    #[allow(clippy::too_many_arguments)]
    async fn save_email(
        &self,
        me: &Me,
        id: Option<i64>,
        name: &str,
        colour: &str,
        workflow_id: i64,
        settings: EmailSettings,
        secrets: EmailSecretsInput,
    ) -> Result<ChannelView, AppError>;
    async fn set_enabled(&self, me: &Me, id: i64, enabled: bool) -> Result<ChannelView, AppError>;
    async fn delete(&self, me: &Me, id: i64) -> Result<(), AppError>;
}

/// A channel form's channel (blank: a new one) and workflow.
#[cfg(feature = "ssr")]
fn channel_and_workflow(id: &str, workflow_id: &str) -> Result<(Option<i64>, i64), AppError> {
    use crate::service::parse_number;
    let id = match id.trim() {
        "" => None,
        v => Some(parse_number("Channel", v)?),
    };
    Ok((id, parse_number("Workflow", workflow_id.trim())?))
}

#[server(endpoint = "channels/list")]
pub async fn list_channels() -> Result<Vec<ChannelView>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::ChannelsWrite),
        "manage channels",
        |channels: Arc<dyn ChannelsApi>, me| async move { channels.list(&me).await },
    )
    .await
}

/// Creates (empty `id`) or changes a web chat channel.
#[server(endpoint = "channels/save")]
pub async fn save_channel(
    id: String,
    name: String,
    colour: String,
    workflow_id: String,
    allowed_sites: String,
    #[server(default)] identity_secret: String,
    #[server(default)] require_verified: Option<String>,
) -> Result<ChannelView, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::ChannelsWrite),
        "manage channels",
        |channels: Arc<dyn ChannelsApi>, me| async move {
            let (id, workflow_id) = channel_and_workflow(&id, &workflow_id)?;
            let require_verified = require_verified.is_some_and(|v| v == "on" || v == "true");
            channels
                .save(
                    &me,
                    id,
                    &name,
                    &colour,
                    workflow_id,
                    &allowed_sites,
                    &identity_secret,
                    require_verified,
                )
                .await
        },
    )
    .await
}

/// Creates (empty `id`) or changes an SMS channel on Twilio.
#[server(endpoint = "channels/save_sms")]
pub async fn save_sms_channel(
    id: String,
    name: String,
    colour: String,
    workflow_id: String,
    account_sid: String,
    from: String,
    #[server(default)] api_base_url: String,
    #[server(default)] auth_token: String,
) -> Result<ChannelView, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::ChannelsWrite),
        "manage channels",
        |channels: Arc<dyn ChannelsApi>, me| async move {
            let (id, workflow_id) = channel_and_workflow(&id, &workflow_id)?;
            let settings = SmsSettings::check(&account_sid, &from, &api_base_url)?;
            channels
                .save_sms(&me, id, &name, &colour, workflow_id, settings, &auth_token)
                .await
        },
    )
    .await
}

/// An e-mail channel's secrets as typed: each blank one keeps the saved one.
#[derive(Clone, Debug, Default)]
pub struct EmailSecretsInput {
    pub smtp_password: String,
    pub ingest_secret: String,
    pub imap_password: String,
}

/// Creates (empty `id`) or changes an e-mail channel.
#[server(endpoint = "channels/save_email")]
#[allow(clippy::too_many_arguments)]
pub async fn save_email_channel(
    id: String,
    name: String,
    colour: String,
    workflow_id: String,
    address: String,
    #[server(default)] display_name: String,
    smtp_host: String,
    smtp_port: String,
    smtp_security: String,
    #[server(default)] smtp_user: String,
    #[server(default)] smtp_password: String,
    #[server(default)] ingest_secret: String,
    #[server(default)] imap_host: String,
    #[server(default)] imap_port: String,
    #[server(default)] imap_security: String,
    #[server(default)] imap_user: String,
    #[server(default)] imap_password: String,
    #[server(default)] imap_mailbox: String,
    #[server(default)] imap_interval_secs: String,
) -> Result<ChannelView, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::ChannelsWrite),
        "manage channels",
        |channels: Arc<dyn ChannelsApi>, me| async move {
            let (id, workflow_id) = channel_and_workflow(&id, &workflow_id)?;
            let mut settings = EmailSettings::check(
                &address,
                &display_name,
                &smtp_host,
                &smtp_port,
                &smtp_security,
                &smtp_user,
            )?;
            settings.imap = ImapSettings::check(
                &imap_host,
                &imap_port,
                &imap_security,
                &imap_user,
                &imap_mailbox,
                &imap_interval_secs,
            )?;
            let secrets = EmailSecretsInput {
                smtp_password,
                ingest_secret,
                imap_password,
            };
            channels
                .save_email(&me, id, &name, &colour, workflow_id, settings, secrets)
                .await
        },
    )
    .await
}

#[server(endpoint = "channels/enabled")]
pub async fn set_channel_enabled(id: i64, enabled: bool) -> Result<ChannelView, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::ChannelsWrite),
        "manage channels",
        |channels: Arc<dyn ChannelsApi>, me| async move { channels.set_enabled(&me, id, enabled).await },
    )
    .await
}

#[server(endpoint = "channels/delete")]
pub async fn delete_channel(id: i64) -> Result<(), AppError> {
    use crate::service::*;
    serve(
        Some(Scope::ChannelsWrite),
        "manage channels",
        |channels: Arc<dyn ChannelsApi>, me| async move { channels.delete(&me, id).await },
    )
    .await
}
