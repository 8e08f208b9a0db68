//! Signing a file: the manifest is built from the label already written into it, and the
//! `c2pa` crate writes the signed copy — every byte of the source, the manifest added in the
//! format's own place (JPEG APP11, PNG `caBX`, an ISO-BMFF `uuid` box, a RIFF `C2PA` chunk,
//! an ID3 `GEOB` frame) — streaming from one file to the other.

use std::path::Path;

use c2pa::{Builder, BuilderIntent, Context, DigitalSourceType};
use serde_json::json;

use super::{AIGC_ASSERTION, CredentialError, StudioCredentials};
use crate::labels::AigcLabel;

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
    let mut input = std::fs::File::open(source).map_err(|e| CredentialError::io(source, e))?;
    let mut output = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dest)
        .map_err(|e| CredentialError::io(dest, e))?;
    builder.sign(signer.as_ref(), mime, &mut input, &mut output)?;
    Ok(())
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
