//! The configuration read from defaults, a file and the environment, and refused in words.

use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| map.get(k).cloned()
}

#[test]
fn defaults_give_a_local_sqlite_server() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
    assert_eq!(c.database_url.expose(), "sqlite://data/switchboard.db");
    assert_eq!(c.public_url, "http://127.0.0.1:3000");
    assert!(!c.secure_cookies());
    assert_eq!(
        c.commit_window,
        crate::store::CommitPolicy::default().window,
        "the setting's default is the store's"
    );
}

#[test]
fn the_signing_key_is_made_once_readable_by_its_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_string();
    let c = Config::load(None, env(&[("SWITCHBOARD_DATA_DIR", data_dir.as_str())])).unwrap();
    let key = c.signing_key().unwrap();
    assert_eq!(key.len(), 64);
    assert_eq!(c.signing_key().unwrap(), key, "the same key on the next start");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::fs::write(dir.path().join("secret.key"), "short").unwrap();
    let e = c.signing_key().unwrap_err();
    assert!(e.to_string().contains("fewer than 32 characters"), "{e}");
}

#[test]
fn the_commit_window_is_milliseconds_within_bounds() {
    let c = Config::load(None, env(&[])).unwrap();
    assert!(c.commit_window.is_zero(), "no lingering unless asked");
    let c = Config::load(None, env(&[("SWITCHBOARD_COMMIT_WINDOW_MS", "8")])).unwrap();
    assert_eq!(c.commit_window, std::time::Duration::from_millis(8));
    let e = Config::load(None, env(&[("SWITCHBOARD_COMMIT_WINDOW_MS", "500")])).unwrap_err();
    assert!(e.to_string().contains("commit_window_ms"), "{e}");
}

#[test]
fn giving_memory_back_is_every_minute_unless_set_otherwise_or_off() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c.heap_trim, Some(std::time::Duration::from_secs(60)));
    let c = Config::load(None, env(&[("SWITCHBOARD_HEAP_TRIM_SECS", "5")])).unwrap();
    assert_eq!(c.heap_trim, Some(std::time::Duration::from_secs(5)));
    let c = Config::load(None, env(&[("SWITCHBOARD_HEAP_TRIM_SECS", "0")])).unwrap();
    assert_eq!(c.heap_trim, None, "0 never trims");
    let e = Config::load(None, env(&[("SWITCHBOARD_HEAP_TRIM_SECS", "-1")])).unwrap_err();
    assert!(e.to_string().contains("heap_trim_secs"), "{e}");
    assert!(e.to_string().contains("must be between 0 and 86400"), "{e}");
}

#[test]
fn the_allocator_keeps_two_arenas_unless_told_otherwise() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c.malloc_arenas, 2);
    assert_eq!(
        Config::load(None, env(&[("SWITCHBOARD_MALLOC_ARENAS", "0")]))
            .unwrap()
            .malloc_arenas,
        0,
        "0 leaves glibc's own limit"
    );
    let e = Config::load(None, env(&[("SWITCHBOARD_MALLOC_ARENAS", "65")])).unwrap_err();
    assert!(e.to_string().contains("malloc_arenas"), "{e}");
    assert!(e.to_string().contains("must be between 0 and 64"), "{e}");
}

#[test]
fn the_environment_overrides_the_file_which_overrides_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.toml");
    std::fs::write(
        &path,
        "listen = \"0.0.0.0:8080\"\nsession_ttl_secs = 60\npublic_url = \"https://chat.example.com/\"\n",
    )
    .unwrap();
    let c = Config::load(Some(&path), env(&[("SWITCHBOARD_SESSION_TTL_SECS", "120")])).unwrap();
    assert_eq!(c.listen.port(), 8080);
    assert_eq!(c.session_ttl_secs, 120);
    assert_eq!(c.public_url, "https://chat.example.com");
    assert!(c.secure_cookies());
}

#[test]
fn a_malformed_value_names_the_setting_and_where_it_came_from() {
    let err = Config::load(None, env(&[("SWITCHBOARD_LISTEN", "localhost")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "setting `listen` (from the environment variable SWITCHBOARD_LISTEN) is invalid: `localhost` must be an address and port such as 127.0.0.1:3000"
    );
    let err = Config::load(None, env(&[("SWITCHBOARD_SESSION_TTL_SECS", "0")])).unwrap_err();
    assert!(err.to_string().contains("must be between 1 and 2592000"), "{err}");
}

#[test]
fn a_bad_secret_is_refused_without_printing_it() {
    let err = Config::load(None, env(&[("DATABASE_URL", "mysql://root:hunter2@db")])).unwrap_err();
    assert!(err.to_string().contains("database_url"));
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(!format!("{:?}", Secret::new("hunter2")).contains("hunter2"));
}

#[test]
fn the_bus_is_local_postgres_with_a_postgres_database_or_nats() {
    let err = Config::load(None, env(&[("SWITCHBOARD_BUS", "postgres")])).unwrap_err();
    assert!(err.to_string().contains("postgres:// database"), "{err}");
    let c = Config::load(
        None,
        env(&[
            ("SWITCHBOARD_BUS", "postgres"),
            ("DATABASE_URL", "postgres://switchboard:secret@db/switchboard"),
        ]),
    )
    .unwrap();
    assert_eq!(c.bus, Bus::Postgres);
    assert_eq!(
        Config::load(None, env(&[])).unwrap().bus,
        Bus::Local,
        "one node by default"
    );
    let c = Config::load(
        None,
        env(&[
            ("SWITCHBOARD_BUS", "nats"),
            ("SWITCHBOARD_NATS_URL", "nats://10.0.0.5:4222"),
        ]),
    )
    .unwrap();
    assert_eq!(c.bus, Bus::Nats(Secret::new("nats://10.0.0.5:4222".to_string())));
    let err = Config::load(None, env(&[("SWITCHBOARD_BUS", "kafka")])).unwrap_err();
    assert!(err.to_string().contains("must be local, postgres or nats"), "{err}");
}

#[test]
fn mail_needs_a_server_and_a_sender_and_never_prints_the_password() {
    let c = Config::load(
        None,
        env(&[
            ("SWITCHBOARD_SMTP_URL", "smtp://mailer:pa55word@127.0.0.1:2525"),
            ("SWITCHBOARD_MAIL_FROM", "Acme Support <support@acme.example>"),
        ]),
    )
    .unwrap();
    assert!(c.mail.is_some());
    assert!(!format!("{c:?}").contains("pa55word"));
    let err = Config::load(None, env(&[("SWITCHBOARD_SMTP_URL", "smtp://127.0.0.1:25")])).unwrap_err();
    assert!(err.to_string().contains("mail_from"), "{err}");
    let err = Config::load(
        None,
        env(&[
            ("SWITCHBOARD_SMTP_URL", "ftp://mailer:pa55word@host"),
            ("SWITCHBOARD_MAIL_FROM", "support@acme.example"),
        ]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("smtp_url"), "{err}");
    assert!(!err.to_string().contains("pa55word"), "{err}");
    let err = Config::load(
        None,
        env(&[
            ("SWITCHBOARD_SMTP_URL", "smtp://127.0.0.1:25"),
            ("SWITCHBOARD_MAIL_FROM", "not an address"),
        ]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("mail_from"), "{err}");
}

#[test]
fn an_unknown_key_in_the_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, "lisen = \"x\"\n").unwrap();
    let err = Config::load(Some(&path), env(&[])).unwrap_err();
    assert!(
        matches!(err, ConfigError::UnknownKey { ref key, .. } if key == "lisen"),
        "{err}"
    );
}
