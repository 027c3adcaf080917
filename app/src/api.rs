//! The server functions the pages call. Each one is thin: parse the input, find the signed-in
//! member (which enforces the workspace and the scope), and call the domain behind `Backend`.

use leptos::prelude::*;

use crate::events::MessageView;
use crate::model::{
    AuditView, CannedResponse, CategoryView, ContactDetail, ConversationDetail, ConversationSummary, GroupSummary,
    InboxPage, InboxQuery, Invitation, InvitationView, LiveBoard, Me, MemberSummary, PasswordResetView, PracticeRun,
    QualificationsOverview, ResetRequested, TransferOptions, WidgetChannel, WorkflowSettings, WorkflowSummary,
    WorkspaceSettings,
};
use crate::AppError;

/// What the pages need from the server's domain services. The server crate implements it; the
/// server functions below reach it through the Leptos context, so no page knows about storage.
#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::Arc;

    use leptos::prelude::*;

    use crate::model::*;
    use crate::AppError;

    /// The name of the session cookie.
    pub const SESSION_COOKIE: &str = "sb_session";

    #[async_trait::async_trait]
    pub trait Backend: Send + Sync + 'static {
        /// Checks the password (throttled per email and per client address) and opens a
        /// session; returns the member and the session token for the cookie.
        async fn sign_in(&self, email: &str, password: &str, client: &str) -> Result<(Me, String), AppError>;
        /// Revokes the session server-side.
        async fn sign_out(&self, token: &str) -> Result<(), AppError>;
        /// Ends every session of the member, on every device, and closes their sockets.
        async fn sign_out_everywhere(&self, me: &Me) -> Result<(), AppError>;
        /// The member a session token belongs to, if it is live.
        async fn member_for_session(&self, token: &str) -> Result<Me, AppError>;
        /// Seconds a new session lives.
        fn session_ttl_secs(&self) -> i64;
        /// Whether cookies must carry `Secure` (Switchboard is served over https).
        fn secure_cookies(&self) -> bool;

        async fn inbox(&self, me: &Me, query: InboxQuery) -> Result<InboxPage, AppError>;
        async fn conversation_detail(&self, me: &Me, id: i64) -> Result<ConversationDetail, AppError>;
        async fn conversation_summary(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError>;
        async fn history(&self, me: &Me, id: i64, before_seq: i64)
            -> Result<Vec<crate::events::MessageView>, AppError>;
        async fn set_category(
            &self,
            me: &Me,
            id: i64,
            category_id: Option<i64>,
        ) -> Result<ConversationSummary, AppError>;
        async fn reopen(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError>;
        async fn categories(&self, me: &Me) -> Result<Vec<CategoryView>, AppError>;
        async fn add_category(&self, me: &Me, name: &str) -> Result<Vec<CategoryView>, AppError>;
        async fn delete_category(&self, me: &Me, id: i64) -> Result<Vec<CategoryView>, AppError>;
        async fn contact(&self, me: &Me, conversation_id: i64) -> Result<ContactDetail, AppError>;
        async fn update_contact(
            &self,
            me: &Me,
            conversation_id: i64,
            name: &str,
            email: &str,
            phone: &str,
        ) -> Result<ContactDetail, AppError>;
        async fn contact_label(
            &self,
            me: &Me,
            conversation_id: i64,
            label: &str,
            add: bool,
        ) -> Result<ContactDetail, AppError>;
        async fn contact_data(
            &self,
            me: &Me,
            conversation_id: i64,
            key: &str,
            value: &str,
        ) -> Result<ContactDetail, AppError>;
        async fn canned(&self, me: &Me) -> Result<Vec<CannedResponse>, AppError>;
        #[allow(clippy::too_many_arguments)]
        async fn save_canned(
            &self,
            me: &Me,
            id: Option<i64>,
            scope: CannedScope,
            group_id: Option<i64>,
            shortcut: &str,
            title: &str,
            body: &str,
        ) -> Result<CannedResponse, AppError>;
        async fn delete_canned(&self, me: &Me, id: i64) -> Result<(), AppError>;
        async fn take_over(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError>;
        async fn restore_to_ai(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError>;
        async fn resolve_conversation(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError>;
        async fn transfer_options(&self, me: &Me, id: i64) -> Result<TransferOptions, AppError>;
        async fn invite_member(&self, me: &Me, name: &str, email: &str, role: Role) -> Result<Invitation, AppError>;
        async fn change_role(&self, me: &Me, id: i64, role: Role) -> Result<MemberSummary, AppError>;
        async fn set_member_active(&self, me: &Me, id: i64, active: bool) -> Result<MemberSummary, AppError>;
        async fn set_member_chat_limit(&self, me: &Me, id: i64, limit: Option<i64>) -> Result<MemberSummary, AppError>;
        async fn audit_log(&self, me: &Me, action: Option<String>) -> Result<Vec<AuditView>, AppError>;
        async fn create_group(&self, me: &Me, name: &str, description: &str) -> Result<GroupSummary, AppError>;
        async fn update_group(&self, me: &Me, id: i64, name: &str, description: &str)
            -> Result<GroupSummary, AppError>;
        async fn delete_group(&self, me: &Me, id: i64) -> Result<(), AppError>;
        async fn group_member(&self, me: &Me, id: i64, member_id: i64, add: bool) -> Result<GroupSummary, AppError>;
        async fn group_workflow(
            &self,
            me: &Me,
            id: i64,
            workflow_id: i64,
            assigned: bool,
        ) -> Result<GroupSummary, AppError>;
        async fn list_workflows(&self, me: &Me) -> Result<Vec<WorkflowSummary>, AppError>;
        async fn workflow(&self, me: &Me, id: i64) -> Result<WorkflowSettings, AppError>;
        async fn create_workflow(&self, me: &Me, name: &str) -> Result<WorkflowSettings, AppError>;
        /// `api_key`: `None` keeps the stored key, `Some("")` removes it.
        async fn update_workflow(
            &self,
            me: &Me,
            settings: WorkflowSettings,
            api_key: Option<String>,
        ) -> Result<WorkflowSettings, AppError>;
        async fn add_workflow_answer(
            &self,
            me: &Me,
            id: i64,
            question: &str,
            answer: &str,
        ) -> Result<WorkflowSettings, AppError>;
        async fn delete_workflow_answer(&self, me: &Me, id: i64, answer_id: i64) -> Result<WorkflowSettings, AppError>;
        async fn qualifications(&self, me: &Me) -> Result<QualificationsOverview, AppError>;
        async fn start_practice(&self, me: &Me, workflow_id: i64) -> Result<PracticeRun, AppError>;
        async fn practice_run(&self, me: &Me, id: i64) -> Result<PracticeRun, AppError>;
        async fn practice_reply(&self, me: &Me, id: i64, body: &str) -> Result<PracticeRun, AppError>;
        async fn submit_practice(&self, me: &Me, id: i64) -> Result<PracticeRun, AppError>;
        /// A reviewer grants (`grant`) or sends the run back with a note.
        async fn review_practice(&self, me: &Me, id: i64, grant: bool, note: &str) -> Result<PracticeRun, AppError>;
        async fn revoke_qualification(&self, me: &Me, member_id: i64, workflow_id: i64) -> Result<(), AppError>;
        /// Public: the invitation a link's token names.
        async fn invitation(&self, token: &str) -> Result<InvitationView, AppError>;
        /// Public: sets the invited member's password and opens a session (its token).
        async fn accept_invitation(&self, token: &str, password: &str) -> Result<String, AppError>;
        /// Public: e-mails a reset link if an account uses the address (the answer never says).
        async fn request_password_reset(
            &self,
            email: &str,
            client: Option<std::net::IpAddr>,
        ) -> Result<ResetRequested, AppError>;
        /// Public: whom a working reset link is for.
        async fn password_reset(&self, token: &str) -> Result<PasswordResetView, AppError>;
        /// Public: sets the new password with a working link and opens a session (its token).
        async fn reset_password(&self, token: &str, password: &str) -> Result<String, AppError>;
        /// Changes the member's password (the current one checked); their other sessions end.
        async fn change_password(
            &self,
            me: &Me,
            session: &str,
            current: &str,
            password: &str,
            client: &str,
        ) -> Result<(), AppError>;
        async fn transfer(
            &self,
            me: &Me,
            id: i64,
            to_member: Option<i64>,
            to_group: Option<i64>,
            note: &str,
        ) -> Result<(), AppError>;
        /// The web chat channel a widget names (public: visitors are not members).
        async fn widget_channel(&self, key: &str) -> Result<WidgetChannel, AppError>;
        /// A new visitor on the web channel: their signed token.
        async fn start_visitor(&self, key: &str, client: Option<std::net::IpAddr>) -> Result<String, AppError>;
        async fn live_board(&self, me: &Me) -> Result<LiveBoard, AppError>;
        async fn list_members(&self, me: &Me) -> Result<Vec<MemberSummary>, AppError>;
        async fn list_groups(&self, me: &Me) -> Result<Vec<GroupSummary>, AppError>;
        async fn workspace_settings(&self, me: &Me) -> Result<WorkspaceSettings, AppError>;
        async fn update_workspace_settings(
            &self,
            me: &Me,
            settings: WorkspaceSettings,
        ) -> Result<WorkspaceSettings, AppError>;
    }

    /// The handle the server provides to every server function and render.
    #[derive(Clone)]
    pub struct BackendHandle(pub Arc<dyn Backend>);

    pub fn backend() -> Result<Arc<dyn Backend>, AppError> {
        use_context::<BackendHandle>().map(|b| b.0).ok_or_else(|| {
            leptos::logging::error!("no Backend in the Leptos context");
            AppError::Internal
        })
    }

    fn request_parts() -> Option<http::request::Parts> {
        use_context::<http::request::Parts>()
    }

    /// The session token from the request's cookie, if any.
    pub fn session_token() -> Option<String> {
        session_token_in(&request_parts()?.headers)
    }

    /// The session token in these request headers, if any.
    pub fn session_token_in(headers: &http::HeaderMap) -> Option<String> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_string())
            .filter(|v| !v.is_empty())
    }

    /// The address a request came from: the TCP peer, or the client a trusted proxy forwarded
    /// (the server's middleware decides and puts it in the request's extensions).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct ClientAddress(pub std::net::IpAddr);

    /// The client's address, for limits and throttling.
    pub fn client_addr() -> String {
        client_ip().map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into())
    }

    pub fn client_ip() -> Option<std::net::IpAddr> {
        request_parts().and_then(|p| {
            p.extensions.get::<ClientAddress>().map(|c| c.0).or_else(|| {
                p.extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|c| c.0.ip())
            })
        })
    }

    /// The signed-in member, refused unless their role carries `scope`. Every server function
    /// that touches workspace data starts here; the returned `Me` carries the workspace that
    /// every query behind it is scoped to.
    pub async fn require(scope: Option<Scope>, action: &str) -> Result<(Arc<dyn Backend>, Me), AppError> {
        let backend = backend()?;
        let token = session_token().ok_or(AppError::Unauthenticated)?;
        let me = backend.member_for_session(&token).await?;
        if let Some(scope) = scope {
            if !me.can(scope) {
                return Err(AppError::forbidden(action));
            }
        }
        Ok((backend, me))
    }

    /// Sets the response status from the error, so HTTP clients see 401/403/… and not 500.
    pub fn finish<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(e) = &result {
            if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
                options.set_status(
                    http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
                );
                if let Some(secs) = e.retry_after_secs() {
                    options.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
                }
            }
        }
        result
    }

    pub fn set_cookie(value: String) {
        if let (Some(options), Ok(value)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(&value),
        ) {
            options.append_header(http::header::SET_COOKIE, value);
        }
    }

    /// Opens a new session in the browser and goes on to `to`. The cookie outlives the session
    /// by a day so that an expired session is recognised and the person told so, instead of
    /// looking like they never signed in.
    pub fn start_session(backend: &Arc<dyn Backend>, token: &str, to: &str) {
        set_cookie(session_cookie(
            token,
            backend.session_ttl_secs() + 86_400,
            backend.secure_cookies(),
        ));
        leptos_axum::redirect(to);
    }

    /// A new password typed twice must be typed the same.
    pub fn same_twice(field: &str, password: &str, confirm: &str) -> Result<(), AppError> {
        if password == confirm {
            Ok(())
        } else {
            Err(AppError::invalid(field, "the two passwords differ"))
        }
    }

    pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
        format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
            if secure { "; Secure" } else { "" }
        )
    }
}

/// Where to go after signing in: a path on this site, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/inbox".to_string(),
    }
}

/// A path on this site: it starts with one `/` and holds only visible ASCII without `\`.
/// Browsers drop tabs and line breaks from a URL and read `\` as `/`, so `/\t/evil.example`
/// or `/\\evil.example` would otherwise lead to another site.
fn is_local_path(n: &str) -> bool {
    let mut chars = n.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/'))
        && n.chars().all(|c| c.is_ascii_graphic() && c != '\\')
}

#[server(endpoint = "auth/sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use ssr::*;
    finish(
        async move {
            let backend = backend()?;
            let email = email.trim().to_lowercase();
            if email.is_empty() {
                return Err(AppError::invalid("Email", "is required"));
            }
            if password.is_empty() {
                return Err(AppError::invalid("Password", "is required"));
            }
            let (_, token) = backend.sign_in(&email, &password, &client_addr()).await?;
            start_session(&backend, &token, &safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use ssr::*;
    finish(
        async move {
            let backend = backend()?;
            if let Some(token) = session_token() {
                backend.sign_out(&token).await?;
            }
            set_cookie(session_cookie("", 0, backend.secure_cookies()));
            leptos_axum::redirect("/sign-in?reason=signed_out");
            Ok(())
        }
        .await,
    )
}

/// Signs the member out on every device (a lost laptop, a shared computer left signed in).
#[server(endpoint = "auth/sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(None, "sign out").await?;
            backend.sign_out_everywhere(&me).await?;
            set_cookie(session_cookie("", 0, backend.secure_cookies()));
            leptos_axum::redirect("/sign-in?reason=signed_out");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "auth/me")]
pub async fn current_member() -> Result<Me, AppError> {
    use ssr::*;
    finish(require(None, "see this page").await.map(|(_, me)| me))
}

/// A page of the inbox: filtered by view, status, channel and workflow, searched, and paged
/// with `before` (the previous page's `next`).
#[server(endpoint = "inbox/conversations")]
pub async fn list_conversations(
    view: Option<String>,
    status: Option<String>,
    channel: Option<String>,
    workflow: Option<String>,
    q: Option<String>,
    before: Option<String>,
) -> Result<InboxPage, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorRead), "see the inbox").await?;
            let query = InboxQuery {
                view: view.unwrap_or_default(),
                status: status.unwrap_or_default(),
                channel: channel.unwrap_or_default(),
                workflow: workflow.unwrap_or_default(),
                q: q.unwrap_or_default(),
                before: before.unwrap_or_default(),
            };
            backend.inbox(&me, query).await
        }
        .await,
    )
}

/// The inbox page for a query (in the browser, a shorthand for the server function).
pub async fn inbox_page(query: InboxQuery) -> Result<InboxPage, AppError> {
    let some = |s: String| (!s.is_empty()).then_some(s);
    list_conversations(
        some(query.view),
        some(query.status),
        some(query.channel),
        some(query.workflow),
        some(query.q),
        some(query.before),
    )
    .await
}

#[server(endpoint = "inbox/conversation")]
pub async fn get_conversation(id: i64) -> Result<ConversationDetail, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorRead), "see conversations").await?;
            backend.conversation_detail(&me, id).await
        }
        .await,
    )
}

/// One conversation as the member's inbox lists it (with their unread count).
#[server(endpoint = "inbox/summary")]
pub async fn get_conversation_summary(id: i64) -> Result<ConversationSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorRead), "see conversations").await?;
            backend.conversation_summary(&me, id).await
        }
        .await,
    )
}

/// The messages before `before_seq`, a page at a time.
#[server(endpoint = "inbox/history")]
pub async fn get_history(id: i64, before_seq: i64) -> Result<Vec<MessageView>, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorRead), "see conversations").await?;
            backend.history(&me, id, before_seq).await
        }
        .await,
    )
}

/// Files the conversation under a category; an empty `category_id` clears it.
#[server(endpoint = "inbox/category")]
pub async fn set_conversation_category(id: i64, category_id: String) -> Result<ConversationSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "categorise conversations").await?;
            let category = match category_id.trim() {
                "" => None,
                c => Some(parse_number("Category", c)?),
            };
            backend.set_category(&me, id, category).await
        }
        .await,
    )
}

#[server(endpoint = "inbox/reopen")]
pub async fn reopen_conversation(id: i64) -> Result<ConversationSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "reopen conversations").await?;
            backend.reopen(&me, id).await
        }
        .await,
    )
}

#[server(endpoint = "categories/list")]
pub async fn list_categories() -> Result<Vec<CategoryView>, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorRead), "see categories").await?;
            backend.categories(&me).await
        }
        .await,
    )
}

#[server(endpoint = "categories/add")]
pub async fn add_category(name: String) -> Result<Vec<CategoryView>, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::SettingsWrite), "change categories").await?;
            backend.add_category(&me, &name).await
        }
        .await,
    )
}

#[server(endpoint = "categories/delete")]
pub async fn delete_category(id: i64) -> Result<Vec<CategoryView>, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::SettingsWrite), "change categories").await?;
            backend.delete_category(&me, id).await
        }
        .await,
    )
}

/// The contact of a conversation, with labels, data records and their other conversations.
#[server(endpoint = "contacts/get")]
pub async fn get_contact(conversation_id: i64) -> Result<ContactDetail, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorRead), "see contacts").await?;
            backend.contact(&me, conversation_id).await
        }
        .await,
    )
}

#[server(endpoint = "contacts/update")]
pub async fn update_contact(
    conversation_id: i64,
    name: String,
    email: String,
    phone: String,
) -> Result<ContactDetail, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "change contact details").await?;
            backend
                .update_contact(&me, conversation_id, &name, &email, &phone)
                .await
        }
        .await,
    )
}

#[server(endpoint = "contacts/label")]
pub async fn contact_label(conversation_id: i64, label: String, add: bool) -> Result<ContactDetail, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "change contact details").await?;
            backend.contact_label(&me, conversation_id, &label, add).await
        }
        .await,
    )
}

/// Sets a contact's data record; an empty value removes it.
#[server(endpoint = "contacts/data")]
pub async fn contact_data(conversation_id: i64, key: String, value: String) -> Result<ContactDetail, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "change contact details").await?;
            backend.contact_data(&me, conversation_id, &key, &value).await
        }
        .await,
    )
}

#[server(endpoint = "canned/list")]
pub async fn list_canned() -> Result<Vec<CannedResponse>, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorRead), "see canned responses").await?;
            backend.canned(&me).await
        }
        .await,
    )
}

/// Creates (empty `id`) or changes a canned response. `scope`: workspace, group or personal.
#[server(endpoint = "canned/save")]
pub async fn save_canned(
    id: String,
    scope: String,
    group_id: String,
    shortcut: String,
    title: String,
    body: String,
) -> Result<CannedResponse, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "write canned responses").await?;
            let id = match id.trim() {
                "" => None,
                v => Some(parse_number("Canned response", v)?),
            };
            let scope = crate::model::CannedScope::parse(scope.trim())
                .ok_or_else(|| AppError::invalid("Available to", "choose the workspace, a group or only you"))?;
            let group_id = match group_id.trim() {
                "" => None,
                g => Some(parse_number("Group", g)?),
            };
            backend
                .save_canned(&me, id, scope, group_id, &shortcut, &title, &body)
                .await
        }
        .await,
    )
}

#[server(endpoint = "canned/delete")]
pub async fn delete_canned(id: i64) -> Result<(), AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "write canned responses").await?;
            backend.delete_canned(&me, id).await
        }
        .await,
    )
}

#[server(endpoint = "inbox/take_over")]
pub async fn take_over(id: i64) -> Result<ConversationSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "take conversations over").await?;
            backend.take_over(&me, id).await
        }
        .await,
    )
}

#[server(endpoint = "inbox/restore_to_ai")]
pub async fn restore_to_ai(id: i64) -> Result<ConversationSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(
                Some(crate::Scope::OperatorWrite),
                "hand conversations back to the assistant",
            )
            .await?;
            backend.restore_to_ai(&me, id).await
        }
        .await,
    )
}

#[server(endpoint = "inbox/resolve")]
pub async fn resolve_conversation(id: i64) -> Result<ConversationSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "resolve conversations").await?;
            backend.resolve_conversation(&me, id).await
        }
        .await,
    )
}

#[server(endpoint = "inbox/transfer_options")]
pub async fn get_transfer_options(id: i64) -> Result<TransferOptions, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "transfer conversations").await?;
            backend.transfer_options(&me, id).await
        }
        .await,
    )
}

/// Moves a conversation to `to` (`member:<id>` or `group:<id>`), with a note for the team.
#[server(endpoint = "inbox/transfer")]
pub async fn transfer_conversation(id: i64, to: String, note: String) -> Result<(), AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "transfer conversations").await?;
            let (to_member, to_group) = parse_transfer_target(&to)?;
            backend.transfer(&me, id, to_member, to_group, &note).await
        }
        .await,
    )
}

/// Reads `member:<id>` or `group:<id>`.
pub fn parse_transfer_target(to: &str) -> Result<(Option<i64>, Option<i64>), AppError> {
    let bad = || AppError::invalid("Transfer to", "choose an operator or an operator group");
    match to.split_once(':') {
        Some(("member", id)) => Ok((Some(id.parse().map_err(|_| bad())?), None)),
        Some(("group", id)) => Ok((None, Some(id.parse().map_err(|_| bad())?))),
        _ => Err(bad()),
    }
}

#[cfg(feature = "ssr")]
fn parse_role(value: &str) -> Result<crate::Role, AppError> {
    crate::Role::parse(value.trim())
        .ok_or_else(|| AppError::invalid("Role", format!("\u{201c}{value}\u{201d} is not a role")))
}

#[server(endpoint = "people/invite")]
pub async fn invite_member(name: String, email: String, role: String) -> Result<Invitation, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::MembersWrite), "add team members").await?;
            backend.invite_member(&me, &name, &email, parse_role(&role)?).await
        }
        .await,
    )
}

#[server(endpoint = "people/role")]
pub async fn change_role(id: i64, role: String) -> Result<MemberSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::MembersWrite), "change roles").await?;
            backend.change_role(&me, id, parse_role(&role)?).await
        }
        .await,
    )
}

#[server(endpoint = "people/active")]
pub async fn set_member_active(id: i64, active: bool) -> Result<MemberSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(
                Some(crate::Scope::MembersWrite),
                "deactivate or reactivate team members",
            )
            .await?;
            backend.set_member_active(&me, id, active).await
        }
        .await,
    )
}

/// `limit` empty: the workspace default.
#[server(endpoint = "people/chat_limit")]
pub async fn set_member_chat_limit(id: i64, limit: String) -> Result<MemberSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::MembersWrite), "change chat limits").await?;
            let limit = if limit.trim().is_empty() {
                None
            } else {
                Some(parse_number("Chat limit", &limit)?)
            };
            backend.set_member_chat_limit(&me, id, limit).await
        }
        .await,
    )
}

#[server(endpoint = "audit/list")]
pub async fn list_audit(action: Option<String>) -> Result<Vec<AuditView>, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::AuditRead), "read the audit log").await?;
            backend.audit_log(&me, action.filter(|a| !a.is_empty())).await
        }
        .await,
    )
}

#[server(endpoint = "groups/create")]
pub async fn create_group(name: String, description: String) -> Result<GroupSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::MembersWrite), "manage operator groups").await?;
            backend.create_group(&me, &name, &description).await
        }
        .await,
    )
}

#[server(endpoint = "groups/update")]
pub async fn update_group(id: i64, name: String, description: String) -> Result<GroupSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::MembersWrite), "manage operator groups").await?;
            backend.update_group(&me, id, &name, &description).await
        }
        .await,
    )
}

#[server(endpoint = "groups/delete")]
pub async fn delete_group(id: i64) -> Result<(), AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::MembersWrite), "manage operator groups").await?;
            backend.delete_group(&me, id).await
        }
        .await,
    )
}

/// Adds (`add` true) or removes a member.
#[server(endpoint = "groups/member")]
pub async fn group_member(id: i64, member_id: i64, add: bool) -> Result<GroupSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::MembersWrite), "manage operator groups").await?;
            backend.group_member(&me, id, member_id, add).await
        }
        .await,
    )
}

#[server(endpoint = "groups/workflow")]
pub async fn group_workflow(id: i64, workflow_id: i64, assigned: bool) -> Result<GroupSummary, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::MembersWrite), "manage operator groups").await?;
            backend.group_workflow(&me, id, workflow_id, assigned).await
        }
        .await,
    )
}

#[server(endpoint = "workflows/list")]
pub async fn list_workflows() -> Result<Vec<WorkflowSummary>, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorRead), "see workflows").await?;
            backend.list_workflows(&me).await
        }
        .await,
    )
}

#[server(endpoint = "workflows/get")]
pub async fn get_workflow(id: i64) -> Result<WorkflowSettings, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::WorkflowsWrite), "edit workflows").await?;
            backend.workflow(&me, id).await
        }
        .await,
    )
}

#[server(endpoint = "workflows/create")]
pub async fn create_workflow(name: String) -> Result<WorkflowSettings, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::WorkflowsWrite), "edit workflows").await?;
            backend.create_workflow(&me, &name).await
        }
        .await,
    )
}

/// Saves a workflow. An empty `openai_api_key` keeps the stored key; `remove_api_key` removes it.
#[server(endpoint = "workflows/update")]
#[allow(clippy::too_many_arguments)]
pub async fn update_workflow(
    id: i64,
    name: String,
    live_routing: Option<String>,
    handoff_mode: String,
    escalation_threshold: String,
    escalate_on_frustration: Option<String>,
    handoff_message: String,
    greeting: String,
    fallback_answer: String,
    routing_mode: String,
    accept_timeout_secs: String,
    requires_qualification: Option<String>,
    practice_script: String,
    ai_provider: String,
    openai_base_url: String,
    openai_model: String,
    openai_api_key: String,
    remove_api_key: Option<String>,
    ai_timeout_secs: String,
) -> Result<WorkflowSettings, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::WorkflowsWrite), "edit workflows").await?;
            let settings = WorkflowSettings {
                id,
                name,
                live_routing: live_routing.is_some(),
                handoff_mode,
                escalation_threshold: parse_number("Escalation threshold", &escalation_threshold)?,
                escalate_on_frustration: escalate_on_frustration.is_some(),
                handoff_message,
                greeting,
                fallback_answer,
                routing_mode,
                accept_timeout_secs: parse_number("Accept timeout", &accept_timeout_secs)?,
                requires_qualification: requires_qualification.is_some(),
                practice_script,
                ai_provider,
                openai_base_url: Some(openai_base_url),
                openai_model: Some(openai_model),
                has_api_key: false,
                ai_timeout_secs: parse_number("AI timeout", &ai_timeout_secs)?,
                answers: vec![],
            };
            let key = if remove_api_key.is_some() {
                Some(String::new())
            } else {
                Some(openai_api_key.trim().to_string()).filter(|k| !k.is_empty())
            };
            backend.update_workflow(&me, settings, key).await
        }
        .await,
    )
}

#[server(endpoint = "workflows/answer_add")]
pub async fn add_workflow_answer(id: i64, question: String, answer: String) -> Result<WorkflowSettings, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::WorkflowsWrite), "edit workflows").await?;
            backend.add_workflow_answer(&me, id, &question, &answer).await
        }
        .await,
    )
}

#[server(endpoint = "workflows/answer_delete")]
pub async fn delete_workflow_answer(id: i64, answer_id: i64) -> Result<WorkflowSettings, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::WorkflowsWrite), "edit workflows").await?;
            backend.delete_workflow_answer(&me, id, answer_id).await
        }
        .await,
    )
}

#[server(endpoint = "qualifications/overview")]
pub async fn get_qualifications() -> Result<QualificationsOverview, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorRead), "see qualifications").await?;
            backend.qualifications(&me).await
        }
        .await,
    )
}

/// Starts (or continues) practising a workflow's scenario.
#[server(endpoint = "qualifications/start")]
pub async fn start_practice(workflow_id: i64) -> Result<PracticeRun, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "practise for qualifications").await?;
            backend.start_practice(&me, workflow_id).await
        }
        .await,
    )
}

#[server(endpoint = "qualifications/run")]
pub async fn get_practice_run(id: i64) -> Result<PracticeRun, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorRead), "see practice runs").await?;
            backend.practice_run(&me, id).await
        }
        .await,
    )
}

#[server(endpoint = "qualifications/reply")]
pub async fn practice_reply(id: i64, body: String) -> Result<PracticeRun, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "practise for qualifications").await?;
            backend.practice_reply(&me, id, &body).await
        }
        .await,
    )
}

#[server(endpoint = "qualifications/submit")]
pub async fn submit_practice(id: i64) -> Result<PracticeRun, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorWrite), "practise for qualifications").await?;
            backend.submit_practice(&me, id).await
        }
        .await,
    )
}

/// A reviewer's decision: `grant` true grants the qualification, false sends the run back.
#[server(endpoint = "qualifications/review")]
pub async fn review_practice(id: i64, grant: bool, note: String) -> Result<PracticeRun, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::QualificationsWrite), "review qualifications").await?;
            backend.review_practice(&me, id, grant, &note).await
        }
        .await,
    )
}

#[server(endpoint = "qualifications/revoke")]
pub async fn revoke_qualification(member_id: i64, workflow_id: i64) -> Result<(), AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::QualificationsWrite), "review qualifications").await?;
            backend.revoke_qualification(&me, member_id, workflow_id).await
        }
        .await,
    )
}

/// Public: what an invitation link is for.
#[server(endpoint = "invite/get")]
pub async fn get_invitation(token: String) -> Result<InvitationView, AppError> {
    use ssr::*;
    finish(async move { backend()?.invitation(&token).await }.await)
}

/// Public: the invited person chooses a password and is signed in.
#[server(endpoint = "invite/accept")]
pub async fn accept_invitation(token: String, password: String, confirm: String) -> Result<(), AppError> {
    use ssr::*;
    finish(
        async move {
            same_twice("Password", &password, &confirm)?;
            let backend = backend()?;
            let session = backend.accept_invitation(&token, &password).await?;
            start_session(&backend, &session, "/inbox");
            Ok(())
        }
        .await,
    )
}

/// Public: "I forgot my password" — a reset link goes to the address if an account uses it.
#[server(endpoint = "auth/request_reset")]
pub async fn request_password_reset(email: String) -> Result<ResetRequested, AppError> {
    use ssr::*;
    finish(async move { backend()?.request_password_reset(&email, client_ip()).await }.await)
}

/// Public: whom a reset link is for, while it works.
#[server(endpoint = "auth/password_reset")]
pub async fn get_password_reset(token: String) -> Result<PasswordResetView, AppError> {
    use ssr::*;
    finish(async move { backend()?.password_reset(&token).await }.await)
}

/// Public: a new password with a reset link; every other session ends and this one begins.
#[server(endpoint = "auth/reset_password")]
pub async fn reset_password(token: String, password: String, confirm: String) -> Result<(), AppError> {
    use ssr::*;
    finish(
        async move {
            same_twice("Password", &password, &confirm)?;
            let backend = backend()?;
            let session = backend.reset_password(&token, &password).await?;
            start_session(&backend, &session, "/inbox");
            Ok(())
        }
        .await,
    )
}

/// The signed-in member changes their password; their other sessions end, this one stays.
#[server(endpoint = "auth/change_password")]
pub async fn change_password(current: String, password: String, confirm: String) -> Result<(), AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(None, "change your password").await?;
            same_twice("New password", &password, &confirm)?;
            let session = session_token().ok_or(AppError::Unauthenticated)?;
            backend
                .change_password(&me, &session, &current, &password, &client_addr())
                .await
        }
        .await,
    )
}

/// Public: the widget asks which channel it belongs to.
#[server(endpoint = "widget/channel")]
pub async fn get_widget_channel(key: String) -> Result<WidgetChannel, AppError> {
    use ssr::*;
    finish(async move { backend()?.widget_channel(&key).await }.await)
}

/// Public: a new visitor on a web channel gets a signed token to keep.
#[server(endpoint = "widget/start")]
pub async fn start_visitor(key: String) -> Result<String, AppError> {
    use ssr::*;
    finish(async move { backend()?.start_visitor(&key, client_ip()).await }.await)
}

#[server(endpoint = "live/board")]
pub async fn get_live_board() -> Result<LiveBoard, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::ConversationsReadAll), "see the live view").await?;
            backend.live_board(&me).await
        }
        .await,
    )
}

#[server(endpoint = "people/members")]
pub async fn list_members() -> Result<Vec<MemberSummary>, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::MembersRead), "see the team").await?;
            backend.list_members(&me).await
        }
        .await,
    )
}

#[server(endpoint = "people/groups")]
pub async fn list_groups() -> Result<Vec<GroupSummary>, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::OperatorRead), "see operator groups").await?;
            backend.list_groups(&me).await
        }
        .await,
    )
}

#[server(endpoint = "settings/get")]
pub async fn get_workspace_settings() -> Result<WorkspaceSettings, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::SettingsWrite), "open workspace settings").await?;
            backend.workspace_settings(&me).await
        }
        .await,
    )
}

/// Parses a whole number typed into a form field, naming the field when it is not one.
pub fn parse_number(field: &str, value: &str) -> Result<i64, AppError> {
    value.trim().parse::<i64>().map_err(|_| {
        AppError::invalid(
            field,
            format!("must be a whole number, not \u{201c}{}\u{201d}", value.trim()),
        )
    })
}

#[server(endpoint = "settings/update")]
pub async fn update_workspace_settings(
    name: String,
    operator_enabled: Option<String>,
    presence_enabled: Option<String>,
    human_agents: String,
    default_chat_limit: String,
    disconnect_timeout_secs: String,
    reroute_on_disconnect: Option<String>,
) -> Result<WorkspaceSettings, AppError> {
    use ssr::*;
    finish(
        async move {
            let (backend, me) = require(Some(crate::Scope::SettingsWrite), "change workspace settings").await?;
            let settings = WorkspaceSettings {
                name: name.trim().to_string(),
                operator_enabled: operator_enabled.is_some(),
                presence_enabled: presence_enabled.is_some(),
                human_agents: parse_number("Human agent seats", &human_agents)?,
                default_chat_limit: parse_number("Default chat limit", &default_chat_limit)?,
                disconnect_timeout_secs: parse_number("Disconnect timeout", &disconnect_timeout_secs)?,
                reroute_on_disconnect: reroute_on_disconnect.is_some(),
            };
            settings.validate()?;
            backend.update_workspace_settings(&me, settings).await
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_only_ever_redirects_within_the_site() {
        assert_eq!(safe_next(Some("/settings")), "/settings");
        assert_eq!(safe_next(Some("//evil.example")), "/inbox");
        assert_eq!(safe_next(Some("https://evil.example")), "/inbox");
        assert_eq!(safe_next(Some("/\\evil.example")), "/inbox");
        assert_eq!(safe_next(None), "/inbox");
        // Browsers drop tabs and line breaks: these would become //evil.example.
        assert_eq!(safe_next(Some("/\t/evil.example")), "/inbox");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/inbox");
        assert_eq!(safe_next(Some("/ /evil.example")), "/inbox");
        assert_eq!(safe_next(Some("/inbox?view=mine&q=a%20b")), "/inbox?view=mine&q=a%20b");
        assert_eq!(safe_next(Some("/")), "/");
    }

    #[test]
    fn a_number_field_with_words_in_it_names_the_field() {
        assert_eq!(parse_number("Seats", " 12 ").unwrap(), 12);
        assert_eq!(
            parse_number("Seats", "ten").unwrap_err().to_string(),
            "Seats: must be a whole number, not \u{201c}ten\u{201d}"
        );
    }
}
