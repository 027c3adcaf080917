//! One conversation: its messages, taking it over, handing it back, resolving, transferring, and its category.

use serde::{Deserialize, Serialize};

use crate::inbox::ConversationSummary;

mod api;
pub mod bubble;
mod composer;
pub mod page;
mod transfer;

pub use api::*;

/// A file sent with a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentView {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// For a visitor: a signed link that opens the file without their token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Deleted after the workspace's retention period: named, no longer served.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

impl AttachmentView {
    /// Where it is served: a visitor's signed link, or the path a member's session opens.
    pub fn path(&self) -> String {
        self.link.clone().unwrap_or_else(|| format!("/attachments/{}", self.id))
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

/// A conversation opened in the inbox: its summary and its latest messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub summary: ConversationSummary,
    pub messages: Vec<crate::events::MessageView>,
    /// Why a reply cannot be sent on its channel now (an SMS customer who texted STOP).
    #[serde(default)]
    pub reply_blocked: Option<String>,
    /// An e-mail conversation's subject.
    #[serde(default)]
    pub subject: Option<String>,
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
