//! The embedded store's S3 implementation: s3s-fs, with a faster read path.
//!
//! s3s-fs streams objects in 4 KiB reads (each a blocking-pool round trip), which caps a
//! GetObject at roughly 100–150 MB/s here. Verifying a sample reads it whole once, and
//! customers will download through the same path, so `get_object` keeps s3s-fs's answer (its
//! headers, range handling, ETag and checksums) but replaces the body with a stream of 256 KiB
//! reads of the same byte range, and answers with the `response-content-disposition` a
//! presigned GET signed (s3s-fs ignores it). `delete_object` also removes the sidecar files
//! s3s-fs leaves behind; a `put_object` refused for a bad checksum leaves nothing (s3s-fs writes the bytes
//! before it compares), and one accepted is synced to disk before it is answered (s3s-fs syncs
//! nothing). Multipart parts and their assembly are
//! [`super::embedded_multipart`]'s; HEAD says its SHA-256 is a `FULL_OBJECT` checksum. Every
//! other operation is s3s-fs's own.

use std::io::SeekFrom;
use std::path::PathBuf;
use std::sync::Arc;

use s3s::dto::*;
use s3s::{S3, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};
use s3s_fs::FileSystem;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::embedded_multipart::{MultipartFiles, make_durable, sidecar_name};

const READ_CHUNK: usize = 256 * 1024;

pub struct EmbeddedFs {
    inner: FileSystem,
    multipart: Arc<MultipartFiles>,
    root: PathBuf,
}

impl EmbeddedFs {
    pub fn new(inner: FileSystem, root: PathBuf) -> Self {
        Self {
            inner,
            multipart: Arc::new(MultipartFiles::new(root.clone())),
            root,
        }
    }

    /// Remove what uploads interrupted by a crash left behind (see
    /// [`MultipartFiles::sweep_orphans`]).
    pub async fn sweep_orphans(&self) -> std::io::Result<usize> {
        self.multipart.sweep_orphans().await
    }
}

impl EmbeddedFs {
    /// s3s-fs keeps an object's attributes (content type, user metadata) and its checksums in
    /// sidecar files beside the data and leaves them behind on DeleteObject. A deleted object
    /// must leave nothing (erasure promises it), so they go with it.
    async fn remove_sidecars(&self, bucket: &str, key: &str) -> S3Result<()> {
        for suffix in ["metadata.json", "internal.json"] {
            let name = sidecar_name(bucket, key, suffix);
            match tokio::fs::remove_file(self.root.join(name)).await {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(s3_error!(InternalError, "removing sidecar: {err}")),
            }
        }
        Ok(())
    }
}

impl EmbeddedFs {
    /// s3s-fs has already renamed the refused bytes into place (and kept whatever record the
    /// key had): remove both, so the key holds nothing rather than unverified bytes.
    async fn remove_refused(&self, bucket: &str, key: &str) {
        let Ok(path) = self.multipart.object_path(bucket, key) else {
            return;
        };
        if let Err(err) = tokio::fs::remove_file(&path).await
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %err, "could not remove the bytes of a refused PUT");
        }
        if let Err(err) = self.remove_sidecars(bucket, key).await {
            tracing::warn!(error = ?err, "could not remove the records of a refused PUT");
        }
    }
}

/// The first byte of a `Content-Range: bytes a-b/total` answer.
fn range_start(content_range: Option<&str>) -> Option<u64> {
    content_range?
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .parse()
        .ok()
}

#[async_trait::async_trait]
impl S3 for EmbeddedFs {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.inner.create_bucket(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.inner.head_bucket(req).await
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let result = self.inner.put_object(req).await;
        match &result {
            Err(err) if *err.code() == S3ErrorCode::BadDigest => {
                self.remove_refused(&bucket, &key).await;
            }
            Ok(_) if !key.ends_with('/') => {
                let object = self.multipart.object_path(&bucket, &key)?;
                let root = self.root.clone();
                tokio::task::spawn_blocking(move || make_durable(&object, &root, true))
                    .await
                    .map_err(|e| s3_error!(InternalError, "syncing the object: {e}"))?
                    .map_err(|e| s3_error!(InternalError, "syncing the object: {e}"))?;
            }
            _ => {}
        }
        result
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let mut resp = self.inner.head_object(req).await?;
        // Every SHA-256 this store keeps was computed over the whole object (a checked PUT, or
        // an assembly): say so, as S3 does, so clients can tell it from a composite checksum.
        if resp.output.checksum_sha256.is_some() && resp.output.checksum_type.is_none() {
            resp.output.checksum_type = Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT));
        }
        Ok(resp)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let out = self.inner.delete_object(req).await?;
        self.remove_sidecars(&bucket, &key).await?;
        Ok(out)
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.inner.list_objects_v2(req).await
    }

    async fn create_multipart_upload(
        &self,
        mut req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let part_size = MultipartFiles::take_part_size_hint(&mut req.input);
        let resp = self.inner.create_multipart_upload(req).await?;
        if let (Some(part_size), Some(upload_id)) = (part_size, &resp.output.upload_id) {
            self.multipart.lay_out(upload_id, part_size).await?;
        }
        Ok(resp)
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.multipart.clone().upload_part(req).await
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = &req.input;
        if let Some(parts) = self.multipart.in_place_parts(&input.upload_id).await? {
            return Ok(S3Response::new(ListPartsOutput {
                bucket: Some(input.bucket.clone()),
                key: Some(input.key.clone()),
                upload_id: Some(input.upload_id.clone()),
                parts: Some(parts),
                ..Default::default()
            }));
        }
        let upload_id = input.upload_id.clone();
        let mut resp = self.inner.list_parts(req).await?;
        if let Some(parts) = &mut resp.output.parts {
            self.multipart.fill_part_sums(&upload_id, parts).await;
        }
        Ok(resp)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.multipart.clone().complete(req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.multipart.abort(req).await
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let path = self.root.join(&req.input.bucket).join(&req.input.key);
        // s3s-fs ignores the response overrides a presigned GET signs; S3 honours them, and
        // downloads rely on `response-content-disposition` to be saved, not shown inline.
        let disposition = req.input.response_content_disposition.clone();
        let mut resp = self.inner.get_object(req).await?;
        if disposition.is_some() {
            resp.output.content_disposition = disposition;
        }
        let length = resp
            .output
            .content_length
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        let start = range_start(resp.output.content_range.as_deref()).unwrap_or(0);
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| s3_error!(e, InternalError))?;
        file.seek(SeekFrom::Start(start))
            .await
            .map_err(|e| s3_error!(e, InternalError))?;
        let body = tokio_util::io::ReaderStream::with_capacity(file.take(length), READ_CHUNK);
        resp.output.body = Some(StreamingBlob::wrap(body));
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_start_of_a_content_range() {
        assert_eq!(super::range_start(Some("bytes 100-199/1000")), Some(100));
        assert_eq!(super::range_start(Some("bytes */1000")), None);
        assert_eq!(super::range_start(None), None);
    }
}
