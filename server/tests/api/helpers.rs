//! `spawn_app` and the `TestApp` that drives the running server the way a browser would.

use app::auth::{CurrentMember, SignIn};
use app::chat::StartVisitor;
use app::conversation::{ResolveConversation, RestoreToAi, TakeOver};
use app::events::VisitorCommand;
use app::inbox::{ConversationSummary, ListConversations};
use app::instance::SetPlan;
use app::people::{ListMembers, MemberSummary};
use app::settings::{GetWorkspaceSettings, SettingsView, UpdateWorkspaceSettings, WorkspaceSettings};
use app::workflows::UpdateWorkflow;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::sockets::{connect, OperatorSocket, VisitorSocket};
use app::{AppError, Me};
use server::config::Config;
use server::store::Store;

pub const PASSWORD: &str = server::demo::DEMO_PASSWORD;
pub const OWNER: &str = "owner@demo.switchboard.test";
pub const ADMIN: &str = "admin@demo.switchboard.test";
pub const AGENT: &str = "agent1@demo.switchboard.test";
pub const SUPERVISOR: &str = "supervisor@demo.switchboard.test";

/// A connection of the test's own to the server's database.
enum Database {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

pub struct TestApp {
    pub base: String,
    pub store: Store,
    /// The server's real-time hub.
    pub hub: std::sync::Arc<server::hub::Hub>,
    /// The data directory: the database files and stored attachments.
    pub data_dir: std::path::PathBuf,
    /// The database's URL: a SQLite file in `data_dir`, or a PostgreSQL database of its own.
    pub database_url: String,
    /// `/metrics` on its own address (`SWITCHBOARD_METRICS_LISTEN`), when asked for.
    pub metrics_base: Option<String>,
    pub client: reqwest::Client,
    /// The data directory, removed with the app (a second node borrows the first's).
    _dir: Option<tempfile::TempDir>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Starts Switchboard with the demo workspace seeded.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Whether this run of the tests is on PostgreSQL (`SWITCHBOARD_TEST_DATABASE=postgres`)
/// rather than SQLite.
pub fn on_postgres() -> bool {
    std::env::var("SWITCHBOARD_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// The database a new test server uses: a SQLite file in `dir`, or a new PostgreSQL database
/// on this test binary's server.
/// On PostgreSQL the URL is also written into `dir` (`DATABASE_URL_FILE`), so that commands
/// run on the data directory (`process::switchboard`) reach the same database.
pub async fn new_database_url(dir: &std::path::Path) -> String {
    if on_postgres() {
        let url = crate::postgres::new_database().await;
        std::fs::write(dir.join(DATABASE_URL_FILE), &url).expect("the database's URL is kept");
        url
    } else {
        format!("sqlite://{}", dir.join("switchboard.db").display())
    }
}

/// A connection of the test's own to the database of the server on `dir` (SQLite's file
/// there or its PostgreSQL database), for tests that read behind a separate process.
pub async fn connect_to(dir: &std::path::Path) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url =
        database_url_of(dir).unwrap_or_else(|| format!("sqlite://{}?mode=ro", dir.join("switchboard.db").display()));
    sqlx::AnyConnection::connect(&url).await.expect("the database opens")
}

/// Where a test's data directory keeps the URL of its PostgreSQL database.
pub const DATABASE_URL_FILE: &str = "test-database-url";

/// The database a data directory's server uses, as `DATABASE_URL` (none on SQLite: the file in
/// the directory is the default); a new PostgreSQL database the first time it is asked.
pub fn database_url_of(dir: &std::path::Path) -> Option<String> {
    if !on_postgres() {
        return None;
    }
    let file = dir.join(DATABASE_URL_FILE);
    if let Ok(url) = std::fs::read_to_string(&file) {
        return Some(url);
    }
    let url = crate::postgres::new_database_blocking();
    std::fs::write(&file, &url).expect("the database's URL is kept");
    Some(url)
}

/// Starts Switchboard with extra settings, as environment variables would give them.
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    // The server's log, shown with a failing test's output when TEST_LOG asks for it.
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database_url = new_database_url(dir.path()).await;
    let path = dir.path().to_path_buf();
    start(Some(dir), &path, database_url, settings, true).await
}

/// Another node of `app`'s Switchboard: the same data directory (its key, its files) and
/// database, a listener of its own; nothing seeded again.
pub async fn spawn_node(app: &TestApp, settings: &[(&str, &str)]) -> TestApp {
    start(None, &app.data_dir, app.database_url.clone(), settings, false).await
}

async fn start(
    owned: Option<tempfile::TempDir>,
    dir: &std::path::Path,
    database_url: String,
    settings: &[(&str, &str)],
    seed: bool,
) -> TestApp {
    let data_dir = dir.display().to_string();
    let mut env: Vec<(String, String)> = vec![
        ("SWITCHBOARD_LISTEN".into(), "127.0.0.1:0".into()),
        ("SWITCHBOARD_DATA_DIR".into(), data_dir),
        ("DATABASE_URL".into(), database_url.clone()),
        (
            "SWITCHBOARD_LOG".into(),
            std::env::var("TEST_LOG").unwrap_or("warn".into()),
        ),
    ];
    env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::load(None, |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        .expect("a valid test configuration");
    let app = server::Application::build(config).await.expect("the server starts");
    let store = app.store();
    let hub = app.hub();
    if seed {
        server::demo::seed_demo(&store)
            .await
            .expect("the demo workspace is seeded");
    }
    let base = format!("http://{}", app.addr());
    let metrics_base = app.metrics_addr().map(|a| format!("http://{a}"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        base,
        store,
        hub,
        data_dir: dir.to_path_buf(),
        database_url,
        metrics_base,
        client: new_client(),
        _dir: owned,
        _shutdown: tx,
    }
}

/// Asks `check` again and again until it answers `Some`, and gives that answer; fails naming
/// `what` when `within` passes first. For conditions that become true, never for time.
pub async fn eventually<T, F, Fut>(what: &str, within: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(answer) = check().await {
            return answer;
        }
        assert!(tokio::time::Instant::now() < deadline, "waited {within:?} for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// A new client signed in as `email` on the server at `base`.
pub async fn signed_in_client(base: &str, email: &str, password: &str) -> reqwest::Client {
    let client = new_client();
    let res = send_at(base, &client, &sign_in_as(email, password)).await;
    assert_eq!(res.status(), 200, "signing in as {email}");
    client
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        // A request the server never answers fails the test that made it, by name.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("an HTTP client")
}

/// Calls a server function of the server at `base` with its own arguments, form-encoded
/// (serde_qs, Leptos' `PostUrl`) to its own path, exactly as the pages send them: a renamed
/// function or field does not compile.
pub async fn send_at<F>(base: &str, client: &reqwest::Client, call: &F) -> reqwest::Response
where
    F: ServerFn + Serialize,
{
    let form = serde_qs::to_string(call).expect("the arguments encode");
    client
        .post(format!("{base}{}", F::PATH))
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("the server answers")
}

/// Calls a server function of the server at `base` and decodes its answer.
pub async fn run_at<F>(base: &str, client: &reqwest::Client, call: F) -> Result<F::Output, AppError>
where
    F: ServerFn + Serialize,
    F::Output: DeserializeOwned,
{
    result(send_at(base, client, &call).await).await
}

/// A ticked checkbox is sent as `on`, an unticked one not at all.
pub fn checkbox(ticked: bool) -> Option<String> {
    ticked.then(|| "on".to_string())
}

/// Signing in as `email`, with no page to go back to.
pub fn sign_in_as(email: &str, password: &str) -> SignIn {
    SignIn {
        email: email.into(),
        password: password.into(),
        next: None,
    }
}

/// The demo workflow's editor form, filled in as the tests save it (the assistant built in,
/// pooled routing); change what a test needs with `..workflow_form()`.
pub fn workflow_form() -> UpdateWorkflow {
    UpdateWorkflow {
        id: 1,
        name: "Support Assistant".into(),
        live_routing: checkbox(true),
        handoff_mode: "auto_escalation".into(),
        escalation_threshold: "2".into(),
        escalate_on_frustration: checkbox(true),
        route_on_arrival: None,
        handoff_message: "Connecting you with our team now.".into(),
        silent_handoff: None,
        handoff_triggers: String::new(),
        reassign_after_mins: String::new(),
        alert_after_mins: String::new(),
        greeting: "Hello from Acme!".into(),
        fallback_answer: "I do not know that yet.".into(),
        routing_mode: "pooled".into(),
        accept_timeout_secs: "45".into(),
        requires_qualification: None,
        practice_script: "Hello, my parcel is late.\nIt was due on Monday.".into(),
        ai_provider: "builtin".into(),
        openai_base_url: String::new(),
        openai_model: String::new(),
        openai_api_key: String::new(),
        remove_api_key: None,
        ai_timeout_secs: "15".into(),
    }
}

/// The inbox with no filter; set the ones a test needs with `..inbox_filter()`.
pub fn inbox_filter() -> ListConversations {
    ListConversations {
        view: None,
        status: None,
        channel: None,
        workflow: None,
        q: None,
        before: None,
    }
}

impl TestApp {
    /// The demo workspace's workflow (the one its web chat feeds).
    pub async fn demo_workflow(&self) -> i64 {
        self.store
            .channel_by_key(server::demo::DEMO_WEB_CHANNEL)
            .await
            .unwrap()
            .unwrap()
            .workflow_id
    }

    /// Calls a server function as this app's signed-in client and decodes its answer.
    pub async fn run<F>(&self, call: F) -> Result<F::Output, AppError>
    where
        F: ServerFn + Serialize,
        F::Output: DeserializeOwned,
    {
        self.run_as(&self.client, call).await
    }

    /// Calls a server function as `client` and decodes its answer.
    pub async fn run_as<F>(&self, client: &reqwest::Client, call: F) -> Result<F::Output, AppError>
    where
        F: ServerFn + Serialize,
        F::Output: DeserializeOwned,
    {
        run_at(&self.base, client, call).await
    }

    /// Calls a server function as `client`, for a test that looks at the HTTP answer itself
    /// (its status, its headers).
    pub async fn send<F>(&self, client: &reqwest::Client, call: &F) -> reqwest::Response
    where
        F: ServerFn + Serialize,
    {
        send_at(&self.base, client, call).await
    }

    /// Calls a server function by its path with raw form fields, for what the typed arguments
    /// cannot say: the authorization matrices, which go through every endpoint by its path.
    pub async fn call_with(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(format!("{}/api/{endpoint}", self.base))
            .form(form)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.send(&self.client, &sign_in_as(email, password)).await
    }

    pub async fn signed_in_as(email: &str) -> TestApp {
        let app = spawn_app().await;
        let res = app.sign_in(email, PASSWORD).await;
        assert_eq!(res.status(), 200, "signing in as {email}");
        app
    }

    pub async fn me(&self) -> Result<Me, AppError> {
        self.run(CurrentMember {}).await
    }

    /// The first page of the inbox.
    pub async fn conversations(&self) -> Result<Vec<ConversationSummary>, AppError> {
        self.inbox(inbox_filter()).await.map(|p| p.conversations)
    }

    /// An inbox page with these filters (`..inbox_filter()` for the rest).
    pub async fn inbox(&self, filters: ListConversations) -> Result<app::inbox::InboxPage, AppError> {
        self.run(filters).await
    }

    pub async fn members(&self) -> Result<Vec<MemberSummary>, AppError> {
        self.run(ListMembers {}).await
    }

    pub async fn settings(&self) -> Result<SettingsView, AppError> {
        self.run(GetWorkspaceSettings {}).await
    }

    pub async fn update_settings(&self, form: UpdateWorkspaceSettings) -> (u16, Result<WorkspaceSettings, AppError>) {
        let res = self.send(&self.client, &form).await;
        let status = res.status().as_u16();
        (status, result(res).await)
    }

    /// Sets the demo workspace's plan as the instance's administrator does on the Plans page
    /// (the demo's owner is one): its seats, and the operator, presence and account-manager
    /// flags.
    pub async fn set_plan(&self, seats: i64, operators: bool, presence: bool, managers: bool) {
        let owner = TestApp::client_signed_in(self, OWNER).await;
        let plan = SetPlan {
            workspace_id: "1".into(),
            name: "Team".into(),
            human_agents: seats.to_string(),
            operator_enabled: checkbox(operators),
            presence_enabled: checkbox(presence),
            managers_handle_chats: checkbox(managers),
        };
        let res = self.send(&owner, &plan).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
}

/// The visitor with `token` connects to the server at `base` and resumes after `last_seq`.
pub async fn resume_at(base: &str, token: &str, last_seq: i64) -> VisitorSocket {
    let url = format!("{}/ws/visitor", base.replacen("http://", "ws://", 1));
    let mut socket: VisitorSocket = connect(&url, None).await.expect("the visitor socket opens");
    socket
        .send(&VisitorCommand::Resume {
            token: token.to_string(),
            last_seq,
        })
        .await;
    socket
}

/// Decodes a server function's answer: the value on success, the `AppError` otherwise.
pub async fn result<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<T, AppError> {
    let ok = res.status().is_success();
    let body = res.text().await.expect("a body");
    if ok {
        Ok(serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")))
    } else {
        Err(serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")))
    }
}

impl TestApp {
    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.base.replacen("http://", "ws://", 1))
    }

    /// Changes the database behind the server's back, as an older version or a person with
    /// the file would (for what the server must cope with finding there).
    pub async fn write_sql(&self, sql: &str) {
        match self.database().await {
            Database::Sqlite(mut db) => drop(sqlx::query(sql).execute(&mut db).await.unwrap()),
            Database::Postgres(mut db) => drop(sqlx::query(sql).execute(&mut db).await.unwrap()),
        }
    }

    /// The database as it stands, on its own connection (for what no page shows).
    async fn database(&self) -> Database {
        use sqlx::{ConnectOptions, Connection};
        if server::store::is_postgres(&self.database_url) {
            return Database::Postgres(sqlx::PgConnection::connect(&self.database_url).await.unwrap());
        }
        let db = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&self.database_url)
            .unwrap()
            .busy_timeout(std::time::Duration::from_secs(10))
            .connect()
            .await
            .expect("the database opens");
        Database::Sqlite(db)
    }

    /// The single number a query gives, e.g. `SELECT COUNT(*) FROM contacts`.
    pub async fn count(&self, sql: &str) -> i64 {
        match self.database().await {
            Database::Sqlite(mut db) => sqlx::query_scalar(sql).fetch_one(&mut db).await.unwrap(),
            Database::Postgres(mut db) => sqlx::query_scalar(sql).fetch_one(&mut db).await.unwrap(),
        }
    }

    /// The first column of every row a query gives, as text.
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        match self.database().await {
            Database::Sqlite(mut db) => sqlx::query_scalar(sql).fetch_all(&mut db).await.unwrap(),
            Database::Postgres(mut db) => sqlx::query_scalar(sql).fetch_all(&mut db).await.unwrap(),
        }
    }

    /// Every row of every table a request could change, as text: equal before and after a
    /// request means it changed nothing. Leaves out sign-in sessions and what changes by
    /// itself (the search index and its progress).
    pub async fn fingerprint(&self) -> std::collections::BTreeMap<String, String> {
        const UNCHANGING: &str = "('sessions', 'search_progress', '_sqlx_migrations')";
        let mut db = match self.database().await {
            Database::Postgres(mut db) => {
                let tables: Vec<String> = sqlx::query_scalar(&format!(
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = 'public' AND table_name NOT IN {UNCHANGING} ORDER BY 1"
                ))
                .fetch_all(&mut db)
                .await
                .unwrap();
                let mut all = std::collections::BTreeMap::new();
                for t in tables {
                    let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT r::text FROM \"{t}\" r ORDER BY 1"))
                        .fetch_all(&mut db)
                        .await
                        .unwrap();
                    all.insert(t, rows.join("\n"));
                }
                return all;
            }
            Database::Sqlite(db) => db,
        };
        let columns: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'messages_search%'
               AND m.name NOT IN {UNCHANGING}
             ORDER BY m.name, p.cid"
        ))
        .fetch_all(&mut db)
        .await
        .unwrap();
        let mut rows: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
        for (table, column) in &columns {
            rows.entry(table).or_default().push(format!("quote(\"{column}\")"));
        }
        let query = rows
            .iter()
            .map(|(t, cols)| {
                format!(
                    "SELECT '{t}', COALESCE((SELECT group_concat(r, char(10)) FROM (SELECT {} AS r FROM \"{t}\" ORDER BY 1)), '')",
                    cols.join(" || ',' || ")
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        sqlx::query_as::<_, (String, String)>(&query)
            .fetch_all(&mut db)
            .await
            .unwrap()
            .into_iter()
            .collect()
    }

    /// A new member of the demo workspace with this role (demo password); gives their id.
    pub async fn add_member(&self, email: &str, role: app::Role) -> i64 {
        let hash = server::auth::hash_password(PASSWORD).unwrap();
        self.store
            .create_member(
                1,
                server::store::NewMember {
                    email,
                    name: role.label(),
                    password_hash: &hash,
                    role,
                },
            )
            .await
            .unwrap()
    }

    /// The demo workspace's web chat channel.
    pub async fn demo_channel(&self) -> server::store::ChannelRecord {
        self.store
            .channel_by_key(server::demo::DEMO_WEB_CHANNEL)
            .await
            .unwrap()
            .unwrap()
    }

    /// A new visitor's token on a chat whose workflow no operator group has (agents do not
    /// see its conversations; supervisors do).
    pub async fn visitor_nobody_in_a_group_sees(&self) -> String {
        let billing = self.store.create_workflow(1, "Billing (no group)").await.unwrap();
        self.store
            .create_channel(1, billing, "web", "Billing chat", "#7c3aed", "billing-web")
            .await
            .unwrap();
        self.run_as(
            &new_client(),
            StartVisitor {
                key: "billing-web".into(),
            },
        )
        .await
        .unwrap()
    }

    /// A new visitor's token on the demo web channel, as the widget gets it.
    pub async fn visitor_token(&self) -> String {
        let start = StartVisitor {
            key: server::demo::DEMO_WEB_CHANNEL.into(),
        };
        self.run_as(&new_client(), start).await.expect("a visitor token")
    }

    /// A chat socket that starts a new visitor on the web channel `key`, as the widget does
    /// when this browser has no token yet.
    pub async fn visitor_starting(&self, key: &str) -> VisitorSocket {
        let mut socket: VisitorSocket = connect(&self.ws_url("/ws/visitor"), None)
            .await
            .expect("the chat socket opens");
        socket.send(&VisitorCommand::Start { key: key.into() }).await;
        socket
    }

    /// A new visitor, connected and resumed from the start.
    pub async fn visitor(&self) -> VisitorSocket {
        let token = self.visitor_token().await;
        self.visitor_with(&token).await
    }

    pub async fn visitor_with(&self, token: &str) -> VisitorSocket {
        self.visitor_with_resume(token, 0).await
    }

    pub async fn visitor_with_resume(&self, token: &str, last_seq: i64) -> VisitorSocket {
        resume_at(&self.base, token, last_seq).await
    }

    /// The HTTP status a refused chat socket gets, or `None` if it opened.
    pub async fn visitor_connect_status(&self) -> Option<u16> {
        connect::<VisitorCommand, app::events::VisitorEvent>(&self.ws_url("/ws/visitor"), None)
            .await
            .err()
    }

    /// The body of a GET of `path` by a new client, with a bearer token if given.
    pub async fn text_of(&self, path: &str, bearer: Option<&str>) -> String {
        let mut request = new_client().get(format!("{}{path}", self.base));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().text().await.unwrap()
    }

    /// The HTTP status a refused operator socket gets at `path` (`/ws/operator` and its query)
    /// with no session, or `None` if it opened.
    pub async fn operator_connect_status(&self, path: &str) -> Option<u16> {
        connect::<app::events::OperatorCommand, app::events::OperatorEvent>(&self.ws_url(path), None)
            .await
            .err()
    }

    /// Why a chat socket that resumes with `token` is closed (it must be, with
    /// `TOKEN_REFUSED`: the widget then starts a new visitor).
    pub async fn visitor_refusal(&self, token: &str) -> String {
        let mut socket = self.visitor_with(token).await;
        let (code, reason) = socket.closed_by_server(crate::sockets::WAIT).await;
        assert_eq!(code, app::events::TOKEN_REFUSED, "{reason}");
        reason
    }

    /// A client signed in as `email` (demo password).
    pub async fn client_signed_in(app: &TestApp, email: &str) -> reqwest::Client {
        TestApp::client_for(app, email, PASSWORD).await
    }

    pub async fn client_for(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
        signed_in_client(&app.base, email, password).await
    }

    /// The session cookie of a fresh sign-in.
    pub async fn session_cookie(&self, email: &str, password: &str) -> String {
        let res = self.send(&new_client(), &sign_in_as(email, password)).await;
        assert_eq!(res.status(), 200, "signing in as {email}");
        let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
        cookie.split(';').next().unwrap().to_string()
    }

    pub async fn operator(&self, email: &str) -> OperatorSocket {
        self.operator_with_password(email, PASSWORD).await
    }

    pub async fn operator_with_password(&self, email: &str, password: &str) -> OperatorSocket {
        let cookie = self.session_cookie(email, password).await;
        connect(&self.ws_url("/ws/operator"), Some(&cookie))
            .await
            .expect("the operator socket opens")
    }

    pub async fn take_over(&self, id: i64) -> Result<ConversationSummary, AppError> {
        self.run(TakeOver { id }).await
    }

    pub async fn restore_to_ai(&self, id: i64) -> Result<ConversationSummary, AppError> {
        self.run(RestoreToAi { id }).await
    }

    pub async fn resolve(&self, id: i64) -> Result<ConversationSummary, AppError> {
        self.run(ResolveConversation { id }).await
    }
}
