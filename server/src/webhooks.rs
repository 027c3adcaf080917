//! Outbound webhooks: admins register URLs for events; the sender posts each delivery queued in
//! the database (`store::webhooks`), signed, retries a failure with backoff, and turns off an
//! endpoint that keeps failing, telling the workspace's admins.
//!
//! A delivery is a JSON body with these headers:
//! - `Switchboard-Event`: the event (`message.created`, …, or `ping` for a test);
//! - `Switchboard-Delivery`: the delivery's id (the same on every retry, for deduplication);
//! - `Switchboard-Timestamp`: Unix seconds when it was signed;
//! - `Switchboard-Signature`: `v1=` and the hex HMAC-SHA256, keyed with the endpoint's secret,
//!   of the timestamp, a `.`, and the body exactly as sent.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::Notify;

use app::integrations::{WebhookDeliveryView, WebhookView, WEBHOOK_EVENTS};
use app::{AppError, Me, Scope};

use crate::store::webhooks::{Attempt, DueDelivery, WebhookRecord};
use crate::store::workspaces::AuditEntry;
use crate::store::{now_ms, Store};

/// How deliveries are retried and when an endpoint is turned off (settings `webhook_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// The wait before the first retry; each later one waits twice as long, up to an hour.
    pub first_retry: Duration,
    /// Failed attempts in a row after which the endpoint is turned off.
    pub disable_after: i64,
    /// Whether loopback, private and link-local addresses may be called.
    pub allow_private: bool,
}

/// Attempts per delivery before it is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// The longest wait between attempts.
const MAX_WAIT: Duration = Duration::from_secs(3600);

/// How long an endpoint has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How much of an endpoint's answer the log keeps.
const KEPT_BODY: usize = 500;

/// The wait before attempt `attempts + 1`, after `attempts` failed ones.
pub fn backoff(first: Duration, attempts: i64) -> Duration {
    let factor = 2u32.saturating_pow(attempts.clamp(1, 31) as u32 - 1);
    first.saturating_mul(factor).min(MAX_WAIT)
}

/// `v1=` and the hex HMAC-SHA256 of `timestamp.body` keyed with `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("v1={hex}")
}

/// An address a workspace admin must not point Switchboard at unless the operator allows it.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                // Carrier-grade NAT (100.64.0.0/10), often a cloud's internal network.
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => v6.is_loopback() || v6.is_unspecified() || v6.is_unique_local() || v6.is_unicast_link_local(),
        },
    }
}

/// Checks an endpoint's URL as an admin types it: http(s), a host, and (unless allowed) not an
/// address inside the server's network.
pub fn check_url(url: &str, allow_private: bool) -> Result<String, AppError> {
    let url = url.trim();
    let parsed = url::Url::parse(url).map_err(|_| AppError::invalid("URL", "is not a web address"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(AppError::invalid("URL", "must start with https:// or http://"));
    }
    let Some(host) = parsed.host() else {
        return Err(AppError::invalid("URL", "has no host"));
    };
    if url.len() > 2000 {
        return Err(AppError::invalid("URL", "must be at most 2000 characters"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(AppError::invalid("URL", "must not carry a user name or password"));
    }
    if !allow_private {
        let private = match host {
            url::Host::Ipv4(ip) => is_private(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => is_private(IpAddr::V6(ip)),
            url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost"),
        };
        if private {
            return Err(AppError::invalid(
                "URL",
                "points inside this server's network; use an address reachable on the internet",
            ));
        }
    }
    Ok(url.to_string())
}

/// Where a URL's host resolves must not be inside the network either (checked before each
/// attempt, since a name can change what it points to).
async fn check_destination(url: &str, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    let host = parsed.host_str().ok_or("no host")?;
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("could not resolve {host}: {e}"))?;
    for addr in addrs {
        if is_private(addr.ip()) {
            return Err(format!(
                "{host} resolves to {}, inside this server's network",
                addr.ip()
            ));
        }
    }
    Ok(())
}

fn view(r: WebhookRecord) -> WebhookView {
    WebhookView {
        id: r.id,
        url: r.url,
        events: r.events.split_whitespace().map(str::to_string).collect(),
        secret: r.secret,
        enabled: r.enabled,
        disabled_reason: r.disabled_reason,
        consecutive_failures: r.consecutive_failures,
        created_at: r.created_at,
    }
}

/// The admins' side: endpoints, their logs, test events.
pub struct Webhooks {
    store: Store,
    policy: WebhookPolicy,
    /// Wakes the sender (a test event should go at once).
    wake: Arc<Notify>,
}

impl Webhooks {
    pub fn new(store: Store, policy: WebhookPolicy, wake: Arc<Notify>) -> Self {
        Webhooks { store, policy, wake }
    }

    async fn find(&self, me: &Me, id: i64) -> Result<WebhookRecord, AppError> {
        self.store
            .webhooks(me.workspace_id, Some(id))
            .await?
            .pop()
            .ok_or_else(|| AppError::not_found("That webhook"))
    }
}

fn require_admin(me: &Me) -> Result<(), AppError> {
    if me.can(Scope::SettingsWrite) {
        Ok(())
    } else {
        Err(AppError::forbidden("manage webhooks"))
    }
}

#[async_trait::async_trait]
impl app::integrations::WebhooksApi for Webhooks {
    async fn list(&self, me: &Me) -> Result<Vec<WebhookView>, AppError> {
        require_admin(me)?;
        Ok(self
            .store
            .webhooks(me.workspace_id, None)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    async fn save(&self, me: &Me, id: Option<i64>, url: &str, events: &[String]) -> Result<WebhookView, AppError> {
        require_admin(me)?;
        let url = check_url(url, self.policy.allow_private)?;
        if events.is_empty() {
            return Err(AppError::invalid("Events", "choose at least one event to send"));
        }
        if let Some(unknown) = events
            .iter()
            .find(|e| !WEBHOOK_EVENTS.iter().any(|(name, _)| name == e))
        {
            return Err(AppError::invalid("Events", format!("“{unknown}” is not an event")));
        }
        let mut events: Vec<&str> = events.iter().map(String::as_str).collect();
        events.sort_unstable();
        events.dedup();
        let events = events.join(" ");
        let (id, action) = match id {
            Some(id) => {
                let before = self.find(me, id).await?;
                self.store
                    .update_webhook(me.workspace_id, before.id, &url, &events)
                    .await?;
                (id, "webhook.updated")
            }
            None => {
                if self.store.webhooks(me.workspace_id, None).await?.len() >= 20 {
                    return Err(AppError::invalid("URL", "a workspace has at most 20 webhooks"));
                }
                let secret = format!("whsec_{}", crate::auth::new_token());
                (
                    self.store
                        .create_webhook(me.workspace_id, &url, &events, &secret)
                        .await?,
                    "webhook.created",
                )
            }
        };
        self.store
            .audit(AuditEntry {
                after: Some(serde_json::json!({ "url": url, "events": events })),
                ..AuditEntry::by(me, action, &format!("webhook {url}"))
            })
            .await;
        Ok(view(self.find(me, id).await?))
    }

    async fn set_enabled(&self, me: &Me, id: i64, enabled: bool) -> Result<WebhookView, AppError> {
        require_admin(me)?;
        let hook = self.find(me, id).await?;
        self.store.set_webhook_enabled(me.workspace_id, id, enabled).await?;
        let action = if enabled { "webhook.enabled" } else { "webhook.disabled" };
        self.store
            .audit(AuditEntry::by(me, action, &format!("webhook {}", hook.url)))
            .await;
        if enabled {
            self.wake.notify_one();
        }
        Ok(view(self.find(me, id).await?))
    }

    async fn delete(&self, me: &Me, id: i64) -> Result<(), AppError> {
        require_admin(me)?;
        let hook = self.find(me, id).await?;
        self.store.delete_webhook(me.workspace_id, id).await?;
        self.store
            .audit(AuditEntry::by(me, "webhook.deleted", &format!("webhook {}", hook.url)))
            .await;
        Ok(())
    }

    async fn test(&self, me: &Me, id: i64) -> Result<WebhookDeliveryView, AppError> {
        require_admin(me)?;
        let hook = self.find(me, id).await?;
        if !hook.enabled {
            return Err(AppError::Conflict(
                "This webhook is off; turn it on to send it events.".into(),
            ));
        }
        let delivery = self.store.enqueue_ping(&hook).await?;
        self.wake.notify_one();
        self.store
            .webhook_deliveries(id, 50)
            .await?
            .into_iter()
            .find(|d| d.id == delivery)
            .ok_or(AppError::Internal)
    }

    async fn deliveries(&self, me: &Me, id: i64) -> Result<Vec<WebhookDeliveryView>, AppError> {
        require_admin(me)?;
        let hook = self.find(me, id).await?;
        Ok(self.store.webhook_deliveries(hook.id, 50).await?)
    }
}

/// The sender: posts due deliveries, records each attempt, and tells admins when it turns an
/// endpoint off.
pub struct Sender {
    pub store: Store,
    pub policy: WebhookPolicy,
    pub wake: Arc<Notify>,
    pub mailer: Option<crate::mail::Mailer>,
    pub public_url: String,
    /// With several nodes, only the routing leader sends (each endpoint's deliveries in order).
    pub cluster: Arc<crate::cluster::Cluster>,
}

impl Sender {
    pub async fn run(self) {
        let http = match reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            // A redirect could lead inside the network: an endpoint must answer itself.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Switchboard-Webhooks/1")
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "could not make the webhook sender's HTTP client");
                return;
            }
        };
        let this = Arc::new(self);
        loop {
            if !this.cluster.leads() {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            let due = match this.store.due_webhook_deliveries(now_ms(), 32).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the webhook queue");
                    Vec::new()
                }
            };
            if due.is_empty() {
                // Deliveries are queued by the transactions that make the changes; a look twice
                // a second finds them (a test event wakes the sender at once).
                tokio::select! {
                    _ = this.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
                continue;
            }
            // Endpoints in parallel; one endpoint's deliveries one at a time, in order, so that
            // one which fails is not sent more once it is turned off.
            let mut by_endpoint: std::collections::BTreeMap<i64, Vec<DueDelivery>> = Default::default();
            for d in due {
                by_endpoint.entry(d.webhook_id).or_default().push(d);
            }
            let sends = by_endpoint.into_values().map(|queue| {
                let this = this.clone();
                let http = http.clone();
                async move {
                    for d in queue {
                        if this.send(&http, d).await {
                            break;
                        }
                    }
                }
            });
            futures_util::future::join_all(sends).await;
        }
    }

    /// Makes one attempt; true when it turned the endpoint off.
    async fn send(&self, http: &reqwest::Client, d: DueDelivery) -> bool {
        let timestamp = now_ms() / 1000;
        let outcome = match check_destination(&d.url, self.policy.allow_private).await {
            Err(why) => Err((None, None, why)),
            Ok(()) => {
                let sent = http
                    .post(&d.url)
                    .header("content-type", "application/json")
                    .header("switchboard-event", &d.event)
                    .header("switchboard-delivery", d.id.to_string())
                    .header("switchboard-timestamp", timestamp.to_string())
                    .header("switchboard-signature", signature(&d.secret, timestamp, &d.payload))
                    .body(d.payload.clone())
                    .send()
                    .await;
                match sent {
                    Err(e) => Err((None, None, format!("could not reach the endpoint: {e}"))),
                    Ok(res) => {
                        let status = res.status().as_u16();
                        let body: String = res.text().await.unwrap_or_default().chars().take(KEPT_BODY).collect();
                        if (200..300).contains(&status) {
                            Ok((status, body))
                        } else {
                            Err((Some(status), Some(body), format!("the endpoint answered HTTP {status}")))
                        }
                    }
                }
            }
        };
        crate::metrics::COUNTERS.webhook(outcome.is_ok());
        let attempt = match &outcome {
            Ok((status, body)) => Attempt::Delivered { status: *status, body },
            Err((status, body, error)) => Attempt::Failed {
                status: *status,
                body: body.as_deref(),
                error,
                retry_at: (d.attempts + 1 < MAX_ATTEMPTS)
                    .then(|| now_ms() + backoff(self.policy.first_retry, d.attempts + 1).as_millis() as i64),
            },
        };
        let reason = match &outcome {
            Ok(_) => String::new(),
            Err((_, _, error)) => format!(
                "Turned off after {} failed attempts in a row; the last: {error}.",
                self.policy.disable_after
            ),
        };
        match self
            .store
            .record_webhook_attempt(&d, attempt, self.policy.disable_after, &reason)
            .await
        {
            Ok(true) => {
                self.turned_off(&d, &reason).await;
                true
            }
            Ok(false) => false,
            Err(e) => {
                tracing::error!(error = %e, delivery = d.id, "could not record a webhook attempt");
                false
            }
        }
    }

    /// Tells the workspace: the audit log, the server's log, and its admins by e-mail.
    async fn turned_off(&self, d: &DueDelivery, reason: &str) {
        tracing::warn!(webhook = d.webhook_id, url = %d.url, reason, "webhook turned off");
        self.store
            .audit(AuditEntry {
                workspace_id: d.workspace_id,
                actor_id: None,
                action: "webhook.disabled",
                target: &format!("webhook {}", d.url),
                before: None,
                after: Some(serde_json::json!({ "reason": reason })),
            })
            .await;
        let Some(mailer) = &self.mailer else { return };
        let admins = match self.store.list_members(d.workspace_id).await {
            Ok(members) => members,
            Err(e) => {
                tracing::warn!(error = %e, "could not list the admins to tell of a webhook turned off");
                return;
            }
        };
        let body = format!(
            "Switchboard turned off the webhook to {url}.\n\n{reason}\n\nWhen the endpoint works again, turn it back on in Integrations: {site}/integrations\n",
            url = d.url,
            site = self.public_url.trim_end_matches('/'),
        );
        for admin in admins
            .iter()
            .filter(|m| m.active && !m.invited && m.role.has(Scope::SettingsWrite))
        {
            if let Err(e) = mailer
                .send(&admin.name, &admin.email, "A webhook was turned off", &body)
                .await
            {
                tracing::warn!(error = %e, "could not e-mail an admin about a webhook turned off");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_an_hour() {
        let first = Duration::from_secs(10);
        assert_eq!(backoff(first, 1), Duration::from_secs(10));
        assert_eq!(backoff(first, 2), Duration::from_secs(20));
        assert_eq!(backoff(first, 4), Duration::from_secs(80));
        assert_eq!(backoff(first, 30), MAX_WAIT);
    }

    #[test]
    fn the_signature_is_the_hmac_of_the_timestamp_and_the_body() {
        // Computed independently: printf '1700000000.{"event":"ping"}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature("whsec_test", 1_700_000_000, r#"{"event":"ping"}"#),
            "v1=aa8efe37b751e71157c508c5ac4acb1e9fe5225db98355dfc00f4b680afbc447"
        );
    }

    #[test]
    fn addresses_inside_the_network_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://10.1.2.3/hook",
            "http://192.168.0.10/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
            "http://[::ffff:10.0.0.1]/hook",
            "http://100.64.0.1/hook",
        ] {
            assert!(check_url(url, false).is_err(), "{url}");
            assert!(check_url(url, true).is_ok(), "{url} when allowed");
        }
        assert!(check_url("https://hooks.example.com/switchboard", false).is_ok());
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("https://user:pw@example.com/", true).is_err());
        assert!(check_url("not a url", true).is_err());
    }
}
