//! `keepsake restore --from DIR`: a backup copied into an empty data directory. Every file is
//! checked against the manifest while it is copied into a staging directory beside the target,
//! which is renamed into place only when all of them matched: a damaged backup restores
//! nothing, and a restore that stops half-way leaves no half-made data directory.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::check::{self, Check};
use super::manifest::{self, Manifest};
use super::{BackupError, create_private_dir, embedded_only, is_empty_or_missing};
use crate::config::Settings;

/// What a restore put where.
#[derive(Debug, Serialize)]
pub struct Restored {
    pub data_dir: PathBuf,
    pub files: usize,
    pub bytes: u64,
    /// The objects the restored database names, found among the restored files.
    pub check: Check,
}

pub async fn restore(settings: &Settings, from: &Path) -> Result<Restored, BackupError> {
    embedded_only(settings)?;
    let manifest = Manifest::read(from)?;
    let target = settings.data_dir.clone();
    if !is_empty_or_missing(&target)? {
        return Err(BackupError::NotEmpty {
            path: target,
            why: "a backup is restored only into an empty data directory",
        });
    }
    let staging = staging_dir(&target)?;
    create_private_dir(&staging)?;
    let copied = copy_checked(from, &staging, &manifest).await;
    let damaged = match copied {
        Ok(damaged) => damaged,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(err);
        }
    };
    if let Some(first) = damaged.first() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(BackupError::Damaged {
            count: damaged.len(),
            first: first.clone(),
        });
    }
    let check = check::snapshot_against(from, &manifest).await?;
    if target.exists() {
        std::fs::remove_dir(&target).map_err(BackupError::io(&target))?;
    }
    std::fs::rename(&staging, &target).map_err(BackupError::io(&target))?;
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        manifest::sync_dir(parent)?;
    }
    Ok(Restored {
        data_dir: target,
        files: manifest.files.len(),
        bytes: manifest.files.iter().map(|f| f.size).sum(),
        check,
    })
}

/// A directory beside `target` (same file system, so the final rename is atomic).
fn staging_dir(target: &Path) -> Result<PathBuf, BackupError> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| BackupError::Refused(format!("{} is not a directory name", target.display())))?;
    let staging = target.with_file_name(format!(".{name}.restoring-{}", std::process::id()));
    if staging.exists() {
        return Err(BackupError::Refused(format!(
            "{} is in the way (left by a restore that stopped): remove it and try again",
            staging.display()
        )));
    }
    Ok(staging)
}

/// Copy every file the manifest lists from `from` into `staging`; the paths whose bytes
/// differ from the manifest (or that are missing).
async fn copy_checked(
    from: &Path,
    staging: &Path,
    manifest: &Manifest,
) -> Result<Vec<String>, BackupError> {
    let (from, staging, files) = (from.to_owned(), staging.to_owned(), manifest.files.clone());
    tokio::task::spawn_blocking(move || {
        let mut damaged = Vec::new();
        for entry in files {
            let relative = manifest::relative(&entry.path)?;
            let copied =
                manifest::copy_hashed(&from.join(&relative), &staging.join(&relative), entry.path.clone());
            damaged.extend(manifest::mismatch(&entry, copied)?);
        }
        Ok(damaged)
    })
    .await
    .map_err(|e| BackupError::Refused(format!("the restore stopped: {e}")))?
}
