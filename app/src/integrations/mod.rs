//! Integrations: API tokens for the REST API (`/api/v1`), created and revoked by admins.

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
pub const TOKEN_SCOPES: [(crate::Scope, &str); 5] = [
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
    (crate::Scope::SettingsWrite, "Manage webhooks"),
];
