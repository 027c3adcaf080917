//! The visitor's chat: the web widget and its page.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;

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
