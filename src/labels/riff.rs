//! WAV: the XMP packet in a `_PMX` chunk at the end of the RIFF form, with the form's size
//! field updated. The audio chunks are copied untouched; an old `_PMX` chunk is dropped; bytes
//! after the form (some recorders leave them) stay after it.

use super::{AigcLabel, LabelError, LabelResult, Splice, read_exact};
use crate::media::RangeRead;

const MAX_CHUNKS: usize = 4096;
const MAX_PACKET: u64 = 1024 * 1024;

fn le_u32(bytes: &[u8]) -> u64 {
    u64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

struct Chunk {
    offset: u64,
    /// Header, data and pad byte.
    len: u64,
    xmp: bool,
}

/// The form's end, and its chunks.
async fn chunks(reader: &impl RangeRead) -> LabelResult<(u64, Vec<Chunk>)> {
    let head = read_exact(reader, 0, 12, "RIFF header").await?;
    if &head[..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Err(LabelError::malformed("this is not a WAV file"));
    }
    let end = 8 + le_u32(&head[4..8]);
    if end > reader.size() {
        return Err(LabelError::malformed(
            "the RIFF form runs past the end of the file",
        ));
    }
    let mut out = Vec::new();
    let mut at = 12u64;
    while at + 8 <= end {
        if out.len() >= MAX_CHUNKS {
            return Err(LabelError::malformed("the WAV has too many chunks"));
        }
        let chunk = read_exact(reader, at, 8, "WAV chunk").await?;
        let data_len = le_u32(&chunk[4..8]);
        let len = (8 + data_len + (data_len & 1)).min(end - at);
        out.push(Chunk {
            offset: at,
            len,
            xmp: &chunk[..4] == b"_PMX",
        });
        at += len;
    }
    Ok((end, out))
}

pub(super) async fn plan(reader: &impl RangeRead, label: &AigcLabel) -> LabelResult<Splice> {
    let (end, chunks) = chunks(reader).await?;
    let mut packet = label.xmp_packet(0);
    if packet.len() % 2 == 1 {
        packet = label.xmp_packet(1);
    }
    let mut pmx = b"_PMX".to_vec();
    let Ok(packet_len) = u32::try_from(packet.len()) else {
        return Err(LabelError::malformed(
            "the label is too long for a WAV chunk",
        ));
    };
    pmx.extend_from_slice(&packet_len.to_le_bytes());
    pmx.extend_from_slice(&packet);
    let kept: u64 = chunks.iter().filter(|c| !c.xmp).map(|c| c.len).sum();
    let form = 4 + kept + pmx.len() as u64;
    let Ok(form) = u32::try_from(form) else {
        return Err(LabelError::malformed(
            "the WAV file is too large to take the label",
        ));
    };
    let mut header = b"RIFF".to_vec();
    header.extend_from_slice(&form.to_le_bytes());
    header.extend_from_slice(b"WAVE");

    let mut splice = Splice::default();
    splice.insert(header);
    for c in chunks.iter().filter(|c| !c.xmp) {
        splice.copy(c.offset, c.len);
    }
    splice.insert(pmx);
    splice.copy(end, reader.size() - end);
    Ok(splice)
}

pub(super) async fn packet(reader: &impl RangeRead) -> LabelResult<Option<Vec<u8>>> {
    let (_, chunks) = chunks(reader).await?;
    let Some(c) = chunks.iter().find(|c| c.xmp) else {
        return Ok(None);
    };
    let len = c.len.saturating_sub(8);
    if len > MAX_PACKET {
        return Err(LabelError::malformed("the XMP chunk is too large"));
    }
    let data = read_exact(reader, c.offset + 8, len, "XMP chunk").await?;
    Ok(Some(data.to_vec()))
}
