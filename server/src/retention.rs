//! What is kept, and for how long: files past the retention period and uploads never sent
//! (`attachments::remove_expired`), and visitors who opened a chat and never wrote, once the
//! token that could bring them back has expired. Checked at start and then hourly, by the node
//! that leads routing when there are several (they share the database and the files).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cluster::Cluster;
use crate::store::{now_ms, Store, StoreError};

/// Deletes the visitors who opened a chat before their token's lifetime (`token_secs`) ago
/// and never wrote: nobody can come back as them. Returns how many.
pub async fn forget_silent_visitors(store: &Store, token_secs: i64, now: i64) -> Result<u64, StoreError> {
    const BATCH: i64 = 1000;
    let before = now - token_secs * 1000;
    let mut total = 0;
    loop {
        let n = store.forget_silent_visitors(before, BATCH).await?;
        total += n;
        if (n as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// What the tidying needs to know.
pub struct Policy {
    pub data_dir: PathBuf,
    pub attachment_retention_days: u32,
    pub visitor_token_secs: i64,
}

/// Tidies now and then every `every`, for as long as the process runs, while this node leads.
pub async fn tidy_every(store: Store, policy: Policy, every: Duration, cluster: Arc<Cluster>) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        if !cluster.leads() {
            continue;
        }
        let now = now_ms();
        match crate::attachments::remove_expired(&store, &policy.data_dir, policy.attachment_retention_days, now).await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "deleted expired files"),
            Err(e) => tracing::warn!(error = %e, "could not delete expired files"),
        }
        match forget_silent_visitors(&store, policy.visitor_token_secs, now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(visitors = n, "forgot visitors who never wrote"),
            Err(e) => tracing::warn!(error = %e, "could not forget visitors who never wrote"),
        }
        // An API client retries a request within minutes; a day is plenty.
        if let Err(e) = store.forget_idempotency_keys(now - 24 * 3600 * 1000).await {
            tracing::warn!(error = %e, "could not forget old idempotency keys");
        }
    }
}
