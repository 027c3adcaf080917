//! The inbox: conversations listed, filtered, searched and paged.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;
mod shortcuts;
pub mod state;

pub use api::*;

/// A conversation as the inbox lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: i64,
    pub workflow_id: i64,
    #[serde(default)]
    pub channel_id: i64,
    #[serde(default)]
    pub contact_id: i64,
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
    /// Put aside until then (Unix ms; `UNTIL_REPLY` until the customer writes).
    #[serde(default)]
    pub snoozed_until: Option<i64>,
    /// When it was resolved (Unix ms) and by whom, while it is.
    #[serde(default)]
    pub resolved_at: Option<i64>,
    #[serde(default)]
    pub resolved_by: Option<String>,
}

/// `snoozed_until` for "until the customer writes": 9999-12-31 23:59:59 UTC.
pub const UNTIL_REPLY: i64 = 253_402_300_799_000;

impl ConversationSummary {
    /// Whether it is snoozed at `now` (Unix ms).
    pub fn snoozed_at(&self, now: i64) -> bool {
        self.snoozed_until.is_some_and(|until| until > now)
    }

    /// What decides who may see it and which inbox views show it.
    pub fn facts(&self) -> Facts {
        Facts {
            id: self.id,
            workflow_id: self.workflow_id,
            assignee_id: self.assignee_id,
            status: self.status,
            channel_kind: self.channel_kind,
            snoozed_until: self.snoozed_until,
        }
    }
}

/// What decides who may see a conversation and which inbox views show it: sent beside each
/// inbox change so the server can send it only to the consoles that can show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub id: i64,
    pub workflow_id: i64,
    pub assignee_id: Option<i64>,
    pub status: crate::lifecycle::Status,
    pub channel_kind: crate::lifecycle::ChannelKind,
    pub snoozed_until: Option<i64>,
}

impl Facts {
    /// Whether it counts among `member_id`'s own conversations (their unread count).
    pub fn is_own(&self, member_id: i64) -> bool {
        self.assignee_id == Some(member_id) && self.status != crate::lifecycle::Status::Resolved
    }
}

/// What an operator's console shows, told to the server so that it sends the console only the
/// inbox changes it can show. Whatever it shows, the console also gets the changes to the
/// member's own conversations (the unread count in the tab title) and to the conversations it
/// has open.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Showing {
    /// Every conversation the member may see: what a new socket gets until it says otherwise,
    /// and what the inbox asks for while a page of its list loads.
    #[default]
    Everything,
    /// No inbox list (another page of the console).
    Own,
    /// The inbox under `query`, listing `listed`: changes to those, and to conversations the
    /// query would add (when it searches for nothing).
    Inbox { query: InboxQuery, listed: Vec<i64> },
}

/// How many listed conversations a console may name in `Showing::Inbox`.
pub const MOST_LISTED: usize = 10_000;

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
    /// `mine`, `unassigned`, `snoozed` or empty for everything the member may see (snoozed
    /// conversations are only in `snoozed`).
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

impl InboxQuery {
    /// Whether the list under this query has room for the conversation at `now` (Unix ms),
    /// search aside (only the database can answer that).
    pub fn fits(&self, c: &Facts, me: i64, now: i64) -> bool {
        // A snoozed conversation is only in the Snoozed view until it wakes.
        let snoozed = c.snoozed_until.is_some_and(|until| until > now);
        (self.view == "snoozed") == snoozed
            && (self.view.is_empty()
                || self.view == "snoozed"
                || (self.view == "mine" && c.assignee_id == Some(me))
                || (self.view == "unassigned" && c.assignee_id.is_none()))
            && (self.status.is_empty() || self.status == c.status.as_str())
            && (self.channel.is_empty() || self.channel == c.channel_kind.as_str())
            && (self.workflow.is_empty() || self.workflow == c.workflow_id.to_string())
    }
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
