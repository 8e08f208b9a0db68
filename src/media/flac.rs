//! FLAC duration from STREAMINFO, the metadata block every FLAC file must
//! start with: its sample rate and total sample count give the exact length.

use super::error::{ProbeError, ProbeResult};
use super::fields::{Fields, ticks_to_ms};
use super::reader::{RangeRead, read_exact};
use super::{MediaMetadata, id3};

/// "fLaC", a metadata block header and the 34-byte STREAMINFO body.
const HEAD_LEN: u64 = 4 + 4 + 34;

pub(super) async fn probe(reader: &impl RangeRead) -> ProbeResult<MediaMetadata> {
    let start = flac_start(reader).await?;
    let head = read_exact(reader, start, HEAD_LEN, "FLAC header").await?;
    let fields = Fields::new(&head, "FLAC header");
    if &fields.bytes::<4>(0)? != b"fLaC" {
        return Err(ProbeError::malformed(
            "the file does not start with a FLAC signature",
        ));
    }
    if fields.u8(4)? & 0x7F != 0 {
        return Err(ProbeError::malformed(
            "the FLAC file does not start with STREAMINFO",
        ));
    }
    let info = StreamInfo::parse(&fields)?;
    if info.sample_rate == 0 {
        return Err(ProbeError::malformed("the FLAC sample rate is zero"));
    }
    // Zero total samples means "unknown" (e.g. a stream written live).
    let duration_ms = match info.total_samples {
        0 => None,
        total => ticks_to_ms(total, u64::from(info.sample_rate)),
    };
    Ok(MediaMetadata {
        duration_ms,
        ..MediaMetadata::default()
    })
}

/// Where "fLaC" should be: after an ID3v2 tag some taggers prepend.
async fn flac_start(reader: &impl RangeRead) -> ProbeResult<u64> {
    let head = reader.read_range(0, id3::HEADER_LEN as u64).await?;
    Ok(id3::tag_len(&head)?.unwrap_or(0))
}

struct StreamInfo {
    sample_rate: u32,
    total_samples: u64,
}

impl StreamInfo {
    /// STREAMINFO's body starts at byte 8 of the head; its bytes 10..18 pack
    /// the sample rate (20 bits), channels (3), bits per sample (5) and the
    /// total sample count (36).
    fn parse(head: &Fields<'_>) -> ProbeResult<Self> {
        let [b10, b11, b12, b13, b14, b15, b16, b17] = head.bytes::<8>(8 + 10)?;
        let sample_rate = (u32::from(b10) << 12) | (u32::from(b11) << 4) | (u32::from(b12) >> 4);
        let total_samples =
            (u64::from(b13 & 0x0F) << 32) | u64::from(u32::from_be_bytes([b14, b15, b16, b17]));
        Ok(Self {
            sample_rate,
            total_samples,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{MediaType, probe as probe_media};
    use bytes::Bytes;

    /// "fLaC" + a last-block STREAMINFO header + its body, then fake frames.
    fn flac(sample_rate: u32, total_samples: u64) -> Vec<u8> {
        let mut out = b"fLaC\x80\x00\x00\x22".to_vec();
        out.extend_from_slice(&[0x10, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0, 0]);
        let packed = (u64::from(sample_rate) << 44) | (1 << 41) | (15 << 36) | total_samples;
        out.extend_from_slice(&packed.to_be_bytes());
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&[0xFF, 0xF8, 0, 0]);
        out
    }

    async fn duration(data: Vec<u8>) -> Result<Option<u64>, ProbeError> {
        let meta = probe_media(&Bytes::from(data), MediaType::Flac).await?;
        Ok(meta.duration_ms)
    }

    #[tokio::test]
    async fn reads_streaminfo() -> Result<(), ProbeError> {
        assert_eq!(
            duration(flac(44_100, 44_100 * 61 + 4_410)).await?,
            Some(61_100)
        );
        assert_eq!(
            duration(flac(655_350, (1 << 36) - 1)).await?,
            Some(104_859_200)
        );
        assert_eq!(duration(flac(48_000, 0)).await?, None);
        Ok(())
    }

    #[tokio::test]
    async fn skips_a_leading_id3_tag() -> Result<(), ProbeError> {
        let mut data = b"ID3\x04\x00\x00\x00\x00\x00\x05\0\0\0\0\0".to_vec();
        data.extend_from_slice(&flac(8_000, 16_000));
        assert_eq!(duration(data).await?, Some(2_000));
        Ok(())
    }

    #[tokio::test]
    async fn garbage_is_malformed() {
        let mut not_streaminfo = flac(44_100, 10);
        not_streaminfo[4] = 0x84;
        let mut zero_rate = flac(44_100, 10);
        zero_rate[18..21].fill(0);
        let mut truncated = flac(44_100, 10);
        truncated.truncate(30);
        for data in [
            not_streaminfo,
            zero_rate,
            truncated,
            b"OggS".to_vec(),
            Vec::new(),
        ] {
            assert!(matches!(
                duration(data).await,
                Err(ProbeError::Malformed(_))
            ));
        }
    }
}
