//! The audit log: who changed what in the workspace.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;

pub use api::*;

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
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
