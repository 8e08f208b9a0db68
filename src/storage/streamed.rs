//! An object the server writes itself as a stream — a labeled copy of a deliverable, which may
//! be gigabytes — sent as a multipart upload in parts of [`PART_LEN`], each checked by the store
//! against its SHA-256, while the whole object's SHA-256 is computed on the way. Memory stays
//! at one part whatever the object's size. A writer that fails or is dropped unfinished leaves
//! an incomplete upload, which [`StreamedObject::abort`] (or the store's own expiry) removes;
//! the object appears only when [`StreamedObject::finish`] completes it.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::{ObjectStore, StorageError, UploadedPart};

/// The size of every part but the last (S3 wants at least 5 MiB).
pub const PART_LEN: usize = 8 * 1024 * 1024;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub size: u64,
    pub sha256: [u8; 32],
}

pub struct StreamedObject<'a> {
    store: &'a ObjectStore,
    key: String,
    upload_id: String,
    buffer: BytesMut,
    parts: Vec<UploadedPart>,
    hasher: Sha256,
    size: u64,
}

impl<'a> StreamedObject<'a> {
    pub async fn start(
        store: &'a ObjectStore,
        key: &str,
        content_type: &str,
        metadata: &BTreeMap<String, String>,
    ) -> Result<Self, StorageError> {
        let upload_id = store
            .create_multipart(key, content_type, metadata, Some(PART_LEN as u64))
            .await?;
        Ok(Self {
            store,
            key: key.to_owned(),
            upload_id,
            buffer: BytesMut::with_capacity(PART_LEN),
            parts: Vec::new(),
            hasher: Sha256::new(),
            size: 0,
        })
    }

    pub async fn write(&mut self, mut bytes: &[u8]) -> Result<(), StorageError> {
        self.hasher.update(bytes);
        self.size += bytes.len() as u64;
        while !bytes.is_empty() {
            let room = PART_LEN - self.buffer.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.buffer.extend_from_slice(now);
            bytes = later;
            if self.buffer.len() == PART_LEN {
                self.send_part().await?;
            }
        }
        Ok(())
    }

    async fn send_part(&mut self) -> Result<(), StorageError> {
        let body: Bytes = self.buffer.split().freeze();
        // The next part's buffer at its full size at once: growing it by doubling would copy
        // and briefly hold it twice.
        self.buffer.reserve(PART_LEN);
        let number =
            u32::try_from(self.parts.len() + 1).map_err(|e| StorageError::new("upload part", e))?;
        let part = self
            .store
            .upload_part(&self.key, &self.upload_id, number, body)
            .await?;
        self.parts.push(part);
        Ok(())
    }

    /// Send what is left and complete the upload: the object exists from here on.
    pub async fn finish(mut self) -> Result<Written, StorageError> {
        if !self.buffer.is_empty() || self.parts.is_empty() {
            self.send_part().await?;
        }
        self.store
            .complete_multipart(&self.key, &self.upload_id, &self.parts)
            .await?;
        Ok(Written {
            size: self.size,
            sha256: self.hasher.finalize().into(),
        })
    }

    /// Give up: the parts sent so far are discarded.
    pub async fn abort(self) -> Result<(), StorageError> {
        self.store.abort_multipart(&self.key, &self.upload_id).await
    }
}
