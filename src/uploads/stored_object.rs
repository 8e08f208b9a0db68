//! An object in the store seen through [`RangeRead`], so media probes read it by ranges.

use bytes::Bytes;

use crate::media::{ProbeError, RangeRead};
use crate::storage::ObjectStore;

pub struct StoredObject<'a> {
    pub store: &'a ObjectStore,
    pub key: &'a str,
    pub size: u64,
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
            .map_err(|e| ProbeError::Read(e.to_string()))
    }
}
