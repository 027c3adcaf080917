//! Integrations: API tokens for the REST API (`/api/v1`), and webhooks that tell other systems
//! what happens, both managed by admins.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;

pub use api::*;

/// An API token as its page lists it; the token itself is shown only once, when it is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    /// The token's first characters (`sb_3f9a…`), to tell tokens apart.
    pub prefix: String,
    /// Scope names (`operator:read`, …).
    pub scopes: Vec<String>,
    /// The member it acts as.
    pub acts_as: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A token just made: the secret, shown once, and its listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub token: String,
    pub view: ApiTokenView,
}

/// The scopes a token may be given, in the order the page offers them, with what each allows
/// through the API.
pub const TOKEN_SCOPES: [(crate::Scope, &str); 4] = [
    (
        crate::Scope::OperatorRead,
        "Read conversations, messages, contacts, channels and workflows",
    ),
    (
        crate::Scope::OperatorWrite,
        "Reply, take over, hand off, resolve, and change contacts",
    ),
    (
        crate::Scope::ConversationsReadAll,
        "See every conversation in the workspace, not only the member's",
    ),
    (crate::Scope::MembersRead, "Read members and operator groups"),
];

/// An endpoint that is sent events, as its admin sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    /// Event names (`message.created`, …).
    pub events: Vec<String>,
    /// What deliveries are signed with (HMAC-SHA256), for the receiver to check them.
    pub secret: String,
    pub enabled: bool,
    /// Why Switchboard turned it off, if it did.
    pub disabled_reason: Option<String>,
    /// Failed attempts since the last delivery that worked.
    pub consecutive_failures: i64,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// One delivery in an endpoint's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct WebhookDeliveryView {
    pub id: i64,
    pub event: String,
    /// `pending` (waiting for its next attempt), `delivered` or `failed` (given up).
    pub status: String,
    pub attempts: i64,
    /// Unix milliseconds.
    pub next_attempt_at: Option<i64>,
    /// The endpoint's HTTP status at the last attempt.
    pub response_status: Option<i64>,
    /// The start of the endpoint's answer.
    pub response_body: Option<String>,
    /// Why the last attempt failed, in words.
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// The events an endpoint can be sent, with what each means.
pub const WEBHOOK_EVENTS: [(&str, &str); 7] = [
    ("conversation.created", "A customer started a conversation"),
    ("conversation.escalated", "A conversation needs a person"),
    ("conversation.assigned", "A team member took a conversation"),
    (
        "message.created",
        "A message was written (notes for the team included, marked internal)",
    ),
    ("conversation.resolved", "A conversation was resolved"),
    ("contact.updated", "A contact's details, labels or data changed"),
    (
        "operator.status_changed",
        "An operator went online, away, offline, or live",
    ),
];
