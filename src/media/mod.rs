//! Media inspection for uploaded samples: what a file really is, and its
//! picture size or running time, without downloading it.
//!
//! Customers upload photos, voice recordings, videos and documents straight
//! to object storage, so the server first sees a sample when the upload
//! completes. Two questions are answered then, both against the stored
//! object rather than anything the client said:
//!
//! 1. **What is it?** [`sniff`] looks at the first [`SNIFF_LEN`] bytes. The
//!    declared MIME type is never trusted; a file that is none of the
//!    [`MediaType`]s (HTML, a ZIP, a GIF renamed `.jpg`…) is refused.
//! 2. **How big / how long?** [`probe`] reads only headers, through ranged
//!    reads: image width and height, audio duration, video duration and
//!    resolution. Video can be 10 GiB with its index at the very end, so the
//!    probes jump from header to header and never scan media data; reads go
//!    through a [`BlockReader`] that merges them into a few block-sized
//!    requests and refuses to fetch more than 4 MiB for one probe.
//!
//! Everything here parses attacker-controlled bytes: no indexing that can
//! panic, checked arithmetic, every loop bounded. A bad file yields
//! [`ProbeError::Malformed`], never a panic or a hang. The [`samples`]
//! module builds synthetic files for the tests and the upload benchmark.

mod error;
mod fields;
mod flac;
mod id3;
mod image;
mod isobmff;
mod media_type;
mod mp3;
mod reader;
mod sniff;
mod wav;

#[doc(hidden)]
pub mod samples;

pub use error::ProbeError;
pub use media_type::MediaType;
pub use reader::{BlockReader, RangeRead};
pub use sniff::{SNIFF_LEN, sniff};

/// What the headers say. Fields a format does not have stay `None`: images
/// have no duration, audio has no size, a video file without a video track
/// has only a duration, and a PDF has nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaMetadata {
    /// Display width in pixels (images, video).
    pub width: Option<u32>,
    /// Display height in pixels (images, video).
    pub height: Option<u32>,
    /// Running time in milliseconds (audio, video).
    pub duration_ms: Option<u64>,
}

/// The type a sniffed file really is once its headers are read: an MP4 container with no
/// video track is an audio recording (Android phones write voice memos with `mp42`/`isom`
/// brands, which sniff as video).
pub fn refine(sniffed: MediaType, metadata: &MediaMetadata) -> MediaType {
    match sniffed {
        MediaType::Mp4 if metadata.width.is_none() && metadata.height.is_none() => MediaType::M4a,
        other => other,
    }
}

/// Reads the metadata of an object already sniffed as `media`, through a
/// fresh [`BlockReader`] with the default block size and fetch budget.
pub async fn probe<R: RangeRead>(
    reader: &R,
    media: MediaType,
) -> Result<MediaMetadata, ProbeError> {
    probe_cached(&BlockReader::new(reader), media).await
}

/// [`probe`] through a caller-made [`BlockReader`], so the caller can choose
/// its limits and read [`BlockReader::bytes_fetched`] afterwards.
pub async fn probe_cached<R: RangeRead>(
    reader: &BlockReader<R>,
    media: MediaType,
) -> Result<MediaMetadata, ProbeError> {
    match media {
        MediaType::Jpeg => image::probe_jpeg(reader).await,
        MediaType::Png | MediaType::Webp => image::probe_prefix(reader).await,
        MediaType::Wav => wav::probe(reader).await,
        MediaType::Mp3 => mp3::probe(reader).await,
        MediaType::Flac => flac::probe(reader).await,
        MediaType::M4a | MediaType::Mp4 | MediaType::QuickTime => isobmff::probe(reader).await,
        MediaType::Pdf => Ok(MediaMetadata::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn probing_a_send_reader_is_send() {
        let data = Bytes::new();
        assert_send(&probe(&data, MediaType::Mp4));
    }

    #[tokio::test]
    async fn every_builder_sniffs_and_probes_to_what_it_was_given() -> Result<(), ProbeError> {
        let image = |w, h| MediaMetadata {
            width: Some(w),
            height: Some(h),
            duration_ms: None,
        };
        let audio = |ms| MediaMetadata {
            duration_ms: Some(ms),
            ..MediaMetadata::default()
        };
        let cases = [
            (samples::jpeg(1024, 768), image(1024, 768)),
            (samples::png(513, 512), image(513, 512)),
            (samples::wav(180_000, 16_000), audio(180_000)),
            (samples::m4a(95_000), audio(95_000)),
            (
                samples::mp4(1920, 1080, 30_000, false, 4096),
                MediaMetadata {
                    duration_ms: Some(30_000),
                    ..image(1920, 1080)
                },
            ),
            (samples::pdf(), MediaMetadata::default()),
        ];
        for (data, want) in cases {
            let media = sniff(&data[..data.len().min(SNIFF_LEN)]);
            let media = media.ok_or_else(|| ProbeError::Malformed("not sniffed".into()))?;
            assert_eq!(probe(&Bytes::from(data), media).await?, want, "{media:?}");
        }
        Ok(())
    }

    struct Broken;

    impl RangeRead for Broken {
        fn size(&self) -> u64 {
            1 << 20
        }
        async fn read_range(&self, _offset: u64, _len: u64) -> Result<Bytes, ProbeError> {
            Err(ProbeError::Read("connection reset".into()))
        }
    }

    #[tokio::test]
    async fn store_failures_surface_as_read_errors() {
        for media in [
            MediaType::Jpeg,
            MediaType::Png,
            MediaType::Wav,
            MediaType::Mp3,
            MediaType::Flac,
            MediaType::Mp4,
        ] {
            let err = probe(&Broken, media).await.err();
            assert!(
                matches!(&err, Some(ProbeError::Read(m)) if m == "connection reset"),
                "{media:?}: {err:?}"
            );
        }
    }

    #[tokio::test]
    async fn random_bytes_never_panic() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..300 {
            let len = round * 37 % 3000;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            for media in [
                MediaType::Jpeg,
                MediaType::Png,
                MediaType::Webp,
                MediaType::Wav,
                MediaType::Mp3,
                MediaType::Flac,
                MediaType::Mp4,
            ] {
                let _ = sniff(&data);
                let _ = probe(&Bytes::from(data.clone()), media).await;
            }
        }
    }
}
