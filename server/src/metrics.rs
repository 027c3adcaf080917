//! `/metrics`: Prometheus text for whoever holds the configured `metrics_token`. Today it tells
//! how the database files are kept: the log's size, its checkpoints, the pages written and the
//! messages stored (their ratio is what one message costs the disk).

use std::fmt::Write;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::AppState;

/// Compares two secrets without telling by its timing how much of them matched.
fn same_secret(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| same_secret(g, token.expose())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "/metrics needs the metrics token as a bearer token.",
        )
            .into_response();
    }
    match render(&state).await {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not read the metrics");
            (StatusCode::SERVICE_UNAVAILABLE, "the database does not answer").into_response()
        }
    }
}

async fn render(state: &AppState) -> Result<String, crate::store::StoreError> {
    let store = &state.store;
    let health = store.wal_health();
    let pages = store.pages_written().await?;
    let messages = store.messages_stored().await?;
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: i64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    };
    metric(
        "switchboard_sqlite_wal_bytes",
        "gauge",
        "Size of the write-ahead log file at the last upkeep round.",
        health.wal_bytes.load(Ordering::Relaxed) as i64,
    );
    metric(
        "switchboard_sqlite_checkpoints_complete_total",
        "counter",
        "Upkeep rounds that copied the whole log into the database.",
        health.complete.load(Ordering::Relaxed) as i64,
    );
    metric(
        "switchboard_sqlite_checkpoints_blocked_total",
        "counter",
        "Upkeep rounds whose log was over the restart size and could not be restarted.",
        health.blocked.load(Ordering::Relaxed) as i64,
    );
    metric(
        "switchboard_sqlite_pages_written_total",
        "counter",
        "Database pages the writer connection wrote to the log since the server started.",
        pages,
    );
    metric(
        "switchboard_messages_indexed_total",
        "counter",
        "Messages added to the search index since the server started.",
        health.indexed.load(Ordering::Relaxed) as i64,
    );
    metric(
        "switchboard_messages_stored",
        "gauge",
        "Messages stored in the database (the highest message id).",
        messages,
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_equal_only_when_equal() {
        assert!(super::same_secret("0123456789abcdef", "0123456789abcdef"));
        assert!(!super::same_secret("0123456789abcdeX", "0123456789abcdef"));
        assert!(!super::same_secret("", "0123456789abcdef"));
    }
}
