//! The HTTP surface: health probes, the refusal of cross-site writes, security headers, and the
//! Leptos pages and server functions, merged in one router.

use std::sync::OnceLock;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::services::{ServeDir, ServeFile};

use app::auth::SessionApi;
use app::AppError;

use crate::AppState;

/// The pages' routes, generated once per process. Generating them runs the app with a switch,
/// global to the process, that holds back every resource first polled meanwhile for good
/// (leptos#4773): a page rendering on another server of the same process — the tests run many
/// — would never answer.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let services = state.services.clone();
    let leptos_options = state.leptos.clone();
    let site_root = std::path::Path::new(state.leptos.site_root.as_ref());
    // The site's code and the widget loader are served with the whole request, so a browser
    // revalidating its copy gets a 304, and as the .br/.gz files a release build leaves beside
    // them when the browser accepts those (see `revalidate_site_files`).
    let pkg = ServeDir::new(site_root.join(state.leptos.site_pkg_dir.as_ref()))
        .precompressed_br()
        .precompressed_gzip();
    let widget = ServeFile::new(site_root.join("widget.js"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/ws/visitor", get(crate::sockets::visitor))
        .route("/ws/operator", get(crate::sockets::operator))
        .merge(crate::attachments::router())
        .merge(crate::channels::sms::router())
        .merge(crate::channels::email::router())
        .merge(crate::contacts::router())
        .merge(crate::reports::router())
        .nest("/api/v1", crate::api::router())
        .nest_service(&format!("/{}", state.leptos.site_pkg_dir), pkg)
        .route_service("/widget.js", widget)
        .leptos_routes_with_context(
            &state,
            routes,
            move || services.provide(),
            move || app::shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        .layer(middleware::from_fn(refuse_cross_site_writes))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(middleware::from_fn(revalidate_site_files))
        .layer(middleware::from_fn_with_state(state.clone(), page_member))
        .layer(middleware::from_fn_with_state(state.clone(), client_address))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Notes who a page request is from (`SignedIn`) before the page renders, so the console is
/// rendered once for a known member. Only requests for pages: a GET that is not for the
/// site's files (a name with an extension), a socket, a probe or a server function.
async fn page_member(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    const NOT_PAGES: [&str; 10] = [
        "/api/",
        "/pkg/",
        "/ws/",
        "/attachments/",
        "/webhooks/",
        "/ingest/",
        "/widget",
        "/healthz",
        "/readyz",
        "/metrics",
    ];
    let path = req.uri().path();
    let a_file = path.rsplit('/').next().is_some_and(|name| name.contains('.'));
    if req.method() == Method::GET && !a_file && !NOT_PAGES.iter().any(|p| path.starts_with(p)) {
        if let Some(token) = app::service::session_token_in(req.headers()) {
            let me = state.sessions.member(&token).await;
            if me.is_ok() {
                // Opening a page is the person doing something.
                state.sessions.touch(&token).await;
            }
            req.extensions_mut().insert(app::service::SignedIn(me));
        }
    }
    next.run(req).await
}

/// Notes whose request it is (`ClientAddress`, for limits and throttling): the TCP peer, or
/// behind a trusted proxy the client it forwarded (see `limits::TrustedProxies`).
async fn client_address(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let client = state.config.trusted_proxies.client(peer, forwarded);
        req.extensions_mut().insert(app::service::ClientAddress(client));
    }
    next.run(req).await
}

/// Logs each request once it is answered (target `switchboard::http`): method, path (never the
/// query, which may carry a file link's signature), status and time taken. A WebSocket is
/// logged when it is upgraded.
async fn log_request(req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    crate::metrics::COUNTERS.request(&path, status);
    if status >= 500 {
        tracing::warn!(target: "switchboard::http", %method, path, status, ms, "request");
    } else {
        tracing::info!(target: "switchboard::http", %method, path, status, ms, "request");
    }
    response
}

/// The signed-in member behind a request's session cookie (for the few routes that are not
/// server functions: downloads).
pub(crate) async fn session_member(state: &AppState, headers: &axum::http::HeaderMap) -> Result<app::Me, AppError> {
    let token = app::service::session_token_in(headers).ok_or(AppError::Unauthenticated)?;
    state.sessions.member(&token).await
}

/// A file to download: its type, its name, and never kept by a cache.
pub(crate) fn download(content_type: &str, file_name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers, and with several nodes, the bus between them
/// is connected.
async fn readyz(State(state): State<AppState>) -> Response {
    if state.conversations.hub().bus_connected() == Some(false) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the bus to the other nodes is not connected",
        )
            .into_response();
    }
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "the database does not answer").into_response()
        }
    }
}

/// Refuses state-changing requests that a browser says come from another site, so a page
/// elsewhere cannot act with a member's cookie. Non-browser clients send neither header.
/// The operator socket counts as state-changing although it opens with a GET: a page on
/// another site could otherwise open it with the member's cookie and read their inbox.
async fn refuse_cross_site_writes(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let member_socket = req.uri().path() == "/ws/operator";
    if (!safe || member_socket) && is_cross_site(req.headers()) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return AppError::CrossSite.into_response();
    }
    next.run(req).await
}

fn is_cross_site(headers: &axum::http::HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// The site's code (`/pkg/`: the WASM, its chunks, JS and CSS) and the widget loader keep their
/// names from one release to the next, so browsers must ask whether they changed before using
/// a cached copy (an unchanged file costs a 304): otherwise, after an upgrade, a browser could
/// join a new main module to an old chunk.
async fn revalidate_site_files(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let site_file = path.starts_with("/pkg/") || path == "/widget.js";
    let mut res = next.run(req).await;
    if site_file && res.status().is_success() {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    res
}

/// The Content-Security-Policy of a page: scripts only from this site (and the page's own
/// inline scripts, by their nonce), WebAssembly compiled, connections only to this site (its
/// sockets included), no plugins, no foreign forms or base URLs, and who may frame it.
fn content_security_policy(nonce: Option<&str>, frame_ancestors: &str) -> String {
    let scripts = match nonce {
        Some(n) => format!("'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_string(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

/// Security headers on every response. The chat page is made to be framed by customers' sites;
/// everything else refuses framing. Behind https, browsers are told to use nothing else.
async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // The chat page may be framed by the sites its channel lists (any site when none).
    let embeddable = match req.uri().path().strip_prefix("/chat/") {
        Some(key) => Some(match state.store.channel_by_key(key.trim_end_matches('/')).await {
            Ok(Some(c)) if c.sites().is_empty() => "*".to_string(),
            Ok(Some(c)) => format!("'self' {}", c.sites().join(" ")),
            _ => "'none'".to_string(),
        }),
        None => None,
    };
    let attachment = req.uri().path().starts_with("/attachments/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let nonce = h
        .remove(app::SCRIPT_NONCE_HEADER)
        .and_then(|v| v.to_str().ok().map(str::to_string));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if state.config.secure_cookies() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    let policy = if attachment {
        // A file is never a page of ours: nothing in it runs, even if a browser renders it.
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'".to_string()
    } else if let Some(frame_ancestors) = embeddable {
        content_security_policy(nonce.as_deref(), &frame_ancestors)
    } else {
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        content_security_policy(nonce.as_deref(), "'none'")
    };
    if let Ok(v) = HeaderValue::from_str(&policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn requests_from_other_sites_are_cross_site() {
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(is_cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "chat.example.com")
        ])));
    }

    #[test]
    fn same_origin_and_non_browser_requests_pass() {
        assert!(!is_cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!is_cross_site(&headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!is_cross_site(&headers(&[])));
    }
}
