//! What every server function does on the server: find the signed-in member (which enforces
//! the workspace and the scope), reach the feature's domain service, and turn an error into the
//! response's status. The server crate puts each feature's service into the Leptos context as
//! an `Arc<dyn FeatureApi>`; `serve` and `public` hand it to the server function.

use std::future::Future;
use std::sync::Arc;

use leptos::prelude::*;

use crate::auth::SessionApi;
use crate::{AppError, Me, Scope};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "sb_session";

/// The domain service behind the trait `S` (`dyn CannedApi`, …), from the Leptos context.
pub fn service<S: ?Sized + Send + Sync + 'static>() -> Result<Arc<S>, AppError> {
    use_context::<Arc<S>>().ok_or_else(|| {
        leptos::logging::error!("no {} in the Leptos context", std::any::type_name::<S>());
        AppError::Internal
    })
}

/// The signed-in member, refused unless their role carries `scope`. The returned `Me` carries
/// the workspace that every query behind it is scoped to.
pub async fn signed_in(scope: Option<Scope>, action: &str) -> Result<Me, AppError> {
    let token = session_token().ok_or(AppError::Unauthenticated)?;
    let me = service::<dyn SessionApi>()?.member(&token).await?;
    match scope {
        Some(scope) if !me.can(scope) => Err(AppError::forbidden(action)),
        _ => Ok(me),
    }
}

/// The shape of every server function for members: the signed-in member with `scope` (or
/// refused in words naming `action`), the feature's service `S`, the call, and the response's
/// status set from its error.
pub async fn serve<S, T, F, Fut>(scope: Option<Scope>, action: &str, call: F) -> Result<T, AppError>
where
    S: ?Sized + Send + Sync + 'static,
    F: FnOnce(Arc<S>, Me) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let result = async {
        let me = signed_in(scope, action).await?;
        call(service::<S>()?, me).await
    };
    finish(result.await)
}

/// `serve` for the public server functions (a visitor's widget, an invitation link).
pub async fn public<S, T, F, Fut>(call: F) -> Result<T, AppError>
where
    S: ?Sized + Send + Sync + 'static,
    F: FnOnce(Arc<S>) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let result = async { call(service::<S>()?).await };
    finish(result.await)
}

/// Opens a new session in the browser and goes on to `to`. The cookie outlives the session by a
/// day so that an expired session is recognised and the person told so, instead of looking like
/// they never signed in.
pub fn start_session(sessions: &dyn SessionApi, token: &str, to: &str) {
    set_cookie(session_cookie(
        token,
        sessions.ttl_secs() + 86_400,
        sessions.secure_cookies(),
    ));
    leptos_axum::redirect(to);
}

fn request_parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// The session token from the request's cookie, if any.
pub fn session_token() -> Option<String> {
    session_token_in(&request_parts()?.headers)
}

/// The session token in these request headers, if any.
pub fn session_token_in(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// Who a page request is from, found by the server before the page renders (its middleware
/// puts it in the request's extensions; no session cookie leaves it out).
#[derive(Clone, Debug)]
pub struct SignedIn(pub Result<Me, AppError>);

/// The member a page is rendered for: known before rendering starts, so the console's frame
/// and the page inside it are built exactly once on the server (and so in the browser too).
pub fn page_member() -> Result<Me, AppError> {
    request_parts()
        .and_then(|p| p.extensions.get::<SignedIn>().map(|s| s.0.clone()))
        .unwrap_or(Err(AppError::Unauthenticated))
}

/// The address a request came from: the TCP peer, or the client a trusted proxy forwarded
/// (the server's middleware decides and puts it in the request's extensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// The client's address, for limits and throttling.
pub fn client_addr() -> String {
    client_ip().map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into())
}

pub fn client_ip() -> Option<std::net::IpAddr> {
    request_parts().and_then(|p| {
        p.extensions.get::<ClientAddress>().map(|c| c.0).or_else(|| {
            p.extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip())
        })
    })
}

/// Sets the response status from the error, so HTTP clients see 401/403/… and not 500.
pub fn finish<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
            options
                .set_status(http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR));
            if let Some(secs) = e.retry_after_secs() {
                options.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
        }
    }
    result
}

pub fn set_cookie(value: String) {
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&value),
    ) {
        options.append_header(http::header::SET_COOKIE, value);
    }
}

/// A new password typed twice must be typed the same.
pub fn same_twice(field: &str, password: &str, confirm: &str) -> Result<(), AppError> {
    if password == confirm {
        Ok(())
    } else {
        Err(AppError::invalid(field, "the two passwords differ"))
    }
}

pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Parses a whole number typed into a form field, naming the field when it is not one.
pub fn parse_number(field: &str, value: &str) -> Result<i64, AppError> {
    value.trim().parse::<i64>().map_err(|_| {
        AppError::invalid(
            field,
            format!("must be a whole number, not \u{201c}{}\u{201d}", value.trim()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_field_with_words_in_it_names_the_field() {
        assert_eq!(parse_number("Seats", " 12 ").unwrap(), 12);
        assert_eq!(
            parse_number("Seats", "ten").unwrap_err().to_string(),
            "Seats: must be a whole number, not \u{201c}ten\u{201d}"
        );
    }
}
