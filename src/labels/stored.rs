//! The labeled copy of a stored file: planned from the original's headers, streamed from the
//! original through the splice into a new object (one multipart upload, one part in memory at
//! a time), with its size and SHA-256. The original is left as it was: the studio keeps it
//! until retention removes it, and the customer is given the copy.

use std::collections::BTreeMap;

use super::{AigcLabel, LabelError, SpliceError, plan};
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
}

/// Copy `source_key` (of `size` bytes, a `media` file) to `dest_key` with `label` written into
/// it; the copy gets `content_type` and `metadata`. Nothing is left at `dest_key` on failure.
pub async fn write_labeled_copy(
    store: &ObjectStore,
    source_key: &str,
    size: u64,
    media: MediaType,
    label: &AigcLabel,
    dest_key: &str,
    metadata: &BTreeMap<String, String>,
) -> Result<Written, CopyError> {
    let original = StoredObject::new(store, source_key, size);
    let splice = match plan(media, &original, label).await {
        Ok(splice) => splice,
        Err(err) => return Err(original.take_failure().map_or(err.into(), CopyError::from)),
    };
    let mut copy = StreamedObject::start(store, dest_key, media.mime(), metadata).await?;
    if let Err(err) = splice.write_to(&original, &mut copy).await {
        let err = original.take_failure().map_or(err.into(), CopyError::from);
        // The first error is the one to report; an upload that could not be aborted either
        // holds no visible object.
        let _ = copy.abort().await;
        return Err(err);
    }
    Ok(copy.finish().await?)
}
