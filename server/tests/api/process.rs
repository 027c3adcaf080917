//! Switchboard as a separate process on a data directory of its own, as an operator runs it:
//! for tests that kill or restart the server.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use app::chat::StartVisitor;
use leptos::server_fn::ServerFn;
use serde::Serialize;

use crate::helpers::*;
use crate::sockets::*;

/// `switchboard serve` as a separate process, as an operator runs it.
pub struct Served {
    pub child: Child,
    pub base: String,
}

pub fn switchboard(data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .args(args)
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_LISTEN", "127.0.0.1:0")
        .env("SWITCHBOARD_LOG", "warn");
    if let Some(url) = database_url_of(data_dir) {
        command.env("DATABASE_URL", url);
    }
    command
}

/// Starts the server, its output (the log included) going to `log`, and waits until it says
/// where it listens.
pub fn serve(data_dir: &Path, log: &Path) -> Served {
    serve_with(data_dir, log, &[])
}

/// `serve` with extra settings, as environment variables.
pub fn serve_with(data_dir: &Path, log: &Path, settings: &[(&str, &str)]) -> Served {
    let mut file = std::fs::File::create(log).expect("a log file");
    let mut child = switchboard(data_dir, &["serve"])
        .envs(settings.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let stdout = BufReader::new(child.stdout.take().expect("its output"));
    let (found, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::Write;
        for line in stdout.lines().map_while(Result::ok) {
            if let Some(base) = line.strip_prefix("Switchboard is running at ") {
                let _ = found.send(base.to_string());
            }
            let _ = writeln!(file, "{line}");
        }
    });
    let base = address
        .recv_timeout(Duration::from_secs(30))
        .expect("the server says where it listens");
    Served { child, base }
}

impl Served {
    /// A client signed in as `email` (demo password).
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        signed_in_client(&self.base, email, PASSWORD).await
    }

    /// Asserts the server answers `/readyz` (its database is open).
    pub async fn assert_ready(&self) {
        let ready = new_client()
            .get(format!("{}/readyz", self.base))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(ready.status(), 200);
    }

    /// Calls a server function as `client`, for the HTTP answer itself.
    pub async fn send<F>(&self, client: &reqwest::Client, call: &F) -> reqwest::Response
    where
        F: ServerFn + Serialize,
    {
        send_at(&self.base, client, call).await
    }

    /// An operator's console socket, signed in as `email` (demo password).
    pub async fn operator(&self, email: &str) -> OperatorSocket {
        let res = self.send(&new_client(), &sign_in_as(email, PASSWORD)).await;
        assert_eq!(res.status(), 200, "signing in as {email}");
        let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_string();
        let url = format!("{}/ws/operator", self.base.replacen("http://", "ws://", 1));
        connect(&url, Some(&cookie)).await.expect("the operator socket opens")
    }

    /// Sends the process a signal by name (`STOP`, `CONT`, `TERM`, `KILL`).
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIG{name} was sent");
    }

    /// A new visitor on the demo web channel, connected and resumed, as the widget does it.
    pub async fn visitor(&self) -> VisitorSocket {
        let token = self.visitor_token().await;
        self.resume(&token, 0).await
    }

    /// A new visitor's token on the demo web channel.
    pub async fn visitor_token(&self) -> String {
        let start = StartVisitor {
            key: server::demo::DEMO_WEB_CHANNEL.into(),
        };
        run_at(&self.base, &new_client(), start).await.expect("a visitor token")
    }

    /// The visitor with `token` connects here and resumes after `last_seq`.
    pub async fn resume(&self, token: &str, last_seq: i64) -> VisitorSocket {
        resume_at(&self.base, token, last_seq).await
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn requests_are_logged_as_json_lines_without_their_query() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = serve_with(
        dir.path(),
        &log,
        &[("SWITCHBOARD_LOG", "info"), ("SWITCHBOARD_LOG_FORMAT", "json")],
    );
    let res = new_client()
        .get(format!("{}/healthz?sig=not-for-the-log", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let line = eventually("the request in the log", Duration::from_secs(20), || async {
        std::fs::read_to_string(&log)
            .ok()?
            .lines()
            .find(|l| l.contains("/healthz"))
            .map(str::to_string)
    })
    .await;
    let entry: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(entry["target"], "switchboard::http");
    assert_eq!(entry["fields"]["method"], "GET");
    assert_eq!(entry["fields"]["path"], "/healthz");
    assert_eq!(entry["fields"]["status"], 200);
    assert!(!line.contains("not-for-the-log"), "{line}");
}
