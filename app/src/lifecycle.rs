//! The words of a conversation's life, one type each: where it stands (`Status`), who answers
//! it (`Handler`), who wrote a message (`SenderKind`), the channel it came on (`ChannelKind`)
//! and how a workflow hands over to people (`HandoffMode`). The same names travel in JSON, in
//! the database (as text) and in the inbox's filters; nothing else spells them.

use serde::{Deserialize, Serialize};

/// Defines an enum of plain words: serde and (on the server) sqlx use the snake_case names,
/// `as_str`/`parse` convert, `ALL` lists them in order.
macro_rules! words {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type))]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "ssr", sqlx(rename_all = "snake_case", type_name = "text"))]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words! {
    /// Where a conversation stands.
    Status {
        /// The assistant answers; nobody on the team is needed.
        Open = "open",
        /// The customer waits for a person (escalated, queued, offered).
        Waiting = "waiting",
        /// A person handles it.
        Active = "active",
        /// Closed; the customer's next message reopens it.
        Resolved = "resolved",
    }
}

words! {
    /// Who answers the customer.
    Handler {
        Ai = "ai",
        Human = "human",
    }
}

words! {
    /// Who wrote a message.
    SenderKind {
        /// The visitor / customer.
        Contact = "contact",
        /// The workflow's assistant.
        Ai = "ai",
        /// A team member.
        Operator = "operator",
        /// Switchboard itself: handoff notices, joins, failures.
        System = "system",
    }
}

words! {
    /// The channel a conversation came on.
    ChannelKind {
        Web = "web",
        Sms = "sms",
        Email = "email",
        Whatsapp = "whatsapp",
        Messenger = "messenger",
        Instagram = "instagram",
        Api = "api",
    }
}

words! {
    /// How far an outbound message on a provider's channel (SMS, e-mail) got. It only moves
    /// forward (`rank`): a provider's late or repeated report never takes a tick back; a failure
    /// stays unless a later report says the message arrived after all.
    DeliveryStatus {
        /// Stored with the operator's action, waiting for the sender.
        Pending = "pending",
        /// The provider took it.
        Accepted = "accepted",
        Sent = "sent",
        Delivered = "delivered",
        Read = "read",
        Failed = "failed",
    }
}

impl ChannelKind {
    /// Whether messages to the customer go through a provider (and so have a delivery status)
    /// rather than straight to the widget's socket.
    pub fn through_provider(self) -> bool {
        !matches!(self, ChannelKind::Web | ChannelKind::Api)
    }
}

impl DeliveryStatus {
    /// The order reports may move a message in.
    pub fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Pending => 0,
            DeliveryStatus::Accepted => 1,
            DeliveryStatus::Sent => 2,
            DeliveryStatus::Failed => 3,
            DeliveryStatus::Delivered => 4,
            DeliveryStatus::Read => 5,
        }
    }

    /// In words, for the operator.
    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "Sending",
            DeliveryStatus::Accepted => "Sent to the provider",
            DeliveryStatus::Sent => "Sent",
            DeliveryStatus::Delivered => "Delivered",
            DeliveryStatus::Read => "Read",
            DeliveryStatus::Failed => "Not delivered",
        }
    }
}

words! {
    /// How a workflow involves people.
    HandoffMode {
        /// The assistant answers until the customer asks for a person or is frustrated.
        AutoEscalation = "auto_escalation",
        /// Every conversation is in the team's inbox from its first message.
        AlwaysOn = "always_on",
    }
}

impl Status {
    /// The word people read.
    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::Waiting => "Waiting",
            Status::Active => "Active",
            Status::Resolved => "Resolved",
        }
    }
}

impl ChannelKind {
    /// The word people read.
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Web => "Web chat",
            ChannelKind::Sms => "SMS",
            ChannelKind::Email => "E-mail",
            ChannelKind::Whatsapp => "WhatsApp",
            ChannelKind::Messenger => "Messenger",
            ChannelKind::Instagram => "Instagram",
            ChannelKind::Api => "API",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_through_text_and_json() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(HandoffMode::parse("always_on"), Some(HandoffMode::AlwaysOn));
        assert_eq!(
            serde_json::to_string(&HandoffMode::AutoEscalation).unwrap(),
            "\"auto_escalation\""
        );
        assert_eq!(ChannelKind::parse("whatsapp"), Some(ChannelKind::Whatsapp));
        assert_eq!(SenderKind::parse("operator"), Some(SenderKind::Operator));
        assert_eq!(Handler::parse("robot"), None);
    }
}
