//! A throwaway PostgreSQL for tests: one server per test binary, started on first use from
//! Debian's `initdb` and `postgres` in a temporary folder, and a new database for each test.
//!
//! The server is a child of this process that the kernel kills when the process ends
//! (`PR_SET_PDEATHSIG`), however it ends. As root, it runs as the `postgres` user (PostgreSQL
//! refuses to run as root). Shared by the unit tests (`#[path]`) and the integration tests.

// The unit tests use only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// The running server.
pub struct Cluster {
    port: u16,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static DATABASES: AtomicU32 = AtomicU32::new(0);

/// This binary's server, started if it is not running yet.
pub fn cluster() -> &'static Cluster {
    match CLUSTER.get_or_init(start) {
        Ok(c) => c,
        Err(e) => panic!("could not start a PostgreSQL server for the tests: {e}"),
    }
}

/// A new, empty database on this binary's server: its URL.
pub async fn new_database() -> String {
    cluster().new_database().await
}

impl Cluster {
    /// The URL of `database` on this server.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://switchboard@127.0.0.1:{}/{database}", self.port)
    }

    pub async fn new_database(&self) -> String {
        use sqlx::Connection;
        let name = next_name();
        let mut admin = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .expect("connect to the test server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        admin.close().await.ok();
        self.url(&name)
    }
}

/// A new, empty database on this binary's server, made with `createdb` (for code that cannot
/// wait on a future): its URL.
pub fn new_database_blocking() -> String {
    let cluster = cluster();
    let name = next_name();
    let made = program(&bin_dir(), "createdb")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &cluster.port.to_string(),
            "-U",
            "switchboard",
            &name,
        ])
        .output()
        .expect("createdb runs");
    assert!(
        made.status.success(),
        "createdb: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    cluster.url(&name)
}

fn next_name() -> String {
    format!("t{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::Relaxed))
}

/// The folder of PostgreSQL's server programs: the newest Debian installs, else `PATH`'s.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn program(bin: &Option<PathBuf>, name: &str) -> Command {
    Command::new(bin.as_ref().map_or(PathBuf::from(name), |b| b.join(name)))
}

/// The uid and gid to run the server as: `postgres`'s when this process is root.
fn run_as() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn as_user(mut c: Command, user: Option<(u32, u32)>) -> Command {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = user {
        c.uid(uid).gid(gid);
    }
    c
}

pub fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

fn start() -> Result<Cluster, String> {
    let bin = bin_dir();
    let user = run_as();
    remove_stale_folders();
    let dir = std::env::temp_dir().join(format!("switchboard-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
    }
    let data = dir.join("data");
    let init = as_user(program(&bin, "initdb"), user)
        .args([
            "--no-sync",
            "--auth=trust",
            "--username=switchboard",
            "--encoding=UTF8",
            "--locale=C",
        ])
        .arg("-D")
        .arg(&data)
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("initdb could not run ({e}); is PostgreSQL installed?"))?;
    if !init.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&init.stderr)));
    }
    let port = free_port()?;
    let log = std::fs::File::create(dir.join("server.log")).map_err(|e| e.to_string())?;
    let mut server = as_user(program(&bin, "postgres"), user);
    server
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
        .arg("-k")
        .arg(&dir)
        // Durability is not what these tests are about; speed is.
        .args([
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ])
        .args(["-c", "max_connections=500", "-c", "shared_buffers=64MB"])
        .stdout(log.try_clone().map_err(|e| e.to_string())?);
    // It says so in its log once it accepts connections.
    spawn_tied_to_this_process(server, "database system is ready to accept connections", Some(log))?;
    Ok(Cluster { port })
}

/// Removes the folders of earlier test binaries that have ended (their servers ended with them).
fn remove_stale_folders() {
    for entry in std::fs::read_dir(std::env::temp_dir()).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("switchboard-pg-")) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Starts `command` from a thread that lives as long as this process, asking the kernel to
/// kill the child when that thread ends (the parent-death signal follows the thread that
/// forked, so a test's own thread, which ends with the test, would not do), and returns once
/// the child has written `ready` in a line of its standard error (the rest of which goes to
/// `log`). The child runs until the process ends, or until `Stop::now`.
pub fn spawn_tied_to_this_process(
    mut command: Command,
    ready: &'static str,
    log: Option<std::fs::File>,
) -> Result<Stop, String> {
    use std::io::{BufRead, Write};
    use std::os::unix::process::CommandExt;
    use std::sync::mpsc::channel;
    let (started, start) = channel::<Result<(), String>>();
    let (stop, stopping) = channel::<std::sync::mpsc::Sender<()>>();
    command.stderr(Stdio::piped());
    std::thread::spawn(move || {
        // SAFETY: prctl only sets this (forked) process's parent-death signal; it runs after
        // the uid change, which would otherwise clear it.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                let _ = started.send(Err(format!("{:?} could not start: {e}", command.get_program())));
                return;
            }
        };
        // Its standard error, read to the end (a full pipe would stop it), says when it is ready.
        let stderr = child.stderr.take().expect("piped");
        std::thread::spawn(move || {
            let mut log = log;
            let mut said = Vec::new();
            let mut started = Some(started);
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(log) = log.as_mut() {
                    let _ = writeln!(log, "{line}");
                }
                if started.is_some() && line.contains(ready) {
                    let _ = started.take().map(|s| s.send(Ok(())));
                } else if started.is_some() {
                    said.push(line);
                }
            }
            if let Some(started) = started {
                let _ = started.send(Err(format!("it ended before it was ready:\n{}", said.join("\n"))));
            }
        });
        match stopping.recv() {
            Ok(stopped) => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = stopped.send(());
            }
            // Nobody will stop it: it runs as long as the process.
            Err(_) => loop {
                std::thread::park();
            },
        }
    });
    match start.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(())) => Ok(Stop(stop)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!("not ready within a minute (waiting for \"{ready}\")")),
    }
}

/// Stops a child started by `spawn_tied_to_this_process`; dropped, it leaves the child running.
pub struct Stop(std::sync::mpsc::Sender<std::sync::mpsc::Sender<()>>);

impl Stop {
    /// Kills the child and returns once it has ended.
    pub fn now(self) {
        let (stopped, wait) = std::sync::mpsc::channel();
        if self.0.send(stopped).is_ok() {
            let _ = wait.recv();
        }
    }
}
