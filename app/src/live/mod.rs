//! The live view: operators' presence, the queue, offers and sessions.

use serde::{Deserialize, Serialize};

use crate::inbox::ConversationSummary;
use crate::Role;

mod api;
pub mod page;

pub use api::*;

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
