//! A throwaway NATS server for tests: one per test binary, started on first use from Debian's
//! `nats-server` on a free loopback port and killed with the binary (see `postgres.rs`).

use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::postgres::{free_port, spawn_tied_to_this_process, Stop};

static SERVER: OnceLock<Result<String, String>> = OnceLock::new();

/// This binary's NATS server's URL, started if it is not running yet.
pub fn url() -> &'static str {
    match SERVER.get_or_init(|| start(free_port()?).map(|(url, _)| url)) {
        Ok(url) => url,
        Err(e) => panic!("could not start a NATS server for the tests: {e}"),
    }
}

/// Starts a NATS server on `port`: its URL, and what stops it (dropped, it runs on).
pub fn start(port: u16) -> Result<(String, Stop), String> {
    // Debian puts it in /usr/sbin, which is not on every user's PATH.
    let program = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("nats-server");
    let mut server = Command::new(program);
    server
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null());
    // It says so on its standard error once it accepts connections.
    let stop = spawn_tied_to_this_process(server, "Server is ready", None)?;
    Ok((format!("nats://127.0.0.1:{port}"), stop))
}
