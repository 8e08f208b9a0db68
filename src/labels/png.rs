//! PNG: the XMP packet in an uncompressed `iTXt` chunk with the keyword `XML:com.adobe.xmp`,
//! right after `IHDR` (which must stay first). Chunks are walked only up to the image data;
//! an XMP chunk found there is dropped in favour of the new one.

use super::{AigcLabel, LabelError, LabelResult, Splice, be_u32, read_exact};
use crate::media::RangeRead;

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const KEYWORD: &[u8] = b"XML:com.adobe.xmp";
/// Most chunks walked before the image data.
const MAX_CHUNKS: usize = 512;

struct Chunk {
    offset: u64,
    /// Header, data and CRC.
    len: u64,
    kind: [u8; 4],
    xmp: bool,
}

/// The chunks from `IHDR` up to (not including) the first `IDAT`.
async fn leading(reader: &impl RangeRead) -> LabelResult<Vec<Chunk>> {
    let sig = read_exact(reader, 0, 8, "PNG signature").await?;
    if sig[..] != *SIGNATURE {
        return Err(LabelError::malformed("this is not a PNG file"));
    }
    let mut out = Vec::new();
    let mut at = 8u64;
    for _ in 0..MAX_CHUNKS {
        let head = read_exact(reader, at, 8, "PNG chunk").await?;
        let data_len = u64::from(be_u32(&head[..4]));
        let kind = [head[4], head[5], head[6], head[7]];
        if &kind == b"IDAT" || &kind == b"IEND" {
            if out.is_empty() {
                return Err(LabelError::malformed("the PNG has no header chunk"));
            }
            return Ok(out);
        }
        let xmp = &kind == b"iTXt" && {
            let key = reader.read_range(at + 8, KEYWORD.len() as u64 + 1).await?;
            key.starts_with(KEYWORD) && key.get(KEYWORD.len()) == Some(&0)
        };
        out.push(Chunk {
            offset: at,
            len: 12 + data_len,
            kind,
            xmp,
        });
        at += 12 + data_len;
    }
    Err(LabelError::malformed(
        "the PNG has too many chunks before its image data",
    ))
}

pub(super) async fn plan(reader: &impl RangeRead, label: &AigcLabel) -> LabelResult<Splice> {
    let chunks = leading(reader).await?;
    let Some(header) = chunks.first().filter(|c| &c.kind == b"IHDR") else {
        return Err(LabelError::malformed(
            "the PNG does not start with its header chunk",
        ));
    };
    let mut data = KEYWORD.to_vec();
    // Null, not compressed, method 0, no language tag, no translated keyword.
    data.extend_from_slice(&[0, 0, 0, 0, 0]);
    data.extend_from_slice(&label.xmp_packet(0));
    let Ok(data_len) = u32::try_from(data.len()) else {
        return Err(LabelError::malformed(
            "the label is too long for a PNG chunk",
        ));
    };
    let mut chunk = data_len.to_be_bytes().to_vec();
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(b"iTXt");
    hasher.update(&data);
    chunk.extend_from_slice(b"iTXt");
    chunk.extend_from_slice(&data);
    chunk.extend_from_slice(&hasher.finalize().to_be_bytes());

    let mut splice = Splice::default();
    let after_header = header.offset + header.len;
    splice.copy(0, after_header).insert(chunk);
    let mut at = after_header;
    for c in chunks.iter().skip(1) {
        if !c.xmp {
            splice.copy(c.offset, c.len);
        }
        at = c.offset + c.len;
    }
    splice.copy(at, reader.size().saturating_sub(at));
    Ok(splice)
}

pub(super) async fn packet(reader: &impl RangeRead) -> LabelResult<Option<Vec<u8>>> {
    for c in leading(reader).await? {
        if c.xmp {
            // Keyword, its null, compression flag and method, then two null-ended strings.
            let data = read_exact(reader, c.offset + 8, c.len - 12, "XMP chunk").await?;
            let rest = data.get(KEYWORD.len() + 3..).unwrap_or_default();
            let mut nulls = rest
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == 0)
                .map(|(i, _)| i);
            let text_start = match (nulls.next(), nulls.next()) {
                (Some(_), Some(second)) => second + 1,
                _ => return Err(LabelError::malformed("the PNG's XMP chunk is malformed")),
            };
            return Ok(Some(rest.get(text_start..).unwrap_or_default().to_vec()));
        }
    }
    Ok(None)
}
