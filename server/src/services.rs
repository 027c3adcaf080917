//! The domain services behind the pages' server functions. Each implements its feature's trait
//! from `app` (`app::canned::CannedApi`, …) itself; `Services::provide` puts them into the
//! Leptos context of every request as `Arc<dyn …Api>`, where `app::service::serve` finds them.

use std::sync::Arc;

use leptos::prelude::provide_context;

use crate::accounts::Accounts;
use crate::api::tokens::ApiTokens;
use crate::auth::Sessions;
use crate::canned::Canned;
use crate::categories::Categories;
use crate::channels::manage::ChannelAdmin;
use crate::channels::web::WebChat;
use crate::contacts::Contacts;
use crate::conversations::Conversations;
use crate::groups::Groups;
use crate::qualifications::Qualifications;
use crate::routing::Router;
use crate::settings::{Instance, Settings};
use crate::team::Team;
use crate::workflows::Workflows;

#[derive(Clone)]
pub struct Services {
    pub sessions: Arc<Sessions>,
    pub accounts: Arc<Accounts>,
    pub team: Arc<Team>,
    pub groups: Arc<Groups>,
    pub conversations: Arc<Conversations>,
    pub router: Arc<Router>,
    pub categories: Arc<Categories>,
    pub contacts: Arc<Contacts>,
    pub canned: Arc<Canned>,
    pub workflows: Arc<Workflows>,
    pub qualifications: Arc<Qualifications>,
    pub chat: Arc<WebChat>,
    pub channels: Arc<ChannelAdmin>,
    pub settings: Arc<Settings>,
    pub instance: Arc<Instance>,
    pub api_tokens: Arc<ApiTokens>,
    pub webhooks: Arc<crate::webhooks::Webhooks>,
    pub history: Arc<crate::history::History>,
    pub reports: Arc<crate::reports::Reports>,
}

impl Services {
    /// Puts every feature's service into the Leptos context (once per request).
    pub fn provide(&self) {
        provide_context::<Arc<dyn app::auth::SessionApi>>(self.sessions.clone());
        provide_context::<Arc<dyn app::auth::InvitationApi>>(self.team.clone());
        provide_context::<Arc<dyn app::auth::PasswordApi>>(self.accounts.clone());
        provide_context::<Arc<dyn app::auth::PreferencesApi>>(self.accounts.clone());
        provide_context::<Arc<dyn app::inbox::InboxApi>>(self.conversations.clone());
        provide_context::<Arc<dyn app::conversation::ConversationApi>>(self.conversations.clone());
        provide_context::<Arc<dyn app::conversation::ConversationStateApi>>(self.conversations.clone());
        provide_context::<Arc<dyn app::conversation::HandlingApi>>(self.router.clone());
        provide_context::<Arc<dyn app::conversation::CategoriesApi>>(self.categories.clone());
        provide_context::<Arc<dyn app::contacts::ContactsApi>>(self.contacts.clone());
        provide_context::<Arc<dyn app::canned::CannedApi>>(self.canned.clone());
        provide_context::<Arc<dyn app::people::TeamApi>>(self.team.clone());
        provide_context::<Arc<dyn app::people::GroupsApi>>(self.groups.clone());
        provide_context::<Arc<dyn app::audit::AuditApi>>(self.team.clone());
        provide_context::<Arc<dyn app::workflows::WorkflowsApi>>(self.workflows.clone());
        provide_context::<Arc<dyn app::qualifications::QualificationsApi>>(self.qualifications.clone());
        provide_context::<Arc<dyn app::chat::ChatApi>>(self.chat.clone());
        provide_context::<Arc<dyn app::channels::ChannelsApi>>(self.channels.clone());
        provide_context::<Arc<dyn app::live::LiveApi>>(self.router.clone());
        provide_context::<Arc<dyn app::settings::SettingsApi>>(self.settings.clone());
        provide_context::<Arc<dyn app::instance::InstanceApi>>(self.instance.clone());
        provide_context::<Arc<dyn app::integrations::ApiTokensApi>>(self.api_tokens.clone());
        provide_context::<Arc<dyn app::integrations::WebhooksApi>>(self.webhooks.clone());
        provide_context::<Arc<dyn app::history::HistoryApi>>(self.history.clone());
        provide_context::<Arc<dyn app::reports::ReportsApi>>(self.reports.clone());
    }
}
