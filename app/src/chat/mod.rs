//! The visitor's chat: the web widget and its page.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;
pub mod site;

pub use api::*;

/// A web-chat channel as the widget shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetChannel {
    pub key: String,
    pub name: String,
    pub workflow_name: String,
    pub greeting: String,
    pub colour: String,
}

/// Who a site says its signed-in customer is, and its signature of the id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The site's own id for the customer (1 to 200 characters).
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    /// What else the site says of the customer, as a JSON object of plain values (`{"plan":
    /// "pro", "orders": 3}`); kept as the contact's data records. Empty: nothing.
    #[serde(default)]
    pub attributes: String,
    /// Hex HMAC-SHA256 of `id` under the channel's identity secret.
    pub hmac: String,
}
