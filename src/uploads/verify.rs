//! Proving a stored object is the declared file: size, real type (sniffed, then refined by
//! what its headers say), metadata from headers only, and the whole-file SHA-256.
//!
//! The whole-file SHA-256 of a multipart upload assembled by Keepsake's embedded store is the
//! one the store computed over the very bytes it published (and synced to disk before saying
//! so; see `storage::embedded_multipart`). Every other object — single PUTs (≤ 32 MiB, cheap to
//! read), and anything in another store, whose reported checksums we cannot vouch for (moto
//! reports a hash of part hashes as if it were the object's) — is hashed here by streaming it
//! once (constant memory). The ETag is read before and after, so an object replaced during
//! verification is caught.

use super::Rejection;
use super::stored_object::StoredObject;
use crate::db::samples::SampleRow;
use crate::domain::sample::{self, SampleKind, UploadMode};
use crate::error::{AppError, AppResult, Code};
use crate::media::{self, MediaMetadata, MediaType};
use crate::state::AppState;

/// A verified object: what it really is, what its headers say, and which version of it.
pub(super) struct Proven {
    pub media: MediaType,
    pub metadata: MediaMetadata,
    pub etag: Option<String>,
}

pub(super) enum Inspection {
    Proven(Proven),
    /// There is no object (yet): the client has not uploaded it.
    Missing,
    Rejected(Rejection),
}

pub(super) async fn inspect(state: &AppState, row: &SampleRow) -> AppResult<Inspection> {
    let declared_size = u64::try_from(row.declared_size).map_err(AppError::internal)?;
    let Some(head) = state.store.head(&row.object_key).await? else {
        return Ok(Inspection::Missing);
    };
    if head.size == 0 {
        return Ok(Inspection::Rejected(Rejection::new(
            Code::EmptyFile,
            "the uploaded file is empty (0 bytes)",
        )));
    }
    if head.size != declared_size {
        return Ok(Inspection::Rejected(Rejection::new(
            Code::SizeMismatch,
            format!(
                "declared {declared_size} bytes but {} bytes arrived",
                head.size
            ),
        )));
    }

    let object = StoredObject::new(&state.store, &row.object_key, head.size);
    let (media, metadata) = match identify(state, row, &object).await? {
        Ok(found) => found,
        Err(rejection) => return Ok(Inspection::Rejected(rejection)),
    };

    let declared_sha = sample::parse_sha256_hex(&row.declared_sha256)
        .ok_or_else(|| AppError::internal("stored sha256 is malformed"))?;
    let proven_by_store = (row.upload_mode == UploadMode::Multipart
        && state.store.proves_assembled_sha256())
    .then(|| head.full_object_sha256())
    .flatten();
    let stored_sha = match proven_by_store {
        Some(sha) => sha,
        None => state.store.sha256(&row.object_key).await?,
    };
    if stored_sha != declared_sha {
        return Ok(Inspection::Rejected(Rejection::detected(
            Code::ChecksumMismatch,
            "the file's SHA-256 differs from the one declared: it was damaged or changed in transit",
            media,
        )));
    }
    let after = state.store.head(&row.object_key).await?;
    if after.as_ref().map(|h| (&h.etag, h.size)) != Some((&head.etag, head.size)) {
        return Ok(Inspection::Rejected(Rejection::detected(
            Code::ChangedDuringVerification,
            "the stored file was replaced while it was being verified",
            media,
        )));
    }
    Ok(Inspection::Proven(Proven {
        media,
        metadata,
        etag: head.etag,
    }))
}

/// Sniff the type, read the headers, and check both against the kind and the declaration.
async fn identify(
    state: &AppState,
    row: &SampleRow,
    object: &StoredObject<'_>,
) -> AppResult<Result<(MediaType, MediaMetadata), Rejection>> {
    let kind = row.kind;
    let prefix = state
        .store
        .read_range(
            &row.object_key,
            0,
            (media::SNIFF_LEN as u64).min(object.size),
        )
        .await?;
    let Some(sniffed) = media::sniff(&prefix) else {
        return Ok(Err(Rejection::new(
            Code::UnrecognizedType,
            format!("the file is not a {kind} in a format we accept"),
        )));
    };
    let metadata = match media::probe(object, sniffed).await {
        Ok(metadata) => metadata,
        Err(media::ProbeError::Read(e)) => {
            // The store's own failure when it was one (unreachable, unusable reply).
            return Err(object
                .take_failure()
                .map(AppError::from)
                .unwrap_or_else(|| AppError::internal(format!("probe read: {e}"))));
        }
        Err(media::ProbeError::Malformed(why)) => {
            return Ok(Err(Rejection::detected(
                Code::UnreadableMedia,
                format!("the file's headers could not be read: {why}"),
                sniffed,
            )));
        }
    };
    let media = media::refine(sniffed, &metadata);
    if !kind.accepts(media) {
        return Ok(Err(Rejection::detected(
            Code::WrongKind,
            format!(
                "the file is {}, which is not accepted as a {kind}",
                media.mime()
            ),
            media,
        )));
    }
    if MediaType::from_mime(&row.declared_content_type) != Some(media) {
        return Ok(Err(Rejection::detected(
            Code::TypeMismatch,
            format!(
                "declared {} but the file is {}",
                row.declared_content_type,
                media.mime()
            ),
            media,
        )));
    }
    if kind == SampleKind::Video && metadata.width.is_none() {
        return Ok(Err(Rejection::detected(
            Code::NoVideoTrack,
            "the video file has no picture track",
            media,
        )));
    }
    Ok(Ok((media, metadata)))
}
