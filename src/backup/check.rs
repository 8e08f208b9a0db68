//! Whether every object the database names is stored with the SHA-256 it recorded: in a
//! backup (against the backup's own snapshot and files), or live (the service's database
//! against its object store, embedded or external — `keepsake backup verify`).

use std::path::Path;

use serde::Serialize;

use super::manifest::{self, Manifest};
use super::{BackupError, DATABASE_FILE};
use crate::config::Settings;
use crate::db::stored_objects::{self, NamedObject};

/// What a check found.
#[derive(Debug, Default, Serialize)]
pub struct Check {
    /// Nothing missing, nothing different, nothing damaged.
    pub ok: bool,
    /// Objects the database names.
    pub named: usize,
    /// Named, and not stored.
    pub missing: Vec<Finding>,
    /// Named, and stored with other bytes than the database recorded.
    pub mismatched: Vec<Finding>,
    /// Files of a backup whose bytes differ from its manifest (backups only).
    pub damaged: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Finding {
    pub key: String,
    pub what: String,
}

impl Check {
    fn new(named: usize) -> Self {
        Self {
            named,
            ..Self::default()
        }
    }

    fn finish(mut self) -> Self {
        self.ok = self.missing.is_empty() && self.mismatched.is_empty() && self.damaged.is_empty();
        self
    }
}

impl From<&NamedObject> for Finding {
    fn from(object: &NamedObject) -> Self {
        Self {
            key: object.key.clone(),
            what: object.what.clone(),
        }
    }
}

/// A backup directory: every file as its manifest recorded it, and every object its
/// snapshot names among them.
pub async fn backup_dir(dir: &Path) -> Result<Check, BackupError> {
    let manifest = Manifest::read(dir)?;
    let (root, listed) = (dir.to_owned(), manifest.files.clone());
    let damaged = tokio::task::spawn_blocking(move || {
        let mut damaged = Vec::new();
        for entry in listed {
            let path = root.join(manifest::relative(&entry.path)?);
            let found = manifest::hash_file(&path, entry.path.clone());
            damaged.extend(manifest::mismatch(&entry, found)?);
        }
        Ok::<_, BackupError>(damaged)
    })
    .await
    .map_err(|e| BackupError::Refused(format!("the check stopped: {e}")))??;
    let mut check = snapshot_against(dir, &manifest).await?;
    check.damaged = damaged;
    Ok(check.finish())
}

/// The objects the snapshot in `dir` names, looked up in `manifest` (files as recorded).
pub async fn snapshot_against(dir: &Path, manifest: &Manifest) -> Result<Check, BackupError> {
    let named = named_in_snapshot(&dir.join(DATABASE_FILE)).await?;
    let mut check = Check::new(named.len());
    for object in &named {
        let path = format!("objects/{}/{}", manifest.bucket, object.key);
        match manifest.entry(&path) {
            None => check.missing.push(object.into()),
            Some(entry) if entry.sha256 != object.sha256 => check.mismatched.push(object.into()),
            Some(_) => {}
        }
    }
    Ok(check.finish())
}

/// The objects a database snapshot names, read without writing a byte to it.
async fn named_in_snapshot(snapshot: &Path) -> Result<Vec<NamedObject>, BackupError> {
    if !snapshot.is_file() {
        return Err(BackupError::Manifest(format!(
            "{} is missing",
            snapshot.display()
        )));
    }
    let url = format!("sqlite://{}?mode=ro&immutable=true", snapshot.display());
    let mut options = sea_orm::ConnectOptions::new(url);
    options.sqlx_logging(false).max_connections(1);
    let db = sea_orm::Database::connect(options).await?;
    let named = stored_objects::named(&db).await;
    db.close().await.ok();
    Ok(named?)
}

/// The service's own database against its object store.
pub async fn live(settings: &Settings) -> Result<Check, BackupError> {
    let db = crate::db::existing::connect_existing(&settings.effective_database_url()).await?;
    let named = stored_objects::named(&db).await;
    db.close().await.ok();
    let named = named?;
    let (store, embedded) = crate::app::open_object_store(settings).await?;
    let mut check = Check::new(named.len());
    let looked = look_up(&store, &named, &mut check).await;
    if let Some(embedded) = embedded {
        embedded.shutdown().await;
    }
    looked?;
    Ok(check.finish())
}

async fn look_up(
    store: &crate::storage::ObjectStore,
    named: &[NamedObject],
    check: &mut Check,
) -> Result<(), BackupError> {
    for object in named {
        if store.head(&object.key).await?.is_none() {
            check.missing.push(object.into());
            continue;
        }
        if hex::encode(store.sha256(&object.key).await?) != object.sha256 {
            check.mismatched.push(object.into());
        }
    }
    Ok(())
}
