//! MP3 duration from the first frame, never from the whole stream.
//!
//! An MP3 file is an optional ID3v2 tag followed by MPEG audio frames with no
//! global index. Encoders that write VBR streams put a frame count in the
//! first frame (a Xing/Info or VBRI header); with it the duration is exact.
//! Without it the stream is taken as constant bitrate, so the duration is the
//! audio byte count divided by the first frame's bitrate. A trailing ID3v1 tag
//! (128 bytes) is counted as audio: reading it would cost another request for
//! a few milliseconds of accuracy. Only Layer III is accepted, which is what
//! "MP3" means; Layer I/II files are refused at sniffing.

use super::error::{ProbeError, ProbeResult};
use super::fields::{Fields, ticks_to_ms};
use super::reader::RangeRead;
use super::{MediaMetadata, id3};

/// How far past the ID3 tag the first frame may start (encoders pad a little).
const SCAN_LEN: u64 = 64 * 1024;
/// Longest possible Layer III frame (MPEG-2.5, 160 kbit/s, 8 kHz) plus slack.
const MAX_FRAME_LEN: u64 = 4096;

pub(super) async fn probe(reader: &impl RangeRead) -> ProbeResult<MediaMetadata> {
    let audio_start = audio_start(reader).await?;
    let (offset, frame) = first_frame(reader, audio_start).await?;
    let first = reader.read_range(offset, MAX_FRAME_LEN).await?;
    let duration_ms = match vbr_frame_count(&first, frame) {
        Some(frames) => frame.frames_to_ms(frames),
        None => frame.cbr_ms(reader.size().saturating_sub(offset)),
    };
    Ok(MediaMetadata {
        duration_ms,
        ..MediaMetadata::default()
    })
}

/// Offset of the first byte after a leading ID3v2 tag (0 without one).
async fn audio_start(reader: &impl RangeRead) -> ProbeResult<u64> {
    let head = reader.read_range(0, id3::HEADER_LEN as u64).await?;
    Ok(id3::tag_len(&head)?.unwrap_or(0))
}

/// Finds the first frame header that is followed by a consistent second one.
async fn first_frame(reader: &impl RangeRead, from: u64) -> ProbeResult<(u64, FrameHeader)> {
    let window = reader.read_range(from, SCAN_LEN + MAX_FRAME_LEN).await?;
    let scan = window.len().min(SCAN_LEN as usize);
    (0..scan)
        .find(|&at| starts_stream(&window, at))
        .and_then(|at| Some((from + at as u64, frame_at(&window, at)?)))
        .ok_or_else(|| ProbeError::malformed("no MPEG audio frame found in the MP3 file"))
}

/// True when a valid frame header sits at `at` and the next frame's header
/// (if it lies within `buf`) belongs to the same stream. The second check
/// rules out stray `FF Fx` bytes in tags and padding.
pub(super) fn starts_stream(buf: &[u8], at: usize) -> bool {
    let Some(frame) = frame_at(buf, at) else {
        return false;
    };
    let next = at.saturating_add(frame.frame_len() as usize);
    if next.saturating_add(4) > buf.len() {
        return true;
    }
    frame_at(buf, next).is_some_and(|second| second.same_stream(&frame))
}

fn frame_at(buf: &[u8], at: usize) -> Option<FrameHeader> {
    let bytes = Fields::new(buf, "MP3 frame header").bytes::<4>(at).ok()?;
    FrameHeader::parse(bytes)
}

/// The frame count from a Xing/Info or VBRI header in the first frame.
fn vbr_frame_count(first: &[u8], frame: FrameHeader) -> Option<u64> {
    let fields = Fields::new(first, "MP3 VBR header");
    let xing_at = 4 + usize::from(frame.crc) * 2 + frame.side_info_len();
    let xing = fields.bytes::<4>(xing_at).ok()?;
    let frames = if &xing == b"Xing" || &xing == b"Info" {
        let flags = fields.u32_be(xing_at + 4).ok()?;
        if flags & 1 == 0 {
            return None;
        }
        fields.u32_be(xing_at + 8).ok()?
    } else if &fields.bytes::<4>(36).ok()? == b"VBRI" {
        fields.u32_be(36 + 14).ok()?
    } else {
        return None;
    };
    (frames > 0).then_some(u64::from(frames))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    Mpeg1,
    Mpeg2,
    Mpeg25,
}

/// A decoded MPEG audio Layer III frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FrameHeader {
    version: Version,
    bitrate_kbps: u32,
    sample_rate: u32,
    padding: bool,
    mono: bool,
    crc: bool,
}

const BITRATES_V1: [u32; 14] = [
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
const BITRATES_V2: [u32; 14] = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

impl FrameHeader {
    /// Decodes four bytes; `None` unless they are a valid Layer III header
    /// (free-format bitrate and reserved values are refused).
    pub(super) fn parse(b: [u8; 4]) -> Option<Self> {
        if b[0] != 0xFF || b[1] & 0xE0 != 0xE0 || (b[1] >> 1) & 0b11 != 0b01 || b[3] & 0b11 == 2 {
            return None;
        }
        let version = match (b[1] >> 3) & 0b11 {
            0 => Version::Mpeg25,
            2 => Version::Mpeg2,
            3 => Version::Mpeg1,
            _ => return None,
        };
        let table = match version {
            Version::Mpeg1 => &BITRATES_V1,
            _ => &BITRATES_V2,
        };
        let bitrate_kbps = *table.get(usize::from(b[2] >> 4).checked_sub(1)?)?;
        let base_rate = [44_100, 48_000, 32_000].get(usize::from((b[2] >> 2) & 0b11))?;
        let sample_rate = match version {
            Version::Mpeg1 => *base_rate,
            Version::Mpeg2 => base_rate / 2,
            Version::Mpeg25 => base_rate / 4,
        };
        Some(Self {
            version,
            bitrate_kbps,
            sample_rate,
            padding: b[2] & 0b10 != 0,
            mono: b[3] >> 6 == 0b11,
            crc: b[1] & 1 == 0,
        })
    }

    fn samples_per_frame(self) -> u32 {
        match self.version {
            Version::Mpeg1 => 1152,
            _ => 576,
        }
    }

    /// Frame length in bytes, header included.
    pub(super) fn frame_len(self) -> u32 {
        self.samples_per_frame() / 8 * self.bitrate_kbps * 1000 / self.sample_rate
            + u32::from(self.padding)
    }

    fn side_info_len(self) -> usize {
        match (self.version, self.mono) {
            (Version::Mpeg1, true) => 17,
            (Version::Mpeg1, false) => 32,
            (_, true) => 9,
            (_, false) => 17,
        }
    }

    fn same_stream(self, other: &Self) -> bool {
        self.version == other.version && self.sample_rate == other.sample_rate
    }

    fn frames_to_ms(self, frames: u64) -> Option<u64> {
        let samples = frames.checked_mul(u64::from(self.samples_per_frame()))?;
        ticks_to_ms(samples, u64::from(self.sample_rate))
    }

    fn cbr_ms(self, audio_bytes: u64) -> Option<u64> {
        ticks_to_ms(
            audio_bytes.saturating_mul(8),
            u64::from(self.bitrate_kbps) * 1000,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{MediaType, probe as probe_media, samples};
    use bytes::Bytes;

    /// One MP3 frame: 1152 samples at 44.1 kHz.
    const FRAME_MS: f64 = 1152.0 * 1000.0 / 44_100.0;

    async fn duration(data: Vec<u8>) -> Result<Option<u64>, ProbeError> {
        let meta = probe_media(&Bytes::from(data), MediaType::Mp3).await?;
        assert_eq!((meta.width, meta.height), (None, None));
        Ok(meta.duration_ms)
    }

    fn assert_within_a_frame(got: Option<u64>, want_ms: u32) {
        let got = got.unwrap_or_default() as f64;
        assert!(
            (got - f64::from(want_ms)).abs() <= FRAME_MS,
            "{got} vs {want_ms}"
        );
    }

    #[test]
    fn parses_a_header() {
        let header = FrameHeader::parse([0xFF, 0xFB, 0x90, 0xC4]);
        assert_eq!(header.map(FrameHeader::frame_len), Some(417));
        assert_eq!(
            header.map(|h| (h.bitrate_kbps, h.sample_rate)),
            Some((128, 44_100))
        );
        let mpeg2 = FrameHeader::parse([0xFF, 0xF3, 0x80, 0xC4]);
        assert_eq!(
            mpeg2.map(|h| (h.bitrate_kbps, h.sample_rate)),
            Some((64, 22_050))
        );
    }

    #[test]
    fn refuses_invalid_headers() {
        for bytes in [
            [0xFF, 0xFB, 0x00, 0xC4], // free-format bitrate
            [0xFF, 0xFB, 0xF0, 0xC4], // bad bitrate index
            [0xFF, 0xFB, 0x9C, 0xC4], // reserved sample rate
            [0xFF, 0xEB, 0x90, 0xC4], // reserved version
            [0xFF, 0xFD, 0x90, 0xC4], // Layer II
            [0xFF, 0xF1, 0x50, 0x80], // AAC ADTS
            [0xFF, 0xFB, 0x90, 0xC6], // reserved emphasis
            [0xFE, 0xFB, 0x90, 0xC4],
        ] {
            assert_eq!(FrameHeader::parse(bytes), None, "{bytes:x?}");
        }
    }

    #[tokio::test]
    async fn uses_the_info_frame_count() -> Result<(), ProbeError> {
        for (ms, kbps) in [(3_000, 128), (180_000, 64), (1, 320)] {
            let got = duration(samples::mp3_cbr(ms, kbps)).await?;
            assert_within_a_frame(got, ms);
            assert!(got >= Some(u64::from(ms)), "{got:?} < {ms}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn estimates_untagged_constant_bitrate_streams() -> Result<(), ProbeError> {
        for (ms, kbps) in [(3_000, 128), (5_000, 320), (2_000, 32)] {
            let got = duration(samples::mp3_stream(ms, kbps, false)).await?;
            assert_within_a_frame(got, ms);
        }
        Ok(())
    }

    #[tokio::test]
    async fn reads_a_vbri_frame_count() -> Result<(), ProbeError> {
        let mut data = samples::mp3_stream(1_000, 128, false);
        let first = samples::MP3_ID3_LEN;
        let vbri = first + 36;
        data[vbri..vbri + 4].copy_from_slice(b"VBRI");
        data[vbri + 14..vbri + 18].copy_from_slice(&1000u32.to_be_bytes());
        assert_eq!(duration(data).await?, Some(26_122));
        Ok(())
    }

    #[tokio::test]
    async fn skips_junk_between_the_tag_and_the_first_frame() -> Result<(), ProbeError> {
        let clean = samples::mp3_cbr(2_000, 128);
        let mut data = clean[..samples::MP3_ID3_LEN].to_vec();
        data.extend_from_slice(&[0xFF, 0xFB, 0x00, 0x00, 0, 0, 0, 0]);
        data.extend_from_slice(&clean[samples::MP3_ID3_LEN..]);
        assert_eq!(duration(data).await?, duration(clean).await?);
        Ok(())
    }

    #[tokio::test]
    async fn garbage_is_malformed() {
        let mut no_frames = samples::mp3_cbr(1_000, 128);
        no_frames.truncate(samples::MP3_ID3_LEN);
        no_frames.extend_from_slice(&[0u8; 5000]);
        let bad_tag = b"ID3\x04\x00\x00\xFF\xFF\xFF\xFF".to_vec();
        for data in [no_frames, bad_tag, Vec::new(), b"ID3".to_vec()] {
            assert!(matches!(
                duration(data).await,
                Err(ProbeError::Malformed(_))
            ));
        }
    }
}
