//! Errors as `application/problem+json` (RFC 9457): a type per kind of problem, the HTTP
//! status, a title, the detail in words, and for invalid input the field at fault.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use app::AppError;

/// A problem with the request, or on Switchboard's side.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Identifies the kind of problem (`/api/v1/docs#problem-invalid`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The kind of problem in a few words.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, in words for a person.
    pub detail: String,
    /// The field (body property, query parameter or header) at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before trying again (also sent as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// The kinds of problem, as the docs page lists them: (slug, title, what it means).
pub const KINDS: [(&str, &str, &str); 8] = [
    (
        "unauthenticated",
        "Not authenticated",
        "No API token was sent, or the token is unknown or revoked.",
    ),
    (
        "forbidden",
        "Not allowed",
        "The token's scopes, or its member's role, do not include this.",
    ),
    (
        "not-found",
        "Not found",
        "Nothing with that id in the token's workspace that its member may see.",
    ),
    (
        "invalid",
        "Invalid request",
        "A field is missing or has a value that is not accepted; `field` names it.",
    ),
    (
        "conflict",
        "Conflict",
        "The request does not fit the current state (a resolved conversation, a reused key).",
    ),
    (
        "rate-limited",
        "Too many requests",
        "The token is over its rate limit; wait `retry_after` seconds.",
    ),
    (
        "internal",
        "Internal error",
        "Something failed on Switchboard's side; the request may be retried.",
    ),
    (
        "unavailable",
        "Unavailable",
        "A service Switchboard depends on did not answer.",
    ),
];

fn kind_of(e: &AppError) -> &'static str {
    match e {
        AppError::Unauthenticated | AppError::SessionExpired | AppError::InvalidCredentials => "unauthenticated",
        AppError::Forbidden { .. } | AppError::CrossSite => "forbidden",
        AppError::NotFound { .. } => "not-found",
        AppError::Invalid { .. } => "invalid",
        AppError::Conflict(_) => "conflict",
        AppError::TooManyAttempts { .. } | AppError::TooFast { .. } => "rate-limited",
        AppError::Internal => "internal",
        AppError::Transport(_) | AppError::Unavailable(_) => "unavailable",
    }
}

impl Problem {
    /// 401 with the reason in words.
    pub fn unauthenticated(detail: &str) -> Problem {
        Problem {
            detail: detail.to_string(),
            ..Problem::from(AppError::Unauthenticated)
        }
    }

    /// 400 for a body that could not be read as the JSON expected (serde's words name the
    /// field: "missing field `body`", "unknown variant `x`, expected one of …").
    pub fn invalid_body(why: &str) -> Problem {
        let field = why
            .split('`')
            .nth(1)
            .filter(|_| why.contains("field `"))
            .unwrap_or("body")
            .to_string();
        let detail = why
            .strip_prefix("Failed to deserialize the JSON body into the target type: ")
            .or_else(|| why.strip_prefix("Failed to parse the request body as JSON: "))
            .unwrap_or(why);
        Problem::from(AppError::invalid(field, detail))
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The problem as its JSON document.
    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Problem {
        let kind = kind_of(&e);
        let title = KINDS
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map(|(_, t, _)| *t)
            .unwrap_or("Problem");
        let (field, detail) = match &e {
            AppError::Invalid { field, message } => (Some(field.clone()), format!("{field}: {message}")),
            other => (None, other.to_string()),
        };
        Problem {
            kind: format!("/api/v1/docs#problem-{kind}"),
            title: title.to_string(),
            status: e.status(),
            detail,
            field,
            retry_after: e.retry_after_secs(),
        }
    }
}

impl From<crate::store::StoreError> for Problem {
    fn from(e: crate::store::StoreError) -> Problem {
        Problem::from(AppError::from(e))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut res = (self.status(), self.body()).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == 401 {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"switchboard\""),
            );
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_field_is_named_and_said_in_words() {
        let p = Problem::from(AppError::invalid("email", "is not an e-mail address"));
        assert_eq!(p.status, 400);
        assert_eq!(p.field.as_deref(), Some("email"));
        assert_eq!(p.kind, "/api/v1/docs#problem-invalid");
        assert_eq!(p.detail, "email: is not an e-mail address");
    }

    #[test]
    fn serde_s_complaint_names_the_missing_field() {
        let p = Problem::invalid_body(
            "Failed to deserialize the JSON body into the target type: missing field `body` at line 1 column 2",
        );
        assert_eq!(p.field.as_deref(), Some("body"));
        assert!(p.detail.starts_with("body: missing field"), "{}", p.detail);
        let p = Problem::invalid_body("Failed to parse the request body as JSON: EOF while parsing");
        assert_eq!(p.field.as_deref(), Some("body"));
    }

    #[test]
    fn every_kind_of_error_has_a_documented_kind() {
        for e in [
            AppError::Unauthenticated,
            AppError::forbidden("x"),
            AppError::not_found("x"),
            AppError::invalid("a", "b"),
            AppError::Conflict("c".into()),
            AppError::TooFast {
                what: "w".into(),
                retry_after_secs: 3,
            },
            AppError::Internal,
            AppError::Transport("t".into()),
            AppError::Unavailable("u".into()),
        ] {
            let kind = kind_of(&e);
            assert!(KINDS.iter().any(|(k, _, _)| *k == kind), "{kind}");
        }
    }
}
