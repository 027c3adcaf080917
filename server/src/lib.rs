#![recursion_limit = "512"]
//! Switchboard's server: configuration, storage, authentication, domain services and the HTTP
//! surface. `Application::build` is what `main` and the integration tests both start.

pub mod accounts;
pub mod api;
pub mod assistant;
pub mod attachments;
pub mod auth;
pub mod backup;
pub mod bus;
pub mod canned;
pub mod categories;
pub mod channels;
pub mod cluster;
pub mod config;
pub mod contacts;
pub mod conversations;
pub mod demo;
pub mod digest;
pub mod groups;
pub mod heap;
pub mod history;
pub mod http;
pub mod hub;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod presence;
pub mod qualifications;
pub mod reports;
pub mod retention;
pub mod routing;
pub mod serve;
pub mod services;
pub mod settings;
pub mod sockets;
pub mod store;
pub mod team;
/// A throwaway PostgreSQL server for the unit tests (the integration tests share the file).
#[cfg(test)]
#[path = "../tests/support/postgres.rs"]
pub(crate) mod test_postgres;
pub mod webhooks;
pub mod workflows;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use config::Config;
use store::Store;

/// Everything a handler may need, cloned cheaply into each request.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub sessions: Arc<auth::Sessions>,
    pub services: services::Services,
    pub conversations: Arc<conversations::Conversations>,
    pub router: Arc<routing::Router>,
    /// Which node leads routing (and the work only one node does).
    pub cluster: Arc<cluster::Cluster>,
    pub tokens: channels::web::VisitorTokens,
    pub limits: Arc<limits::Limits>,
    pub leptos: LeptosOptions,
    /// For calls to providers (Twilio's API and media).
    pub outbound_http: reqwest::Client,
}

/// A bound, ready-to-serve Switchboard.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: axum::Router,
    store: Store,
    hub: Arc<hub::Hub>,
    cluster: Arc<cluster::Cluster>,
    upkeep: store::Upkeep,
    addr: SocketAddr,
    /// Where `/metrics` is served on its own (`metrics_listen`).
    metrics_addr: Option<SocketAddr>,
    limits: serve::ServeLimits,
}

/// Opens the database and applies pending migrations.
pub async fn open_store(config: &Config) -> Result<Store, StartError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        StartError(format!(
            "could not create the data directory {}: {e}",
            config.data_dir.display()
        ))
    })?;
    let policy = store::CommitPolicy {
        window: config.commit_window,
        ..store::CommitPolicy::default()
    };
    let store = Store::open_with(config.database_url.expose(), policy)
        .await
        .map_err(|e| StartError(format!("could not open the database: {e}")))?;
    store
        .migrate()
        .await
        .map_err(|e| StartError(format!("could not migrate the database: {e}")))?;
    let key = config
        .signing_key()
        .map_err(|e| StartError(format!("could not read the secret key: {e}")))?;
    store.use_sealer(store::sealed::Sealer::new(
        &key,
        config.previous_secret_key.as_ref().map(|k| k.expose().as_bytes()),
    ));
    Ok(store)
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let store = open_store(&config).await?;
        // Secrets kept plain before sealing existed, or sealed with the previous key, are
        // sealed with the current one.
        match store.seal_stored_secrets().await {
            Ok(done) if done.unopenable > 0 => tracing::error!(
                sealed = done.sealed,
                unopenable = done.unopenable,
                "some stored secrets open with neither secret_key nor previous_secret_key; set the key they were sealed with"
            ),
            Ok(done) if done.sealed > 0 => tracing::info!(sealed = done.sealed, "stored secrets sealed with the current key"),
            Ok(_) => {}
            Err(e) => return Err(StartError(format!("could not seal the stored secrets: {e}"))),
        }
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| StartError(format!("could not listen on {}: {e}", config.listen)))?;
        let addr = listener.local_addr().map_err(|e| StartError(e.to_string()))?;
        let mut config = config;
        // Without a public URL, the address listened on: with port 0, the port given.
        if config.public_url == format!("http://{}", config.listen) {
            config.public_url = format!("http://{addr}");
        }
        let config = Arc::new(config);
        let key = config.signing_key().map_err(|e| {
            StartError(format!(
                "could not read or create the signing key in {}: {e}",
                config.data_dir.display()
            ))
        })?;
        let tokens = channels::web::VisitorTokens::new(
            &key,
            config.previous_secret_key.as_ref().map(|k| k.expose().as_bytes()),
            config.visitor_token_secs,
        );
        let limits = Arc::new(limits::Limits::new(config.limits));
        tokio::spawn(limits::forget_idle_every(
            Arc::downgrade(&limits),
            Duration::from_secs(60),
        ));
        if let Some(every) = config.heap_trim {
            tokio::spawn(heap::give_back_every(every));
        }
        let hub = Arc::new(hub::Hub::new());
        let node = bus::new_node_id();
        match &config.bus {
            config::Bus::Local => {}
            config::Bus::Postgres => {
                let pool = store
                    .postgres_pool()
                    .ok_or_else(|| StartError("bus = \"postgres\" needs a PostgreSQL database".into()))?;
                bus::start_postgres(pool, hub.clone(), node.clone())
                    .await
                    .map_err(|e| StartError(format!("could not listen for the other nodes' events: {e}")))?;
            }
            config::Bus::Nats(url) => bus::start_nats(url.expose(), hub.clone(), node.clone(), store.postgres_pool())
                .await
                .map_err(|e| {
                    StartError(format!(
                        "could not reach the NATS server for the other nodes' events: {e}"
                    ))
                })?,
        }
        // Several nodes share routing when they share a PostgreSQL database and a bus.
        let (cluster, calls) = match (store.postgres_pool(), &config.bus) {
            (Some(pool), config::Bus::Postgres | config::Bus::Nats(_)) => cluster::Cluster::start_postgres(
                node,
                pool,
                config.database_url.expose().to_string(),
                hub.clone(),
                config.cluster,
            ),
            _ => cluster::Cluster::single(hub.clone()),
        };
        let sessions = Arc::new(auth::Sessions::new(store.clone(), hub.clone(), &config));
        let (changes, changes_rx) = tokio::sync::mpsc::unbounded_channel();
        let conversations = Arc::new(conversations::Conversations::new(
            store.clone(),
            hub.clone(),
            config.openai.clone(),
            changes,
            tokens.clone(),
        ));
        let router = routing::Router::start(
            store.clone(),
            hub.clone(),
            conversations.clone(),
            changes_rx,
            cluster.clone(),
            calls,
        );
        let mailer = || config.mail.as_ref().map(mail::Mailer::new);
        let webhooks_wake = Arc::new(tokio::sync::Notify::new());
        let services = services::Services {
            sessions: sessions.clone(),
            accounts: Arc::new(accounts::Accounts::new(
                store.clone(),
                sessions.clone(),
                router.clone(),
                limits.clone(),
                mailer(),
                config.public_url.clone(),
            )),
            team: Arc::new(team::Team::new(
                store.clone(),
                router.clone(),
                mailer(),
                config.public_url.clone(),
            )),
            groups: Arc::new(groups::Groups::new(store.clone(), router.clone())),
            conversations: conversations.clone(),
            router: router.clone(),
            categories: Arc::new(categories::Categories::new(store.clone())),
            contacts: Arc::new(contacts::Contacts::new(
                store.clone(),
                conversations.clone(),
                config.data_dir.clone(),
            )),
            canned: Arc::new(canned::Canned::new(store.clone())),
            workflows: Arc::new(workflows::Workflows::new(store.clone(), router.clone())),
            qualifications: Arc::new(qualifications::Qualifications::new(store.clone(), router.clone())),
            chat: Arc::new(channels::web::WebChat::new(
                store.clone(),
                tokens.clone(),
                limits.clone(),
            )),
            settings: Arc::new(settings::Settings::new(store.clone(), router.clone())),
            instance: Arc::new(settings::Instance::new(store.clone(), router.clone())),
            channels: Arc::new(channels::manage::ChannelAdmin::new(
                store.clone(),
                config.public_url.clone(),
            )),
            api_tokens: Arc::new(api::tokens::ApiTokens::new(store.clone())),
            history: Arc::new(history::History::new(store.clone())),
            reports: Arc::new(reports::Reports::new(store.clone())),
            webhooks: Arc::new(webhooks::Webhooks::new(
                store.clone(),
                config.webhooks,
                webhooks_wake.clone(),
            )),
        };
        let outbound_http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| StartError(format!("could not make an HTTP client: {e}")))?;
        let leptos = LeptosOptions::builder()
            .output_name("switchboard")
            .site_root(config.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .env(match std::env::var("LEPTOS_ENV").as_deref() {
                Ok("DEV") => leptos::config::Env::DEV,
                _ => leptos::config::Env::PROD,
            })
            .build();
        let state = AppState {
            store: store.clone(),
            config,
            sessions,
            services,
            conversations,
            router,
            cluster: cluster.clone(),
            tokens: tokens.clone(),
            limits,
            leptos,
            outbound_http: outbound_http.clone(),
        };
        tokio::spawn(
            channels::outbox::Outbox {
                store: store.clone(),
                conversations: state.conversations.clone(),
                http: outbound_http,
                public_url: state.config.public_url.clone(),
                tokens,
                data_dir: state.config.data_dir.clone(),
                cluster: cluster.clone(),
            }
            .run(),
        );
        let serve_limits = state.config.serve;
        let upkeep = store.start_upkeep(store::UpkeepPolicy::default());
        tokio::spawn(retention::tidy_every(
            store.clone(),
            retention::Policy {
                data_dir: state.config.data_dir.clone(),
                attachment_retention_days: state.config.attachment_retention_days,
                visitor_token_secs: state.config.visitor_token_secs,
            },
            Duration::from_secs(3600),
            cluster.clone(),
        ));
        tokio::spawn(channels::imap::poll_forever(state.clone()));
        tokio::spawn(
            webhooks::Sender {
                store: store.clone(),
                policy: state.config.webhooks,
                wake: webhooks_wake,
                mailer: state.config.mail.as_ref().map(mail::Mailer::new),
                public_url: state.config.public_url.clone(),
                cluster: cluster.clone(),
            }
            .run(),
        );
        if let Some(mail) = state.config.mail.as_ref() {
            tokio::spawn(
                digest::Digests {
                    store: store.clone(),
                    router: state.router.clone(),
                    mailer: mail::Mailer::new(mail),
                    public_url: state.config.public_url.clone(),
                    every: state.config.digest_every,
                    cluster: cluster.clone(),
                }
                .run(),
            );
        }
        let metrics_addr = match state.config.metrics_listen {
            None => None,
            Some(at) => {
                let own = tokio::net::TcpListener::bind(at)
                    .await
                    .map_err(|e| StartError(format!("could not listen on {at} for /metrics: {e}")))?;
                let bound = own.local_addr().map_err(|e| StartError(e.to_string()))?;
                let metrics = axum::Router::new()
                    .route("/metrics", axum::routing::get(metrics::on_own_address))
                    .with_state(state.clone());
                tokio::spawn(async move {
                    if let Err(e) = axum::serve(own, metrics).await {
                        tracing::error!(error = %e, "the /metrics listener stopped");
                    }
                });
                Some(bound)
            }
        };
        Ok(Application {
            listener,
            router: http::router(state),
            store,
            hub,
            cluster,
            upkeep,
            addr,
            metrics_addr,
            limits: serve_limits,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where `/metrics` is served on an address of its own, if it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// The real-time hub (tests publish through it to see what sockets make of an event).
    pub fn hub(&self) -> Arc<hub::Hub> {
        self.hub.clone()
    }

    /// Serves until `shutdown` completes, then finishes open requests and closes the database.
    /// With several nodes, stopping gives up routing's lead at once (another node takes it
    /// within a beat) and closes this node's sockets, whose clients reconnect to another node.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let (cluster, hub) = (self.cluster.clone(), self.hub.clone());
        let shutdown = async move {
            shutdown.await;
            if cluster.is_shared() {
                cluster.leave();
                hub.close_here(hub::Closing::Everyone);
            }
        };
        serve::serve(
            self.listener,
            self.router,
            self.limits,
            shutdown,
            Duration::from_secs(10),
        )
        .await;
        self.upkeep.stop().await;
        self.store.close().await;
        Ok(())
    }
}

/// Why the server could not start, in words for the person running it.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing open requests");
}
