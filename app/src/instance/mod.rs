//! The instance's administration: the plan of every workspace on this Switchboard, which only
//! an instance administrator changes (`switchboard instance-admin --email …` grants it).

use serde::{Deserialize, Serialize};

use crate::settings::Plan;

mod api;
pub mod page;

pub use api::*;

/// A workspace on this instance and its plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspacePlan {
    pub workspace_id: i64,
    pub workspace_name: String,
    /// Active members.
    pub members: i64,
    pub plan: Plan,
    /// Human-agent seats held now (by live operators).
    #[serde(default)]
    pub seats_in_use: i64,
}
