//! The customer behind a conversation: details, labels, data records and their other conversations.

use serde::{Deserialize, Serialize};

mod api;
pub mod merge;
pub mod panel;

pub use api::*;

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
    /// Who the contact is known as: kind (`web`: a site's signed-in customer id) and value.
    #[serde(default)]
    pub identities: Vec<(String, String)>,
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

/// Another contact a member may merge into the one they are looking at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactMatch {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Their conversations the member may see.
    pub conversations: i64,
}
