//! The labeled copy of a stored file — the file the family downloads — made in three steps
//! through a private work directory on disk, so memory stays bounded whatever the size:
//! 1. the GB 45438 label is spliced in, streamed from the original's ranged reads to a file;
//! 2. that file is signed with the studio's C2PA manifest into a second file (the manifest's
//!    hash covers the GB label too);
//! 3. the signed file is streamed into a new object (one multipart upload, one part in memory
//!    at a time) while its SHA-256 is computed.
//!
//! The original is left as it was: the studio keeps it until retention removes it. Nothing is
//! left at the destination, or in the work directory, on failure.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::credentials::{CredentialError, StudioCredentials, sign_file};
use super::{AigcLabel, CHUNK, ChunkSink, LabelError, SpliceError, plan};
use crate::media::MediaType;
use crate::storage::streamed::{StreamedObject, Written};
use crate::storage::{ObjectStore, StorageError};
use crate::uploads::StoredObject;

/// Why no labeled copy was made.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The file cannot carry the label (its format, or its headers).
    #[error(transparent)]
    Label(#[from] LabelError),
    /// The store failed while reading the original or writing the copy.
    #[error(transparent)]
    Store(#[from] StorageError),
    #[error(transparent)]
    Stream(#[from] SpliceError),
    /// The manifest could not be signed into the file.
    #[error(transparent)]
    Sign(#[from] CredentialError),
    /// The work directory could not be used.
    #[error("labeling in {dir}: {source}")]
    WorkDir { dir: String, source: std::io::Error },
}

/// What a labeled copy is made of and where it goes.
pub struct LabeledCopy<'a> {
    pub store: &'a ObjectStore,
    pub credentials: &'a Arc<StudioCredentials>,
    /// Where the two intermediate files live while the copy is made.
    pub work_dir: &'a Path,
    pub source_key: &'a str,
    pub size: u64,
    pub media: MediaType,
    pub label: &'a AigcLabel,
    pub dest_key: &'a str,
    /// The copy's object metadata.
    pub metadata: &'a BTreeMap<String, String>,
}

impl LabeledCopy<'_> {
    /// Make the copy; its size and SHA-256.
    pub async fn write(&self) -> Result<Written, CopyError> {
        let work = self.work()?;
        let labeled = work.path().join("labeled");
        let signed = work.path().join("signed");
        self.splice_into(&labeled).await?;
        let (credentials, label, mime) = (
            Arc::clone(self.credentials),
            self.label.clone(),
            self.media.mime(),
        );
        let (from, to) = (labeled.clone(), signed.clone());
        tokio::task::spawn_blocking(move || sign_file(&credentials, &label, mime, &from, &to))
            .await
            .map_err(|e| CredentialError::Invalid(format!("signing stopped: {e}")))??;
        let _ = tokio::fs::remove_file(&labeled).await;
        self.upload(&signed).await
    }

    fn work(&self) -> Result<tempfile::TempDir, CopyError> {
        super::private_work_dir(self.work_dir, "label").map_err(|source| CopyError::WorkDir {
            dir: self.work_dir.display().to_string(),
            source,
        })
    }

    /// Step 1: the original with the GB label, on disk at `path`.
    async fn splice_into(&self, path: &Path) -> Result<(), CopyError> {
        let original = StoredObject::new(self.store, self.source_key, self.size);
        let splice = match plan(self.media, &original, self.label).await {
            Ok(splice) => splice,
            Err(err) => return Err(original.take_failure().map_or(err.into(), CopyError::from)),
        };
        let mut file = FileSink::create(path).await?;
        if let Err(err) = splice.write_to(&original, &mut file).await {
            return Err(original.take_failure().map_or(err.into(), CopyError::from));
        }
        file.finish().await
    }

    /// Step 3: the signed file into the store.
    async fn upload(&self, path: &Path) -> Result<Written, CopyError> {
        let read_failed = |source| CopyError::WorkDir {
            dir: self.work_dir.display().to_string(),
            source,
        };
        let mut file = tokio::fs::File::open(path).await.map_err(read_failed)?;
        let mut copy =
            StreamedObject::start(self.store, self.dest_key, self.media.mime(), self.metadata)
                .await?;
        let mut buf = vec![0u8; CHUNK as usize];
        loop {
            let read = match file.read(&mut buf).await {
                Ok(0) => break,
                Ok(read) => read,
                Err(err) => {
                    // The first error is the one to report; an upload that could not be
                    // aborted either holds no visible object.
                    let _ = copy.abort().await;
                    return Err(read_failed(err));
                }
            };
            if let Err(err) = copy.write(&buf[..read]).await {
                let _ = copy.abort().await;
                return Err(err.into());
            }
        }
        Ok(copy.finish().await?)
    }
}

/// A file on disk the splice writes into.
struct FileSink {
    file: tokio::io::BufWriter<tokio::fs::File>,
}

impl FileSink {
    async fn create(path: &Path) -> Result<Self, CopyError> {
        let file = tokio::fs::File::create(path)
            .await
            .map_err(|source| CopyError::WorkDir {
                dir: path.display().to_string(),
                source,
            })?;
        Ok(Self {
            file: tokio::io::BufWriter::with_capacity(CHUNK as usize, file),
        })
    }

    async fn finish(mut self) -> Result<(), CopyError> {
        self.file
            .flush()
            .await
            .map_err(|e| CopyError::Stream(SpliceError::Write(e.to_string())))
    }
}

impl ChunkSink for FileSink {
    async fn put(&mut self, chunk: &[u8]) -> Result<(), SpliceError> {
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| SpliceError::Write(e.to_string()))
    }
}
