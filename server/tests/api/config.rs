//! The binary's start-up: a bad setting stops it with a message naming the setting.

use std::process::Command;

#[test]
fn a_malformed_setting_stops_start_up_and_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("migrate")
        .env("SWITCHBOARD_DATA_DIR", dir.path())
        .env("SWITCHBOARD_SESSION_TTL_SECS", "forever")
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("setting `session_ttl_secs` (from the environment variable SWITCHBOARD_SESSION_TTL_SECS) is invalid: `forever` must be a whole number"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("switchboard.db").exists(),
        "nothing is created when the configuration is bad"
    );
}

#[test]
fn create_owner_and_seed_demo_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(args)
            .env("SWITCHBOARD_DATA_DIR", dir.path())
            .env("SWITCHBOARD_LOG", "warn")
            .output()
            .expect("the binary runs")
    };
    let out = run(&["seed-demo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("owner@demo.switchboard.test"));
    let again = run(&["seed-demo"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already there"));

    let create_owner = |password: &str| {
        let owner = ["--workspace", "Beta", "--email", "b@beta.example", "--name", "B"];
        run(&[&["create-owner"], &owner[..], &["--password", password]].concat())
    };
    let out = create_owner("short");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Password: must be at least 10 characters"));
    let out = create_owner("long-enough-pw");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
