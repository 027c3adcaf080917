//! The one error type of Switchboard: returned by server functions and HTTP handlers alike,
//! so the browser gets the same words and status whichever way it asked.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// 401: no session cookie, or one the server does not know (signed out, revoked).
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// 401: the session existed but its time ran out.
    #[error("Your session has expired. Please sign in again.")]
    SessionExpired,
    /// 401: email unknown, password wrong or member deactivated; the message does not say which.
    #[error("That email and password do not match an active account.")]
    InvalidCredentials,
    /// 429: too many sign-in attempts for this email or address.
    #[error("Too many sign-in attempts. Try again in {}.", seconds(*.retry_after_secs))]
    TooManyAttempts { retry_after_secs: u64 },
    /// 429: a limit on how often something may be done (chats started, messages, uploads);
    /// nothing was stored. `what` says what was refused, in words.
    #[error("{what} Try again in {}.", seconds(*.retry_after_secs))]
    TooFast { what: String, retry_after_secs: u64 },
    /// 403: signed in, but the role lacks the scope, or the thing belongs to another workspace.
    #[error("You do not have permission to {action}.")]
    Forbidden { action: String },
    /// 403: a state-changing request that came from another site.
    #[error("This request came from another site and was refused.")]
    CrossSite,
    /// 404
    #[error("{what} was not found.")]
    NotFound { what: String },
    /// 400: a field failed validation; nothing was changed.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// 409: the change conflicts with what is stored (a duplicate, a lost race).
    #[error("{0}")]
    Conflict(String),
    /// 500: logged in full on the server, answered opaquely.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// 503: a part of Switchboard needed for the request is busy changing hands (the routing
    /// leader between nodes); nothing was changed, and the same request may be tried again.
    #[error("{0}")]
    Unavailable(String),
    /// The request never got an answer from the server (network, decoding).
    #[error("Could not reach Switchboard: {0}")]
    Transport(String),
}

/// "1 second", "5 seconds".
fn seconds(n: u64) -> String {
    if n == 1 {
        "1 second".into()
    } else {
        format!("{n} seconds")
    }
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn forbidden(action: impl Into<String>) -> Self {
        AppError::Forbidden { action: action.into() }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound { what: what.into() }
    }

    /// The HTTP status of each variant, decided here and nowhere else.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::SessionExpired | AppError::InvalidCredentials => 401,
            AppError::TooManyAttempts { .. } | AppError::TooFast { .. } => 429,
            AppError::Forbidden { .. } | AppError::CrossSite => 403,
            AppError::NotFound { .. } => 404,
            AppError::Invalid { .. } => 400,
            AppError::Conflict(_) => 409,
            AppError::Internal => 500,
            AppError::Unavailable(_) => 503,
            AppError::Transport(_) => 502,
        }
    }

    /// Seconds to wait before trying again, for a `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::TooManyAttempts { retry_after_secs } | AppError::TooFast { retry_after_secs, .. } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }

    /// Whether the person has to sign in (again) to go on.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, AppError::Unauthenticated | AppError::SessionExpired)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let status = http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({ "error": self.to_string(), "kind": self });
        let mut res = (status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs() {
            res.headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sign_in_problem_is_a_401_and_asks_to_sign_in_only_when_the_session_is_gone() {
        assert_eq!(AppError::InvalidCredentials.status(), 401);
        assert!(!AppError::InvalidCredentials.needs_sign_in());
        assert!(AppError::SessionExpired.needs_sign_in());
        assert!(AppError::Unauthenticated.needs_sign_in());
    }

    #[test]
    fn waits_are_said_in_words() {
        let one = AppError::TooManyAttempts { retry_after_secs: 1 };
        assert_eq!(one.to_string(), "Too many sign-in attempts. Try again in 1 second.");
        let slow = AppError::TooFast {
            what: "Too many chats were started from your network.".into(),
            retry_after_secs: 40,
        };
        assert_eq!(
            slow.to_string(),
            "Too many chats were started from your network. Try again in 40 seconds."
        );
        assert_eq!(slow.status(), 429);
        assert_eq!(slow.retry_after_secs(), Some(40));
    }

    #[test]
    fn errors_survive_the_trip_through_json() {
        let e = AppError::invalid("email", "is not an email address");
        let back: AppError = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.to_string(), "email: is not an email address");
    }
}
