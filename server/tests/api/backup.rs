//! `switchboard backup` while the server serves, then `switchboard restore` into a new data
//! directory: a server started there has every conversation, message and file.

use crate::helpers::*;
use crate::process::{serve, switchboard};

fn run(mut command: std::process::Command) -> (bool, String) {
    let out = command.output().expect("the command runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_every_conversation_message_and_file() {
    let app = spawn_app().await;
    let token = app.visitor_token().await;
    let mut v = app.visitor_with(&token).await;
    // A message the assistant answers, then a file on its own (nothing left to answer, so
    // nothing is still being written when the copy is compared with the server's database).
    crate::authz_routes::conversation_with_file(&app, &mut v, &token, "receipt.txt").await;
    let receipt = b"4471";
    let file_id = app.count("SELECT id FROM attachments").await;
    let bodies = "SELECT body FROM messages ORDER BY conversation_id, seq";
    let before = app.texts(bodies).await;

    let scratch = tempfile::tempdir().unwrap();
    let folder = scratch.path().join("backup");
    if on_postgres() {
        // PostgreSQL is backed up with its own tools, which the command names.
        let (ok, said) = run(switchboard(
            &app.data_dir,
            &["backup", "--to", folder.to_str().unwrap()],
        ));
        assert!(!ok && said.contains("pg_dump") && said.contains("secret.key"), "{said}");
        let (ok, said) = run(switchboard(
            &app.data_dir,
            &["restore", "--from", folder.to_str().unwrap()],
        ));
        assert!(!ok && said.contains("pg_restore"), "{said}");
        return;
    }
    let (ok, said) = run(switchboard(
        &app.data_dir,
        &["backup", "--to", folder.to_str().unwrap()],
    ));
    assert!(ok, "{said}");
    assert!(said.contains("1 files"), "{said}");
    // Not over an earlier backup.
    let (ok, said) = run(switchboard(
        &app.data_dir,
        &["backup", "--to", folder.to_str().unwrap()],
    ));
    assert!(!ok && said.contains("is not empty"), "{said}");

    let restored = scratch.path().join("restored");
    let (ok, said) = run(switchboard(&restored, &["restore", "--from", folder.to_str().unwrap()]));
    assert!(ok, "{said}");
    // Never over a database that is there.
    let (ok, said) = run(switchboard(&restored, &["restore", "--from", folder.to_str().unwrap()]));
    assert!(!ok && said.contains("exists"), "{said}");
    let (ok, said) = run(switchboard(
        &restored,
        &["restore", "--from", scratch.path().to_str().unwrap()],
    ));
    assert!(!ok && said.contains("is not a Switchboard backup"), "{said}");

    // A server on the restored data directory has it all: the messages, the file, the same key.
    let server = serve(&restored, &scratch.path().join("server.log"));
    let admin = server.signed_in(ADMIN).await;
    let fetched = admin
        .get(format!("{}/attachments/{file_id}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(&fetched.bytes().await.unwrap()[..], receipt);
    let restored_db = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(restored.join("switchboard.db"))
                .read_only(true),
        )
        .await
        .unwrap();
    let after: Vec<String> = sqlx::query_scalar(bodies).fetch_all(&restored_db).await.unwrap();
    assert_eq!(after, before);
    assert_eq!(
        std::fs::read(restored.join("secret.key")).unwrap(),
        std::fs::read(app.data_dir.join("secret.key")).unwrap(),
        "the visitor's token still opens their chat"
    );
}
