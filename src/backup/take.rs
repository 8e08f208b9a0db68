//! `keepsake backup --to DIR`: a consistent copy of a running (or stopped) embedded data
//! directory — the database snapshot first, then every other file, then the manifest.

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde::Serialize;

use super::check::{self, Check};
use super::manifest::{self, Entry, Manifest};
use super::{BackupError, DATABASE_FILE, create_private_dir, embedded_only, is_empty_or_missing};
use crate::config::Settings;

/// What a backup holds.
#[derive(Debug, Serialize)]
pub struct Taken {
    pub directory: PathBuf,
    pub files: usize,
    pub bytes: u64,
    /// The objects the snapshot names, looked for in the backup.
    pub check: Check,
}

pub async fn take(settings: &Settings, to: &Path) -> Result<Taken, BackupError> {
    embedded_only(settings)?;
    let data_dir = settings
        .data_dir
        .canonicalize()
        .map_err(BackupError::io(&settings.data_dir))?;
    if !is_empty_or_missing(to)? {
        return Err(BackupError::NotEmpty {
            path: to.to_owned(),
            why: "a backup goes into a new or empty directory",
        });
    }
    create_private_dir(to)?;
    let to = to.canonicalize().map_err(BackupError::io(to))?;
    if to.starts_with(&data_dir) {
        return Err(BackupError::Refused(format!(
            "{} is inside the data directory {}: put the backup somewhere else",
            to.display(),
            data_dir.display()
        )));
    }

    let snapshot = to.join(DATABASE_FILE);
    snapshot_database(settings, &snapshot).await?;
    let (bucket, source, target) = (settings.s3.bucket.clone(), data_dir, to.clone());
    let files = tokio::task::spawn_blocking(move || {
        let mut files = vec![manifest::hash_file(&snapshot, DATABASE_FILE.to_owned())?];
        copy_tree(&source, &target, Path::new(""), &mut files)?;
        Ok::<_, BackupError>(files)
    })
    .await
    .map_err(|e| BackupError::Refused(format!("the copy stopped: {e}")))??;
    let manifest = Manifest::new(&bucket, files);
    manifest.write(&to)?;
    let check = check::snapshot_against(&to, &manifest).await?;
    Ok(Taken {
        directory: to,
        files: manifest.files.len(),
        bytes: manifest.files.iter().map(|f| f.size).sum(),
        check,
    })
}

/// A consistent copy of the live database at `snapshot` (SQLite's `VACUUM INTO`: one read
/// transaction, so writers go on while it runs and none of their half-done work is in it).
async fn snapshot_database(settings: &Settings, snapshot: &Path) -> Result<(), BackupError> {
    let db = crate::db::existing::connect_existing(&settings.effective_database_url()).await?;
    let target = snapshot.to_string_lossy().into_owned();
    let done = db
        .execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "VACUUM INTO ?",
            [target.into()],
        ))
        .await;
    db.close().await.ok();
    done?;
    // VACUUM INTO leaves the file as the database had it; owner-only like the rest.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(snapshot, std::fs::Permissions::from_mode(0o600))
        .map_err(BackupError::io(snapshot))
}

/// What in a data directory is not copied file by file: the live database (its snapshot is
/// taken instead) and the work directory's temporary copies.
fn skipped(top_level: &str) -> bool {
    top_level == "work"
        || top_level == DATABASE_FILE
        || top_level
            .strip_prefix(DATABASE_FILE)
            .is_some_and(|rest| matches!(rest, "-wal" | "-shm" | "-journal"))
}

/// Copy every regular file under `root/below` into `target/below`, hashed. A file that
/// vanishes while the copy runs (an upload abandoned and swept) is left out.
fn copy_tree(
    root: &Path,
    target: &Path,
    below: &Path,
    files: &mut Vec<Entry>,
) -> Result<(), BackupError> {
    let dir = root.join(below);
    let entries = std::fs::read_dir(&dir).map_err(BackupError::io(&dir))?;
    for entry in entries {
        let entry = entry.map_err(BackupError::io(&dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if below.as_os_str().is_empty() && skipped(name) {
            continue;
        }
        let relative = below.join(name);
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            copy_tree(root, target, &relative, files)?;
        } else if kind.is_file() {
            let path = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            match manifest::copy_hashed(&root.join(&relative), &target.join(&relative), path) {
                Ok(copied) => files.push(copied),
                Err(BackupError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::skipped;

    #[test]
    fn the_live_database_and_work_files_are_not_copied_as_files() {
        for name in ["keepsake.db", "keepsake.db-wal", "keepsake.db-shm", "work"] {
            assert!(skipped(name), "{name}");
        }
        for name in ["objects", "s3-credentials.json", "keepsake.db.bak", "workshop"] {
            assert!(!skipped(name), "{name}");
        }
    }
}
