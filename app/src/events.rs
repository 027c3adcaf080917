//! The real-time protocol: what visitors' and operators' sockets send and receive. Defined once
//! here and used by the WASM clients and the server alike; every frame is one JSON object with
//! a `type` field.

use serde::{Deserialize, Serialize};

use crate::inbox::ConversationSummary;
use crate::AppError;

pub use crate::lifecycle::SenderKind;

/// A stored message as clients show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub conversation_id: i64,
    /// Monotonic within the conversation, from 1.
    pub seq: i64,
    pub sender_kind: SenderKind,
    pub sender_name: String,
    pub body: String,
    /// Shown to team members only, never to the visitor or the channel.
    pub internal: bool,
    pub idempotency_key: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The team member who wrote it (operator messages and notes).
    #[serde(default)]
    pub sender_id: Option<i64>,
    /// Files sent with it.
    #[serde(default)]
    pub attachments: Vec<crate::conversation::AttachmentView>,
    /// How far it got, for a reply sent through a provider (SMS, e-mail); none on web chat.
    #[serde(default)]
    pub delivery: Option<Delivery>,
}

/// An outbound message's delivery: where it got, and the provider's words when it failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub status: crate::lifecycle::DeliveryStatus,
    /// The provider's code and text (`21610 – Attempt to send to unsubscribed recipient`).
    #[serde(default)]
    pub error: Option<String>,
}

/// The most characters one message may have.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// The most files one message may carry.
pub const MAX_ATTACHMENTS: usize = 5;

/// A message body that is not blank and not over `MAX_MESSAGE_CHARS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(s: &str) -> Result<MessageBody, AppError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(AppError::invalid("Message", "is empty"));
        }
        let n = trimmed.chars().count();
        if n > MAX_MESSAGE_CHARS {
            return Err(AppError::invalid(
                "Message",
                format!("is {n} characters long; the limit is {MAX_MESSAGE_CHARS}"),
            ));
        }
        Ok(MessageBody(trimmed.to_string()))
    }

    /// A body that may be empty because files go with it.
    pub fn parse_with_files(s: &str, files: usize) -> Result<MessageBody, AppError> {
        if files > MAX_ATTACHMENTS {
            return Err(AppError::invalid(
                "Attachments",
                format!("at most {MAX_ATTACHMENTS} files go with one message"),
            ));
        }
        if files > 0 && s.trim().is_empty() {
            return Ok(MessageBody(String::new()));
        }
        MessageBody::parse(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An idempotency key: 1 to 100 characters of letters, digits, `-` and `_`.
pub fn check_idempotency_key(key: &str) -> Result<(), AppError> {
    if key.is_empty() || key.len() > 100 || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(AppError::invalid(
            "Idempotency key",
            "must be 1 to 100 letters, digits, - or _",
        ));
    }
    Ok(())
}

/// Visitor → server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorCommand {
    /// The first frame on every (re)connect: who the visitor is (their token, which never
    /// travels in a URL), and replay everything after `last_seq`.
    Resume {
        token: String,
        last_seq: i64,
    },
    /// The first frame of a visitor who has no token yet, instead of `resume`: a new visitor
    /// on the web channel with this key. The server answers with `token` (to keep in the
    /// browser and resume with from then on) and goes on as if resumed; a refusal closes the
    /// socket with the reason in words.
    Start {
        key: String,
    },
    /// The embedding site's signed-in customer (`Switchboard.identify`), after `resume` or
    /// `start`: answered by `identified` or `identity_refused`.
    Identify {
        identity: crate::chat::Identity,
    },
    Send {
        body: String,
        idempotency_key: String,
        /// Files uploaded to this conversation beforehand.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<i64>,
    },
    Typing {
        composing: bool,
    },
    /// The customer's rating of the resolved conversation, 1 to 5, with an optional comment.
    Rate {
        rating: u8,
        #[serde(default)]
        comment: String,
    },
    Ping,
}

/// The close code of a chat socket whose token the server does not accept (expired, unknown
/// key, no such visitor): the widget starts a new visitor.
pub const TOKEN_REFUSED: u16 = 4001;

/// Server → visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorEvent {
    Message {
        message: MessageView,
    },
    /// Someone on the team is (or stopped) typing.
    Typing {
        name: String,
        composing: bool,
    },
    /// The send with this key is stored as `seq`.
    Ack {
        idempotency_key: String,
        seq: i64,
    },
    /// A command was refused; nothing was stored.
    Error {
        message: String,
        idempotency_key: Option<String>,
    },
    /// A fresh token to keep instead of the one the visitor resumed with (or the first one,
    /// after `start`).
    Token {
        token: String,
    },
    /// What `identify` made of the visitor: the token to chat with from now on. A token other
    /// than the socket's is another contact (the customer's history from another browser): the
    /// widget reconnects with it.
    Identified {
        token: String,
    },
    /// The site's identify was refused (unsigned where the chat requires a signature, a
    /// malformed detail); the visitor stays who they were.
    IdentityRefused {
        message: String,
    },
    /// The conversation was resolved: the customer may rate it.
    RatingRequested,
    /// The customer's rating was kept.
    Rated {
        rating: u8,
    },
    /// The visitor waits for a person: their place in the queue (1 = next).
    Queue {
        position: u32,
    },
    Pong,
}

/// Operator → server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OperatorCommand {
    /// Follow one conversation: replay after `last_seq`, then live messages and typing.
    Watch {
        conversation_id: i64,
        last_seq: i64,
    },
    Unwatch {
        conversation_id: i64,
    },
    Send {
        conversation_id: i64,
        body: String,
        idempotency_key: String,
        /// A note only the team sees: it does not claim the conversation or stop the assistant.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        internal: bool,
        /// Files uploaded to this conversation beforehand.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<i64>,
    },
    Typing {
        conversation_id: i64,
        composing: bool,
    },
    /// Everything up to `seq` in the conversation has been read by this member.
    Read {
        conversation_id: i64,
        seq: i64,
    },
    /// Change one's own status (several tabs share one presence).
    SetStatus {
        status: crate::live::OperatorStatus,
    },
    /// Go live on these workflows (only those of one's operator groups).
    GoLive {
        workflow_ids: Vec<i64>,
    },
    GoOffline,
    Accept {
        conversation_id: i64,
    },
    Decline {
        conversation_id: i64,
    },
    /// The person is at the keyboard (a key or a click in the console): the session is in use.
    Active,
    /// What the console shows now, so the server sends only the inbox changes it can show.
    Show {
        showing: crate::inbox::Showing,
    },
    Ping,
}

/// The close code of a console socket whose session ended (signed out, expired, idle): the
/// console goes to the sign-in page.
pub const SESSION_ENDED: u16 = 4401;

/// Server → operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OperatorEvent {
    /// A conversation in the member's inbox changed (new, new message, status, assignee).
    Conversation {
        conversation: ConversationSummary,
    },
    Message {
        message: MessageView,
    },
    Typing {
        conversation_id: i64,
        name: String,
        sender_kind: SenderKind,
        composing: bool,
    },
    Ack {
        idempotency_key: String,
        conversation_id: i64,
        seq: i64,
    },
    Error {
        message: String,
        idempotency_key: Option<String>,
    },
    /// The operator's own presence changed (in this tab or another).
    /// A conversation has waited longer than its workflow allows with nobody live on it (to
    /// supervisors).
    WaitingAlert {
        conversation_id: i64,
        contact_name: String,
        workflow_name: String,
        /// Since when it has waited (Unix ms).
        since_ms: i64,
    },
    Presence {
        presence: crate::live::MyPresence,
    },
    /// A conversation is offered to this operator.
    Offer {
        offer: crate::live::OfferView,
    },
    /// The offer is gone: taken, expired, declined or no longer needed.
    OfferClosed {
        conversation_id: i64,
    },
    /// The live board changed (supervisors).
    Board {
        board: crate::live::LiveBoard,
    },
    /// Who on the team has the conversation open right now.
    Viewers {
        conversation_id: i64,
        viewers: Vec<crate::conversation::Viewer>,
    },
    /// A reply sent through a provider got further (or failed).
    Delivery {
        conversation_id: i64,
        seq: i64,
        delivery: Delivery,
    },
    /// Whether a reply can be sent on the conversation's channel now, and why not (an SMS
    /// customer texted STOP, or START again).
    ReplyBlocked {
        conversation_id: i64,
        reason: Option<String>,
    },
    /// This member read the conversation up to `seq` (in this tab or another).
    Read {
        conversation_id: i64,
        seq: i64,
    },
    Pong,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_oversized_messages_are_refused_with_the_limit_named() {
        assert!(MessageBody::parse("  \n ")
            .unwrap_err()
            .to_string()
            .contains("is empty"));
        let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            MessageBody::parse(&long).unwrap_err().to_string(),
            format!(
                "Message: is {} characters long; the limit is {MAX_MESSAGE_CHARS}",
                MAX_MESSAGE_CHARS + 1
            )
        );
        assert_eq!(MessageBody::parse("  hi ").unwrap().as_str(), "hi");
        assert!(
            MessageBody::parse(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok(),
            "the limit counts characters, not bytes"
        );
    }

    #[test]
    fn the_file_limit_holds_with_or_without_words() {
        let too_many = MAX_ATTACHMENTS + 1;
        for body in ["", "  ", "here are my files"] {
            assert_eq!(
                MessageBody::parse_with_files(body, too_many).unwrap_err().to_string(),
                format!("Attachments: at most {MAX_ATTACHMENTS} files go with one message"),
                "{body:?}"
            );
        }
        assert_eq!(
            MessageBody::parse_with_files(" ", MAX_ATTACHMENTS).unwrap().as_str(),
            ""
        );
    }

    #[test]
    fn commands_are_tagged_json() {
        let c = VisitorCommand::Send {
            body: "hi".into(),
            idempotency_key: "k1".into(),
            attachments: vec![],
        };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"type":"send","body":"hi","idempotency_key":"k1"}"#);
        assert_eq!(serde_json::from_str::<VisitorCommand>(&json).unwrap(), c);
        assert!(serde_json::from_str::<VisitorCommand>(r#"{"type":"delete_everything"}"#).is_err());
    }

    #[test]
    fn idempotency_keys_are_short_and_plain() {
        assert!(check_idempotency_key("3f2a-11_x").is_ok());
        assert!(check_idempotency_key("").is_err());
        assert!(check_idempotency_key("a b").is_err());
        assert!(check_idempotency_key(&"a".repeat(101)).is_err());
    }
}
