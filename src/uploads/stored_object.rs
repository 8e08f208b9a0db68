//! An object in the store seen through [`RangeRead`], so media probes read it by ranges.
//!
//! A probe only learns that a read failed; the store's own error (unreachable, or a reply we
//! cannot use) is kept here so the caller can answer with what actually went wrong.

use std::sync::Mutex;

use bytes::Bytes;

use crate::media::{ProbeError, RangeRead};
use crate::storage::{ObjectStore, StorageError};

pub struct StoredObject<'a> {
    pub store: &'a ObjectStore,
    pub key: &'a str,
    pub size: u64,
    failure: Mutex<Option<StorageError>>,
}

impl<'a> StoredObject<'a> {
    pub fn new(store: &'a ObjectStore, key: &'a str, size: u64) -> Self {
        Self {
            store,
            key,
            size,
            failure: Mutex::new(None),
        }
    }

    /// The store's error behind the last failed read, if a read failed.
    pub fn take_failure(&self) -> Option<StorageError> {
        self.failure.lock().ok()?.take()
    }
}

impl RangeRead for StoredObject<'_> {
    fn size(&self) -> u64 {
        self.size
    }

    async fn read_range(&self, offset: u64, len: u64) -> Result<Bytes, ProbeError> {
        let len = len.min(self.size.saturating_sub(offset));
        self.store
            .read_range(self.key, offset, len)
            .await
            .map_err(|err| {
                let read = ProbeError::Read(err.to_string());
                if let Ok(mut slot) = self.failure.lock() {
                    *slot = Some(err);
                }
                read
            })
    }
}
