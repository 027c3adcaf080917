//! The team: members, their roles and chat limits, invitations, and operator groups.

use serde::{Deserialize, Serialize};

use crate::Role;

mod api;
pub mod page;

pub use api::*;

/// A row of the team list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
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
