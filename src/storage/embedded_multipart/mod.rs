//! The embedded store's multipart uploads: each part checked as it arrives, written once, and
//! the whole object's SHA-256 proven at completion without copying it.
//!
//! s3s-fs ignores the checksums a part is sent with (the store must check each part's
//! SHA-256), hashes every byte with MD5, and assembles a completed upload by copying every part
//! into a new file in 64 KiB async reads while recomputing those MD5s. On this kind of machine
//! page-cache writes are throttled to a few hundred MB/s, so writing every byte twice (parts,
//! then the assembled copy) took longer than the upload itself, and Keepsake then read the
//! object once more to learn its SHA-256. Here:
//!
//! - **Parts in place.** Keepsake says the part size when it creates an upload (object
//!   metadata [`PART_SIZE_HINT`], which this store removes). Every part is then written
//!   straight into one data file at its final offset, `(n-1)·part_size`; completing the upload
//!   reads that file once to compute its SHA-256 and renames it into place: no copy. Without
//!   the hint (any other client) parts go to files of their own and are copied together in one
//!   1 MiB-buffered pass that computes the SHA-256 on the way.
//! - **Checked parts.** Every checksum a part is sent with is compared with its bytes; a
//!   mismatch answers `BadDigest` and the part counts as not uploaded. The part's ETag, SHA-256
//!   and size are recorded beside it (ListParts reports them). A part sent with a SHA-256 gets
//!   an ETag made from it (ETags are opaque; S3 promises no MD5 for parts either); one without
//!   gets its MD5, as before.
//! - **The object's SHA-256** is stored as its `FULL_OBJECT` checksum, which HEAD reports, so
//!   the server need not read the object again.
//!
//! The files stay where s3s-fs keeps them (see [`files`]), so its ListParts, Abort, Head, Get
//! and Delete work unchanged. A crash at any point leaves either the upload (complete it
//! again) or the finished object (the upload answers `NoSuchUpload`).

mod activity;
mod checksums;
mod files;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use s3s::auth::Credentials;
use s3s::crypto::{Checksum as _, Md5};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use super::PART_SIZE_HINT;
use files::{TempFile, UploadFiles};
pub use files::{make_durable, sidecar_name};

/// Write buffer of an incoming part (one per part in flight: keep it small).
const PART_WRITE_BUF: usize = 256 * 1024;
/// Read/write buffer of a completion (one per completion running).
const ASSEMBLY_BUF: usize = 1024 * 1024;
/// S3's smallest part other than the last, and its largest part.
const MIN_PART: u64 = 5 * 1024 * 1024;
const MAX_PART: u64 = 5 * 1024 * 1024 * 1024;
const MAX_PART_NUMBER: i32 = 10_000;

/// What the store recorded about a part once its bytes were proven.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PartSums {
    e_tag: String,
    /// Base64, as S3 writes checksums; present when the part was sent with one.
    checksum_sha256: Option<String>,
    size: u64,
}

/// How an upload's parts are kept.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Layout {
    /// Parts are written in place, part `n` at `(n-1)·part_size` of the upload's data file.
    part_size: u64,
}

pub struct MultipartFiles {
    files: UploadFiles,
    register: activity::Register,
}

impl MultipartFiles {
    pub fn new(root: PathBuf) -> Self {
        Self {
            files: UploadFiles::new(root),
            register: activity::Register::default(),
        }
    }

    /// Where the object `bucket/key` lives (refusing keys that would leave the bucket).
    pub fn object_path(&self, bucket: &str, key: &str) -> S3Result<PathBuf> {
        self.files.object(bucket, key)
    }

    /// Take the part-size hint out of a CreateMultipartUpload's metadata (it must not become
    /// the object's); the upload is laid out in place once it exists ([`Self::lay_out`]).
    pub fn take_part_size_hint(input: &mut CreateMultipartUploadInput) -> Option<u64> {
        let hint = input.metadata.as_mut()?.remove(PART_SIZE_HINT)?;
        hint.parse()
            .ok()
            .filter(|size| (MIN_PART..=MAX_PART).contains(size))
    }

    /// Prepare a new upload for parts written in place: the (empty) data file first, then the
    /// layout that says to use it.
    pub async fn lay_out(&self, upload_id: &str, part_size: u64) -> S3Result<()> {
        let upload_id = parse_upload_id(upload_id)?;
        tokio::fs::File::create(self.files.data(upload_id))
            .await
            .map_err(internal)?;
        self.files
            .write_json(&self.files.layout(upload_id), &Layout { part_size })
            .await
    }

    /// UploadPart, run to its end in a task of its own: a client that hangs up must not leave
    /// a write in flight after the part's claim in the register is released.
    pub async fn upload_part(
        self: Arc<Self>,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        tokio::spawn(async move { self.write_part(req).await })
            .await
            .map_err(internal)?
    }

    async fn write_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let S3Request {
            input,
            credentials,
            trailing_headers,
            ..
        } = req;
        let number = input.part_number;
        if !(1..=MAX_PART_NUMBER).contains(&number) {
            return Err(s3_error!(
                InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive"
            ));
        }
        let upload_id = parse_upload_id(&input.upload_id)?;
        // Registered before the owner check: a completion or abort that removed the upload
        // first is seen; one that comes later waits for this part (see `activity`).
        let _writing = self.register.writing_part(upload_id, number)?;
        self.check_owner(credentials.as_ref(), upload_id).await?;
        let layout = self.layout(upload_id).await?;
        let mut declared = checksums::declared(&input);
        let mut hasher = checksums::hasher_for(&declared, input.checksum_algorithm.as_ref())?;
        let content_md5 = input.content_md5.clone();
        let mut md5 = (declared.checksum_sha256.is_none() || content_md5.is_some()).then(Md5::new);
        let body = input.body.ok_or_else(|| s3_error!(IncompleteBody))?;

        // In place: the part counts as absent until its new bytes are proven. Apart: a part
        // file of its own, swapped in only once proven (an earlier upload of it stays).
        let (file, offset, limit, temp) = match layout {
            Some(Layout { part_size }) => {
                if input
                    .content_length
                    .is_some_and(|n| n.unsigned_abs() > part_size)
                {
                    return Err(s3_error!(
                        EntityTooLarge,
                        "parts of this upload are at most {part_size} bytes"
                    ));
                }
                self.files.remove(&self.files.sums(upload_id, number)).await;
                let data = self.files.data(upload_id);
                let file = match blocking(move || {
                    std::fs::OpenOptions::new().write(true).open(data)
                })
                .await
                {
                    Ok(file) => file,
                    Err(_) if !self.files.data(upload_id).exists() => {
                        return Err(s3_error!(NoSuchUpload));
                    }
                    Err(err) => return Err(err),
                };
                let offset = u64::try_from(number - 1).map_err(internal)? * part_size;
                (file, offset, part_size, None)
            }
            None => {
                let temp = TempFile::new(self.files.root());
                let path = temp.path().to_path_buf();
                let file = blocking(move || std::fs::File::create(path)).await?;
                (file, 0, MAX_PART, Some(temp))
            }
        };
        let size = receive(body, file, offset, limit, |chunk| {
            hasher.update(chunk);
            if let Some(md5) = &mut md5 {
                md5.update(chunk);
            }
        })
        .await?;

        if let Some(trailers) = trailing_headers.and_then(|t| t.take()) {
            checksums::read_trailers(&trailers, &mut declared)?;
        }
        let computed = hasher.finalize();
        checksums::check(&declared, &computed)?;
        let md5 = md5.map(Md5::finalize);
        checksums::check_content_md5(content_md5.as_deref(), md5.as_ref())?;
        let e_tag = match (md5, &computed.checksum_sha256) {
            (Some(md5), None) => hex::encode(md5),
            (_, Some(sha)) => checksums::etag_from_sha256(sha)?,
            (None, None) => return Err(s3_error!(InternalError, "part hashed with nothing")),
        };
        let sums = PartSums {
            e_tag: e_tag.clone(),
            checksum_sha256: computed.checksum_sha256,
            size,
        };
        let sums_path = self.files.sums(upload_id, number);
        if let Some(temp) = temp {
            // The old record goes before the new bytes replace the old: a record never
            // describes bytes it was not computed from.
            self.files.remove(&sums_path).await;
            temp.persist(&self.files.part(upload_id, number)).await?;
        }
        self.files.write_json(&sums_path, &sums).await?;
        if !self.files.upload_id(upload_id).exists() {
            // Aborted (or completed) while this part was on its way: keep nothing of it.
            self.files.remove(&sums_path).await;
            self.files.remove(&self.files.part(upload_id, number)).await;
            return Err(s3_error!(NoSuchUpload));
        }

        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(ETag::Strong(e_tag)),
            checksum_sha256: declared.checksum_sha256,
            checksum_crc32: declared.checksum_crc32,
            checksum_crc32c: declared.checksum_crc32c,
            checksum_sha1: declared.checksum_sha1,
            checksum_crc64nvme: declared.checksum_crc64nvme,
            ..Default::default()
        }))
    }

    /// The parts of an upload written in place, found by their records (ETag, SHA-256, size);
    /// `None` for an upload kept in part files, which s3s-fs's ListParts finds
    /// ([`Self::fill_part_sums`] completes its answer). One scan of the store's root either way.
    pub async fn in_place_parts(&self, upload_id: &str) -> S3Result<Option<Vec<Part>>> {
        let Ok(upload_id) = Uuid::parse_str(upload_id) else {
            return Ok(None);
        };
        if self.layout(upload_id).await?.is_none() {
            return Ok(None);
        }
        let mut parts = self.recorded_parts(upload_id).await?;
        self.fill_sums(upload_id, &mut parts).await;
        Ok(Some(parts))
    }

    /// Add the recorded ETag, SHA-256 and size to the part files s3s-fs listed.
    pub async fn fill_part_sums(&self, upload_id: &str, parts: &mut [Part]) {
        if let Ok(upload_id) = Uuid::parse_str(upload_id) {
            self.fill_sums(upload_id, parts).await;
        }
    }

    async fn fill_sums(&self, upload_id: Uuid, parts: &mut [Part]) {
        for part in parts.iter_mut() {
            let Some(number) = part.part_number else {
                continue;
            };
            if let Some(sums) = self.sums(upload_id, number).await {
                part.e_tag = Some(ETag::Strong(sums.e_tag));
                part.checksum_sha256 = sums.checksum_sha256;
                part.size = i64::try_from(sums.size).ok();
            }
        }
        parts.sort_by_key(|p| p.part_number);
    }

    /// CompleteMultipartUpload, run to its end in a task of its own (as [`Self::upload_part`]).
    pub async fn complete(
        self: Arc<Self>,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        tokio::spawn(async move { self.assemble(req).await })
            .await
            .map_err(internal)?
    }

    async fn assemble(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let S3Request {
            input, credentials, ..
        } = req;
        let CompleteMultipartUploadInput {
            multipart_upload,
            bucket,
            key,
            upload_id,
            if_match,
            if_none_match,
            ..
        } = input;
        if if_match.is_some() {
            return Err(s3_error!(
                NotImplemented,
                "If-Match on completion is not supported"
            ));
        }
        let listed = multipart_upload
            .and_then(|m| m.parts)
            .filter(|parts| !parts.is_empty())
            .ok_or_else(|| s3_error!(InvalidPart, "You must specify at least one part"))?;
        let upload_id = parse_upload_id(&upload_id)?;
        let _completing = self.register.completing(upload_id)?;
        self.check_owner(credentials.as_ref(), upload_id).await?;
        let object_path = self.files.object(&bucket, &key)?;
        // The upload's attributes are filed under the key it was created for.
        if !self
            .files
            .sidecar(&bucket, &key, &format!("upload-{upload_id}.metadata.json"))
            .exists()
        {
            return Err(s3_error!(NoSuchUpload, "no such upload for this key"));
        }
        if if_none_match.as_ref().is_some_and(ETagCondition::is_any) && object_path.exists() {
            return Err(s3_error!(PreconditionFailed, "Object already exists"));
        }

        let layout = self.layout(upload_id).await?;
        let planned = self.plan(upload_id, &listed, layout).await?;
        let (assembled, source, temp) = match layout {
            Some(_) => {
                let data = self.files.data(upload_id);
                if !data.exists() {
                    // Published by an earlier completion that died before cleaning up.
                    self.remove_upload(upload_id).await;
                    return Err(s3_error!(NoSuchUpload));
                }
                let total = planned.iter().map(|p| p.size).sum();
                let path = data.clone();
                let sha256 = blocking(move || hash_in_place(&path, total)).await?;
                let assembled = Assembled {
                    sha256,
                    md5s: vec![None; planned.len()],
                };
                (assembled, data, None)
            }
            None => {
                let temp = TempFile::new(self.files.root());
                let (out, parts) = (temp.path().to_path_buf(), planned.clone());
                let assembled = blocking(move || copy_and_hash(&out, &parts)).await?;
                (assembled, temp.path().to_path_buf(), Some(temp))
            }
        };

        let e_tag = checksums::multipart_etag(&part_etags(&planned, &assembled.md5s)?)?;
        let sha256 = base64::engine::general_purpose::STANDARD.encode(assembled.sha256);
        self.publish(&bucket, &key, upload_id, &e_tag, &sha256)
            .await?;
        if let Some(dir) = object_path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(internal)?;
        }
        match temp {
            Some(temp) => temp.persist(&object_path).await?,
            None => tokio::fs::rename(&source, &object_path)
                .await
                .map_err(internal)?,
        }
        let (object, root) = (object_path.clone(), self.files.root().to_path_buf());
        blocking(move || make_durable(&object, &root, false)).await?;
        self.remove_upload(upload_id).await;

        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(bucket),
            key: Some(key),
            e_tag: Some(ETag::Strong(e_tag)),
            checksum_sha256: Some(sha256),
            checksum_type: Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT)),
            ..Default::default()
        }))
    }

    /// AbortMultipartUpload: always succeeds for the upload's owner (a part still being written
    /// finds the upload gone when it ends and removes what it wrote). An unknown upload answers
    /// `NoSuchUpload`, as S3 does.
    pub async fn abort(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let S3Request {
            input, credentials, ..
        } = req;
        let upload_id = parse_upload_id(&input.upload_id)?;
        if !self.files.upload_id(upload_id).exists() {
            return Err(s3_error!(NoSuchUpload));
        }
        self.check_owner(credentials.as_ref(), upload_id).await?;
        self.files
            .remove(&self.files.sidecar(
                &input.bucket,
                &input.key,
                &format!("upload-{upload_id}.metadata.json"),
            ))
            .await;
        self.remove_upload(upload_id).await;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    /// Remove the files of uploads that no longer exist (their upload id file is gone): what a
    /// crash in the middle of a completion or an abort left. Run when the store starts.
    pub async fn sweep_orphans(&self) -> std::io::Result<usize> {
        let mut entries = tokio::fs::read_dir(self.files.root()).await?;
        let mut removed = 0;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|n| n.strip_prefix(".upload_id-"))
                .and_then(|rest| rest.get(..36))
                .and_then(|id| Uuid::parse_str(id).ok())
            else {
                continue;
            };
            if !self.files.upload_id(id).exists() {
                self.files.remove(&entry.path()).await;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Each listed part, in order, checked against what the store recorded.
    async fn plan(
        &self,
        upload_id: Uuid,
        listed: &[CompletedPart],
        layout: Option<Layout>,
    ) -> S3Result<Vec<Planned>> {
        let mut planned = Vec::with_capacity(listed.len());
        for (index, part) in listed.iter().enumerate() {
            let number = part
                .part_number
                .ok_or_else(|| s3_error!(InvalidRequest, "missing part number"))?;
            if usize::try_from(number).ok() != Some(index + 1) {
                return Err(s3_error!(
                    InvalidPartOrder,
                    "parts must be listed 1, 2, 3, …"
                ));
            }
            let sums = self.sums(upload_id, number).await;
            let path = self.files.part(upload_id, number);
            let size = match (&sums, layout) {
                (Some(sums), Some(_)) => sums.size,
                (None, Some(_)) => {
                    return Err(s3_error!(InvalidPart, "part {number} was not uploaded"));
                }
                (_, None) => tokio::fs::metadata(&path)
                    .await
                    .map_err(|_| s3_error!(InvalidPart, "part {number} was not uploaded"))?
                    .len(),
            };
            let last = index + 1 == listed.len();
            if let Some(Layout { part_size }) = layout
                && (size > part_size || (!last && size != part_size))
            {
                return Err(s3_error!(
                    InvalidPart,
                    "part {number} has {size} bytes; every part but the last must have {part_size}"
                ));
            }
            if !last && size < MIN_PART {
                return Err(s3_error!(EntityTooSmall));
            }
            if let Some(sums) = &sums {
                if part
                    .e_tag
                    .as_ref()
                    .is_some_and(|given| given.value() != sums.e_tag)
                {
                    return Err(s3_error!(InvalidPart, "part {number}: ETag does not match"));
                }
                if part.checksum_sha256.is_some() && part.checksum_sha256 != sums.checksum_sha256 {
                    return Err(s3_error!(
                        InvalidPart,
                        "part {number}: SHA-256 does not match"
                    ));
                }
            }
            planned.push(Planned {
                path,
                size,
                sums,
                given_etag: part.e_tag.as_ref().map(|e| e.value().to_owned()),
            });
        }
        Ok(planned)
    }

    /// The object's records go first (ETag, SHA-256, then its attributes); the bytes are
    /// renamed into place after, so an object is never visible without its record.
    async fn publish(
        &self,
        bucket: &str,
        key: &str,
        upload_id: Uuid,
        e_tag: &str,
        sha256: &str,
    ) -> S3Result<()> {
        let record = serde_json::json!({
            "e_tag": e_tag,
            "checksum_sha256": sha256,
            "checksum_type": ChecksumType::FULL_OBJECT,
        });
        self.files
            .write_json(&self.files.sidecar(bucket, key, "internal.json"), &record)
            .await?;
        let attributes =
            self.files
                .sidecar(bucket, key, &format!("upload-{upload_id}.metadata.json"));
        if attributes.exists() {
            tokio::fs::rename(
                &attributes,
                self.files.sidecar(bucket, key, "metadata.json"),
            )
            .await
            .map_err(internal)?;
        }
        Ok(())
    }

    /// Remove the upload: its id file first (from then on it is gone for every request: a part
    /// still being written removes its own bytes when it sees that), then every file under its
    /// prefix (parts, records, layout, data). A crash in between leaves files the next start
    /// sweeps ([`Self::sweep_orphans`]).
    async fn remove_upload(&self, upload_id: Uuid) {
        self.files.remove(&self.files.upload_id(upload_id)).await;
        let prefix = format!(".upload_id-{upload_id}");
        match tokio::fs::read_dir(self.files.root()).await {
            Ok(mut entries) => {
                while let Ok(Some(entry)) = entries.next_entry().await {
                    if entry.file_name().to_string_lossy().starts_with(&prefix) {
                        self.files.remove(&entry.path()).await;
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not list the store's root"),
        }
    }

    /// Parts written in place, found by their records (sizes and ETags included).
    async fn recorded_parts(&self, upload_id: Uuid) -> S3Result<Vec<Part>> {
        let prefix = UploadFiles::sums_prefix(upload_id);
        let mut entries = tokio::fs::read_dir(self.files.root())
            .await
            .map_err(internal)?;
        let mut parts = Vec::new();
        while let Some(entry) = entries.next_entry().await.map_err(internal)? {
            let name = entry.file_name();
            let Some(number) = name
                .to_str()
                .and_then(|n| n.strip_prefix(&prefix))
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<i32>().ok())
            else {
                continue;
            };
            let modified = entry
                .metadata()
                .await
                .and_then(|m| m.modified())
                .ok()
                .map(Timestamp::from);
            parts.push(Part {
                part_number: Some(number),
                last_modified: modified,
                ..Default::default()
            });
        }
        Ok(parts)
    }

    /// How the upload keeps its parts; only a missing layout file means "part files" (a
    /// layout that cannot be read is an error, never a silent switch of layout).
    async fn layout(&self, upload_id: Uuid) -> S3Result<Option<Layout>> {
        match tokio::fs::read(self.files.layout(upload_id)).await {
            Ok(content) => serde_json::from_slice(&content).map(Some).map_err(internal),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(internal(err)),
        }
    }

    async fn sums(&self, upload_id: Uuid, number: i32) -> Option<PartSums> {
        self.files
            .read_json(&self.files.sums(upload_id, number))
            .await
    }

    /// The upload exists and was created with the same access key (as s3s-fs checks it).
    async fn check_owner(
        &self,
        credentials: Option<&Credentials>,
        upload_id: Uuid,
    ) -> S3Result<()> {
        let content = match tokio::fs::read(self.files.upload_id(upload_id)).await {
            Ok(content) => content,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(s3_error!(AccessDenied));
            }
            Err(err) => return Err(internal(err)),
        };
        let owner: Option<String> = serde_json::from_slice(&content).map_err(internal)?;
        if owner.as_deref() == credentials.map(|c| c.access_key.as_str()) {
            Ok(())
        } else {
            Err(s3_error!(AccessDenied))
        }
    }
}

/// Stream a part's body into `file` from `offset` on, at most `limit` bytes, each chunk shown
/// to `inspect` first. Bytes are gathered into one buffer and written with positioned writes
/// on the blocking pool, the buffer handed back and forth: one buffer per part in flight.
/// Returns the bytes written.
async fn receive(
    mut body: StreamingBlob,
    file: std::fs::File,
    offset: u64,
    limit: u64,
    mut inspect: impl FnMut(&[u8]),
) -> S3Result<u64> {
    let file = std::sync::Arc::new(file);
    let mut buf = Vec::with_capacity(PART_WRITE_BUF);
    let mut size: u64 = 0;
    let mut written: u64 = 0;
    while let Some(chunk) = futures::StreamExt::next(&mut body).await {
        let chunk = chunk.map_err(|e| s3_error!(IncompleteBody, "reading the part: {e}"))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(s3_error!(
                EntityTooLarge,
                "parts of this upload are at most {limit} bytes"
            ));
        }
        inspect(&chunk);
        let mut rest: &[u8] = &chunk;
        while !rest.is_empty() {
            let take = rest.len().min(PART_WRITE_BUF - buf.len());
            buf.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if buf.len() == PART_WRITE_BUF {
                buf = write_at(&file, buf, offset + written).await?;
                written += PART_WRITE_BUF as u64;
            }
        }
    }
    if !buf.is_empty() {
        write_at(&file, buf, offset + written).await?;
    }
    Ok(size)
}

/// Write all of `buf` at `position` on the blocking pool; the buffer comes back emptied.
async fn write_at(
    file: &std::sync::Arc<std::fs::File>,
    mut buf: Vec<u8>,
    position: u64,
) -> S3Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let file = file.clone();
    blocking(move || {
        file.write_all_at(&buf, position)?;
        buf.clear();
        Ok(buf)
    })
    .await
}

#[derive(Clone)]
struct Planned {
    path: PathBuf,
    size: u64,
    /// What the store recorded when the part arrived (absent for parts s3s-fs wrote).
    sums: Option<PartSums>,
    given_etag: Option<String>,
}

struct Assembled {
    sha256: [u8; 32],
    /// MD5 of each part that had no record, computed during the copy.
    md5s: Vec<Option<[u8; 16]>>,
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> S3Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(internal)?
        .map_err(internal)
}

/// Cut the data file to the object's size (a part beyond the listed ones goes) and hash it.
fn hash_in_place(data: &Path, total: u64) -> std::io::Result<[u8; 32]> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(data)?;
    file.set_len(total)?;
    // On disk before it is published: a verified sample must survive a power cut.
    file.sync_data()?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; ASSEMBLY_BUF];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
    }
    Ok(sha.finalize().into())
}

/// One pass over separate part files: read, hash, write.
fn copy_and_hash(out: &Path, parts: &[Planned]) -> std::io::Result<Assembled> {
    let mut object = std::fs::File::create(out)?;
    let mut sha = Sha256::new();
    let mut md5s = Vec::with_capacity(parts.len());
    let mut buf = vec![0u8; ASSEMBLY_BUF];
    for part in parts {
        let mut file = std::fs::File::open(&part.path)?;
        let mut md5 = part.sums.is_none().then(Md5::new);
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            sha.update(chunk);
            if let Some(md5) = &mut md5 {
                md5.update(chunk);
            }
            object.write_all(chunk)?;
        }
        md5s.push(md5.map(Md5::finalize));
    }
    object.sync_data()?;
    Ok(Assembled {
        sha256: sha.finalize().into(),
        md5s,
    })
}

/// Each part's ETag: recorded on arrival, or the MD5 just computed (checked against the
/// client's list).
fn part_etags(planned: &[Planned], md5s: &[Option<[u8; 16]>]) -> S3Result<Vec<String>> {
    planned
        .iter()
        .zip(md5s)
        .enumerate()
        .map(|(index, (part, md5))| match (&part.sums, md5) {
            (Some(sums), _) => Ok(sums.e_tag.clone()),
            (None, Some(md5)) => {
                let e_tag = hex::encode(md5);
                if part
                    .given_etag
                    .as_ref()
                    .is_some_and(|given| *given != e_tag)
                {
                    return Err(s3_error!(
                        InvalidPart,
                        "part {}: ETag does not match",
                        index + 1
                    ));
                }
                Ok(e_tag)
            }
            (None, None) => Err(s3_error!(InternalError, "part {} has no ETag", index + 1)),
        })
        .collect()
}

fn parse_upload_id(upload_id: &str) -> S3Result<Uuid> {
    Uuid::parse_str(upload_id).map_err(|_| s3_error!(NoSuchUpload))
}

fn internal(err: impl std::fmt::Display) -> s3s::S3Error {
    s3_error!(InternalError, "{err}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_of_uploads_without_an_id_file_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let files = MultipartFiles::new(dir.path().to_path_buf());
        let (live, dead) = (Uuid::new_v4(), Uuid::new_v4());
        std::fs::write(files.files.upload_id(live), b"null").unwrap();
        for id in [live, dead] {
            std::fs::write(files.files.data(id), b"bytes").unwrap();
            std::fs::write(files.files.sums(id, 1), b"{}").unwrap();
            std::fs::write(files.files.part(id, 2), b"bytes").unwrap();
        }
        std::fs::write(dir.path().join(".bucket-a.object-b.internal.json"), b"{}").unwrap();

        assert_eq!(files.sweep_orphans().await.unwrap(), 3);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left.len(), 5, "{left:?}");
        assert!(left.iter().all(|name| !name.contains(&dead.to_string())));
    }
}
