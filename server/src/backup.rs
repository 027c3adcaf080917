//! Backing up and restoring a Switchboard: `switchboard backup --to DIR` while it serves, and
//! `switchboard restore --from DIR` into an empty data directory.
//!
//! A backup is a folder: `switchboard.db` (a consistent, compacted copy made by SQLite's
//! `VACUUM INTO` from one read transaction, so a busy server loses nothing and waits for
//! nothing), `secret.key` (the key visitor tokens and file links are signed with, unless the
//! configuration sets `secret_key`), `attachments/` (the files; copied after the database, so
//! every file the copy names is there) and `manifest.json` (what it holds, for people and for
//! the restore's checks).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;

use crate::config::Config;

const DATABASE: &str = "switchboard.db";
const KEY: &str = "secret.key";
const FILES: &str = "attachments";
const MANIFEST: &str = "manifest.json";

/// What a backup holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// The layout of the folder (1).
    pub format: u32,
    /// The Switchboard version that made it.
    pub version: String,
    /// When it was made (Unix ms).
    pub created_at: i64,
    pub workspaces: i64,
    pub conversations: i64,
    pub messages: i64,
    pub files: u64,
    /// Whether `secret.key` is in the folder (otherwise the configuration's `secret_key` signs
    /// tokens, and must be kept with the backup).
    pub has_key: bool,
}

/// The SQLite file a configuration names (`database_url`, or `<data_dir>/switchboard.db`).
fn database_file(config: &Config) -> Result<PathBuf, String> {
    let url = config.database_url.expose();
    let options = SqliteConnectOptions::from_str(url).map_err(|e| format!("the database URL is not usable: {e}"))?;
    Ok(options.get_filename().to_path_buf())
}

/// Counts of what a database file holds.
async fn counts(file: &Path) -> Result<(i64, i64, i64), String> {
    let mut conn = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| format!("could not open {}: {e}", file.display()))?;
    let (w, c, m): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM workspaces), (SELECT COUNT(*) FROM conversations), (SELECT COUNT(*) FROM messages)",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|e| format!("{} is not a Switchboard database: {e}", file.display()))?;
    Ok((w, c, m))
}

/// Copies the regular files of `from` (not `.part` uploads still being written) into `to`;
/// gives how many.
fn copy_files(from: &Path, to: &Path) -> Result<u64, String> {
    std::fs::create_dir_all(to).map_err(|e| format!("could not create {}: {e}", to.display()))?;
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(format!("could not read {}: {e}", from.display())),
    };
    let mut n = 0;
    for entry in entries {
        let entry = entry.map_err(|e| format!("could not read {}: {e}", from.display()))?;
        let name = entry.file_name();
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if !is_file || name.to_string_lossy().ends_with(".part") {
            continue;
        }
        std::fs::copy(entry.path(), to.join(&name))
            .map_err(|e| format!("could not copy {}: {e}", entry.path().display()))?;
        n += 1;
    }
    Ok(n)
}

fn empty_or_missing(dir: &Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// Backups are of SQLite's file; PostgreSQL has its own tools, which the error names.
fn sqlite_only(config: &Config, instead: &str) -> Result<(), String> {
    if crate::store::is_postgres(config.database_url.expose()) {
        return Err(format!(
            "this Switchboard keeps its data in PostgreSQL: {instead}, and copy {} and the {} folder with it",
            config.data_dir.join(KEY).display(),
            config.data_dir.join(FILES).display()
        ));
    }
    Ok(())
}

/// Backs up the Switchboard `config` describes into the folder `to` (new or empty), online.
pub async fn backup(config: &Config, to: &Path) -> Result<Manifest, String> {
    sqlite_only(config, "back the database up with pg_dump")?;
    if !empty_or_missing(to) {
        return Err(format!("{} is not empty: back up into a new folder", to.display()));
    }
    std::fs::create_dir_all(to).map_err(|e| format!("could not create {}: {e}", to.display()))?;
    let store = crate::open_store(config).await.map_err(|e| e.to_string())?;
    let copy = to.join(DATABASE);
    let vacuumed = store.vacuum_into(&copy).await;
    store.close().await;
    vacuumed
        .map_err(|e| format!("could not copy the database: {e}"))?
        .ok_or("the database is not SQLite's: back it up with its own tools")?;
    let has_key = config.secret_key.is_none();
    if has_key {
        std::fs::copy(config.data_dir.join(KEY), to.join(KEY))
            .map_err(|e| format!("could not copy {}: {e}", config.data_dir.join(KEY).display()))?;
    }
    let files = copy_files(&config.data_dir.join(FILES), &to.join(FILES))?;
    let (workspaces, conversations, messages) = counts(&copy).await?;
    let manifest = Manifest {
        format: 1,
        version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: crate::store::now_ms(),
        workspaces,
        conversations,
        messages,
        files,
        has_key,
    };
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(to.join(MANIFEST), json).map_err(|e| format!("could not write the manifest: {e}"))?;
    Ok(manifest)
}

/// Restores the backup in `from` into the data directory `config` describes, which must hold
/// no database yet (a running or existing Switchboard is never overwritten).
pub async fn restore(config: &Config, from: &Path) -> Result<Manifest, String> {
    sqlite_only(config, "restore the database with pg_restore")?;
    let manifest: Manifest = std::fs::read_to_string(from.join(MANIFEST))
        .map_err(|_| format!("{} is not a Switchboard backup (no {MANIFEST})", from.display()))
        .and_then(|t| serde_json::from_str(&t).map_err(|e| format!("{MANIFEST} is damaged: {e}")))?;
    if manifest.format != 1 {
        return Err(format!(
            "the backup's format {} is newer than this Switchboard knows",
            manifest.format
        ));
    }
    let source = from.join(DATABASE);
    let (_, conversations, messages) = counts(&source).await?;
    if (conversations, messages) != (manifest.conversations, manifest.messages) {
        return Err("the backup's database does not hold what its manifest says: it is damaged".into());
    }
    let target = database_file(config)?;
    if target.exists() {
        return Err(format!(
            "{} exists: restore into a new data directory, or move the database away first",
            target.display()
        ));
    }
    let key = config.data_dir.join(KEY);
    if manifest.has_key && key.exists() {
        return Err(format!("{} exists: restore into a new data directory", key.display()));
    }
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("could not create {}: {e}", config.data_dir.display()))?;
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("could not create {}: {e}", parent.display()))?;
    }
    let partial = target.with_extension("db.part");
    std::fs::copy(&source, &partial).map_err(|e| format!("could not copy the database: {e}"))?;
    std::fs::rename(&partial, &target).map_err(|e| format!("could not put the database in place: {e}"))?;
    if manifest.has_key {
        std::fs::copy(from.join(KEY), &key).map_err(|e| format!("could not copy the key: {e}"))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600));
        }
    }
    let files = copy_files(&from.join(FILES), &config.data_dir.join(FILES))?;
    if files < manifest.files {
        return Err(format!(
            "only {files} of the backup's {} files could be restored",
            manifest.files
        ));
    }
    // The restored database opens and is brought up to this version's schema.
    let store = crate::open_store(config).await.map_err(|e| e.to_string())?;
    store.close().await;
    Ok(manifest)
}
