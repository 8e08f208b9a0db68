//! ID3v2 tags: the metadata block that may precede MP3 (and, non-standardly,
//! FLAC) audio. Sniffing and both audio probes skip it by its declared size.

use super::error::{ProbeError, ProbeResult};
use super::fields::Fields;

/// Length of an ID3v2 tag header.
pub(super) const HEADER_LEN: usize = 10;

/// Total length of the ID3v2 tag at the start of `header` (header, body and
/// optional footer), `Ok(None)` when `header` does not start with a tag.
/// `header` must hold at least [`HEADER_LEN`] bytes to detect a tag.
pub(super) fn tag_len(header: &[u8]) -> ProbeResult<Option<u64>> {
    if !header.starts_with(b"ID3") {
        return Ok(None);
    }
    let fields = Fields::new(header, "ID3 tag header");
    let flags = fields.u8(5)?;
    let size = syncsafe(fields.bytes::<4>(6)?)?;
    let footer = if flags & 0x10 != 0 { 10 } else { 0 };
    Ok(Some(HEADER_LEN as u64 + u64::from(size) + footer))
}

/// A 28-bit "syncsafe" integer: four bytes of seven bits each.
fn syncsafe(bytes: [u8; 4]) -> ProbeResult<u32> {
    if bytes.iter().any(|b| b & 0x80 != 0) {
        return Err(ProbeError::malformed("the ID3 tag size is not syncsafe"));
    }
    Ok(bytes.iter().fold(0, |acc, b| (acc << 7) | u32::from(*b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_tags_with_and_without_footer() {
        let plain = *b"ID3\x04\x00\x00\x00\x00\x02\x01";
        assert_eq!(tag_len(&plain).ok().flatten(), Some(10 + 257));
        let footer = *b"ID3\x04\x00\x10\x00\x00\x00\x05";
        assert_eq!(tag_len(&footer).ok().flatten(), Some(25));
    }

    #[test]
    fn ignores_other_data_and_rejects_bad_sizes() {
        assert_eq!(tag_len(b"fLaC\0\0\0\0\0\0").ok().flatten(), None);
        assert!(tag_len(b"ID3\x04\x00\x00\x80\x00\x00\x00").is_err());
        assert!(tag_len(b"ID3\x04").is_err());
    }
}
