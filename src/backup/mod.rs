//! Backing up and restoring the embedded default (SQLite + the embedded object store), and
//! checking that the objects the database names are really stored.
//!
//! A backup is a directory shaped like a data directory: a consistent snapshot of the database
//! (`VACUUM INTO`, taken while the service runs), every other file of the data directory (the
//! objects and their sidecars, the store's credentials, the development signing certificate),
//! and `manifest.json` with each file's size and SHA-256, written last — a directory without
//! it is a backup that did not finish. The snapshot is taken before the files are copied, so
//! every object it names was already stored; objects written afterwards are copied too and
//! are simply not named.
//!
//! `restore` copies a backup into an empty data directory, checking every file against the
//! manifest on the way, into a staging directory renamed into place at the end: a restore that
//! fails leaves nothing half-made. PostgreSQL and an external S3 bucket are backed up with their
//! own tools (`docs/operations.md`); `backup verify` then checks them like a backup.
//!
//! A backup holds what the data directory holds — faces, voices, the signing key — so it is
//! written owner-only (directories 0700, files 0600).

pub mod check;
pub mod manifest;
pub mod restore;
pub mod take;

use std::path::{Path, PathBuf};

use crate::config::Settings;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "{0}: backup and restore copy the embedded default (SQLite and the embedded store); \
         for PostgreSQL and an external S3 bucket see docs/operations.md"
    )]
    NotEmbedded(&'static str),
    #[error("{path} is not empty: {why}")]
    NotEmpty { path: PathBuf, why: &'static str },
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the backup's manifest: {0}")]
    Manifest(String),
    #[error(
        "the backup is damaged: {count} file(s) differ from its manifest (first: {first}); \
         nothing was restored"
    )]
    Damaged { count: usize, first: String },
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    ExistingDatabase(#[from] crate::db::existing::ExistingDbError),
    #[error("object store: {0}")]
    Storage(#[from] crate::storage::StorageError),
    #[error("{0}")]
    Startup(#[from] crate::app::StartupError),
}

impl BackupError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// The database file's name, in a data directory and in a backup.
pub const DATABASE_FILE: &str = "keepsake.db";

/// Refuse settings that are not the embedded default.
fn embedded_only(settings: &Settings) -> Result<(), BackupError> {
    if settings.database_url.is_some() {
        return Err(BackupError::NotEmbedded("a database URL is configured"));
    }
    if settings.s3.endpoint.is_some() {
        return Err(BackupError::NotEmbedded("an external S3 endpoint is configured"));
    }
    Ok(())
}

/// Whether `dir` is missing or an empty directory.
fn is_empty_or_missing(dir: &Path) -> Result<bool, BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(err) => Err(BackupError::io(dir)(err)),
    }
}

/// Create `dir` (and its parents) owner-only.
fn create_private_dir(dir: &Path) -> Result<(), BackupError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(BackupError::io(dir))
}
