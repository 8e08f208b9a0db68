//! WAV duration from the RIFF chunk headers.
//!
//! A WAV file is a list of chunks: `fmt ` says how many bytes one second of
//! audio takes, `data` says how many audio bytes there are. Their ratio is the
//! duration; the audio itself is never read. Recorders that stream to disk
//! often never go back to fix the data size, leaving 0 or 0xFFFFFFFF, and a
//! truncated upload can claim more than it holds: in all these cases the data
//! chunk is taken to run to the end of the object.

use super::MediaMetadata;
use super::error::{ProbeError, ProbeResult};
use super::fields::{Fields, ticks_to_ms};
use super::reader::{RangeRead, read_exact};

/// A WAV file with more chunks than this before its audio is not a recording.
const MAX_CHUNKS: usize = 1024;

pub(super) async fn probe(reader: &impl RangeRead) -> ProbeResult<MediaMetadata> {
    check_riff_header(reader).await?;
    let (byte_rate, data_len) = walk_chunks(reader).await?;
    Ok(MediaMetadata {
        duration_ms: ticks_to_ms(data_len, u64::from(byte_rate)),
        ..MediaMetadata::default()
    })
}

async fn check_riff_header(reader: &impl RangeRead) -> ProbeResult<()> {
    let head = read_exact(reader, 0, 12, "WAV header").await?;
    let fields = Fields::new(&head, "WAV header");
    if &fields.bytes::<4>(0)? != b"RIFF" || &fields.bytes::<4>(8)? != b"WAVE" {
        return Err(ProbeError::malformed("the file is not a RIFF WAVE file"));
    }
    Ok(())
}

/// Walks chunks until both `fmt ` and `data` are seen; returns the byte rate
/// and the audio byte count.
async fn walk_chunks(reader: &impl RangeRead) -> ProbeResult<(u32, u64)> {
    let size = reader.size();
    let mut byte_rate = None;
    let mut data_len = None;
    let mut offset: u64 = 12;
    for _ in 0..MAX_CHUNKS {
        if (byte_rate.is_some() && data_len.is_some()) || offset.saturating_add(8) > size {
            break;
        }
        let head = read_exact(reader, offset, 8, "WAV chunk header").await?;
        let fields = Fields::new(&head, "WAV chunk header");
        let declared = u64::from(fields.u32_le(4)?);
        let body = offset + 8;
        match &fields.bytes::<4>(0)? {
            b"fmt " => byte_rate = Some(read_byte_rate(reader, body).await?),
            b"data" => {
                let available = size - body;
                if declared == 0 || declared == u64::from(u32::MAX) || declared > available {
                    data_len = Some(available);
                    break;
                }
                data_len = Some(declared);
            }
            _ => {}
        }
        // Chunks are padded to an even length; `body > offset`, so this always advances.
        offset = body.saturating_add(declared).saturating_add(declared & 1);
    }
    let byte_rate =
        byte_rate.ok_or_else(|| ProbeError::malformed("the WAV file has no fmt chunk"))?;
    let data_len =
        data_len.ok_or_else(|| ProbeError::malformed("the WAV file has no data chunk"))?;
    Ok((byte_rate, data_len))
}

/// Average bytes per second from a `fmt ` chunk body; falls back to
/// sample rate × block size when the writer left the byte rate at zero.
async fn read_byte_rate(reader: &impl RangeRead, body: u64) -> ProbeResult<u32> {
    let fmt = read_exact(reader, body, 16, "WAV fmt chunk").await?;
    let fields = Fields::new(&fmt, "WAV fmt chunk");
    let byte_rate = match fields.u32_le(8)? {
        0 => fields
            .u32_le(4)?
            .saturating_mul(u32::from(fields.u16_le(12)?)),
        rate => rate,
    };
    if byte_rate == 0 {
        return Err(ProbeError::malformed("the WAV byte rate is zero"));
    }
    Ok(byte_rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{MediaType, probe as probe_media, samples};
    use bytes::Bytes;

    async fn duration(data: Vec<u8>) -> Result<Option<u64>, ProbeError> {
        let meta = probe_media(&Bytes::from(data), MediaType::Wav).await?;
        assert_eq!((meta.width, meta.height), (None, None));
        Ok(meta.duration_ms)
    }

    fn set_data_size(data: &mut [u8], value: u32) {
        data[40..44].copy_from_slice(&value.to_le_bytes());
    }

    #[tokio::test]
    async fn reads_exact_durations() -> Result<(), ProbeError> {
        for (ms, rate) in [(1_500, 8_000), (180_000, 16_000), (1, 44_100), (0, 48_000)] {
            assert_eq!(duration(samples::wav(ms, rate)).await?, Some(u64::from(ms)));
        }
        Ok(())
    }

    #[tokio::test]
    async fn skips_chunks_before_fmt_and_data() -> Result<(), ProbeError> {
        let plain = samples::wav(2_000, 8_000);
        let mut data = plain[..12].to_vec();
        data.extend_from_slice(b"LIST\x03\x00\x00\x00abc\x00");
        data.extend_from_slice(&plain[12..]);
        assert_eq!(duration(data).await?, Some(2_000));
        Ok(())
    }

    #[tokio::test]
    async fn clamps_a_data_size_that_lies() -> Result<(), ProbeError> {
        for size in [0, u32::MAX, 1_000_000] {
            let mut data = samples::wav(1_000, 8_000);
            set_data_size(&mut data, size);
            assert_eq!(duration(data).await?, Some(1_000), "{size}");
        }
        let mut truncated = samples::wav(1_000, 8_000);
        truncated.truncate(44 + 8_000);
        assert_eq!(duration(truncated).await?, Some(500));
        Ok(())
    }

    #[tokio::test]
    async fn garbage_is_malformed() {
        let mut zero_rate = samples::wav(1_000, 8_000);
        zero_rate[24..32].fill(0);
        let mut no_data = samples::wav(1_000, 8_000);
        no_data[36..40].copy_from_slice(b"junk");
        let mut no_fmt = samples::wav(1_000, 8_000);
        no_fmt[12..16].copy_from_slice(b"junk");
        let mut huge_chunk = samples::wav(1_000, 8_000);
        huge_chunk[12..16].copy_from_slice(b"junk");
        huge_chunk[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        let cases = [
            zero_rate,
            no_data,
            no_fmt,
            huge_chunk,
            samples::wav(1_000, 8_000)[..30].to_vec(),
            b"RIFF\0\0\0\0WEBPVP8 ".to_vec(),
            Vec::new(),
        ];
        for data in cases {
            assert!(matches!(
                duration(data).await,
                Err(ProbeError::Malformed(_))
            ));
        }
    }

    #[tokio::test]
    async fn many_tiny_chunks_end_without_looping_forever() {
        let mut data = samples::wav(0, 8_000)[..12].to_vec();
        for _ in 0..5_000 {
            data.extend_from_slice(b"pad \0\0\0\0");
        }
        assert!(matches!(
            duration(data).await,
            Err(ProbeError::Malformed(_))
        ));
    }
}
