//! Signing a file: the manifest is built from the label already written into it and placed in
//! the format's own place (JPEG APP11, PNG `caBX`, an ISO-BMFF `uuid` box, a RIFF `C2PA` chunk,
//! an ID3 `GEOB` frame), streaming from one file to the other.
//!
//! JPEG is signed here rather than by the crate's JPEG writer, which holds the whole photo in
//! memory two or three times over: a placeholder of the manifest's exact size is written in
//! after the start of image (and a JFIF `APP0`) while the photo is copied and hashed in
//! [`COPY_BUFFER`] pieces, and the signed manifest is then written over the placeholder. The
//! crate's data-hashed embeddable API signs the hash we computed. Every other format goes
//! through the crate's own streaming writers.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use c2pa::assertions::DataHash;
use c2pa::{Builder, BuilderIntent, Context, DigitalSourceType, HashRange};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{AIGC_ASSERTION, CredentialError, StudioCredentials};
use crate::labels::AigcLabel;

const JPEG: &str = "image/jpeg";

/// Write `source` (a `mime` file already carrying `label`) to `dest` with the studio's signed
/// manifest. Blocking: run it on the blocking pool.
pub fn sign_file(
    credentials: &StudioCredentials,
    label: &AigcLabel,
    mime: &str,
    source: &Path,
    dest: &Path,
) -> Result<(), CredentialError> {
    let signer = credentials.signer()?;
    let mut builder = manifest(credentials, label)?;
    let mut input = File::open(source).map_err(|e| CredentialError::io(source, e))?;
    let mut output = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dest)
        .map_err(|e| CredentialError::io(dest, e))?;
    if mime == JPEG {
        let placeholder = builder.data_hashed_placeholder(signer.reserve_size(), JPEG)?;
        let at = jpeg_manifest_offset(&mut input).map_err(|e| CredentialError::io(source, e))?;
        let hash = copy_with_insert(&mut input, &mut output, at, &placeholder)
            .map_err(|e| CredentialError::io(dest, e))?;
        let mut binding = DataHash::new("jumbf manifest", "sha256");
        binding.add_exclusion(HashRange::new(at, placeholder.len() as u64));
        binding.set_hash(hash);
        let signed = builder.sign_data_hashed_embeddable(signer.as_ref(), &binding, JPEG)?;
        if signed.len() != placeholder.len() {
            return Err(CredentialError::Invalid(format!(
                "the signed manifest ({} bytes) does not fit its placeholder ({} bytes)",
                signed.len(),
                placeholder.len()
            )));
        }
        output
            .seek(SeekFrom::Start(at))
            .and_then(|_| output.write_all(&signed))
            .and_then(|()| output.sync_data())
            .map_err(|e| CredentialError::io(dest, e))?;
    } else {
        builder.sign(signer.as_ref(), mime, &mut input, &mut output)?;
    }
    Ok(())
}

/// The manifest every deliverable carries: created by a trained algorithm, with the studio's
/// assertion of the GB fields and the hashed order reference.
fn manifest(
    credentials: &StudioCredentials,
    label: &AigcLabel,
) -> Result<Builder, CredentialError> {
    let mut builder = Builder::from_context(context()?).with_definition(json!({
        "title": label.produce_id,
        "claim_generator_info": [{ "name": "Keepsake", "version": env!("CARGO_PKG_VERSION") }],
        "assertions": [{
            "label": AIGC_ASSERTION,
            "data": {
                "label": label.label,
                "content_producer": label.content_producer,
                "produce_id": label.produce_id,
                "content_propagator": label.content_propagator,
                "order_reference_hmac_sha256": credentials.reference_digest(&label.propagate_id),
            },
        }],
    }))?;
    builder.set_intent(BuilderIntent::Create(
        DigitalSourceType::TrainedAlgorithmicMedia,
    ));
    Ok(builder)
}

/// Where a JPEG's manifest goes: after the start of image and a JFIF `APP0`, which must stay
/// first — where the crate's own writer puts it. (The GB label's `APP1` follows.)
fn jpeg_manifest_offset(input: &mut File) -> std::io::Result<u64> {
    let mut head = [0u8; 6];
    input.seek(SeekFrom::Start(0))?;
    input.read_exact(&mut head)?;
    input.seek(SeekFrom::Start(0))?;
    if head[2..4] == [0xFF, 0xE0] {
        Ok(4 + u64::from(u16::from_be_bytes([head[4], head[5]])))
    } else {
        Ok(2)
    }
}

/// Copy `input` to `output` with `insert` written at `at`; the SHA-256 of `input`'s bytes —
/// which is the hash of the output with the inserted range excluded.
fn copy_with_insert(
    input: &mut File,
    output: &mut File,
    at: u64,
    insert: &[u8],
) -> std::io::Result<Vec<u8>> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; COPY_BUFFER];
    if copy_hashed((&mut *input).take(at), output, &mut hasher, &mut buf)? < at {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the JPEG ends before its first segment",
        ));
    }
    output.write_all(insert)?;
    copy_hashed(input, output, &mut hasher, &mut buf)?;
    Ok(hasher.finalize().to_vec())
}

/// Copy everything `input` gives to `output`, hashing it; how many bytes.
fn copy_hashed(
    mut input: impl Read,
    output: &mut File,
    hasher: &mut Sha256,
    buf: &mut [u8],
) -> std::io::Result<u64> {
    let mut copied = 0u64;
    loop {
        let read = match input.read(buf) {
            Ok(0) => return Ok(copied),
            Ok(read) => read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        hasher.update(&buf[..read]);
        output.write_all(&buf[..read])?;
        copied += read as u64;
    }
}

/// Nothing fetched from the network, no thumbnail made (the file is the likeness itself), and
/// the crate's intermediate copy of a file larger than [`IN_MEMORY_MIB`] kept in a temporary
/// file (`TMPDIR`), not in memory — by default it would hold up to 512 MiB.
fn context() -> Result<Context, CredentialError> {
    Ok(Context::new().with_settings(json!({
        "core": {
            "backing_store_memory_threshold_in_mb": IN_MEMORY_MIB,
            "merkle_tree_chunk_size_in_kb": MDAT_CHUNK_KIB,
        },
        "verify": { "remote_manifest_fetch": false, "ocsp_fetch": false },
        "builder": { "thumbnail": { "enabled": false } },
    }))?)
}

/// Files up to this size are signed in memory; larger ones through a temporary file.
const IN_MEMORY_MIB: usize = 4;

/// A video's media data (`mdat`) is hashed as a Merkle tree of chunks this size (C2PA's BMFF
/// hash v3): the crate otherwise hashes it in 256 MiB reads, two at a time.
const MDAT_CHUNK_KIB: usize = 1024;

/// The piece a JPEG is copied and hashed in.
const COPY_BUFFER: usize = 1024 * 1024;
