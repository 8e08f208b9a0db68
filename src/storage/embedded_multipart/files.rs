//! Where an upload's files live in s3s-fs's root, and writing them safely.
//!
//! s3s-fs's own names: `.upload-{id}.json` (the upload and its owner's access key),
//! `.upload_id-{id}.part-{n}` (a part), `.bucket-{b}.object-{k}[.upload-{id}].metadata.json`
//! (attributes) and `.bucket-{b}.object-{k}.internal.json` (ETag, checksums). Ours sit under the
//! upload's prefix (so s3s-fs's Abort removes them) but never as `.part-…` (so its ListParts
//! skips them): `.upload_id-{id}.sums-{n}.json`, `.upload_id-{id}.layout.json`,
//! `.upload_id-{id}.data`.

use std::path::{Path, PathBuf};

use base64::Engine;
use s3s::{S3Result, s3_error};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::internal;

pub(super) struct UploadFiles {
    root: PathBuf,
}

impl UploadFiles {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn upload_id(&self, upload_id: Uuid) -> PathBuf {
        self.root.join(format!(".upload-{upload_id}.json"))
    }

    pub fn part(&self, upload_id: Uuid, number: i32) -> PathBuf {
        self.root
            .join(format!(".upload_id-{upload_id}.part-{number}"))
    }

    pub fn sums(&self, upload_id: Uuid, number: i32) -> PathBuf {
        self.root
            .join(format!(".upload_id-{upload_id}.sums-{number}.json"))
    }

    /// The prefix of every sums file of an upload (for listing them).
    pub fn sums_prefix(upload_id: Uuid) -> String {
        format!(".upload_id-{upload_id}.sums-")
    }

    pub fn layout(&self, upload_id: Uuid) -> PathBuf {
        self.root
            .join(format!(".upload_id-{upload_id}.layout.json"))
    }

    pub fn data(&self, upload_id: Uuid) -> PathBuf {
        self.root.join(format!(".upload_id-{upload_id}.data"))
    }

    pub fn sidecar(&self, bucket: &str, key: &str, suffix: &str) -> PathBuf {
        self.root.join(sidecar_name(bucket, key, suffix))
    }

    /// `root/bucket/key`, refusing anything that could leave the bucket's directory.
    pub fn object(&self, bucket: &str, key: &str) -> S3Result<PathBuf> {
        let plain = |s: &str| {
            !s.is_empty()
                && Path::new(s)
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
        };
        if !plain(bucket) || !plain(key) || bucket.contains('/') {
            return Err(s3_error!(InvalidArgument, "invalid bucket or key"));
        }
        Ok(self.root.join(bucket).join(key))
    }

    pub async fn read_json<T: DeserializeOwned>(&self, path: &Path) -> Option<T> {
        let content = tokio::fs::read(path).await.ok()?;
        serde_json::from_slice(&content).ok()
    }

    /// Write a small file atomically (temporary file, then rename).
    pub async fn write_json(&self, path: &Path, value: &impl Serialize) -> S3Result<()> {
        let content = serde_json::to_vec(value).map_err(internal)?;
        let tmp = TempFile::new(&self.root);
        tokio::fs::write(tmp.path(), content)
            .await
            .map_err(internal)?;
        tmp.persist(path).await
    }

    /// Remove a file; one already gone is fine, anything else is logged (cleanup never fails
    /// the request that did the work).
    pub async fn remove(&self, path: &Path) {
        if let Err(err) = tokio::fs::remove_file(path).await
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %err, "could not remove an upload file");
        }
    }
}

/// Make a just-written object durable: its bytes (unless already synced) and the directory
/// entries naming it and its records (the object's directory and the store's root, where the
/// sidecars live). s3s-fs syncs nothing; a verified sample must survive a power cut.
pub fn make_durable(object: &Path, root: &Path, with_data: bool) -> std::io::Result<()> {
    if with_data {
        std::fs::File::open(object)?.sync_data()?;
    }
    if let Some(dir) = object.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    std::fs::File::open(root)?.sync_all()
}

/// The name s3s-fs gives an object's sidecar file (`metadata.json`, `internal.json`, …).
pub fn sidecar_name(bucket: &str, key: &str, suffix: &str) -> String {
    let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(".bucket-{}.object-{}.{suffix}", encode(bucket), encode(key))
}

/// A file in the store's root named as s3s-fs names its temporary files (so a restart sweeps
/// any left behind); removed when dropped unless persisted.
pub(super) struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    pub fn new(root: &Path) -> Self {
        Self {
            path: root.join(format!(".tmp.ks-{}.internal.part", Uuid::new_v4().simple())),
            keep: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn persist(mut self, dest: &Path) -> S3Result<()> {
        tokio::fs::rename(&self.path, dest)
            .await
            .map_err(internal)?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_paths_stay_inside_the_bucket() {
        let files = UploadFiles::new(PathBuf::from("/store"));
        assert_eq!(
            files.object("b", "orders/1/samples/2").unwrap(),
            PathBuf::from("/store/b/orders/1/samples/2")
        );
        assert!(files.object("b", "../escape").is_err());
        assert!(files.object("b", "/abs").is_err());
        assert!(files.object("b/c", "k").is_err());
        assert!(files.object("b", "").is_err());
    }

    #[test]
    fn our_files_are_under_the_upload_prefix_but_never_parts() {
        let files = UploadFiles::new(PathBuf::from("/s"));
        let id = Uuid::nil();
        let prefix = format!(".upload_id-{id}");
        for path in [files.sums(id, 3), files.layout(id), files.data(id)] {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let rest = name
                .strip_prefix(&prefix)
                .expect("under the upload's prefix");
            assert!(
                !rest.starts_with(".part-"),
                "{name} would be listed as a part"
            );
        }
    }
}
