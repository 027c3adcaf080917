//! The customer behind a conversation: details, labels, data records and their other conversations.

use serde::{Deserialize, Serialize};

mod api;
pub mod merge;
pub mod panel;
pub mod privacy;

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
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ContactConversation {
    pub id: i64,
    pub channel_name: String,
    pub status: crate::lifecycle::Status,
    pub last_message: Option<String>,
    pub last_activity_at: i64,
}

/// Everything a workspace holds about a contact, as their privacy request gets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactExport {
    /// When it was made (Unix ms).
    pub exported_at: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// How the workspace knows them: kind and value.
    pub identities: Vec<(String, String)>,
    pub labels: Vec<String>,
    pub data: Vec<(String, String)>,
    pub conversations: Vec<ExportedConversation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedConversation {
    pub id: i64,
    pub channel: String,
    pub status: crate::lifecycle::Status,
    pub messages: Vec<crate::events::MessageView>,
}

/// What erasing a contact removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedContact {
    pub conversations: i64,
    pub messages: i64,
    pub files: usize,
}

/// Another contact a member may merge into the one they are looking at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ContactMatch {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Their conversations the member may see.
    pub conversations: i64,
}

/// A phone number in E.164 form (`+14155550100`): a plus, a country code and 7 to 14 more
/// digits; spaces, dashes and brackets are dropped. `None` for anything else.
pub fn phone_e164(text: &str) -> Option<String> {
    let compact: String = text.trim().chars().filter(|c| !" -().".contains(*c)).collect();
    let digits = compact.strip_prefix('+')?;
    let ok = (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0');
    ok.then_some(compact)
}

/// An e-mail address in lower case (`ada@example.com`), or `None` when it is not one: one
/// `@`, something before it, a domain with a dot after it, no spaces or brackets.
pub fn email_address(text: &str) -> Option<String> {
    let address = text.trim().to_lowercase();
    let (local, domain) = address.rsplit_once('@')?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c))
        && !local.contains('@');
    ok.then_some(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_lower_case_and_plain() {
        assert_eq!(email_address(" Ada@Example.COM ").as_deref(), Some("ada@example.com"));
        assert_eq!(
            email_address("support+c-1@acme.example").as_deref(),
            Some("support+c-1@acme.example")
        );
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "Ada <ada@example.com>",
            "ada@@example.com",
        ] {
            assert_eq!(email_address(bad), None, "{bad}");
        }
    }

    #[test]
    fn phone_numbers_in_international_form_only() {
        assert_eq!(phone_e164(" +1 (415) 555-0100 ").as_deref(), Some("+14155550100"));
        assert_eq!(phone_e164("+447700900123").as_deref(), Some("+447700900123"));
        for bad in [
            "4155550100",
            "+0123456789",
            "+1415",
            "+1415555010012345",
            "+1415abc0100",
            "whatsapp:+14155550100",
        ] {
            assert_eq!(phone_e164(bad), None, "{bad}");
        }
    }
}
