//! Checksums of parts: which ones a request declares, checking them against the bytes, and
//! the ETags S3 derives from them.

use base64::Engine;
use s3s::checksum::ChecksumHasher;
use s3s::crypto::{Checksum as _, Md5};
use s3s::dto::{Checksum, ChecksumAlgorithm, UploadPartInput};
use s3s::{S3Result, s3_error};

pub(super) fn declared(input: &UploadPartInput) -> Checksum {
    Checksum {
        checksum_crc32: input.checksum_crc32.clone(),
        checksum_crc32c: input.checksum_crc32c.clone(),
        checksum_sha1: input.checksum_sha1.clone(),
        checksum_sha256: input.checksum_sha256.clone(),
        checksum_crc64nvme: input.checksum_crc64nvme.clone(),
        ..Default::default()
    }
}

/// A hasher for every checksum the request declares or announces (trailers come later).
pub(super) fn hasher_for(
    declared: &Checksum,
    algorithm: Option<&ChecksumAlgorithm>,
) -> S3Result<ChecksumHasher> {
    let announced = algorithm.map(ChecksumAlgorithm::as_str);
    let wanted = |value: &Option<String>, name: &str| value.is_some() || announced == Some(name);
    let mut hasher = ChecksumHasher::default();
    if wanted(&declared.checksum_crc32, ChecksumAlgorithm::CRC32) {
        hasher.crc32 = Some(Default::default());
    }
    if wanted(&declared.checksum_crc32c, ChecksumAlgorithm::CRC32C) {
        hasher.crc32c = Some(Default::default());
    }
    if wanted(&declared.checksum_sha1, ChecksumAlgorithm::SHA1) {
        hasher.sha1 = Some(Default::default());
    }
    if wanted(&declared.checksum_sha256, ChecksumAlgorithm::SHA256) {
        hasher.sha256 = Some(Default::default());
    }
    if wanted(&declared.checksum_crc64nvme, ChecksumAlgorithm::CRC64NVME) {
        hasher.crc64nvme = Some(Default::default());
    }
    let known = [
        ChecksumAlgorithm::CRC32,
        ChecksumAlgorithm::CRC32C,
        ChecksumAlgorithm::SHA1,
        ChecksumAlgorithm::SHA256,
        ChecksumAlgorithm::CRC64NVME,
    ];
    if let Some(other) = announced
        && !known.contains(&other)
    {
        return Err(s3_error!(
            NotImplemented,
            "unsupported checksum algorithm {other}"
        ));
    }
    Ok(hasher)
}

/// Checksums sent as trailers (aws-chunked uploads) count as declared; one the headers
/// already declared keeps its (signed) header value.
pub(super) fn read_trailers(
    trailers: &axum::http::HeaderMap,
    declared: &mut Checksum,
) -> S3Result<()> {
    let slots: [(&str, &mut Option<String>); 5] = [
        ("x-amz-checksum-crc32", &mut declared.checksum_crc32),
        ("x-amz-checksum-crc32c", &mut declared.checksum_crc32c),
        ("x-amz-checksum-sha1", &mut declared.checksum_sha1),
        ("x-amz-checksum-sha256", &mut declared.checksum_sha256),
        ("x-amz-checksum-crc64nvme", &mut declared.checksum_crc64nvme),
    ];
    for (name, slot) in slots {
        if let Some(value) = trailers.get(name) {
            let value = value
                .to_str()
                .map_err(|_| s3_error!(InvalidArgument, "malformed {name}"))?;
            match slot {
                Some(header) if header != value => {
                    return Err(s3_error!(
                        BadDigest,
                        "{name} differs between the header and the trailer"
                    ));
                }
                Some(_) => {}
                None => *slot = Some(value.to_owned()),
            }
        }
    }
    Ok(())
}

/// Every declared checksum must equal the computed one.
pub(super) fn check(declared: &Checksum, computed: &Checksum) -> S3Result<()> {
    let pairs = [
        ("CRC32", &declared.checksum_crc32, &computed.checksum_crc32),
        (
            "CRC32C",
            &declared.checksum_crc32c,
            &computed.checksum_crc32c,
        ),
        ("SHA1", &declared.checksum_sha1, &computed.checksum_sha1),
        (
            "SHA256",
            &declared.checksum_sha256,
            &computed.checksum_sha256,
        ),
        (
            "CRC64NVME",
            &declared.checksum_crc64nvme,
            &computed.checksum_crc64nvme,
        ),
    ];
    for (name, want, got) in pairs {
        if want.is_some() && want != got {
            return Err(s3_error!(
                BadDigest,
                "the part's {name} checksum does not match its content"
            ));
        }
    }
    Ok(())
}

/// `Content-MD5` (base64), when sent, must be the MD5 of the bytes.
pub(super) fn check_content_md5(
    declared: Option<&str>,
    computed: Option<&[u8; 16]>,
) -> S3Result<()> {
    let Some(declared) = declared else {
        return Ok(());
    };
    let declared = base64::engine::general_purpose::STANDARD
        .decode(declared)
        .map_err(|_| s3_error!(InvalidDigest, "Content-MD5 is not base64"))?;
    if computed.map(|md5| md5.as_slice()) == Some(declared.as_slice()) {
        Ok(())
    } else {
        Err(s3_error!(
            BadDigest,
            "the part's Content-MD5 does not match its content"
        ))
    }
}

/// A part's ETag made from its SHA-256: the first 16 bytes, in hex (the shape of an MD5).
pub(super) fn etag_from_sha256(sha256_base64: &str) -> S3Result<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sha256_base64)
        .map_err(|_| s3_error!(InternalError, "SHA-256 is not base64"))?;
    Ok(hex::encode(bytes.get(..16).unwrap_or(&bytes)))
}

/// S3's multipart ETag: MD5 of the parts' binary ETags, then `-<count>`.
pub(super) fn multipart_etag(part_etags: &[String]) -> S3Result<String> {
    let mut md5 = Md5::new();
    for e_tag in part_etags {
        let bytes =
            hex::decode(e_tag).map_err(|_| s3_error!(InternalError, "a part ETag is not hex"))?;
        md5.update(&bytes);
    }
    Ok(format!(
        "{}-{}",
        hex::encode(md5.finalize()),
        part_etags.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn multipart_etag_is_md5_of_binary_part_etags() {
        // Two parts whose ETags are the MD5s of "a" and "b".
        let parts = [
            "0cc175b9c0f1b6a831c399e269772661".to_owned(),
            "92eb5ffee6ae2fec3ad71c777531578f".to_owned(),
        ];
        let mut md5 = Md5::new();
        md5.update(&hex::decode(&parts[0]).unwrap());
        md5.update(&hex::decode(&parts[1]).unwrap());
        assert_eq!(
            multipart_etag(&parts).unwrap(),
            format!("{}-2", hex::encode(md5.finalize()))
        );
        assert!(multipart_etag(&["zz".to_owned()]).is_err());
    }

    #[test]
    fn content_md5_is_checked_when_sent() {
        let mut md5 = Md5::new();
        md5.update(b"bytes");
        let digest = md5.finalize();
        let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(check_content_md5(None, None).is_ok());
        assert!(check_content_md5(Some(&b64), Some(&digest)).is_ok());
        assert!(check_content_md5(Some(&b64), Some(&[0; 16])).is_err());
        assert!(check_content_md5(Some("not base64!"), Some(&digest)).is_err());
    }

    #[test]
    fn a_trailer_cannot_change_a_declared_checksum() {
        let mut declared = Checksum {
            checksum_sha256: Some("AAAA".into()),
            ..Default::default()
        };
        let mut trailers = axum::http::HeaderMap::new();
        trailers.insert("x-amz-checksum-sha256", "BBBB".parse().unwrap());
        assert!(read_trailers(&trailers, &mut declared).is_err());
        trailers.insert("x-amz-checksum-sha256", "AAAA".parse().unwrap());
        trailers.insert("x-amz-checksum-crc32", "CCCC".parse().unwrap());
        assert!(read_trailers(&trailers, &mut declared).is_ok());
        assert_eq!(declared.checksum_crc32.as_deref(), Some("CCCC"));
    }

    #[test]
    fn sha256_etags_take_the_first_half_of_the_digest() {
        let digest: [u8; 32] = Sha256::digest(b"part").into();
        let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
        assert_eq!(etag_from_sha256(&b64).unwrap(), hex::encode(&digest[..16]));
    }

    #[test]
    fn a_declared_checksum_must_match() {
        let mut hasher = hasher_for(
            &Checksum::default(),
            Some(&ChecksumAlgorithm::from_static(ChecksumAlgorithm::SHA256)),
        )
        .unwrap();
        hasher.update(b"bytes");
        let computed = hasher.finalize();
        let right = Checksum {
            checksum_sha256: computed.checksum_sha256.clone(),
            ..Default::default()
        };
        assert!(check(&right, &computed).is_ok());
        let wrong = Checksum {
            checksum_sha256: Some("AAAA".into()),
            ..Default::default()
        };
        assert!(check(&wrong, &computed).is_err());
        assert!(check(&Checksum::default(), &computed).is_ok());
        assert!(
            hasher_for(
                &Checksum::default(),
                Some(&ChecksumAlgorithm::from_static("MD4"))
            )
            .is_err()
        );
    }
}
