//! Limits on how often one client may ask for what costs Switchboard and its operators the
//! most: starting chats (each adds a contact), visitors' messages (each may call a paid
//! assistant) and visitors' uploads (each takes disk). Rates are kept per key by `governor`
//! (GCRA: a burst of N at once, then one more every period/N), so a client that slows down
//! gets its allowance back gradually. Over a limit nothing is stored: HTTP answers 429 with
//! `Retry-After`, a socket answers an error frame that says when to try again.
//!
//! Whose request it is: the TCP peer's address, unless the peer is a trusted proxy
//! (`trusted_proxies`); then the nearest address in `X-Forwarded-For`, read from the right,
//! that is not one. Only that setting decides when the header is believed: a client that
//! sends the header itself straight to Switchboard changes nothing.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use app::AppError;

/// The reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Addresses or networks, separated by commas or spaces: `10.0.0.0/8, 192.168.1.2, ::1`.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{s}` is not an address or a network like 10.0.0.0/8"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address for a request from `peer` carrying these `X-Forwarded-For`
    /// values (in the order the headers came).
    pub fn client<'a>(&self, peer: IpAddr, forwarded_for: impl DoubleEndedIterator<Item = &'a str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for value in forwarded_for.rev() {
            for hop in value.rsplit(',') {
                let Some(ip) = hop_address(hop) else {
                    // Something the proxy did not write: the last address it vouched for.
                    return client;
                };
                client = ip;
                if !self.trusts(ip) {
                    return ip;
                }
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`[::1]:80`, `1.2.3.4:80`).
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// How much of each is allowed (the configuration's `*_per_minute` / `*_per_hour` settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitSettings {
    /// Chats started (visitor tokens issued) per client address.
    pub chat_starts_per_minute: u32,
    /// Messages per visitor.
    pub visitor_messages_per_minute: u32,
    /// Files uploaded per visitor.
    pub visitor_uploads_per_hour: u32,
    /// Chat sockets open at once per client address.
    pub visitor_sockets_per_address: u32,
    /// Console sockets (tabs) open at once per member.
    pub member_sockets: u32,
    /// REST API requests per token.
    pub api_requests_per_minute: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            chat_starts_per_minute: 30,
            visitor_messages_per_minute: 30,
            visitor_uploads_per_hour: 30,
            visitor_sockets_per_address: 100,
            member_sockets: 20,
            api_requests_per_minute: 600,
        }
    }
}

/// The running limits, shared by every request and socket.
pub struct Limits {
    chat_starts: DefaultKeyedRateLimiter<IpAddr>,
    visitor_messages: DefaultKeyedRateLimiter<i64>,
    visitor_uploads: DefaultKeyedRateLimiter<i64>,
    api_requests: DefaultKeyedRateLimiter<i64>,
    /// Password reset e-mails per address asked for, and asks per client.
    reset_addresses: DefaultKeyedRateLimiter<String>,
    reset_clients: DefaultKeyedRateLimiter<IpAddr>,
    /// Open chat sockets per client address, console sockets per member (counts, not rates).
    visitor_sockets: Arc<OpenCount<IpAddr>>,
    member_sockets: Arc<OpenCount<i64>>,
}

/// How many of something are open at once per key, up to `max`.
pub struct OpenCount<K: Hash + Eq + Clone> {
    open: Mutex<HashMap<K, u32>>,
    max: u32,
}

impl<K: Hash + Eq + Clone> OpenCount<K> {
    /// How many are open now, all keys together.
    fn total(&self) -> u64 {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|n| u64::from(*n))
            .sum()
    }

    fn new(max: u32) -> Arc<Self> {
        Arc::new(OpenCount {
            open: Mutex::new(HashMap::new()),
            max: max.max(1),
        })
    }

    /// One more for `key`, unless it has `max` open; its place comes back when the permit drops.
    fn open(self: &Arc<Self>, key: K) -> Option<Permit<K>> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(key.clone()).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Permit {
            count: self.clone(),
            key,
        })
    }

    fn count(&self, key: &K) -> u32 {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

/// Reset e-mails one address may be sent per hour, whoever asks.
const RESETS_PER_ADDRESS_PER_HOUR: u32 = 3;
/// Resets one client may ask for per hour, whatever the addresses.
const RESETS_PER_CLIENT_PER_HOUR: u32 = 10;

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Limits {
    pub fn new(s: LimitSettings) -> Self {
        Limits {
            chat_starts: RateLimiter::keyed(Quota::per_minute(at_least_one(s.chat_starts_per_minute))),
            visitor_messages: RateLimiter::keyed(Quota::per_minute(at_least_one(s.visitor_messages_per_minute))),
            visitor_uploads: RateLimiter::keyed(Quota::per_hour(at_least_one(s.visitor_uploads_per_hour))),
            api_requests: RateLimiter::keyed(Quota::per_minute(at_least_one(s.api_requests_per_minute))),
            reset_addresses: RateLimiter::keyed(Quota::per_hour(at_least_one(RESETS_PER_ADDRESS_PER_HOUR))),
            reset_clients: RateLimiter::keyed(Quota::per_hour(at_least_one(RESETS_PER_CLIENT_PER_HOUR))),
            visitor_sockets: OpenCount::new(s.visitor_sockets_per_address),
            member_sockets: OpenCount::new(s.member_sockets),
        }
    }

    /// A chat socket from this address, refused while it has as many open as allowed; the
    /// permit gives its place back when dropped (the socket closed).
    pub fn open_visitor_socket(&self, client: IpAddr) -> Result<Permit<IpAddr>, AppError> {
        self.visitor_sockets.open(client).ok_or_else(|| AppError::TooFast {
            what: "Too many chats are open from your network.".into(),
            retry_after_secs: 30,
        })
    }

    /// Chat sockets open now from this address.
    pub fn visitor_sockets_from(&self, client: IpAddr) -> u32 {
        self.visitor_sockets.count(&client)
    }

    /// A console socket (a tab) of this member, refused while they have as many open as
    /// allowed.
    /// WebSockets open now: visitors', members'.
    pub fn open_sockets(&self) -> (u64, u64) {
        (self.visitor_sockets.total(), self.member_sockets.total())
    }

    pub fn open_member_socket(&self, member_id: i64) -> Result<Permit<i64>, AppError> {
        self.member_sockets.open(member_id).ok_or_else(|| AppError::TooFast {
            what: "Switchboard is open in too many tabs; close one.".into(),
            retry_after_secs: 30,
        })
    }

    /// One more password reset asked for `email` by `client`: a client may ask for a few
    /// addresses, an address gets a few e-mails an hour whoever asks.
    pub fn reset_request(&self, email: &str, client: Option<IpAddr>) -> Result<(), AppError> {
        let what = "Too many password resets were asked for.";
        if let Some(client) = client {
            check(&self.reset_clients, &client, what)?;
        }
        check(&self.reset_addresses, &email.to_string(), what)
    }

    /// A new chat (a visitor token, a contact) from this address.
    pub fn start_chat(&self, client: IpAddr) -> Result<(), AppError> {
        check(
            &self.chat_starts,
            &client,
            "Too many chats were started from your network.",
        )
    }

    /// One more message from this visitor (contact).
    pub fn visitor_message(&self, contact: i64) -> Result<(), AppError> {
        check(
            &self.visitor_messages,
            &contact,
            "You are sending messages faster than this chat accepts them.",
        )
    }

    /// One more file from this visitor (contact).
    pub fn visitor_upload(&self, contact: i64) -> Result<(), AppError> {
        check(
            &self.visitor_uploads,
            &contact,
            "You have sent as many files as this chat accepts for now.",
        )
    }

    /// One more REST API request with this token.
    pub fn api_request(&self, token_id: i64) -> Result<(), AppError> {
        check(
            &self.api_requests,
            &token_id,
            "This API token is making requests faster than its limit allows.",
        )
    }

    /// Forgets the keys whose allowance is whole again, so memory follows the clients of the
    /// last minutes, not of all time.
    pub fn forget_idle(&self) {
        self.chat_starts.retain_recent();
        self.visitor_messages.retain_recent();
        self.visitor_uploads.retain_recent();
        self.api_requests.retain_recent();
        self.reset_addresses.retain_recent();
        self.reset_clients.retain_recent();
    }

    /// Keys remembered now (for tests and metrics).
    pub fn remembered(&self) -> usize {
        self.chat_starts.len()
            + self.visitor_messages.len()
            + self.visitor_uploads.len()
            + self.api_requests.len()
            + self.reset_addresses.len()
            + self.reset_clients.len()
    }
}

/// A socket's place in its key's allowance.
pub struct Permit<K: Hash + Eq + Clone> {
    count: Arc<OpenCount<K>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Drop for Permit<K> {
    fn drop(&mut self) {
        let mut open = self.count.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Forgets idle keys every `every` for as long as the limits are in use.
pub async fn forget_idle_every(limits: Weak<Limits>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        match limits.upgrade() {
            Some(l) => l.forget_idle(),
            None => return,
        }
    }
}

fn check<K: Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>, key: &K, what: &str) -> Result<(), AppError> {
    limiter.check_key(key).map_err(|not_until| too_fast(not_until, what))
}

fn too_fast(not_until: governor::NotUntil<<DefaultClock as Clock>::Instant>, what: &str) -> AppError {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    AppError::TooFast {
        what: what.to_string(),
        // Rounded up: trying again after the stated time succeeds.
        retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("203.0.113.9"), ["198.51.100.1"].into_iter()),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        // The client forged the first entry; the proxies appended the rest.
        let headers = ["6.6.6.6, 198.51.100.7", "10.1.2.3"];
        assert_eq!(proxies.client(ip("127.0.0.1"), headers.into_iter()), ip("198.51.100.7"));
        // No header: the proxy itself (every client behind it then shares its limits).
        assert_eq!(proxies.client(ip("10.0.0.5"), std::iter::empty()), ip("10.0.0.5"));
        // Garbage the proxy would not write: the last hop it vouched for.
        assert_eq!(
            proxies.client(ip("10.0.0.5"), ["nonsense, 10.9.9.9"].into_iter()),
            ip("10.9.9.9")
        );
        // Ports and IPv6 are read.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), ["[2001:db8::1]:4711"].into_iter()),
            ip("2001:db8::1")
        );
        // A peer outside the list is believed about nothing.
        assert_eq!(
            proxies.client(ip("192.0.2.1"), ["198.51.100.7"].into_iter()),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        assert_eq!(TrustedProxies::parse("").unwrap(), TrustedProxies::default());
        assert!(TrustedProxies::parse("10.0.0.0/8 ::1,192.168.0.1").is_ok());
        let e = TrustedProxies::parse("10.0.0.0/8, proxy.local").unwrap_err();
        assert!(e.contains("proxy.local"), "{e}");
    }

    #[test]
    fn open_chat_sockets_are_counted_per_address_and_given_back_when_closed() {
        let limits = Arc::new(Limits::new(LimitSettings {
            visitor_sockets_per_address: 2,
            ..LimitSettings::default()
        }));
        let a = limits.open_visitor_socket(ip("198.51.100.1")).unwrap();
        let _b = limits.open_visitor_socket(ip("198.51.100.1")).unwrap();
        assert!(matches!(
            limits.open_visitor_socket(ip("198.51.100.1")),
            Err(AppError::TooFast { .. })
        ));
        let _other = limits.open_visitor_socket(ip("198.51.100.2")).expect("another address");
        drop(a);
        assert_eq!(limits.visitor_sockets_from(ip("198.51.100.1")), 1);
        let _c = limits
            .open_visitor_socket(ip("198.51.100.1"))
            .expect("a place was given back");
    }

    #[test]
    fn a_burst_is_allowed_then_the_next_is_refused_with_the_wait() {
        let limits = Limits::new(LimitSettings {
            visitor_messages_per_minute: 3,
            ..LimitSettings::default()
        });
        for _ in 0..3 {
            limits.visitor_message(7).unwrap();
        }
        match limits.visitor_message(7) {
            Err(AppError::TooFast { retry_after_secs, what }) => {
                assert!((1..=20).contains(&retry_after_secs), "{retry_after_secs}");
                assert!(what.contains("faster"), "{what}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        limits
            .visitor_message(8)
            .expect("another visitor has their own allowance");
        assert!(limits.remembered() >= 2);
    }
}
