//! Image width and height from the file header.
//!
//! PNG and WebP keep their dimensions in the first few dozen bytes, so
//! `imagesize` reads them from a small prefix. JPEG keeps them in its frame
//! header (SOFn), which follows any number of APPn segments — EXIF with a
//! thumbnail, ICC profiles, XMP — that can push it hundreds of KiB in.
//! Instead of guessing a prefix size, the JPEG probe walks the segment
//! headers with ranged reads, skipping each segment by its length; through
//! the block cache that costs one request for ordinary photos.

use super::MediaMetadata;
use super::error::{ProbeError, ProbeResult};
use super::fields::Fields;
use super::reader::{RangeRead, read_exact};

/// Enough for every PNG/WebP variant `imagesize` reads (VP8X needs 30 bytes).
const PREFIX_LEN: u64 = 1024;
/// A JPEG with more segments than this before its frame header is not a photo.
const MAX_SEGMENTS: usize = 1024;
/// Fill bytes (0xFF padding) allowed before a marker.
const MAX_FILL: u64 = 64;

/// PNG or WebP dimensions from the first bytes, via `imagesize`.
pub(super) async fn probe_prefix(reader: &impl RangeRead) -> ProbeResult<MediaMetadata> {
    let prefix = reader.read_range(0, PREFIX_LEN).await?;
    let size = imagesize::blob_size(&prefix)
        .map_err(|e| ProbeError::malformed(format!("could not read the image size: {e}")))?;
    Ok(dimensions(
        u32::try_from(size.width).ok(),
        u32::try_from(size.height).ok(),
    ))
}

/// JPEG dimensions from the first SOFn segment.
pub(super) async fn probe_jpeg(reader: &impl RangeRead) -> ProbeResult<MediaMetadata> {
    let soi = read_exact(reader, 0, 2, "JPEG header").await?;
    if soi.as_ref() != b"\xFF\xD8" {
        return Err(ProbeError::malformed(
            "the file does not start with a JPEG marker",
        ));
    }
    let mut offset = 2;
    for _ in 0..MAX_SEGMENTS {
        let (marker, after_marker) = next_marker(reader, offset).await?;
        match marker {
            // Standalone markers carry no length.
            0x01 | 0xD0..=0xD7 => offset = after_marker,
            // SOI, EOI or SOS (start of scan): no frame header can follow.
            0xD8..=0xDA => {
                return Err(ProbeError::malformed(
                    "the JPEG has no frame header before its image data",
                ));
            }
            _ if is_frame_header(marker) => return read_frame_size(reader, after_marker).await,
            _ => offset = skip_segment(reader, after_marker).await?,
        }
    }
    Err(ProbeError::malformed("the JPEG has too many segments"))
}

/// Reads the marker at `offset` (0xFF, optional 0xFF fill bytes, then the
/// code); returns the code and the offset just past it.
async fn next_marker(reader: &impl RangeRead, offset: u64) -> ProbeResult<(u8, u64)> {
    let window = reader.read_range(offset, MAX_FILL + 2).await?;
    match window.iter().position(|b| *b != 0xFF) {
        Some(at) if at > 0 => {
            let code = Fields::new(&window, "JPEG marker").u8(at)?;
            Ok((code, offset + at as u64 + 1))
        }
        _ => Err(ProbeError::malformed("the JPEG segment list is corrupt")),
    }
}

/// SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC) which share the range.
fn is_frame_header(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// Returns the offset after the segment whose length field is at `at`.
async fn skip_segment(reader: &impl RangeRead, at: u64) -> ProbeResult<u64> {
    let len = read_exact(reader, at, 2, "JPEG segment").await?;
    let len = Fields::new(&len, "JPEG segment").u16_be(0)?;
    if len < 2 {
        return Err(ProbeError::malformed(
            "a JPEG segment has an impossible length",
        ));
    }
    Ok(at + u64::from(len))
}

/// SOFn: length (2), sample precision (1), height (2), width (2).
async fn read_frame_size(reader: &impl RangeRead, at: u64) -> ProbeResult<MediaMetadata> {
    let sof = read_exact(reader, at, 7, "JPEG frame header").await?;
    let fields = Fields::new(&sof, "JPEG frame header");
    let height = fields.u16_be(3)?;
    let width = fields.u16_be(5)?;
    Ok(dimensions(Some(u32::from(width)), Some(u32::from(height))))
}

/// A zero dimension means "not stated here" (a JPEG may defer its height to
/// a later DNL marker), so it is reported as unknown rather than as 0.
fn dimensions(width: Option<u32>, height: Option<u32>) -> MediaMetadata {
    MediaMetadata {
        width: width.filter(|w| *w > 0),
        height: height.filter(|h| *h > 0),
        duration_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{BlockReader, MediaType, probe as probe_media, probe_cached, samples};
    use bytes::Bytes;

    async fn size(
        data: Vec<u8>,
        media: MediaType,
    ) -> Result<(Option<u32>, Option<u32>), ProbeError> {
        let meta = probe_media(&Bytes::from(data), media).await?;
        assert_eq!(meta.duration_ms, None);
        Ok((meta.width, meta.height))
    }

    #[tokio::test]
    async fn reads_builder_dimensions() -> Result<(), ProbeError> {
        for (w, h) in [(1, 1), (640, 480), (3000, 4000), (65535, 17)] {
            let want = (Some(u32::from(w)), Some(u32::from(h)));
            assert_eq!(size(samples::jpeg(w, h), MediaType::Jpeg).await?, want);
            if u32::from(w) * u32::from(h) < 1 << 20 {
                let png = samples::png(u32::from(w), u32::from(h));
                assert_eq!(size(png, MediaType::Png).await?, want);
            }
        }
        Ok(())
    }

    #[tokio::test]
    async fn finds_the_frame_header_behind_large_app_segments() -> Result<(), ProbeError> {
        let plain = samples::jpeg(4032, 3024);
        let mut data = plain[..2].to_vec();
        for _ in 0..12 {
            // Twelve maximal APP2 segments (ICC profile chunks): ~768 KiB.
            data.extend_from_slice(&[0xFF, 0xE2, 0xFF, 0xFF]);
            data.extend_from_slice(&[0x55; 0xFFFD]);
        }
        data.extend_from_slice(&[0xFF, 0xFF]); // fill bytes before the next marker
        data.extend_from_slice(&plain[2..]);
        let reader = BlockReader::new(Bytes::from(data));
        let meta = probe_cached(&reader, MediaType::Jpeg).await?;
        assert_eq!((meta.width, meta.height), (Some(4032), Some(3024)));
        assert!(reader.requests() <= 13, "{} requests", reader.requests());
        Ok(())
    }

    #[tokio::test]
    async fn reads_webp_variants() -> Result<(), ProbeError> {
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\x10\0\0\0".to_vec();
        vp8x.extend_from_slice(&[0x7F, 0x07, 0x00, 0x37, 0x04, 0x00]);
        assert_eq!(size(vp8x, MediaType::Webp).await?, (Some(1920), Some(1080)));
        let mut vp8l = b"RIFF\0\0\0\0WEBPVP8L\x05\0\0\0\x2F".to_vec();
        let packed: u32 = (640 - 1) | ((480 - 1) << 14);
        vp8l.extend_from_slice(&packed.to_le_bytes());
        assert_eq!(size(vp8l, MediaType::Webp).await?, (Some(640), Some(480)));
        let mut vp8 = b"RIFF\0\0\0\0WEBPVP8 \x0a\0\0\0\0\0\0\x9d\x01\x2a".to_vec();
        vp8.extend_from_slice(&[0x20, 0x03, 0x58, 0x02]);
        assert_eq!(size(vp8, MediaType::Webp).await?, (Some(800), Some(600)));
        Ok(())
    }

    #[tokio::test]
    async fn garbage_is_malformed() {
        let jpeg = samples::jpeg(10, 10);
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap_or(0);
        let mut zero_len = jpeg.clone();
        zero_len[4..6].fill(0);
        let mut no_marker = jpeg.clone();
        no_marker[2] = 0x00;
        let cases = [
            (jpeg[..sof].to_vec(), MediaType::Jpeg),
            (jpeg[..sof + 5].to_vec(), MediaType::Jpeg),
            (zero_len, MediaType::Jpeg),
            (no_marker, MediaType::Jpeg),
            (b"\xFF\xD8\xFF\xDA\0\x02".to_vec(), MediaType::Jpeg),
            (
                b"\xFF\xD8"
                    .iter()
                    .chain([0xFF; 100].iter())
                    .copied()
                    .collect(),
                MediaType::Jpeg,
            ),
            (samples::png(4, 4)[..20].to_vec(), MediaType::Png),
            (b"RIFF\0\0\0\0WEBPVP8?".to_vec(), MediaType::Webp),
            (Vec::new(), MediaType::Png),
            (Vec::new(), MediaType::Jpeg),
        ];
        for (data, media) in cases {
            assert!(
                matches!(size(data, media).await, Err(ProbeError::Malformed(_))),
                "{media:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_zero_height_is_unknown() -> Result<(), ProbeError> {
        assert_eq!(
            size(samples::jpeg(100, 0), MediaType::Jpeg).await?,
            (Some(100), None)
        );
        Ok(())
    }
}
