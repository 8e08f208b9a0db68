//! Labels that travel with the file (issue 16): the GB 45438-2025 implicit label — the `AIGC`
//! entry, in an XMP packet — written into a deliverable's own bytes, and read back from them.
//!
//! Each supported container keeps XMP in its own standard place: a JPEG `APP1` segment, a PNG
//! `iTXt` chunk, the top-level XMP `uuid` box of MP4/MOV/M4A, a WAV `_PMX` chunk, an MP3's ID3v2
//! `PRIV` frame owned by `XMP`. [`plan`] reads only headers (through the media module's
//! budgeted ranged reads) and returns a [`Splice`]: the original's byte ranges with the new
//! packet between them, replacing a packet already there. Nothing before the insertion point
//! moves, and nothing after it is rewritten except the few size fields a container keeps
//! (RIFF, ID3): sample offsets inside MP4 stay valid because the box goes after everything
//! else. [`read`] finds the label again in a file's bytes. Other formats (WebP, FLAC, PDF) are
//! refused with [`LabelError::Unsupported`].

mod aigc;
pub mod credentials;
pub mod file_check;
mod id3;
mod isobmff;
mod jpeg;
mod png;
pub mod provenance;
mod riff;
mod splice;
mod stored;

pub use aigc::{AigcLabel, GENERATED, NAMESPACE, from_xmp};
pub use splice::{CHUNK, ChunkSink, Piece, Splice, SpliceError};
pub use stored::{CopyError, LabeledCopy};

use crate::media::{BlockReader, MediaType, ProbeError, RangeRead};

/// Why a file cannot be labeled or read.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// The format has no place for the label here.
    #[error(
        "files of type {0} cannot carry the label; deliver JPEG, PNG, MP4, MOV, M4A, WAV or MP3"
    )]
    Unsupported(&'static str),
    /// The headers are not what the format says, or leave no room for the label.
    #[error("{0}")]
    Malformed(String),
    /// The store could not be read.
    #[error(transparent)]
    Read(#[from] ProbeError),
}

impl LabelError {
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::Malformed(message.into())
    }
}

type LabelResult<T> = Result<T, LabelError>;

/// A private directory under `work_dir` (made if missing) for the files one labeling or check
/// needs; it and everything in it is removed when dropped, however the work ended.
pub fn private_work_dir(
    work_dir: &std::path::Path,
    purpose: &str,
) -> std::io::Result<tempfile::TempDir> {
    std::fs::create_dir_all(work_dir)?;
    tempfile::Builder::new()
        .prefix(&format!("{purpose}-"))
        .tempdir_in(work_dir)
}

/// The recipe for `source` (of type `media`) carrying `label`.
pub async fn plan(
    media: MediaType,
    source: &impl RangeRead,
    label: &AigcLabel,
) -> LabelResult<Splice> {
    let reader = BlockReader::new(source);
    match media {
        MediaType::Jpeg => jpeg::plan(&reader, label).await,
        MediaType::Png => png::plan(&reader, label).await,
        MediaType::Mp4 | MediaType::QuickTime | MediaType::M4a => {
            isobmff::plan(&reader, label).await
        }
        MediaType::Wav => riff::plan(&reader, label).await,
        MediaType::Mp3 => id3::plan(&reader, label).await,
        other => Err(LabelError::Unsupported(other.mime())),
    }
}

/// The label a file of type `media` carries, if any.
pub async fn read(media: MediaType, source: &impl RangeRead) -> LabelResult<Option<AigcLabel>> {
    let reader = BlockReader::new(source);
    let packet = match media {
        MediaType::Jpeg => jpeg::packet(&reader).await?,
        MediaType::Png => png::packet(&reader).await?,
        MediaType::Mp4 | MediaType::QuickTime | MediaType::M4a => isobmff::packet(&reader).await?,
        MediaType::Wav => riff::packet(&reader).await?,
        MediaType::Mp3 => id3::packet(&reader).await?,
        other => return Err(LabelError::Unsupported(other.mime())),
    };
    Ok(packet.and_then(|p| from_xmp(&p)))
}

/// Exactly `len` bytes at `offset`, or "the {what} is truncated".
async fn read_exact(
    reader: &impl RangeRead,
    offset: u64,
    len: u64,
    what: &str,
) -> LabelResult<bytes::Bytes> {
    let bytes = reader.read_range(offset, len).await?;
    if (bytes.len() as u64) < len {
        return Err(LabelError::malformed(format!("the {what} is truncated")));
    }
    Ok(bytes)
}

fn be_u32(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
}

#[cfg(test)]
mod tests {
    // Every supported format labeled in memory: the label reads back, the file is still the same
    // media (sniffed as its type, same picture size or running time), labeling again replaces the
    // label rather than adding a second, and the unsupported types are refused.

    use bytes::Bytes;

    use super::*;
    use crate::media::{self, MediaType, samples};

    fn label(id: &str) -> AigcLabel {
        AigcLabel::generated("Keepsake Studio", id, "Keepsake", "KS-2026-000042")
    }

    fn files() -> Vec<(&'static str, MediaType, Vec<u8>)> {
        let mut mp3_without_tag = samples::mp3_cbr(3_000, 128);
        let tag_len = 10
            + mp3_without_tag[6..10]
                .iter()
                .fold(0usize, |acc, b| (acc << 7) | usize::from(*b));
        mp3_without_tag.drain(..tag_len);
        vec![
            ("jpeg", MediaType::Jpeg, samples::jpeg(640, 480)),
            ("png", MediaType::Png, samples::png(320, 200)),
            (
                "mp4, moov first",
                MediaType::Mp4,
                samples::mp4(640, 360, 2_000, false, 4096),
            ),
            (
                "mp4, moov last",
                MediaType::Mp4,
                samples::mp4(640, 360, 2_000, true, 4096),
            ),
            ("m4a", MediaType::M4a, samples::m4a(1_500)),
            ("wav", MediaType::Wav, samples::wav(1_000, 16_000)),
            (
                "mp3 with a tag",
                MediaType::Mp3,
                samples::mp3_cbr(3_000, 128),
            ),
            ("mp3 without a tag", MediaType::Mp3, mp3_without_tag),
        ]
    }

    async fn labeled(media: MediaType, original: &[u8], with: &AigcLabel) -> Vec<u8> {
        let source = Bytes::copy_from_slice(original);
        let splice = plan(media, &source, with).await.unwrap();
        let out = splice.to_vec(&source).await.unwrap();
        assert_eq!(out.len() as u64, splice.len());
        out
    }

    #[tokio::test]
    async fn each_format_carries_the_label_and_stays_the_same_media() {
        for (name, media, original) in files() {
            let source = Bytes::from(original.clone());
            assert_eq!(
                read(media, &source).await.unwrap(),
                None,
                "{name}: none yet"
            );
            let before = media::probe(&source, media).await.unwrap();

            let out = Bytes::from(labeled(media, &original, &label("c-1")).await);
            assert!(out.len() > original.len(), "{name}");
            assert_eq!(
                read(media, &out).await.unwrap(),
                Some(label("c-1")),
                "{name}"
            );
            assert_eq!(
                media::sniff(&out),
                Some(media),
                "{name}: still sniffed as itself"
            );
            assert_eq!(
                media::probe(&out, media).await.unwrap(),
                before,
                "{name}: same media"
            );

            // Labeled again: the new label is the one read, and (but for MP3) it replaced the old.
            let again = labeled(media, &out, &label("c-2")).await;
            assert_eq!(
                read(media, &Bytes::from(again.clone())).await.unwrap(),
                Some(label("c-2")),
                "{name}"
            );
            if media != MediaType::Mp3 {
                assert_eq!(again.len(), out.len(), "{name}: one label, not two");
            }
        }
    }

    #[tokio::test]
    async fn the_audio_and_pictures_are_copied_byte_for_byte() {
        // MP4 appends after everything: the original is a prefix of the labeled file (the
        // sample offsets in moov stay right).
        let mp4 = samples::mp4(640, 360, 2_000, false, 4096);
        let out = labeled(MediaType::Mp4, &mp4, &label("c-1")).await;
        assert_eq!(&out[..mp4.len()], &mp4[..]);
        // WAV: the form's size grows by exactly the new chunk.
        let wav = samples::wav(1_000, 16_000);
        let out = labeled(MediaType::Wav, &wav, &label("c-1")).await;
        let riff = |b: &[u8]| u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
        assert_eq!(riff(&out) - riff(&wav), out.len() - wav.len());
        assert_eq!(&out[12..wav.len()], &wav[12..]);
    }

    #[tokio::test]
    async fn a_last_box_running_to_the_end_is_given_its_size() {
        let mut mp4 = samples::mp4(640, 360, 2_000, false, 4096);
        // The sample puts mdat last; declare it "to the end of the file".
        let mut at = 0usize;
        let mut last = 0usize;
        while at < mp4.len() {
            last = at;
            at += u32::from_be_bytes([mp4[at], mp4[at + 1], mp4[at + 2], mp4[at + 3]]) as usize;
        }
        let real = (mp4.len() - last) as u32;
        mp4[last..last + 4].copy_from_slice(&0u32.to_be_bytes());
        let out = labeled(MediaType::Mp4, &mp4, &label("c-1")).await;
        assert_eq!(&out[last..last + 4], &real.to_be_bytes());
        assert_eq!(
            read(MediaType::Mp4, &Bytes::from(out)).await.unwrap(),
            Some(label("c-1"))
        );
    }

    #[tokio::test]
    async fn other_types_and_broken_files_are_refused() {
        for media in [MediaType::Webp, MediaType::Flac, MediaType::Pdf] {
            let err = plan(media, &Bytes::from_static(b"whatever"), &label("c")).await;
            assert!(matches!(err, Err(LabelError::Unsupported(_))), "{media:?}");
        }
        let not_jpeg = Bytes::from_static(b"\x89PNG\r\n\x1a\n");
        assert!(matches!(
            plan(MediaType::Jpeg, &not_jpeg, &label("c")).await,
            Err(LabelError::Malformed(_))
        ));
        let mut cut = samples::wav(1_000, 16_000);
        cut.truncate(100);
        assert!(
            plan(MediaType::Wav, &Bytes::from(cut), &label("c"))
                .await
                .is_err()
        );
        let mut lying = samples::mp4(640, 360, 2_000, false, 4096);
        lying[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(
            plan(MediaType::Mp4, &Bytes::from(lying), &label("c"))
                .await
                .is_err()
        );
    }

    /// A byte of the original's own content, found again in `signed`: the middle of the
    /// 32-byte run nearest the original's middle that is not one repeated byte (padding) and
    /// occurs exactly once in the signed file.
    fn payload_offset(original: &[u8], signed: &[u8]) -> usize {
        let middle = original.len() / 2;
        let nearest_first = (0..=middle).flat_map(|d| [middle - d, middle + d]);
        nearest_first
            .filter(|&at| at + 32 <= original.len())
            .map(|at| &original[at..at + 32])
            .filter(|run| run.iter().any(|b| *b != run[0]))
            .find_map(|run| {
                let mut found = signed.windows(32).enumerate().filter(|(_, w)| *w == run);
                match (found.next(), found.next()) {
                    (Some((at, _)), None) => Some(at + 16),
                    _ => None,
                }
            })
            .expect("some of the original's content is in the signed file once")
    }

    #[tokio::test]
    async fn each_format_signed_validates_and_one_changed_byte_does_not() {
        use credentials::{StudioCredentials, check_file, sign_file};
        let studio = StudioCredentials::throwaway_development().unwrap();
        let stranger = StudioCredentials::throwaway_development().unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (name, media, original) in files() {
            let with = label("c-7");
            let unsigned = dir.path().join("unsigned");
            let signed = dir.path().join("signed");
            std::fs::write(&unsigned, labeled(media, &original, &with).await).unwrap();
            assert!(
                check_file(&unsigned, media.mime(), Some(&studio))
                    .unwrap()
                    .is_none(),
                "{name}: no manifest before signing"
            );
            sign_file(&studio, &with, media.mime(), &unsigned, &signed).unwrap();

            let report = check_file(&signed, media.mime(), Some(&studio))
                .unwrap()
                .unwrap();
            assert_eq!(
                (report.state, &report.failures[..]),
                ("trusted", &[][..]),
                "{name}"
            );
            assert!(report.development_certificate, "{name}");
            assert_eq!(
                report.digital_source_type.as_deref(),
                Some("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"),
                "{name}"
            );
            let says = report.aigc.unwrap();
            assert_eq!(says.produce_id, "c-7", "{name}");
            assert_eq!(says.content_producer, "Keepsake Studio", "{name}");
            assert_eq!(
                says.order_reference_hmac_sha256,
                studio.reference_digest("KS-2026-000042"),
                "{name}"
            );
            assert_ne!(
                says.order_reference_hmac_sha256,
                stranger.reference_digest("KS-2026-000042"),
                "{name}: keyed by the studio"
            );
            let bytes = std::fs::read(&signed).unwrap();
            assert_eq!(
                read(media, &Bytes::from(bytes.clone())).await.unwrap(),
                Some(with.clone()),
                "{name}: the GB label survives signing"
            );
            assert_eq!(media::sniff(&bytes), Some(media), "{name}");

            // Checked by someone who does not hold the studio's root: valid, not trusted.
            let elsewhere = check_file(&signed, media.mime(), Some(&stranger))
                .unwrap()
                .unwrap();
            assert_eq!(elsewhere.state, "valid", "{name}");

            // A file someone else signed first, labeled and signed by the studio: their
            // manifest is replaced, not left beside the studio's.
            let relabeled = dir.path().join("relabeled");
            let resigned = dir.path().join("resigned");
            let theirs = dir.path().join("theirs");
            sign_file(&stranger, &with, media.mime(), &unsigned, &theirs).unwrap();
            let again = label("c-8");
            let theirs_bytes = std::fs::read(&theirs).unwrap();
            std::fs::write(&relabeled, labeled(media, &theirs_bytes, &again).await).unwrap();
            sign_file(&studio, &again, media.mime(), &relabeled, &resigned).unwrap();
            let report = check_file(&resigned, media.mime(), Some(&studio))
                .unwrap()
                .unwrap();
            assert_eq!(
                (report.state, &report.failures[..]),
                ("trusted", &[][..]),
                "{name}: re-signed"
            );
            assert_eq!(report.aigc.unwrap().produce_id, "c-8", "{name}");
            // A manifest store is one JUMBF superbox whose description box's type is `c2pa`.
            let stores = |bytes: &[u8]| bytes.windows(8).filter(|w| w == b"jumdc2pa").count();
            assert_eq!(stores(&theirs_bytes), 1, "{name}: signed by them");
            assert_eq!(
                stores(&std::fs::read(&resigned).unwrap()),
                1,
                "{name}: one manifest store, the studio's"
            );

            // One byte of the picture or sound changed after signing.
            let mut changed = bytes;
            let at = payload_offset(&original, &changed);
            changed[at] ^= 0x01;
            std::fs::write(&signed, &changed).unwrap();
            let report = check_file(&signed, media.mime(), Some(&studio))
                .unwrap()
                .unwrap();
            assert_eq!(report.state, "invalid", "{name}");
            assert!(!report.failures.is_empty(), "{name}");

            // A video's media data is hashed by chunks: one byte inside it counts too.
            if matches!(media, MediaType::Mp4 | MediaType::M4a) {
                changed[at] ^= 0x01;
                let (mut box_at, mut mdat) = (0usize, None);
                while box_at + 8 <= changed.len() {
                    let head = &changed[box_at..box_at + 8];
                    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
                    if &head[4..8] == b"mdat" {
                        mdat = Some((box_at, len));
                        break;
                    }
                    box_at += len.max(8);
                }
                let (mdat, len) = mdat.expect("a top-level mdat box");
                changed[mdat + 8 + (len - 8) / 2] ^= 0x01;
                std::fs::write(&signed, &changed).unwrap();
                let report = check_file(&signed, media.mime(), Some(&studio))
                    .unwrap()
                    .unwrap();
                assert_eq!(report.state, "invalid", "{name}: {:?}", report.failures);
            }
        }
    }
}
