//! `spawn_app` and the `TestApp` that drives the running server the way a browser would.

use app::model::{ConversationSummary, MemberSummary, WorkspaceSettings};
use app::{AppError, Me};
use server::config::Config;
use server::store::Store;

pub const PASSWORD: &str = server::demo::DEMO_PASSWORD;
pub const OWNER: &str = "owner@demo.switchboard.test";
pub const ADMIN: &str = "admin@demo.switchboard.test";
pub const AGENT: &str = "agent1@demo.switchboard.test";
pub const SUPERVISOR: &str = "supervisor@demo.switchboard.test";

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Starts Switchboard with the demo workspace seeded.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts Switchboard with extra settings, as environment variables would give them.
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data_dir = dir.path().display().to_string();
    let mut env: Vec<(String, String)> = vec![
        ("SWITCHBOARD_LISTEN".into(), "127.0.0.1:0".into()),
        ("SWITCHBOARD_DATA_DIR".into(), data_dir),
        ("SWITCHBOARD_LOG".into(), "warn".into()),
    ];
    env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::load(None, |name| {
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
    .expect("a valid test configuration");
    let app = server::Application::build(config)
        .await
        .expect("the server starts");
    let store = app.store();
    server::demo::seed_demo(&store)
        .await
        .expect("the demo workspace is seeded");
    let base = format!("http://{}", app.addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        base,
        store,
        client: new_client(),
        _dir: dir,
        _shutdown: tx,
    }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

impl TestApp {
    /// Calls a server function with form fields, as the pages do.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.call_with(&self.client, endpoint, form).await
    }

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
        self.call("auth/sign_in", &[("email", email), ("password", password)])
            .await
    }

    pub async fn signed_in_as(email: &str) -> TestApp {
        let app = spawn_app().await;
        let res = app.sign_in(email, PASSWORD).await;
        assert_eq!(res.status(), 200, "signing in as {email}");
        app
    }

    pub async fn me(&self) -> Result<Me, AppError> {
        result(self.call("auth/me", &[]).await).await
    }

    pub async fn conversations(&self) -> Result<Vec<ConversationSummary>, AppError> {
        result(self.call("inbox/conversations", &[]).await).await
    }

    pub async fn members(&self) -> Result<Vec<MemberSummary>, AppError> {
        result(self.call("people/members", &[]).await).await
    }

    pub async fn settings(&self) -> Result<WorkspaceSettings, AppError> {
        result(self.call("settings/get", &[]).await).await
    }

    pub async fn update_settings(
        &self,
        form: &[(&str, &str)],
    ) -> (u16, Result<WorkspaceSettings, AppError>) {
        let res = self.call("settings/update", form).await;
        let status = res.status().as_u16();
        (status, result(res).await)
    }
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
