//! Signing in and out, invitations, and passwords: the way into the console.

use serde::{Deserialize, Serialize};

pub mod account;
mod api;
pub mod invite;
pub mod password;
pub mod sign_in;

pub use api::*;

/// What the invitation page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub name: String,
    pub email: String,
    pub workspace: String,
}

/// What the page for a password reset link shows, while the link works.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PasswordResetView {
    pub name: String,
    pub email: String,
}

/// The answer to "I forgot my password": the same whether or not an account uses the address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequested {
    /// Switchboard sends e-mail: a link went out if an account uses the address. Without, the
    /// person asks whoever runs Switchboard for a link.
    pub emailed: bool,
}
