//! The domain services behind the pages' server functions. `Services` implements the `Backend`
//! that `app` defines, so server functions stay thin and storage stays here.

use std::sync::Arc;

use app::api::ssr::Backend;
use app::events::MessageView;
use app::model::{
    AuditView, BoardOperator, CannedResponse, CannedScope, CategoryView, ContactDetail, ConversationDetail,
    ConversationSummary, GroupChoice, GroupSummary, InboxPage, InboxQuery, Invitation, InvitationView, LiveBoard,
    MemberSummary, OperatorStatus, PasswordResetView, PracticeRun, QualificationsOverview, ResetRequested,
    TransferOperator, TransferOptions, WidgetChannel, WorkflowSettings, WorkflowSummary, WorkspaceSettings,
};
use app::{AppError, Me, Role};

use crate::auth::Sessions;
use crate::channels::web::{self, VisitorTokens};
use crate::config::Config;
use crate::conversations::Conversations;
use crate::store::Store;

pub struct Services {
    pub store: Store,
    pub sessions: Sessions,
    pub config: Arc<Config>,
    pub conversations: Arc<Conversations>,
    pub tokens: VisitorTokens,
    pub router: Arc<crate::routing::Router>,
    pub team: crate::team::Team,
    pub groups: crate::groups::Groups,
    pub workflows: crate::workflows::Workflows,
    pub qualifications: crate::qualifications::Qualifications,
    pub contacts: crate::contacts::Contacts,
    pub canned: crate::canned::Canned,
    pub limits: Arc<crate::limits::Limits>,
    pub accounts: crate::accounts::Accounts,
}

impl Services {
    async fn audit_category(&self, me: &Me, action: &str, name: &str) {
        let target = format!("category {name}");
        self.store
            .audit(crate::store::workspaces::AuditEntry::by(me, action, &target))
            .await;
    }
}

#[async_trait::async_trait]
impl Backend for Services {
    async fn sign_in(&self, email: &str, password: &str, client: &str) -> Result<(Me, String), AppError> {
        self.sessions.sign_in(email, password, client).await
    }

    async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        self.sessions.sign_out(token).await
    }

    async fn sign_out_everywhere(&self, me: &Me) -> Result<(), AppError> {
        let ended = self.store.revoke_sessions_of(me.member_id).await?;
        tracing::info!(member_id = me.member_id, sessions = ended, "signed out everywhere");
        self.router.access_changed(me.member_id);
        Ok(())
    }

    async fn member_for_session(&self, token: &str) -> Result<Me, AppError> {
        self.sessions.member(token).await
    }

    fn session_ttl_secs(&self) -> i64 {
        self.sessions.ttl_secs()
    }

    fn secure_cookies(&self) -> bool {
        self.config.secure_cookies()
    }

    async fn inbox(&self, me: &Me, query: InboxQuery) -> Result<InboxPage, AppError> {
        self.conversations.inbox(me, &query).await
    }

    async fn conversation_summary(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError> {
        self.conversations.summary_for(me, id).await
    }

    async fn history(&self, me: &Me, id: i64, before_seq: i64) -> Result<Vec<MessageView>, AppError> {
        self.conversations.history(me, id, before_seq).await
    }

    async fn set_category(&self, me: &Me, id: i64, category_id: Option<i64>) -> Result<ConversationSummary, AppError> {
        self.conversations.set_category(me, id, category_id).await
    }

    async fn reopen(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError> {
        self.conversations.reopen(me, id).await
    }

    async fn categories(&self, me: &Me) -> Result<Vec<CategoryView>, AppError> {
        Ok(self.store.categories(me.workspace_id).await?)
    }

    async fn add_category(&self, me: &Me, name: &str) -> Result<Vec<CategoryView>, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(AppError::invalid("Category", "must be 1 to 40 characters"));
        }
        if self.store.categories(me.workspace_id).await?.len() >= 100 {
            return Err(AppError::invalid("Category", "a workspace has at most 100 categories"));
        }
        self.store.create_category(me.workspace_id, name).await?;
        self.audit_category(me, "category.created", name).await;
        Ok(self.store.categories(me.workspace_id).await?)
    }

    async fn delete_category(&self, me: &Me, id: i64) -> Result<Vec<CategoryView>, AppError> {
        let existing = self.store.categories(me.workspace_id).await?;
        let name = existing
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
            .ok_or_else(|| AppError::not_found("That category"))?;
        self.store.delete_category(me.workspace_id, id).await?;
        self.audit_category(me, "category.deleted", &name).await;
        Ok(self.store.categories(me.workspace_id).await?)
    }

    async fn contact(&self, me: &Me, conversation_id: i64) -> Result<ContactDetail, AppError> {
        self.contacts.detail(me, conversation_id).await
    }

    async fn update_contact(
        &self,
        me: &Me,
        conversation_id: i64,
        name: &str,
        email: &str,
        phone: &str,
    ) -> Result<ContactDetail, AppError> {
        self.contacts.update(me, conversation_id, name, email, phone).await
    }

    async fn contact_label(
        &self,
        me: &Me,
        conversation_id: i64,
        label: &str,
        add: bool,
    ) -> Result<ContactDetail, AppError> {
        self.contacts.label(me, conversation_id, label, add).await
    }

    async fn contact_data(
        &self,
        me: &Me,
        conversation_id: i64,
        key: &str,
        value: &str,
    ) -> Result<ContactDetail, AppError> {
        self.contacts.data(me, conversation_id, key, value).await
    }

    async fn canned(&self, me: &Me) -> Result<Vec<CannedResponse>, AppError> {
        self.canned.list(me).await
    }

    async fn save_canned(
        &self,
        me: &Me,
        id: Option<i64>,
        scope: CannedScope,
        group_id: Option<i64>,
        shortcut: &str,
        title: &str,
        body: &str,
    ) -> Result<CannedResponse, AppError> {
        self.canned.save(me, id, scope, group_id, shortcut, title, body).await
    }

    async fn delete_canned(&self, me: &Me, id: i64) -> Result<(), AppError> {
        self.canned.delete(me, id).await
    }

    async fn conversation_detail(&self, me: &Me, id: i64) -> Result<ConversationDetail, AppError> {
        self.conversations.detail(me, id).await
    }

    async fn take_over(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError> {
        self.router.require_seat(me).await?;
        self.conversations.take_over(me, id).await
    }

    async fn restore_to_ai(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError> {
        self.conversations.restore_to_ai(me, id).await
    }

    async fn resolve_conversation(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError> {
        self.conversations.resolve(me, id).await
    }

    async fn transfer_options(&self, me: &Me, id: i64) -> Result<TransferOptions, AppError> {
        let c = self.conversations.access(me, id).await?;
        let board = self.router.board(me.workspace_id);
        let mut operators: Vec<TransferOperator> = self
            .store
            .list_operators(me.workspace_id)
            .await?
            .into_iter()
            .filter(|o| o.member_id != me.member_id)
            .map(|o| TransferOperator {
                available: board
                    .operators
                    .iter()
                    .any(|b| b.member_id == o.member_id && b.status == OperatorStatus::Online && b.load < b.limit)
                    && self.router.is_live_on(o.member_id, c.workflow_id),
                member_id: o.member_id,
                name: o.name,
            })
            .collect();
        operators.sort_by(|a, b| b.available.cmp(&a.available).then(a.name.cmp(&b.name)));
        let groups = self
            .store
            .list_groups(me.workspace_id)
            .await?
            .into_iter()
            .map(|g| GroupChoice { id: g.id, name: g.name })
            .collect();
        Ok(TransferOptions { operators, groups })
    }

    async fn transfer(
        &self,
        me: &Me,
        id: i64,
        to_member: Option<i64>,
        to_group: Option<i64>,
        note: &str,
    ) -> Result<(), AppError> {
        self.router.transfer(me, id, to_member, to_group, note).await
    }

    async fn invite_member(&self, me: &Me, name: &str, email: &str, role: Role) -> Result<Invitation, AppError> {
        self.team.invite(me, name, email, role).await
    }

    async fn change_role(&self, me: &Me, id: i64, role: Role) -> Result<MemberSummary, AppError> {
        self.team.change_role(me, id, role).await
    }

    async fn set_member_active(&self, me: &Me, id: i64, active: bool) -> Result<MemberSummary, AppError> {
        self.team.set_active(me, id, active).await
    }

    async fn set_member_chat_limit(&self, me: &Me, id: i64, limit: Option<i64>) -> Result<MemberSummary, AppError> {
        self.team.set_chat_limit(me, id, limit).await
    }

    async fn audit_log(&self, me: &Me, action: Option<String>) -> Result<Vec<AuditView>, AppError> {
        Ok(self.store.audit_log(me.workspace_id, action.as_deref(), 500).await?)
    }

    async fn create_group(&self, me: &Me, name: &str, description: &str) -> Result<GroupSummary, AppError> {
        self.groups.create(me, name, description).await
    }

    async fn update_group(&self, me: &Me, id: i64, name: &str, description: &str) -> Result<GroupSummary, AppError> {
        self.groups.update(me, id, name, description).await
    }

    async fn delete_group(&self, me: &Me, id: i64) -> Result<(), AppError> {
        self.groups.delete(me, id).await
    }

    async fn group_member(&self, me: &Me, id: i64, member_id: i64, add: bool) -> Result<GroupSummary, AppError> {
        if add {
            self.groups.add_member(me, id, member_id).await
        } else {
            self.groups.remove_member(me, id, member_id).await
        }
    }

    async fn group_workflow(
        &self,
        me: &Me,
        id: i64,
        workflow_id: i64,
        assigned: bool,
    ) -> Result<GroupSummary, AppError> {
        self.groups.set_workflow(me, id, workflow_id, assigned).await
    }

    async fn list_workflows(&self, me: &Me) -> Result<Vec<WorkflowSummary>, AppError> {
        self.groups.workflows(me).await
    }

    async fn workflow(&self, me: &Me, id: i64) -> Result<WorkflowSettings, AppError> {
        self.workflows.get(me, id).await
    }

    async fn create_workflow(&self, me: &Me, name: &str) -> Result<WorkflowSettings, AppError> {
        self.workflows.create(me, name).await
    }

    async fn update_workflow(
        &self,
        me: &Me,
        settings: WorkflowSettings,
        api_key: Option<String>,
    ) -> Result<WorkflowSettings, AppError> {
        self.workflows.update(me, settings, api_key).await
    }

    async fn add_workflow_answer(
        &self,
        me: &Me,
        id: i64,
        question: &str,
        answer: &str,
    ) -> Result<WorkflowSettings, AppError> {
        self.workflows.add_answer(me, id, question, answer).await
    }

    async fn delete_workflow_answer(&self, me: &Me, id: i64, answer_id: i64) -> Result<WorkflowSettings, AppError> {
        self.workflows.delete_answer(me, id, answer_id).await
    }

    async fn qualifications(&self, me: &Me) -> Result<QualificationsOverview, AppError> {
        self.qualifications.overview(me).await
    }

    async fn start_practice(&self, me: &Me, workflow_id: i64) -> Result<PracticeRun, AppError> {
        self.qualifications.start(me, workflow_id).await
    }

    async fn practice_run(&self, me: &Me, id: i64) -> Result<PracticeRun, AppError> {
        self.qualifications.get(me, id).await
    }

    async fn practice_reply(&self, me: &Me, id: i64, body: &str) -> Result<PracticeRun, AppError> {
        self.qualifications.reply(me, id, body).await
    }

    async fn submit_practice(&self, me: &Me, id: i64) -> Result<PracticeRun, AppError> {
        self.qualifications.submit(me, id).await
    }

    async fn review_practice(&self, me: &Me, id: i64, grant: bool, note: &str) -> Result<PracticeRun, AppError> {
        self.qualifications.decide(me, id, grant, note).await
    }

    async fn revoke_qualification(&self, me: &Me, member_id: i64, workflow_id: i64) -> Result<(), AppError> {
        self.qualifications.revoke(me, member_id, workflow_id).await
    }

    async fn invitation(&self, token: &str) -> Result<InvitationView, AppError> {
        self.team.invitation(token).await
    }

    async fn accept_invitation(&self, token: &str, password: &str) -> Result<String, AppError> {
        let (member_id, workspace_id) = self.team.accept(token, password).await?;
        let (_, session) = self.sessions.open(member_id, workspace_id).await?;
        Ok(session)
    }

    async fn request_password_reset(
        &self,
        email: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<ResetRequested, AppError> {
        self.accounts.request_reset(email, client).await
    }

    async fn password_reset(&self, token: &str) -> Result<PasswordResetView, AppError> {
        self.accounts.reset_view(token).await
    }

    async fn reset_password(&self, token: &str, password: &str) -> Result<String, AppError> {
        let (member_id, workspace_id) = self.accounts.reset(token, password).await?;
        let (_, session) = self.sessions.open(member_id, workspace_id).await?;
        Ok(session)
    }

    async fn change_password(
        &self,
        me: &Me,
        session: &str,
        current: &str,
        password: &str,
        client: &str,
    ) -> Result<(), AppError> {
        self.accounts
            .change(&self.sessions, me, session, current, password, client)
            .await
    }

    async fn widget_channel(&self, key: &str) -> Result<WidgetChannel, AppError> {
        web::widget(&self.store, key).await
    }

    async fn start_visitor(&self, key: &str, client: Option<std::net::IpAddr>) -> Result<String, AppError> {
        if let Some(client) = client {
            self.limits.start_chat(client)?;
        }
        web::start_visitor(&self.store, &self.tokens, key).await
    }

    async fn live_board(&self, me: &Me) -> Result<LiveBoard, AppError> {
        let mut board = self.router.board(me.workspace_id);
        // Operators who have not connected since the server started are offline.
        for o in self.store.list_operators(me.workspace_id).await? {
            if !board.operators.iter().any(|b| b.member_id == o.member_id) {
                board.operators.push(BoardOperator {
                    member_id: o.member_id,
                    name: o.name,
                    status: OperatorStatus::Offline,
                    since_ms: 0,
                    workflows: vec![],
                    load: 0,
                    limit: 0,
                    connected: false,
                });
            }
        }
        board.operators.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(board)
    }

    async fn list_members(&self, me: &Me) -> Result<Vec<MemberSummary>, AppError> {
        Ok(self.store.list_members(me.workspace_id).await?)
    }

    async fn list_groups(&self, me: &Me) -> Result<Vec<GroupSummary>, AppError> {
        Ok(self.store.list_groups(me.workspace_id).await?)
    }

    async fn workspace_settings(&self, me: &Me) -> Result<WorkspaceSettings, AppError> {
        Ok(self.store.workspace_settings(me.workspace_id).await?)
    }

    async fn update_workspace_settings(
        &self,
        me: &Me,
        settings: WorkspaceSettings,
    ) -> Result<WorkspaceSettings, AppError> {
        settings.validate()?;
        let saved = self
            .store
            .update_workspace_settings(me.workspace_id, me.member_id, &settings)
            .await?;
        tracing::info!(
            workspace_id = me.workspace_id,
            member_id = me.member_id,
            "workspace settings updated"
        );
        self.router.workspace_changed(me.workspace_id).await;
        Ok(saved)
    }
}
