//! Object storage: one [`ObjectStore`] over any S3-compatible service, reached through
//! `aws-sdk-s3` — AWS, MinIO or the embedded s3s store alike.
//!
//! The server never proxies file bytes: clients upload and download through presigned URLs.
//! The server itself only reads object headers (HEAD), small ranges (type sniffing, metadata),
//! and streams an object once through SHA-256 when the store cannot vouch for its checksum.

pub mod embedded;
mod embedded_fs;
mod embedded_multipart;
mod list_parts_xml;
pub mod streamed;

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// What went wrong with a store request, which decides what the client is told (see
/// `impl From<StorageError> for AppError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageErrorKind {
    /// The store could not be reached, did not answer in time, broke off a reply, or said it
    /// is unavailable (503): the same request may well work in a moment.
    Unavailable,
    /// The store answered with a failure, or with a reply we cannot use.
    Failed,
    /// The request could not even be made here (a bug or a misconfiguration of ours): not the
    /// store's doing.
    Local,
}

#[derive(Debug, thiserror::Error)]
#[error("{op}: {message}")]
pub struct StorageError {
    pub op: &'static str,
    pub message: String,
    /// The store's error code (`InvalidPart`, `NoSuchKey`, …) when it sent one.
    pub code: Option<String>,
    pub kind: StorageErrorKind,
}

impl StorageError {
    /// A failure on our side of the request (see [`StorageErrorKind::Local`]).
    pub fn new(op: &'static str, err: impl std::fmt::Display) -> Self {
        Self::of_kind(StorageErrorKind::Local, op, err)
    }
    /// A reply the store started and did not finish (a body cut off mid-way).
    pub fn unavailable(op: &'static str, err: impl std::fmt::Display) -> Self {
        Self::of_kind(StorageErrorKind::Unavailable, op, err)
    }
    /// A reply that does not say what a well-behaved store would have said.
    pub fn bad_reply(op: &'static str, err: impl std::fmt::Display) -> Self {
        Self::of_kind(StorageErrorKind::Failed, op, err)
    }
    fn of_kind(kind: StorageErrorKind, op: &'static str, err: impl std::fmt::Display) -> Self {
        Self {
            op,
            message: err.to_string(),
            code: None,
            kind,
        }
    }
    fn sdk<E>(op: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    {
        Self {
            op,
            kind: kind_of(&err),
            code: err.code().map(str::to_owned),
            message: DisplayErrorContext(err).to_string(),
        }
    }
}

/// Sort the SDK's failures: no answer (connection refused or reset, timeouts, a 503) is
/// "unavailable"; an answer that is an error or cannot be parsed is "failed"; a request the
/// SDK could not build or send for reasons of ours is "local".
fn kind_of<E>(err: &SdkError<E, HttpResponse>) -> StorageErrorKind {
    match err {
        SdkError::ConstructionFailure(_) => StorageErrorKind::Local,
        SdkError::DispatchFailure(failure) if failure.is_user() => StorageErrorKind::Local,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => StorageErrorKind::Unavailable,
        SdkError::ServiceError(service) if service.raw().status().as_u16() == 503 => {
            StorageErrorKind::Unavailable
        }
        _ => StorageErrorKind::Failed,
    }
}

/// Where the store is and how to sign for it.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub endpoint: String,
    /// The endpoint presigned URLs name, when clients reach the store under another address.
    pub public_endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: crate::config::Secret,
    /// The store is Keepsake's embedded one, whose multipart completion computes the object's
    /// SHA-256 over the bytes it publishes (see `embedded_multipart`): a `FULL_OBJECT` SHA-256
    /// it reports for an assembled upload is proof. Any other store's report is not taken.
    pub proves_assembled_sha256: bool,
}

/// A presigned request a client must make exactly as given (method, URL and headers).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// Headers the client must send with these exact values.
    pub headers: std::collections::BTreeMap<String, String>,
}

/// Object metadata key with which Keepsake tells the store the part size of a new multipart
/// upload (every part but the last has exactly this size). The embedded store removes it and
/// writes each part straight to its final offset; other stores keep it as ordinary metadata.
pub const PART_SIZE_HINT: &str = "keepsake-part-size";

/// What a HEAD says about an object.
#[derive(Debug, Clone)]
pub struct ObjectHead {
    pub size: u64,
    pub etag: Option<String>,
    /// Base64 SHA-256 the store verified on write, when it keeps one.
    pub sha256_base64: Option<String>,
    /// `FULL_OBJECT` or `COMPOSITE` (a checksum of the parts' checksums), when reported.
    pub checksum_type: Option<String>,
    /// The object's user metadata (`x-amz-meta-…`, keys without the prefix).
    pub metadata: std::collections::HashMap<String, String>,
}

impl ObjectHead {
    /// The SHA-256 of the object's bytes as the store computed it while writing them, when
    /// the store says it is one (`FULL_OBJECT`): a single PUT sent with its SHA-256 (the store
    /// refuses the bytes otherwise), or an upload the embedded store assembled. A store that
    /// does not say, or keeps a hash of the parts' hashes (`COMPOSITE`, AWS for multipart; moto
    /// reports one without saying so), gives nothing here and the object is hashed instead.
    pub fn full_object_sha256(&self) -> Option<[u8; 32]> {
        if self.checksum_type.as_deref() != Some("FULL_OBJECT") {
            return None;
        }
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.sha256_base64.as_deref()?)
            .ok()?;
        bytes.try_into().ok()
    }
}

/// One uploaded part of a multipart upload.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UploadedPart {
    pub part_number: u32,
    pub size: u64,
    pub etag: String,
    /// The part's SHA-256 (hex) as the store checked it, when the store reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// A part as the SDK lists it.
fn uploaded_part(part: &aws_sdk_s3::types::Part) -> UploadedPart {
    UploadedPart {
        part_number: part
            .part_number()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        size: part.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
        etag: part.e_tag().unwrap_or_default().to_owned(),
        sha256: part.checksum_sha256().and_then(sha256_hex_of_base64),
    }
}

/// Base64 SHA-256 (S3's form) → hex (the API's form); `None` for anything else (a composite
/// checksum, say).
fn sha256_hex_of_base64(b64: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    (bytes.len() == 32).then(|| hex::encode(bytes))
}

#[derive(Clone)]
pub struct ObjectStore {
    client: Client,
    presigner: Client,
    bucket: String,
    browser_origin: String,
    proves_assembled_sha256: bool,
}

fn client_for(config: &StoreConfig, endpoint: &str) -> Client {
    let credentials = Credentials::new(
        config.access_key_id.clone(),
        config.secret_access_key.expose().to_owned(),
        None,
        None,
        "keepsake-settings",
    );
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .force_path_style(true)
        // Checksums are ours to choose per request; the SDK's default CRC32 on every upload
        // would also leak into presigned URLs.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        // A store that takes the connection and never answers must not hold a request (or a
        // verification's renewed claim) forever: each operation, retries included, has this
        // long to get its response; a body then streams for as long as it takes.
        .timeout_config(timeout_of(STORE_OPERATION_TIMEOUT))
        .build();
    Client::from_conf(conf)
}

/// `scheme://host[:port]` of an endpoint URL (its path dropped).
fn origin_of(endpoint: &str) -> String {
    let after_scheme = endpoint.find("://").map_or(0, |i| i + 3);
    let end = endpoint[after_scheme..]
        .find('/')
        .map_or(endpoint.len(), |i| after_scheme + i);
    endpoint[..end].to_owned()
}

/// How long one store operation may take to answer (see `client_for`).
const STORE_OPERATION_TIMEOUT: Duration = Duration::from_secs(20);

/// Completing a multipart upload may take the store minutes (the embedded store hashes and
/// syncs up to 10 GiB before it answers), so it gets longer — still not forever.
const ASSEMBLY_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Timeouts that bound an operation to `limit`, and each connection attempt to 3 s (the SDK's
/// default, restated: a configuration set here replaces the default one).
fn timeout_of(limit: Duration) -> aws_sdk_s3::config::timeout::TimeoutConfig {
    aws_sdk_s3::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_timeout(limit)
        .build()
}

impl ObjectStore {
    pub fn new(config: &StoreConfig) -> Self {
        let client = client_for(config, &config.endpoint);
        let presigner = match &config.public_endpoint {
            Some(public) => client_for(config, public),
            None => client.clone(),
        };
        Self {
            client,
            presigner,
            browser_origin: origin_of(
                config
                    .public_endpoint
                    .as_deref()
                    .unwrap_or(&config.endpoint),
            ),
            bucket: config.bucket.clone(),
            proves_assembled_sha256: config.proves_assembled_sha256,
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The origin (`http://127.0.0.1:9000`) browsers send presigned requests to, for the
    /// pages' Content-Security-Policy.
    pub fn browser_origin(&self) -> &str {
        &self.browser_origin
    }

    /// Whether a `FULL_OBJECT` SHA-256 this store reports for an assembled multipart upload
    /// is proof of its bytes (see [`StoreConfig::proves_assembled_sha256`]).
    pub fn proves_assembled_sha256(&self) -> bool {
        self.proves_assembled_sha256
    }

    /// Create the bucket unless it exists already.
    pub async fn ensure_bucket(&self) -> Result<(), StorageError> {
        if self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .is_ok()
        {
            return Ok(());
        }
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => {
                let service = err.as_service_error();
                if service.is_some_and(|e| {
                    e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()
                }) {
                    Ok(())
                } else {
                    Err(StorageError::sdk("create bucket", err))
                }
            }
        }
    }

    /// Readiness: can we reach the bucket?
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StorageError::sdk("head bucket", e))
    }

    /// A presigned single PUT. With `sha256`, the checksum is a signed header: the store
    /// verifies the body against it. With `create_only`, `If-None-Match: *` is signed too: the
    /// URL can create the object but never overwrite it. (Sample uploads use both;
    /// `keepsake bench upload` uses a bare PUT as the store's baseline speed.)
    /// `metadata` becomes signed `x-amz-meta-…` headers: the object is stored with exactly
    /// these values or not at all.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: Option<&str>,
        sha256: Option<&[u8; 32]>,
        create_only: bool,
        metadata: &std::collections::BTreeMap<String, String>,
        ttl: Duration,
    ) -> Result<PresignedRequest, StorageError> {
        let presigned = self
            .presigner
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .set_metadata(user_metadata(metadata))
            .set_if_none_match(create_only.then(|| "*".to_owned()))
            .set_content_type(content_type.map(str::to_owned))
            .set_checksum_sha256(sha256.map(|s| base64_of(s)))
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| StorageError::sdk("presign put", e))?;
        Ok(to_presigned(&presigned))
    }

    /// A presigned GET for downloading an object. The store is told (a signed response
    /// override) to answer it as an attachment named `file_name`, so a browser saves the file
    /// rather than showing it inline on the store's origin; the name is reduced to
    /// [`download_file_name`]'s safe characters whatever the caller passes.
    pub async fn presign_get(
        &self,
        key: &str,
        ttl: Duration,
        file_name: &str,
    ) -> Result<PresignedRequest, StorageError> {
        let presigned = self
            .presigner
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(attachment(file_name))
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| StorageError::sdk("presign get", e))?;
        Ok(to_presigned(&presigned))
    }

    /// `metadata` is kept by the store and given to the object the parts assemble into.
    /// `part_size` (every part but the last) is passed as [`PART_SIZE_HINT`].
    pub async fn create_multipart(
        &self,
        key: &str,
        content_type: &str,
        metadata: &std::collections::BTreeMap<String, String>,
        part_size: Option<u64>,
    ) -> Result<String, StorageError> {
        let mut metadata = metadata.clone();
        if let Some(part_size) = part_size {
            metadata.insert(PART_SIZE_HINT.to_owned(), part_size.to_string());
        }
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .set_metadata(user_metadata(&metadata))
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .send()
            .await
            .map_err(|e| StorageError::sdk("create multipart upload", e))?;
        out.upload_id.ok_or_else(|| {
            StorageError::bad_reply("create multipart upload", "store returned no upload id")
        })
    }

    /// A presigned part upload. With `sha256`, the checksum is a signed header: the store
    /// refuses a part whose bytes do not match it.
    pub async fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        sha256: Option<&[u8; 32]>,
        ttl: Duration,
    ) -> Result<PresignedRequest, StorageError> {
        let number =
            i32::try_from(part_number).map_err(|e| StorageError::new("presign part", e))?;
        let presigned = self
            .presigner
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .set_checksum_sha256(sha256.map(|s| base64_of(s)))
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| StorageError::sdk("presign part", e))?;
        Ok(to_presigned(&presigned))
    }

    /// Upload one part of a multipart upload the server writes itself, its SHA-256 checked by
    /// the store.
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: Bytes,
    ) -> Result<UploadedPart, StorageError> {
        let number = i32::try_from(part_number).map_err(|e| StorageError::new("upload part", e))?;
        let sha256: [u8; 32] = Sha256::digest(&body).into();
        let size = body.len() as u64;
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .checksum_sha256(base64_of(&sha256))
            .body(body.into())
            .send()
            .await
            .map_err(|e| StorageError::sdk("upload part", e))?;
        Ok(UploadedPart {
            part_number,
            size,
            etag: out.e_tag().unwrap_or_default().to_owned(),
            sha256: Some(hex::encode(sha256)),
        })
    }

    /// Every part uploaded so far, in part-number order (follows the store's pagination).
    pub async fn list_parts(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<UploadedPart>, StorageError> {
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self.list_parts_page(key, upload_id, marker.clone()).await?;
            parts.extend(page.parts);
            if !page.truncated || page.next_marker.is_none() || page.next_marker == marker {
                break;
            }
            marker = page.next_marker;
        }
        parts.sort_by_key(|p| p.part_number);
        Ok(parts)
    }

    /// One page of ListParts. A successful reply the SDK refuses to parse is read by
    /// [`list_parts_xml`] instead: moto names its root element `ListPartsResponse` where S3
    /// says `ListPartsResult`, and the SDK rejects the whole reply for that name alone.
    async fn list_parts_page(
        &self,
        key: &str,
        upload_id: &str,
        marker: Option<String>,
    ) -> Result<list_parts_xml::PartsPage, StorageError> {
        let sent = self
            .client
            .list_parts()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .set_part_number_marker(marker)
            .send()
            .await;
        match sent {
            Ok(out) => Ok(list_parts_xml::PartsPage {
                parts: out.parts().iter().map(uploaded_part).collect(),
                truncated: out.is_truncated() == Some(true),
                next_marker: out.next_part_number_marker().map(str::to_owned),
            }),
            // A successful reply turned into an error is one the SDK could not parse.
            Err(err) => match err
                .raw_response()
                .filter(|raw| raw.status().is_success())
                .and_then(|raw| raw.body().bytes())
            {
                Some(body) => list_parts_xml::parse(body)
                    .map_err(|why| StorageError::bad_reply("list parts", why)),
                None => Err(StorageError::sdk("list parts", err)),
            },
        }
    }

    pub async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> Result<(), StorageError> {
        let completed = parts
            .iter()
            .map(|p| {
                CompletedPart::builder()
                    .part_number(i32::try_from(p.part_number).unwrap_or(i32::MAX))
                    .e_tag(&p.etag)
                    .set_checksum_sha256(
                        p.sha256
                            .as_deref()
                            .and_then(crate::domain::sample::parse_sha256_hex)
                            .map(|s| base64_of(&s)),
                    )
                    .build()
            })
            .collect::<Vec<_>>();
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .customize()
            .config_override(
                aws_sdk_s3::config::Builder::new().timeout_config(timeout_of(ASSEMBLY_TIMEOUT)),
            )
            .send()
            .await
            .map_err(|e| StorageError::sdk("complete multipart upload", e))?;
        Ok(())
    }

    /// Abort an upload; an upload the store no longer knows counts as aborted.
    pub async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), StorageError> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_upload()) =>
            {
                Ok(())
            }
            Err(err)
                if err
                    .raw_response()
                    .is_some_and(|r| r.status().as_u16() == 404) =>
            {
                Ok(())
            }
            Err(err) => Err(StorageError::sdk("abort multipart upload", err)),
        }
    }

    /// `None` when there is no such object.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectHead>, StorageError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ObjectHead {
                etag: out.e_tag().map(str::to_owned),
                size: out
                    .content_length()
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0),
                sha256_base64: out.checksum_sha256().map(str::to_owned),
                checksum_type: out.checksum_type().map(|t| t.as_str().to_owned()),
                metadata: out.metadata().cloned().unwrap_or_default(),
            })),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(err) => Err(StorageError::sdk("head object", err)),
        }
    }

    /// Bytes `offset .. offset+len` (fewer at the end of the object).
    pub async fn read_range(
        &self,
        key: &str,
        offset: u64,
        len: u64,
    ) -> Result<Bytes, StorageError> {
        if len == 0 {
            return Ok(Bytes::new());
        }
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={}-{}", offset, offset + len - 1))
            .send()
            .await
            .map_err(|e| StorageError::sdk("read range", e))?;
        let data = out
            .body
            .collect()
            .await
            .map_err(|e| StorageError::unavailable("read range", e))?;
        Ok(data.into_bytes())
    }

    /// SHA-256 of the whole object, streamed (memory stays at one chunk whatever the size).
    pub async fn sha256(&self, key: &str) -> Result<[u8; 32], StorageError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| StorageError::sdk("read object", e))?;
        let mut body = out.body;
        let mut hasher = Sha256::new();
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| StorageError::unavailable("read object", e))?
        {
            hasher.update(&chunk);
        }
        Ok(hasher.finalize().into())
    }

    /// The whole object written to a new file at `path`, streamed (memory stays at one chunk
    /// whatever the size); what was written.
    pub async fn download_to(
        &self,
        key: &str,
        path: &std::path::Path,
    ) -> Result<streamed::Written, StorageError> {
        use tokio::io::AsyncWriteExt;
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| StorageError::sdk("read object", e))?;
        let file = tokio::fs::File::create(path)
            .await
            .map_err(|e| StorageError::new("write a local copy", e))?;
        let mut file = tokio::io::BufWriter::with_capacity(4 * 1024 * 1024, file);
        let mut body = out.body;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| StorageError::unavailable("read object", e))?
        {
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk)
                .await
                .map_err(|e| StorageError::new("write a local copy", e))?;
        }
        file.flush()
            .await
            .map_err(|e| StorageError::new("write a local copy", e))?;
        Ok(streamed::Written {
            size,
            sha256: hasher.finalize().into(),
        })
    }

    /// Store a small document the server made itself (an export), with its SHA-256 checked by
    /// the store.
    pub async fn put_small(
        &self,
        key: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), StorageError> {
        let sha256: [u8; 32] = Sha256::digest(&body).into();
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .checksum_sha256(base64_of(&sha256))
            .body(Bytes::from(body).into())
            .send()
            .await
            .map_err(|e| StorageError::sdk("put object", e))?;
        Ok(())
    }

    /// Delete an object; one that is already gone counts as deleted.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .raw_response()
                    .is_some_and(|r| r.status().as_u16() == 404) =>
            {
                Ok(())
            }
            Err(err) => Err(StorageError::sdk("delete object", err)),
        }
    }

    /// Keys under `prefix` (used to prove a deletion left nothing behind).
    pub async fn list_keys(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.clone())
                .send()
                .await
                .map_err(|e| StorageError::sdk("list objects", e))?;
            keys.extend(
                out.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
            match out.next_continuation_token() {
                Some(next) if out.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(keys)
    }
}

fn user_metadata(
    metadata: &std::collections::BTreeMap<String, String>,
) -> Option<std::collections::HashMap<String, String>> {
    (!metadata.is_empty()).then(|| metadata.clone().into_iter().collect())
}

pub fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A file name safe in a `Content-Disposition` header and on any file system: ASCII letters,
/// digits, `.`, `-` and `_` only (anything else becomes `_`), at most 100 characters, never
/// empty or hidden.
pub fn download_file_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "download".to_owned()
    } else {
        safe.to_owned()
    }
}

fn attachment(file_name: &str) -> String {
    format!("attachment; filename=\"{}\"", download_file_name(file_name))
}

fn presigning(ttl: Duration) -> Result<PresigningConfig, StorageError> {
    PresigningConfig::expires_in(ttl).map_err(|e| StorageError::new("presign", e))
}

fn to_presigned(req: &aws_sdk_s3::presigning::PresignedRequest) -> PresignedRequest {
    PresignedRequest {
        method: req.method().to_owned(),
        url: req.uri().to_owned(),
        headers: req
            .headers()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_failures_are_sorted_by_what_a_client_can_do_about_them() {
        use aws_sdk_s3::error::{ConnectorError, ErrorMetadata};
        use aws_sdk_s3::operation::head_object::HeadObjectError;
        use aws_sdk_s3::primitives::SdkBody;
        type Failure = SdkError<HeadObjectError, HttpResponse>;
        let reply = |status: u16| HttpResponse::new(status.try_into().unwrap(), SdkBody::from(""));
        let store_says = |status: u16, code: &str| -> Failure {
            let error = HeadObjectError::generic(ErrorMetadata::builder().code(code).build());
            SdkError::service_error(error, reply(status))
        };
        let cases: [(Failure, StorageErrorKind); 7] = [
            (
                SdkError::dispatch_failure(ConnectorError::io("connection refused".into())),
                StorageErrorKind::Unavailable,
            ),
            (
                SdkError::timeout_error("no answer"),
                StorageErrorKind::Unavailable,
            ),
            (store_says(503, "SlowDown"), StorageErrorKind::Unavailable),
            (store_says(500, "InternalError"), StorageErrorKind::Failed),
            (
                SdkError::response_error("garbled XML", reply(200)),
                StorageErrorKind::Failed,
            ),
            (
                SdkError::construction_failure("no bucket"),
                StorageErrorKind::Local,
            ),
            (
                SdkError::dispatch_failure(ConnectorError::user("bad endpoint".into())),
                StorageErrorKind::Local,
            ),
        ];
        for (failure, kind) in cases {
            let shown = format!("{failure:?}");
            let err = StorageError::sdk("head object", failure);
            assert_eq!(err.kind, kind, "{shown}");
            let app = crate::error::AppError::from(err);
            let (status, code) = match kind {
                StorageErrorKind::Unavailable => (503, "storage_unavailable"),
                StorageErrorKind::Failed => (502, "storage_error"),
                StorageErrorKind::Local => (500, "internal_error"),
            };
            assert_eq!((app.status().as_u16(), app.code().as_str()), (status, code));
            let detail = app.to_problem().detail;
            assert!(
                !detail.contains("head object") && !detail.contains("SlowDown"),
                "the store's words stay in the log: {detail}"
            );
        }
    }

    fn head(sha256_base64: Option<&str>, checksum_type: Option<&str>) -> ObjectHead {
        ObjectHead {
            size: 1,
            etag: None,
            sha256_base64: sha256_base64.map(str::to_owned),
            checksum_type: checksum_type.map(str::to_owned),
            metadata: Default::default(),
        }
    }

    #[test]
    fn only_a_full_object_sha256_is_taken_from_the_store() {
        let digest: [u8; 32] = Sha256::digest(b"x").into();
        let b64 = base64_of(&digest);
        assert_eq!(
            head(Some(&b64), Some("FULL_OBJECT")).full_object_sha256(),
            Some(digest)
        );
        assert_eq!(head(Some(&b64), None).full_object_sha256(), None);
        assert_eq!(
            head(Some(&b64), Some("COMPOSITE")).full_object_sha256(),
            None
        );
        let composite = format!("{b64}-3");
        assert_eq!(
            head(Some(&composite), Some("FULL_OBJECT")).full_object_sha256(),
            None
        );
        assert_eq!(head(None, Some("FULL_OBJECT")).full_object_sha256(), None);
    }

    #[test]
    fn download_names_cannot_break_out_of_the_header() {
        assert_eq!(
            attachment("sample-1.jpg"),
            "attachment; filename=\"sample-1.jpg\""
        );
        assert_eq!(
            download_file_name("a\"; filename=evil.html\r\nx: y"),
            "a___filename_evil.html__x__y"
        );
        assert_eq!(download_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(download_file_name("奶奶.jpg"), "__.jpg");
        assert_eq!(download_file_name("..."), "download");
        assert_eq!(download_file_name(&"x".repeat(300)).len(), 100);
    }
}
