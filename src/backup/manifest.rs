//! `manifest.json`: what a backup holds, file by file, with sizes and SHA-256s — and the one
//! way files are copied into or out of a backup (hashed as they are copied, synced to disk).

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{BackupError, create_private_dir};

pub const MANIFEST_FILE: &str = "manifest.json";
const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: DateTime<Utc>,
    pub keepsake_version: String,
    /// The embedded store's bucket: an object is the file `objects/{bucket}/{key}`.
    pub bucket: String,
    /// Every file, the database snapshot included, by its path inside the backup.
    pub files: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Relative, `/`-separated.
    pub path: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

impl Manifest {
    pub fn new(bucket: &str, files: Vec<Entry>) -> Self {
        Self {
            format: FORMAT,
            created_at: Utc::now(),
            keepsake_version: env!("CARGO_PKG_VERSION").to_owned(),
            bucket: bucket.to_owned(),
            files,
        }
    }

    /// Read and check the manifest of the backup at `dir`.
    pub fn read(dir: &Path) -> Result<Self, BackupError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => BackupError::Manifest(format!(
                "{} has no {MANIFEST_FILE}: not a backup, or one that did not finish",
                dir.display()
            )),
            _ => BackupError::io(&path)(err),
        })?;
        let manifest: Self = serde_json::from_str(&text)
            .map_err(|e| BackupError::Manifest(format!("{}: {e}", path.display())))?;
        if manifest.format != FORMAT {
            return Err(BackupError::Manifest(format!(
                "format {} is not one this version reads ({FORMAT})",
                manifest.format
            )));
        }
        for entry in &manifest.files {
            relative(&entry.path)?;
        }
        Ok(manifest)
    }

    /// Write it into `dir`, atomically (a temporary file renamed into place, then synced).
    pub fn write(&self, dir: &Path) -> Result<(), BackupError> {
        let path = dir.join(MANIFEST_FILE);
        let temporary = dir.join(format!(".{MANIFEST_FILE}.partial"));
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| BackupError::Manifest(format!("cannot write it: {e}")))?;
        let mut file = private_file(&temporary)?;
        file.write_all(&text)
            .and_then(|()| file.sync_all())
            .map_err(BackupError::io(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(BackupError::io(&path))?;
        sync_dir(dir)
    }

    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.files.iter().find(|e| e.path == path)
    }
}

/// `path` as a relative path that stays inside the directory it is joined to.
pub fn relative(path: &str) -> Result<PathBuf, BackupError> {
    let candidate = Path::new(path);
    let inside = !path.is_empty()
        && candidate
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if inside {
        Ok(candidate.to_owned())
    } else {
        Err(BackupError::Manifest(format!(
            "{path:?} is not a path inside the backup"
        )))
    }
}

/// Copy `from` to a new file `to` (its directories made owner-only), hashing on the way; the
/// copy is synced to disk. Returns its entry under `name`.
pub fn copy_hashed(from: &Path, to: &Path, name: String) -> Result<Entry, BackupError> {
    if let Some(parent) = to.parent() {
        create_private_dir(parent)?;
    }
    let source = std::fs::File::open(from).map_err(BackupError::io(from))?;
    let mut target = private_file(to)?;
    let entry = read_hashed(source, from, Some((&mut target, to)), name)?;
    target.sync_all().map_err(BackupError::io(to))?;
    Ok(entry)
}

/// The size and SHA-256 of the file at `path`, as an entry under `name`.
pub fn hash_file(path: &Path, name: String) -> Result<Entry, BackupError> {
    let file = std::fs::File::open(path).map_err(BackupError::io(path))?;
    read_hashed(file, path, None, name)
}

/// Read `source` to its end in 1 MiB pieces, hashing them and writing them to `copy` if given.
fn read_hashed(
    mut source: std::fs::File,
    from: &Path,
    mut copy: Option<(&mut std::fs::File, &Path)>,
    name: String,
) -> Result<Entry, BackupError> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buffer = vec![0u8; 1024 * 1024];
    loop {
        let n = source.read(&mut buffer).map_err(BackupError::io(from))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        if let Some((target, to)) = copy.as_mut() {
            target.write_all(&buffer[..n]).map_err(BackupError::io(to))?;
        }
        size += n as u64;
    }
    Ok(Entry {
        path: name,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// What reading (or copying) the file of `entry` found, against the manifest: `Ok(None)` when
/// it matched, the path when its bytes differ or it is gone, an error when it could not be read.
pub fn mismatch(entry: &Entry, found: Result<Entry, BackupError>) -> Result<Option<String>, BackupError> {
    match found {
        Ok(found) if &found == entry => Ok(None),
        Ok(_) => Ok(Some(entry.path.clone())),
        Err(BackupError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(Some(entry.path.clone()))
        }
        Err(err) => Err(err),
    }
}

/// A new file only its owner can read (refusing to overwrite one).
fn private_file(path: &Path) -> Result<std::fs::File, BackupError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(BackupError::io(path))
}

/// Make a rename inside `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(BackupError::io(dir))
}
