//! Typed configuration: built-in defaults, then an optional TOML file, then environment
//! variables. Every setting is listed once in `SETTINGS` with its documentation; a bad value
//! stops start-up with a message naming the setting and where the value came from, and a
//! secret's value is never printed.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A value that must not reach logs or error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// One documented setting: its key in the file, its environment variable, default and meaning.
pub struct Setting {
    pub key: &'static str,
    pub env: &'static str,
    pub default: Option<&'static str>,
    pub secret: bool,
    pub doc: &'static str,
}

/// Every setting Switchboard reads. README.md and `switchboard.example.toml` list the same.
pub const SETTINGS: &[Setting] = &[
    Setting { key: "listen", env: "SWITCHBOARD_LISTEN", default: Some("127.0.0.1:3000"), secret: false, doc: "Address and port the HTTP server listens on (port 0 picks a free one)." },
    Setting { key: "data_dir", env: "SWITCHBOARD_DATA_DIR", default: Some("data"), secret: false, doc: "Directory for the SQLite database and stored files; created if missing." },
    Setting { key: "database_url", env: "DATABASE_URL", default: None, secret: true, doc: "Database to use: `sqlite://FILE` or `postgres://USER:PASSWORD@HOST/DATABASE`. Default: the SQLite file `<data_dir>/switchboard.db`." },
    Setting { key: "public_url", env: "SWITCHBOARD_PUBLIC_URL", default: None, secret: false, doc: "URL people reach Switchboard at. Default: `http://<listen>`. With https, cookies are marked Secure." },
    Setting { key: "site_root", env: "SWITCHBOARD_SITE_ROOT", default: Some("target/site"), secret: false, doc: "Directory of the built site (pkg/ with the WASM, CSS and JS; public assets)." },
    Setting { key: "session_ttl_secs", env: "SWITCHBOARD_SESSION_TTL_SECS", default: Some("43200"), secret: false, doc: "How long a sign-in lasts, in seconds (1 to 2592000)." },
    Setting { key: "session_idle_secs", env: "SWITCHBOARD_SESSION_IDLE_SECS", default: Some("14400"), secret: false, doc: "A sign-in nobody uses for this long ends: no page opened, no key pressed or click in the console (0: never; 0 to 2592000)." },
    Setting { key: "sign_in_max_attempts", env: "SWITCHBOARD_SIGN_IN_MAX_ATTEMPTS", default: Some("5"), secret: false, doc: "Failed sign-ins allowed per email and per client address within the window (1 to 1000)." },
    Setting { key: "sign_in_window_secs", env: "SWITCHBOARD_SIGN_IN_WINDOW_SECS", default: Some("300"), secret: false, doc: "The sign-in throttling window, in seconds (1 to 86400)." },
    Setting { key: "trusted_proxies", env: "SWITCHBOARD_TRUSTED_PROXIES", default: Some(""), secret: false, doc: "Reverse proxies whose `X-Forwarded-For` header is believed, as addresses or networks separated by commas (`127.0.0.1, 10.0.0.0/8`). A request from one of them counts as coming from the nearest address in the header that is not a proxy; from anywhere else the header is ignored. Empty: the TCP peer is the client." },
    Setting { key: "chat_starts_per_minute", env: "SWITCHBOARD_CHAT_STARTS_PER_MINUTE", default: Some("30"), secret: false, doc: "Chats (visitor tokens, each a new contact) one client address may start per minute, all at once or spread out (1 to 1000000). Over it: HTTP 429 with Retry-After." },
    Setting { key: "visitor_messages_per_minute", env: "SWITCHBOARD_VISITOR_MESSAGES_PER_MINUTE", default: Some("30"), secret: false, doc: "Messages one visitor may send per minute (each may call the assistant; 1 to 1000000). Over it the message is not stored and the widget says when to try again." },
    Setting { key: "visitor_uploads_per_hour", env: "SWITCHBOARD_VISITOR_UPLOADS_PER_HOUR", default: Some("30"), secret: false, doc: "Files one visitor may upload per hour (1 to 1000000). Over it: HTTP 429 with Retry-After." },
    Setting { key: "visitor_sockets_per_address", env: "SWITCHBOARD_VISITOR_SOCKETS_PER_ADDRESS", default: Some("100"), secret: false, doc: "Chat connections (widget sockets) one client address may hold open at once (1 to 1000000). Over it the connection is refused with HTTP 429." },
    Setting { key: "member_sockets", env: "SWITCHBOARD_MEMBER_SOCKETS", default: Some("20"), secret: false, doc: "Console connections (browser tabs) one member may hold open at once (1 to 10000). Over it the connection is refused with HTTP 429." },
    Setting { key: "api_requests_per_minute", env: "SWITCHBOARD_API_REQUESTS_PER_MINUTE", default: Some("600"), secret: false, doc: "REST API requests one token may make per minute (1 to 1000000). Over it the request is refused with HTTP 429 and Retry-After." },
    Setting { key: "attachment_quota_mb", env: "SWITCHBOARD_ATTACHMENT_QUOTA_MB", default: Some("2048"), secret: false, doc: "Megabytes of files (uploads by visitors and members) one workspace may keep; an upload past it is refused in words (0: no quota; 0 to 10000000)." },
    Setting { key: "secret_key", env: "SWITCHBOARD_SECRET_KEY", default: None, secret: true, doc: "Key that signs visitor tokens and file links and seals stored secrets (at least 32 characters). Default: a random key kept in `<data_dir>/secret.key`." },
    Setting { key: "previous_secret_key", env: "SWITCHBOARD_PREVIOUS_SECRET_KEY", default: None, secret: true, doc: "After changing `secret_key`: the key it replaces. Visitor tokens and file links it signed are accepted until they expire, and visitors get new tokens signed with the new key when they reconnect; secrets it sealed open, and are sealed again with the new key at the start." },
    Setting { key: "visitor_token_days", env: "SWITCHBOARD_VISITOR_TOKEN_DAYS", default: Some("30"), secret: false, doc: "How long a chat visitor's token lasts, in days (1 to 365). A visitor who comes back within half of it gets a fresh one; after it, the widget starts a new conversation." },
    Setting { key: "attachment_retention_days", env: "SWITCHBOARD_ATTACHMENT_RETENTION_DAYS", default: Some("0"), secret: false, doc: "Files older than this many days are deleted, with their bytes on disk; the messages stay and say the file was removed (0: keep files; 0 to 36500). Uploads never sent in a message are deleted after a day in any case." },
    Setting { key: "openai_base_url", env: "SWITCHBOARD_OPENAI_BASE_URL", default: None, secret: false, doc: "Default base URL of an OpenAI-compatible API (e.g. `https://api.openai.com/v1` or a local server), for workflows using that provider without their own." },
    Setting { key: "openai_api_key", env: "SWITCHBOARD_OPENAI_API_KEY", default: None, secret: true, doc: "Default API key for that provider (sent as a bearer token)." },
    Setting { key: "openai_model", env: "SWITCHBOARD_OPENAI_MODEL", default: None, secret: false, doc: "Default model name for that provider." },
    Setting { key: "smtp_url", env: "SWITCHBOARD_SMTP_URL", default: None, secret: true, doc: "SMTP server for outgoing e-mail (invitations): `smtps://user:password@host:465`, `smtp://user:password@host:587?tls=required`, or `smtp://host:25` unencrypted. Unset: no e-mail is sent and invitation links are shown to the admin only." },
    Setting { key: "mail_from", env: "SWITCHBOARD_MAIL_FROM", default: None, secret: false, doc: "Sender of outgoing e-mail, e.g. `Acme Support <support@acme.example>`; required with smtp_url." },
    Setting { key: "metrics_listen", env: "SWITCHBOARD_METRICS_LISTEN", default: None, secret: false, doc: "An address and port of its own for `/metrics` (say 127.0.0.1:9464, for a Prometheus on a private network): served there without a token unless `metrics_token` is set." },
    Setting { key: "metrics_token", env: "SWITCHBOARD_METRICS_TOKEN", default: None, secret: true, doc: "Bearer token that `/metrics` (Prometheus text: the database files' upkeep) asks for, at least 16 characters. Unset: `/metrics` is not served." },
    Setting { key: "read_timeout_secs", env: "SWITCHBOARD_READ_TIMEOUT_SECS", default: Some("30"), secret: false, doc: "The longest a client may take to send a request's headers, or each piece of its body, before its connection is closed (1 to 3600)." },
    Setting { key: "max_connections", env: "SWITCHBOARD_MAX_CONNECTIONS", default: Some("10000"), secret: false, doc: "HTTP connections (sockets included) open at once; further ones wait until one closes (1 to 1000000). Keep it under the process's file limit (`ulimit -n`)." },
    Setting { key: "commit_window_ms", env: "SWITCHBOARD_COMMIT_WINDOW_MS", default: Some("0"), secret: false, doc: "While messages arrive more often than this (milliseconds between them), the first of a batch waits for about two more, never longer than this, to store them in one transaction: at 8, a third fewer pages written per message at 200 messages a second, for about three milliseconds more latency on every message (0 to 100; 0: never wait, and messages that arrive while a batch is being written still go together in the next)." },
    Setting { key: "heap_trim_secs", env: "SWITCHBOARD_HEAP_TRIM_SECS", default: Some("60"), secret: false, doc: "How often the memory allocator's free pages are handed back to the system (seconds, 0 to 86400; 0: never). glibc keeps what each thread freed for reuse, and under a steady load that free memory grew to two or three times what was in use." },
    Setting { key: "malloc_arenas", env: "SWITCHBOARD_MALLOC_ARENAS", default: Some("2"), secret: false, doc: "How many arenas the memory allocator may keep (0 to 64; 0: glibc's own limit, eight for each core). Each arena keeps what its threads freed for them to reuse; fewer arenas hold less of it: with two the server held a third less memory under the same load (BENCHMARKS.md, \"Endurance\"). Read at start." },
    Setting { key: "webhook_retry_ms", env: "SWITCHBOARD_WEBHOOK_RETRY_MS", default: Some("10000"), secret: false, doc: "How long after a failed webhook delivery the first retry comes (milliseconds, 10 to 3600000); each later retry waits twice as long, up to an hour, eight attempts in all." },
    Setting { key: "digest_every_secs", env: "SWITCHBOARD_DIGEST_EVERY_SECS", default: Some("900"), secret: false, doc: "How often a member who asked for an e-mail digest when away gets one at most, listing what waited for them (seconds, 1 to 86400; needs smtp_url)." },
    Setting { key: "webhook_disable_after", env: "SWITCHBOARD_WEBHOOK_DISABLE_AFTER", default: Some("20"), secret: false, doc: "Failed webhook attempts in a row after which the endpoint is turned off and its admins are told (1 to 1000)." },
    Setting { key: "webhook_allow_private", env: "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE", default: Some("false"), secret: false, doc: "Whether webhooks may be sent to loopback, private and link-local addresses (true or false). Off, a workspace admin cannot make Switchboard call services inside your network." },
    Setting { key: "log", env: "SWITCHBOARD_LOG", default: Some("info"), secret: false, doc: "Log filter in tracing's syntax, e.g. `info` or `server=debug,info`; `switchboard::http=warn` quiets the request log." },
    Setting { key: "bus", env: "SWITCHBOARD_BUS", default: Some("local"), secret: false, doc: "How events reach the other nodes on the same database: `local` (one node), `postgres` (PostgreSQL's LISTEN/NOTIFY; needs a postgres:// database_url) or `nats` (a NATS server at nats_url)." },
    Setting { key: "nats_url", env: "SWITCHBOARD_NATS_URL", default: Some("nats://127.0.0.1:4222"), secret: true, doc: "The NATS server(s) for `bus = \"nats\"`, comma-separated." },
    Setting { key: "cluster_beat_ms", env: "SWITCHBOARD_CLUSTER_BEAT_MS", default: Some("1000"), secret: false, doc: "With several nodes (PostgreSQL and a bus): how often each node shows it is alive and the routing leader checks it still holds the lead (milliseconds, 20 to 60000)." },
    Setting { key: "cluster_dead_after_ms", env: "SWITCHBOARD_CLUSTER_DEAD_AFTER_MS", default: Some("10000"), secret: false, doc: "With several nodes: a node silent this long counts as dead (its operators' sockets as closed), and a frozen leader loses the lead after it (milliseconds, 100 to 600000; at least three beats)." },
    Setting { key: "log_format", env: "SWITCHBOARD_LOG_FORMAT", default: Some("text"), secret: false, doc: "`text` (lines for people) or `json` (one JSON object a line, for a log collector)." },
];

/// The checked configuration the server runs with.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Secret,
    pub public_url: String,
    pub site_root: PathBuf,
    pub session_ttl_secs: i64,
    pub session_idle_secs: i64,
    pub sign_in_max_attempts: u32,
    pub sign_in_window_secs: u64,
    /// `None`: a random key is created in the data directory on first start.
    pub secret_key: Option<Secret>,
    /// The key `secret_key` replaced, still accepted for what it signed.
    pub previous_secret_key: Option<Secret>,
    /// How long a visitor token lasts.
    pub visitor_token_secs: i64,
    /// Days files are kept (0: forever).
    pub attachment_retention_days: u32,
    /// Defaults for workflows that use the OpenAI-compatible provider without their own settings.
    pub openai: crate::assistant::OpenAiDefaults,
    /// Outgoing e-mail; `None` when no SMTP server is configured.
    pub mail: Option<crate::mail::MailConfig>,
    /// What `/metrics` asks for; `None`: it is not served.
    pub metrics_token: Option<Secret>,
    /// `/metrics` on an address of its own, too.
    pub metrics_listen: Option<SocketAddr>,
    /// Megabytes of files a workspace may keep (0: no quota).
    pub attachment_quota_mb: u64,
    /// Whose `X-Forwarded-For` is believed.
    pub trusted_proxies: crate::limits::TrustedProxies,
    /// How often visitors may start chats, send messages and upload files.
    pub limits: crate::limits::LimitSettings,
    /// Read timeouts and the connection cap.
    pub serve: crate::serve::ServeLimits,
    /// How long a message may wait to be committed with others (see `store::CommitPolicy`).
    pub commit_window: std::time::Duration,
    /// How often the allocator's free pages go back to the system (`None`: never).
    pub heap_trim: Option<std::time::Duration>,
    /// The most arenas the allocator may keep (0: its own limit); set before the runtime starts.
    pub malloc_arenas: u32,
    /// How webhook deliveries are retried, and when an endpoint is turned off.
    pub webhooks: crate::webhooks::WebhookPolicy,
    /// How often an away member's e-mail digest may come.
    pub digest_every: std::time::Duration,
    pub log: String,
    /// One JSON object a line instead of text.
    pub log_json: bool,
    /// How events cross to the other nodes.
    pub bus: Bus,
    /// How often nodes beat and when one counts as dead (several nodes only).
    pub cluster: crate::cluster::Timers,
}

/// How a node's real-time events reach the other nodes (`bus.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bus {
    /// One node: events stay in this process.
    Local,
    /// PostgreSQL's LISTEN/NOTIFY on the database.
    Postgres,
    /// A NATS server (its URL).
    Nats(Secret),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("could not read the configuration file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("the configuration file {path} names an unknown setting `{key}` (known: {known})")]
    UnknownKey { path: String, key: String, known: String },
    #[error("setting `{key}` (from {origin}) is invalid: {reason}")]
    Invalid {
        key: String,
        origin: String,
        reason: String,
    },
}

impl Config {
    /// Loads the configuration: defaults, then `file` if given, then the environment as read
    /// by `env`.
    pub fn load(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        // key -> (value, where it came from)
        let mut raw: BTreeMap<&'static str, (String, String)> = BTreeMap::new();
        for s in SETTINGS {
            if let Some(d) = s.default {
                raw.insert(s.key, (d.to_string(), "the default".into()));
            }
        }
        if let Some(path) = file {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError::File {
                path: shown.clone(),
                reason: e.message().to_string(),
            })?;
            for (key, value) in table {
                let setting = SETTINGS
                    .iter()
                    .find(|s| s.key == key)
                    .ok_or_else(|| ConfigError::UnknownKey {
                        path: shown.clone(),
                        key: key.clone(),
                        known: SETTINGS.iter().map(|s| s.key).collect::<Vec<_>>().join(", "),
                    })?;
                let value = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => value.to_string(),
                    _ => {
                        return Err(ConfigError::Invalid {
                            key: key.clone(),
                            origin: shown.clone(),
                            reason: "must be a string, number or boolean".into(),
                        })
                    }
                };
                raw.insert(setting.key, (value, shown.clone()));
            }
        }
        for s in SETTINGS {
            if let Some(v) = env(s.env) {
                raw.insert(s.key, (v, format!("the environment variable {}", s.env)));
            }
        }

        let get = |key: &str| raw.get(key).cloned();
        let listen: SocketAddr = parse(&raw, "listen", |v| {
            v.parse()
                .map_err(|_| "must be an address and port such as 127.0.0.1:3000".to_string())
        })?;
        let data_dir = PathBuf::from(parse(&raw, "data_dir", non_empty)?);
        let database_url = match get("database_url") {
            Some((v, origin)) => {
                if !(v.starts_with("sqlite:") || crate::store::is_postgres(&v)) {
                    return Err(ConfigError::Invalid {
                        key: "database_url".into(),
                        origin,
                        reason: "must start with sqlite: (a file on this machine) or postgres:// (a PostgreSQL server)"
                            .into(),
                    });
                }
                Secret::new(v)
            }
            None => Secret::new(format!("sqlite://{}", data_dir.join("switchboard.db").display())),
        };
        let public_url = match get("public_url") {
            Some((v, origin)) => {
                let v = v.trim_end_matches('/').to_string();
                if !(v.starts_with("http://") || v.starts_with("https://")) {
                    return Err(ConfigError::Invalid {
                        key: "public_url".into(),
                        origin,
                        reason: format!("`{v}` must start with http:// or https://"),
                    });
                }
                v
            }
            None => format!("http://{listen}"),
        };
        let site_root = PathBuf::from(parse(&raw, "site_root", non_empty)?);
        let session_ttl_secs = parse(&raw, "session_ttl_secs", |v| ranged(v, 1, 2_592_000))?;
        let session_idle_secs = parse(&raw, "session_idle_secs", |v| ranged(v, 0, 2_592_000))?;
        let sign_in_max_attempts = parse(&raw, "sign_in_max_attempts", |v| ranged(v, 1, 1000))? as u32;
        let sign_in_window_secs = parse(&raw, "sign_in_window_secs", |v| ranged(v, 1, 86_400))? as u64;
        let secret_key = match get("secret_key") {
            Some((v, origin)) if v.chars().count() < 32 => {
                return Err(ConfigError::Invalid {
                    key: "secret_key".into(),
                    origin,
                    reason: "must be at least 32 characters".into(),
                })
            }
            Some((v, _)) => Some(Secret::new(v)),
            None => None,
        };
        let previous_secret_key = match get("previous_secret_key") {
            Some((v, origin)) if v.chars().count() < 32 => {
                return Err(ConfigError::Invalid {
                    key: "previous_secret_key".into(),
                    origin,
                    reason: "must be at least 32 characters".into(),
                })
            }
            other => other.map(|(v, _)| Secret::new(v)),
        };
        let visitor_token_secs = parse(&raw, "visitor_token_days", |v| ranged(v, 1, 365))? * 24 * 3600;
        let attachment_retention_days = parse(&raw, "attachment_retention_days", |v| ranged(v, 0, 36_500))? as u32;
        let mail = match (get("smtp_url"), get("mail_from")) {
            (None, None) => None,
            (Some((_, origin)), None) => {
                return Err(ConfigError::Invalid {
                    key: "mail_from".into(),
                    origin,
                    reason: "is required when smtp_url is set (the sender of outgoing e-mail)".into(),
                })
            }
            (None, Some((_, origin))) => {
                return Err(ConfigError::Invalid {
                    key: "smtp_url".into(),
                    origin,
                    reason: "is required when mail_from is set (the server that sends the e-mail)".into(),
                })
            }
            (Some((url, url_origin)), Some((from, from_origin))) => Some(
                crate::mail::MailConfig::parse(&url, &from).map_err(|(key, reason)| ConfigError::Invalid {
                    key: key.into(),
                    origin: if key == "smtp_url" { url_origin } else { from_origin },
                    reason,
                })?,
            ),
        };
        let metrics_listen = match get("metrics_listen") {
            None => None,
            Some((v, origin)) => Some(v.parse::<SocketAddr>().map_err(|_| ConfigError::Invalid {
                key: "metrics_listen".into(),
                origin,
                reason: format!("`{v}` must be an address and port such as 127.0.0.1:9464"),
            })?),
        };
        let metrics_token = match get("metrics_token") {
            Some((v, origin)) if v.chars().count() < 16 => {
                return Err(ConfigError::Invalid {
                    key: "metrics_token".into(),
                    origin,
                    reason: "must be at least 16 characters".into(),
                })
            }
            other => other.map(|(v, _)| Secret::new(v)),
        };
        let attachment_quota_mb = parse(&raw, "attachment_quota_mb", |v| ranged(v, 0, 10_000_000))? as u64;
        let trusted_proxies = parse(&raw, "trusted_proxies", crate::limits::TrustedProxies::parse)?;
        let limits = crate::limits::LimitSettings {
            chat_starts_per_minute: parse(&raw, "chat_starts_per_minute", |v| ranged(v, 1, 1_000_000))? as u32,
            visitor_messages_per_minute: parse(&raw, "visitor_messages_per_minute", |v| ranged(v, 1, 1_000_000))?
                as u32,
            visitor_uploads_per_hour: parse(&raw, "visitor_uploads_per_hour", |v| ranged(v, 1, 1_000_000))? as u32,
            visitor_sockets_per_address: parse(&raw, "visitor_sockets_per_address", |v| ranged(v, 1, 1_000_000))?
                as u32,
            member_sockets: parse(&raw, "member_sockets", |v| ranged(v, 1, 10_000))? as u32,
            api_requests_per_minute: parse(&raw, "api_requests_per_minute", |v| ranged(v, 1, 1_000_000))? as u32,
        };
        let serve = crate::serve::ServeLimits {
            read_timeout: std::time::Duration::from_secs(
                parse(&raw, "read_timeout_secs", |v| ranged(v, 1, 3600))? as u64
            ),
            max_connections: parse(&raw, "max_connections", |v| ranged(v, 1, 1_000_000))? as usize,
        };
        let commit_window =
            std::time::Duration::from_millis(parse(&raw, "commit_window_ms", |v| ranged(v, 0, 100))? as u64);
        let heap_trim = match parse(&raw, "heap_trim_secs", |v| ranged(v, 0, 86_400))? {
            0 => None,
            secs => Some(std::time::Duration::from_secs(secs as u64)),
        };
        let malloc_arenas = parse(&raw, "malloc_arenas", |v| ranged(v, 0, 64))? as u32;
        let log = parse(&raw, "log", |v| {
            tracing_subscriber::EnvFilter::try_new(v)
                .map(|_| v.to_string())
                .map_err(|e| e.to_string())
        })?;
        let webhooks = crate::webhooks::WebhookPolicy {
            first_retry: std::time::Duration::from_millis(
                parse(&raw, "webhook_retry_ms", |v| ranged(v, 10, 3_600_000))? as u64,
            ),
            disable_after: parse(&raw, "webhook_disable_after", |v| ranged(v, 1, 1000))?,
            allow_private: parse(&raw, "webhook_allow_private", |v| match v.trim() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err("must be true or false".to_string()),
            })?,
        };
        let digest_every =
            std::time::Duration::from_secs(parse(&raw, "digest_every_secs", |v| ranged(v, 1, 86_400))? as u64);
        let log_json = parse(&raw, "log_format", |v| match v.trim() {
            "text" => Ok(false),
            "json" => Ok(true),
            _ => Err("must be text or json".to_string()),
        })?;
        let nats_url = Secret::new(parse(&raw, "nats_url", non_empty)?);
        let bus = parse(&raw, "bus", |v| match v.trim() {
            "local" => Ok(Bus::Local),
            "postgres" if crate::store::is_postgres(database_url.expose()) => Ok(Bus::Postgres),
            "postgres" => Err("postgres needs database_url to be a postgres:// database".to_string()),
            "nats" => Ok(Bus::Nats(nats_url.clone())),
            _ => Err("must be local, postgres or nats".to_string()),
        })?;
        let beat = parse(&raw, "cluster_beat_ms", |v| ranged(v, 20, 60_000))? as u64;
        let dead_after = parse(&raw, "cluster_dead_after_ms", |v| ranged(v, 100, 600_000))? as u64;
        if dead_after < beat * 3 {
            return Err(ConfigError::Invalid {
                key: "cluster_dead_after_ms".into(),
                origin: get("cluster_dead_after_ms").map_or_else(|| "the default".into(), |(_, o)| o),
                reason: format!(
                    "must be at least three beats ({} with cluster_beat_ms = {beat})",
                    beat * 3
                ),
            });
        }
        let cluster = crate::cluster::Timers {
            beat: std::time::Duration::from_millis(beat),
            dead_after: std::time::Duration::from_millis(dead_after),
        };
        Ok(Config {
            cluster,
            bus,
            log_json,
            listen,
            data_dir,
            database_url,
            public_url,
            site_root,
            session_ttl_secs,
            session_idle_secs,
            sign_in_max_attempts,
            sign_in_window_secs,
            secret_key,
            previous_secret_key,
            visitor_token_secs,
            attachment_retention_days,
            metrics_token,
            metrics_listen,
            attachment_quota_mb,
            trusted_proxies,
            limits,
            serve,
            commit_window,
            heap_trim,
            malloc_arenas,
            webhooks,
            digest_every,
            openai: crate::assistant::OpenAiDefaults {
                base_url: match get("openai_base_url") {
                    Some((v, origin)) if !(v.starts_with("http://") || v.starts_with("https://")) => {
                        return Err(ConfigError::Invalid {
                            key: "openai_base_url".into(),
                            origin,
                            reason: format!("`{v}` must start with http:// or https://"),
                        })
                    }
                    other => other.map(|(v, _)| v.trim_end_matches('/').to_string()),
                },
                api_key: get("openai_api_key").map(|(v, _)| v),
                model: get("openai_model").map(|(v, _)| v),
            },
            mail,
            log,
        })
    }

    /// Reads the process environment.
    pub fn from_env(file: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load(file, |name| std::env::var(name).ok())
    }

    /// The key that signs visitor tokens: the configured one, or the one kept in the data
    /// directory (created on first use, readable by the owner only).
    pub fn signing_key(&self) -> std::io::Result<Vec<u8>> {
        if let Some(k) = &self.secret_key {
            return Ok(k.expose().as_bytes().to_vec());
        }
        let path = self.data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(k) if k.trim().len() >= 32 => Ok(k.trim().as_bytes().to_vec()),
            Ok(_) => Err(std::io::Error::other(format!(
                "{} holds fewer than 32 characters; restore it or remove it to make a new key \
                 (visitors then start new conversations)",
                path.display()
            ))),
            // Only a missing key is made anew: any other failure to read it stops start-up
            // rather than silently replacing the key every visitor token is signed with.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                getrandom::getrandom(&mut bytes).map_err(std::io::Error::other)?;
                let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                // Readable by its owner only from the moment it exists.
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path)?;
                std::io::Write::write_all(&mut file, key.as_bytes())?;
                file.sync_all()?;
                Ok(key.into_bytes())
            }
            Err(e) => Err(e),
        }
    }

    /// Cookies carry `Secure` when people reach Switchboard over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

fn parse<T>(
    raw: &BTreeMap<&'static str, (String, String)>,
    key: &str,
    parser: impl Fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    let setting = SETTINGS
        .iter()
        .find(|s| s.key == key)
        .expect("every parsed key is in SETTINGS");
    let (value, origin) = raw.get(key).cloned().ok_or_else(|| ConfigError::Invalid {
        key: key.into(),
        origin: "nowhere".into(),
        reason: "has no value".into(),
    })?;
    parser(value.trim()).map_err(|reason| ConfigError::Invalid {
        key: key.into(),
        origin,
        reason: if setting.secret {
            "is not valid".into()
        } else {
            format!("`{value}` {reason}")
        },
    })
}

fn non_empty(v: &str) -> Result<String, String> {
    if v.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(v.to_string())
    }
}

fn ranged(v: &str, min: i64, max: i64) -> Result<i64, String> {
    match v.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) => Err(format!("must be between {min} and {max}")),
        Err(_) => Err("must be a whole number".into()),
    }
}

#[cfg(test)]
mod tests;
