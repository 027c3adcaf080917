//! The vocabulary shared by the browser and the server: roles, scopes and the views of
//! workspace data that pages show.

use serde::{Deserialize, Serialize};

/// What a signed-in member may do. Each server function names the scope it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// See operator groups and the inbox.
    OperatorRead,
    /// Go live and handle conversations.
    OperatorWrite,
    /// See every conversation in the workspace and the live view (supervisors and up).
    ConversationsReadAll,
    /// See the team.
    MembersRead,
    /// Add, change and deactivate team members; create and staff operator groups.
    MembersWrite,
    /// Create and edit workflows.
    WorkflowsWrite,
    /// Create and edit channels.
    ChannelsWrite,
    /// Change workspace settings and feature flags.
    SettingsWrite,
    /// Read the audit log.
    AuditRead,
    /// Review operators' practice runs and grant or revoke qualifications.
    QualificationsWrite,
}

impl Scope {
    pub const ALL: [Scope; 10] = [
        Scope::OperatorRead,
        Scope::OperatorWrite,
        Scope::ConversationsReadAll,
        Scope::MembersRead,
        Scope::MembersWrite,
        Scope::WorkflowsWrite,
        Scope::ChannelsWrite,
        Scope::SettingsWrite,
        Scope::AuditRead,
        Scope::QualificationsWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OperatorRead => "operator:read",
            Scope::OperatorWrite => "operator:write",
            Scope::ConversationsReadAll => "conversations:read_all",
            Scope::MembersRead => "members:read",
            Scope::MembersWrite => "members:write",
            Scope::WorkflowsWrite => "workflows:write",
            Scope::ChannelsWrite => "channels:write",
            Scope::SettingsWrite => "settings:write",
            Scope::AuditRead => "audit:read",
            Scope::QualificationsWrite => "qualifications:write",
        }
    }
}

/// The role ladder, highest first: Owner > Admin > Supervisor > Account Manager > Agent >
/// Support Agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Owner,
    Admin,
    Supervisor,
    AccountManager,
    Agent,
    SupportAgent,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Admin,
        Role::Supervisor,
        Role::AccountManager,
        Role::Agent,
        Role::SupportAgent,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::AccountManager => "account_manager",
            Role::Agent => "agent",
            Role::SupportAgent => "support_agent",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Supervisor => "Supervisor",
            Role::AccountManager => "Account Manager",
            Role::Agent => "Agent",
            Role::SupportAgent => "Support Agent",
        }
    }

    /// The permissions table: which scopes each role carries.
    pub fn scopes(self) -> &'static [Scope] {
        use Scope::*;
        match self {
            Role::Owner | Role::Admin => &Scope::ALL,
            Role::Supervisor => &[
                OperatorRead,
                OperatorWrite,
                ConversationsReadAll,
                MembersRead,
                AuditRead,
                QualificationsWrite,
            ],
            // Account managers watch their accounts' conversations and the live view; they do not
            // go live or handle conversations themselves.
            Role::AccountManager => &[OperatorRead, ConversationsReadAll, MembersRead],
            Role::Agent | Role::SupportAgent => &[OperatorRead, OperatorWrite],
        }
    }

    pub fn has(self, scope: Scope) -> bool {
        self.scopes().contains(&scope)
    }
}

/// The signed-in member, as every page and server function sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub member_id: i64,
    pub workspace_id: i64,
    pub workspace_name: String,
    pub name: String,
    pub email: String,
    pub role: Role,
}

impl Me {
    pub fn can(&self, scope: Scope) -> bool {
        self.role.has(scope)
    }
}

/// A row of the team list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSummary {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Invited and not signed up yet.
    pub invited: bool,
    /// Their own chat limit; `None` follows the workspace default.
    pub chat_limit: Option<i64>,
}

/// An invitation just made: the link to hand to the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub member_id: i64,
    /// The path of the sign-up link, e.g. `/invite/…`.
    pub path: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    /// Whether the link was e-mailed to them (an SMTP server is configured and took it).
    pub emailed: bool,
    /// Why e-mailing it failed, in words; the link still works and can be handed over.
    pub email_problem: Option<String>,
}

/// What the invitation page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub name: String,
    pub email: String,
    pub workspace: String,
}

/// What the page for a password reset link shows, while the link works.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetView {
    pub name: String,
    pub email: String,
}

/// The answer to "I forgot my password": the same whether or not an account uses the address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequested {
    /// Switchboard sends e-mail: a link went out if an account uses the address. Without, the
    /// person asks whoever runs Switchboard for a link.
    pub emailed: bool,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub id: i64,
    pub actor: Option<String>,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// An operator group with its members and workflows, by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub members: Vec<String>,
    pub workflows: Vec<String>,
    pub member_ids: Vec<i64>,
    pub workflow_ids: Vec<i64>,
}

/// A workflow (chatbot) as lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowSummary {
    pub id: i64,
    pub name: String,
    pub live_routing: bool,
    pub handoff_mode: String,
}

/// The workspace's settings and feature flags.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSettings {
    pub name: String,
    /// Feature flag: operators may go live at all.
    pub operator_enabled: bool,
    /// Feature flag: live presence and routing; requires `operator_enabled`.
    pub presence_enabled: bool,
    /// The plan's `human_agents` seats: how many operators may be live at once.
    pub human_agents: i64,
    /// Conversations one operator handles at once unless their own limit says otherwise.
    pub default_chat_limit: i64,
    /// Seconds after an operator's last socket closes before their presence is cleared.
    pub disconnect_timeout_secs: i64,
    /// When an operator's presence ends (disconnected, offline), their conversations go to
    /// other operators; otherwise they keep them.
    pub reroute_on_disconnect: bool,
}

impl WorkspaceSettings {
    /// Checks the rules a stored settings row must keep; the first broken one is returned.
    pub fn validate(&self) -> Result<(), crate::AppError> {
        use crate::AppError;
        let name = self.name.trim();
        if name.is_empty() {
            return Err(AppError::invalid("Workspace name", "must not be empty"));
        }
        if name.chars().count() > 80 {
            return Err(AppError::invalid("Workspace name", "must be at most 80 characters"));
        }
        if self.presence_enabled && !self.operator_enabled {
            return Err(AppError::invalid(
                "Live presence",
                "requires the Operators feature to be enabled first",
            ));
        }
        if !(0..=10_000).contains(&self.human_agents) {
            return Err(AppError::invalid("Human agent seats", "must be between 0 and 10000"));
        }
        if !(1..=100).contains(&self.default_chat_limit) {
            return Err(AppError::invalid("Default chat limit", "must be between 1 and 100"));
        }
        if !(5..=3_600).contains(&self.disconnect_timeout_secs) {
            return Err(AppError::invalid(
                "Disconnect timeout",
                "must be between 5 and 3600 seconds",
            ));
        }
        Ok(())
    }
}

/// A conversation as the inbox lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: i64,
    pub workflow_id: i64,
    pub channel_kind: crate::lifecycle::ChannelKind,
    pub channel_name: String,
    /// The channel's colour (CSS), shown as a chip in the inbox.
    pub channel_colour: String,
    pub contact_name: String,
    pub status: crate::lifecycle::Status,
    pub handler: crate::lifecycle::Handler,
    pub assignee_id: Option<i64>,
    pub assignee: Option<String>,
    pub last_message: Option<String>,
    pub last_seq: i64,
    /// When the visitor started waiting for a human (Unix milliseconds).
    pub escalated_at: Option<i64>,
    /// Unix milliseconds.
    pub last_activity_at: i64,
    /// Who wrote the latest message the team sees, so a client can count it as unread.
    pub last_sender_kind: Option<crate::events::SenderKind>,
    pub last_sender_id: Option<i64>,
    /// The workspace's category for it, if set.
    pub category: Option<String>,
    /// Messages the viewing member has not read (0 in events sent to everyone).
    pub unread: u32,
}

impl ConversationSummary {
    /// Whether a message by this sender counts as unread for `member_id`: what customers and
    /// other team members write, not the assistant, notices or one's own.
    pub fn counts_as_unread(kind: Option<crate::events::SenderKind>, sender_id: Option<i64>, member_id: i64) -> bool {
        use crate::events::SenderKind;
        match kind {
            Some(SenderKind::Contact) => true,
            Some(SenderKind::Operator) => sender_id != Some(member_id),
            _ => false,
        }
    }
}

/// Which conversations the inbox lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxQuery {
    /// `mine`, `unassigned` or empty for everything the member may see.
    pub view: String,
    /// `open`, `waiting`, `active`, `resolved` or empty.
    pub status: String,
    /// A channel kind (`web`, `sms`, …) or empty.
    pub channel: String,
    /// A workflow id or empty.
    pub workflow: String,
    /// Words to find in the contact's name, e-mail, phone or the messages.
    pub q: String,
    /// Where the previous page ended (`<last activity ms>:<id>`), for the next page.
    pub before: String,
}

/// How many conversations of each status match the inbox's other filters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub open: u32,
    pub waiting: u32,
    pub active: u32,
    pub resolved: u32,
}

impl StatusCounts {
    pub fn all(&self) -> u32 {
        self.open + self.waiting + self.active + self.resolved
    }

    /// The count of one status, or of all with `None`.
    pub fn of(&self, status: Option<crate::lifecycle::Status>) -> u32 {
        use crate::lifecycle::Status;
        match status {
            Some(Status::Open) => self.open,
            Some(Status::Waiting) => self.waiting,
            Some(Status::Active) => self.active,
            Some(Status::Resolved) => self.resolved,
            None => self.all(),
        }
    }
}

/// One page of the inbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPage {
    pub conversations: Vec<ConversationSummary>,
    /// Pass as `before` for the next page; `None` on the last one.
    pub next: Option<String>,
    pub counts: StatusCounts,
    /// Unread messages in the conversations assigned to the member (for the tab title).
    pub mine_unread: u32,
}

/// A file sent with a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentView {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

impl AttachmentView {
    /// Where it is served; visitors add their token.
    pub fn path(&self) -> String {
        format!("/attachments/{}", self.id)
    }

    pub fn is_image(&self) -> bool {
        matches!(
            self.content_type.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        )
    }

    /// The size for people: `812 KB`, `2.4 MB`.
    pub fn size_label(&self) -> String {
        let b = self.size_bytes.max(0) as f64;
        if b < 1024.0 {
            format!("{} B", self.size_bytes)
        } else if b < 1024.0 * 1024.0 {
            format!("{:.0} KB", b / 1024.0)
        } else {
            format!("{:.1} MB", b / 1024.0 / 1024.0)
        }
    }
}

/// The most bytes one attachment may have.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The kinds of file that may be attached, by content type, with their usual extension.
pub const ATTACHMENT_TYPES: [(&str, &str); 12] = [
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    ("application/pdf", "pdf"),
    ("text/plain", "txt"),
    ("text/csv", "csv"),
    ("application/zip", "zip"),
    ("application/msword", "doc"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    ("application/vnd.ms-excel", "xls"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
];

/// Someone on the team who has a conversation open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub member_id: i64,
    pub name: String,
}

/// A conversation category of the workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryView {
    pub id: i64,
    pub name: String,
}

/// A contact as the information panel shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDetail {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub labels: Vec<String>,
    /// Data records: key and value.
    pub data: Vec<(String, String)>,
    /// Their other conversations the member may see, newest first.
    pub conversations: Vec<ContactConversation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactConversation {
    pub id: i64,
    pub channel_name: String,
    pub status: crate::lifecycle::Status,
    pub last_message: Option<String>,
    pub last_activity_at: i64,
}

/// Who may use a canned response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CannedScope {
    /// Everyone in the workspace (admins manage them).
    Workspace,
    /// The members of one operator group.
    Group,
    /// Only the member who wrote it.
    Personal,
}

impl CannedScope {
    pub fn parse(s: &str) -> Option<CannedScope> {
        match s {
            "workspace" => Some(CannedScope::Workspace),
            "group" => Some(CannedScope::Group),
            "personal" => Some(CannedScope::Personal),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CannedScope::Workspace => "workspace",
            CannedScope::Group => "group",
            CannedScope::Personal => "personal",
        }
    }
}

/// A canned response the member may use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub id: i64,
    pub scope: CannedScope,
    pub group_id: Option<i64>,
    /// The group's name, for group responses.
    pub group: Option<String>,
    pub shortcut: String,
    pub title: String,
    pub body: String,
    /// The member may change or delete it.
    pub editable: bool,
}

impl CannedResponse {
    /// Whether it answers a `/` search in the composer: by shortcut first, then by title.
    pub fn matches(&self, query: &str) -> bool {
        let q = query.to_lowercase();
        self.shortcut.to_lowercase().starts_with(&q) || self.title.to_lowercase().contains(&q)
    }
}

/// A shortcut: 1 to 32 lowercase letters, digits, `-` or `_`.
pub fn check_shortcut(s: &str) -> Result<(), crate::AppError> {
    if s.is_empty()
        || s.chars().count() > 32
        || !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(crate::AppError::invalid(
            "Shortcut",
            "must be 1 to 32 lowercase letters, digits, - or _",
        ));
    }
    Ok(())
}

/// A conversation opened in the inbox: its summary and its latest messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub summary: ConversationSummary,
    pub messages: Vec<crate::events::MessageView>,
}

/// A web-chat channel as the widget shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetChannel {
    pub key: String,
    pub name: String,
    pub workflow_name: String,
    pub greeting: String,
    pub colour: String,
}

/// An operator's availability. Only `Online` operators are offered conversations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorStatus {
    Online,
    Away,
    Busy,
    Offline,
}

impl OperatorStatus {
    pub const ALL: [OperatorStatus; 4] = [
        OperatorStatus::Online,
        OperatorStatus::Away,
        OperatorStatus::Busy,
        OperatorStatus::Offline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OperatorStatus::Online => "online",
            OperatorStatus::Away => "away",
            OperatorStatus::Busy => "busy",
            OperatorStatus::Offline => "offline",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OperatorStatus::Online => "Online",
            OperatorStatus::Away => "Away",
            OperatorStatus::Busy => "Busy",
            OperatorStatus::Offline => "Offline",
        }
    }

    pub fn parse(s: &str) -> Option<OperatorStatus> {
        OperatorStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A workflow an operator can go live on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowChoice {
    pub id: i64,
    pub name: String,
}

/// Where a conversation can be transferred.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferOptions {
    pub operators: Vec<TransferOperator>,
    pub groups: Vec<GroupChoice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferOperator {
    pub member_id: i64,
    pub name: String,
    /// Live and online on the conversation's workflow, under their limit.
    pub available: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChoice {
    pub id: i64,
    pub name: String,
}

/// The signed-in operator's own presence, as the status control shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyPresence {
    pub status: OperatorStatus,
    /// The workflows they are live on; empty when not live.
    pub live_workflows: Vec<WorkflowChoice>,
    /// The workflows of their operator groups.
    pub available_workflows: Vec<WorkflowChoice>,
    pub load: u32,
    pub limit: u32,
    /// When the status last changed (Unix ms).
    pub since_ms: i64,
}

/// A conversation offered to an operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    pub conversation: ConversationSummary,
    pub workflow_name: String,
    /// Offered to every eligible operator at once; the first to accept takes it.
    pub pooled: bool,
    /// When the offer lapses (Unix ms); `None` for pooled offers.
    pub expires_at: Option<i64>,
}

/// One operator on the supervisor's live board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardOperator {
    pub member_id: i64,
    pub name: String,
    pub status: OperatorStatus,
    pub since_ms: i64,
    pub workflows: Vec<String>,
    pub load: u32,
    pub limit: u32,
    pub connected: bool,
}

/// A conversation waiting in a workflow's queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedView {
    pub conversation_id: i64,
    pub workflow: String,
    pub position: u32,
    pub since_ms: i64,
}

/// A conversation an operator is handling now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub conversation_id: i64,
    pub member_id: i64,
    pub operator: String,
    pub contact: String,
    pub since_ms: i64,
}

/// The supervisor's live view of a workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveBoard {
    pub operators: Vec<BoardOperator>,
    pub queue: Vec<QueuedView>,
    pub sessions: Vec<SessionView>,
}

/// An operator as the supervisor's live view shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSummary {
    pub member_id: i64,
    pub name: String,
    pub role: Role,
    pub groups: Vec<String>,
    /// `online`, `away`, `busy` or `offline`.
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_stored_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn agents_handle_conversations_but_cannot_change_settings_or_the_team() {
        for role in [Role::Agent, Role::SupportAgent] {
            assert!(role.has(Scope::OperatorWrite));
            assert!(!role.has(Scope::SettingsWrite));
            assert!(!role.has(Scope::MembersWrite));
            assert!(!role.has(Scope::ConversationsReadAll));
        }
    }

    #[test]
    fn higher_roles_never_have_fewer_scopes_than_lower_ones_except_that_account_managers_do_not_handle_chats() {
        for pair in Role::ALL.windows(2) {
            let (higher, lower) = (pair[0], pair[1]);
            for scope in lower.scopes() {
                if higher == Role::AccountManager && *scope == Scope::OperatorWrite {
                    continue;
                }
                assert!(higher.has(*scope), "{higher:?} lacks {scope:?} that {lower:?} has");
            }
        }
        assert!(!Role::AccountManager.has(Scope::OperatorWrite));
        assert!(Role::Supervisor.has(Scope::OperatorWrite));
    }

    fn settings() -> WorkspaceSettings {
        WorkspaceSettings {
            name: "Acme".into(),
            operator_enabled: true,
            presence_enabled: true,
            human_agents: 5,
            default_chat_limit: 3,
            disconnect_timeout_secs: 30,
            reroute_on_disconnect: true,
        }
    }

    #[test]
    fn presence_without_operator_is_refused_with_a_clear_message() {
        let s = WorkspaceSettings {
            operator_enabled: false,
            ..settings()
        };
        let err = s.validate().unwrap_err();
        assert!(err.to_string().contains("requires the Operators feature"), "{err}");
        assert!(settings().validate().is_ok());
    }

    #[test]
    fn out_of_range_numbers_and_blank_names_are_refused() {
        assert!(WorkspaceSettings {
            name: "  ".into(),
            ..settings()
        }
        .validate()
        .is_err());
        assert!(WorkspaceSettings {
            default_chat_limit: 0,
            ..settings()
        }
        .validate()
        .is_err());
        assert!(WorkspaceSettings {
            human_agents: -1,
            ..settings()
        }
        .validate()
        .is_err());
        assert!(WorkspaceSettings {
            disconnect_timeout_secs: 1,
            ..settings()
        }
        .validate()
        .is_err());
    }
}

/// A Unix-milliseconds time as `YYYY-MM-DD HH:MM UTC`, the same on server and browser.
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn times_are_shown_as_utc_calendar_dates() {
        assert_eq!(super::format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::format_utc(1_795_996_800_000 + 3_660_000), "2026-11-30 01:01 UTC");
        assert_eq!(super::format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}

/// A Unix-milliseconds time as `HH:MM` (UTC), for message stamps.
pub fn format_clock(ms: i64) -> String {
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// A workflow's settings as the editor shows them. The provider's API key is never sent to a
/// browser: `has_api_key` says whether one is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowSettings {
    pub id: i64,
    pub name: String,
    pub live_routing: bool,
    /// `auto_escalation` or `always_on`.
    pub handoff_mode: String,
    pub escalation_threshold: i64,
    pub escalate_on_frustration: bool,
    pub handoff_message: String,
    pub greeting: String,
    pub fallback_answer: String,
    /// `assigned` or `pooled`.
    pub routing_mode: String,
    pub accept_timeout_secs: i64,
    pub requires_qualification: bool,
    /// The practice scenario: what the scripted customer says, one message a line.
    pub practice_script: String,
    /// `builtin` or `openai`.
    pub ai_provider: String,
    pub openai_base_url: Option<String>,
    pub openai_model: Option<String>,
    pub has_api_key: bool,
    pub ai_timeout_secs: i64,
    pub answers: Vec<AnswerView>,
}

/// A question/answer pair of the built-in assistant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerView {
    pub id: i64,
    pub question: String,
    pub answer: String,
}

impl WorkflowSettings {
    /// Checks what a person typed; the first problem is returned.
    pub fn validate(&self) -> Result<(), crate::AppError> {
        use crate::AppError;
        let text = |field: &str, value: &str, max: usize| -> Result<(), AppError> {
            if value.trim().is_empty() {
                return Err(AppError::invalid(field, "must not be empty"));
            }
            if value.chars().count() > max {
                return Err(AppError::invalid(field, format!("must be at most {max} characters")));
            }
            Ok(())
        };
        text("Name", &self.name, 80)?;
        text("Handoff message", &self.handoff_message, 500)?;
        text("Greeting", &self.greeting, 500)?;
        text("Fallback answer", &self.fallback_answer, 500)?;
        if !["auto_escalation", "always_on"].contains(&self.handoff_mode.as_str()) {
            return Err(AppError::invalid(
                "Handoff mode",
                "must be automatic escalation or always-on monitoring",
            ));
        }
        if !["assigned", "pooled"].contains(&self.routing_mode.as_str()) {
            return Err(AppError::invalid("Routing mode", "must be assigned or pooled"));
        }
        if !["builtin", "openai"].contains(&self.ai_provider.as_str()) {
            return Err(AppError::invalid(
                "AI provider",
                "must be the built-in assistant or an OpenAI-compatible API",
            ));
        }
        if !(1..=20).contains(&self.escalation_threshold) {
            return Err(AppError::invalid(
                "Escalation threshold",
                "must be between 1 and 20 requests",
            ));
        }
        if !(5..=3600).contains(&self.accept_timeout_secs) {
            return Err(AppError::invalid(
                "Accept timeout",
                "must be between 5 and 3600 seconds",
            ));
        }
        if !(1..=300).contains(&self.ai_timeout_secs) {
            return Err(AppError::invalid("AI timeout", "must be between 1 and 300 seconds"));
        }
        practice_lines(&self.practice_script)?;
        if let Some(url) = &self.openai_base_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(AppError::invalid("API base URL", "must start with http:// or https://"));
            }
        }
        Ok(())
    }
}

/// The most lines a practice scenario may have, and the longest line.
pub const MAX_PRACTICE_LINES: usize = 20;
pub const MAX_PRACTICE_LINE_CHARS: usize = 500;

/// The customer's messages of a practice scenario: its non-blank lines, trimmed.
pub fn practice_lines(script: &str) -> Result<Vec<String>, crate::AppError> {
    use crate::AppError;
    let lines: Vec<String> = script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if lines.is_empty() {
        return Err(AppError::invalid(
            "Practice scenario",
            "needs at least one line for the customer to say",
        ));
    }
    if lines.len() > MAX_PRACTICE_LINES {
        return Err(AppError::invalid(
            "Practice scenario",
            format!("has {} lines; at most {MAX_PRACTICE_LINES} are allowed", lines.len()),
        ));
    }
    if let Some((i, _)) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.chars().count() > MAX_PRACTICE_LINE_CHARS)
    {
        return Err(AppError::invalid(
            "Practice scenario",
            format!("line {} is longer than {MAX_PRACTICE_LINE_CHARS} characters", i + 1),
        ));
    }
    Ok(lines)
}

/// Where a practice run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PracticeStatus {
    /// The operator is answering the scripted customer.
    InProgress,
    /// Finished and waiting for a reviewer.
    Submitted,
    /// A reviewer granted the qualification.
    Granted,
    /// A reviewer sent it back; the operator may practise again.
    Returned,
    /// The qualification it earned was revoked later.
    Revoked,
}

impl PracticeStatus {
    pub const ALL: [PracticeStatus; 5] = [
        PracticeStatus::InProgress,
        PracticeStatus::Submitted,
        PracticeStatus::Granted,
        PracticeStatus::Returned,
        PracticeStatus::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PracticeStatus::InProgress => "in_progress",
            PracticeStatus::Submitted => "submitted",
            PracticeStatus::Granted => "granted",
            PracticeStatus::Returned => "returned",
            PracticeStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<PracticeStatus> {
        PracticeStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PracticeStatus::InProgress => "In progress",
            PracticeStatus::Submitted => "Waiting for review",
            PracticeStatus::Granted => "Granted",
            PracticeStatus::Returned => "Sent back",
            PracticeStatus::Revoked => "Revoked",
        }
    }
}

/// One message of a practice run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeMessage {
    pub seq: i64,
    /// Said by the scripted customer (else by the operator).
    pub from_customer: bool,
    pub body: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A practice run with its transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeRun {
    pub id: i64,
    pub workflow_id: i64,
    pub workflow_name: String,
    pub member_id: i64,
    pub member_name: String,
    pub status: PracticeStatus,
    /// Customer lines said so far, and in all.
    pub step: u32,
    pub total: u32,
    pub messages: Vec<PracticeMessage>,
    pub started_at: i64,
    pub submitted_at: Option<i64>,
    pub reviewer: Option<String>,
    pub reviewed_at: Option<i64>,
    pub review_note: Option<String>,
}

impl PracticeRun {
    /// Every scripted line was said and answered: the run can go to a reviewer.
    pub fn complete(&self) -> bool {
        self.step >= self.total && self.messages.last().is_some_and(|m| !m.from_customer)
    }
}

/// One workflow an operator can qualify for, and where they stand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyQualification {
    pub workflow_id: i64,
    pub workflow_name: String,
    /// Going live on it needs a granted qualification.
    pub required: bool,
    /// When it was granted (Unix ms), if it is held now.
    pub granted_at: Option<i64>,
    /// Their latest practice run on it, if any.
    pub latest_run: Option<i64>,
    pub latest_status: Option<PracticeStatus>,
    pub review_note: Option<String>,
}

/// A practice run waiting for a reviewer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeSubmission {
    pub run_id: i64,
    pub member_name: String,
    pub workflow_name: String,
    pub submitted_at: i64,
}

/// A qualification someone holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub member_id: i64,
    pub member_name: String,
    pub workflow_id: i64,
    pub workflow_name: String,
    pub granted_by: Option<String>,
    pub granted_at: i64,
    pub run_id: Option<i64>,
}

/// The qualifications page: one's own, and for reviewers what waits and who holds what.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualificationsOverview {
    pub mine: Vec<MyQualification>,
    pub reviewer: bool,
    pub to_review: Vec<PracticeSubmission>,
    pub granted: Vec<GrantView>,
}

#[cfg(test)]
mod practice_tests {
    use super::*;

    #[test]
    fn a_practice_scenario_is_its_non_blank_lines_within_limits() {
        assert_eq!(practice_lines(" Hi \n\n  Help me \n").unwrap(), vec!["Hi", "Help me"]);
        assert!(practice_lines(" \n ")
            .unwrap_err()
            .to_string()
            .contains("at least one line"));
        let many = "x\n".repeat(MAX_PRACTICE_LINES + 1);
        assert!(practice_lines(&many).unwrap_err().to_string().contains("at most 20"));
        let long = format!("ok\n{}", "y".repeat(MAX_PRACTICE_LINE_CHARS + 1));
        assert!(practice_lines(&long).unwrap_err().to_string().contains("line 2"));
    }

    #[test]
    fn a_run_is_complete_once_the_last_scripted_line_is_answered() {
        let msg = |seq, from_customer| PracticeMessage {
            seq,
            from_customer,
            body: "x".into(),
            created_at: 0,
        };
        let mut run = PracticeRun {
            id: 1,
            workflow_id: 1,
            workflow_name: "W".into(),
            member_id: 1,
            member_name: "M".into(),
            status: PracticeStatus::InProgress,
            step: 2,
            total: 2,
            messages: vec![msg(1, true), msg(2, false), msg(3, true)],
            started_at: 0,
            submitted_at: None,
            reviewer: None,
            reviewed_at: None,
            review_note: None,
        };
        assert!(!run.complete(), "the last line is not answered yet");
        run.messages.push(msg(4, false));
        assert!(run.complete());
        run.step = 1;
        assert!(!run.complete(), "lines remain");
    }
}
