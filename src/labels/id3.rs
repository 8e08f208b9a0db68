//! MP3: the XMP packet in an ID3v2 `PRIV` frame owned by `XMP`, placed first in the tag; the
//! tag's size is updated and every other frame and the audio are copied untouched. A file
//! without a tag gets a new ID3v2.3 tag holding only that frame. ID3v2.2 tags (three-letter
//! frames) and tags with a footer are refused rather than rewritten.

use super::{AigcLabel, LabelError, LabelResult, Splice, be_u32, read_exact};
use crate::media::RangeRead;

const OWNER: &[u8] = b"XMP\0";
/// The largest syncsafe number.
const MAX_SYNCSAFE: u64 = (1 << 28) - 1;
const MAX_FRAMES: usize = 4096;

/// An existing tag: version, flags, body size, and where the frames start.
struct Tag {
    version: u8,
    flags: u8,
    size: u64,
    frames_at: u64,
}

fn syncsafe(bytes: &[u8]) -> LabelResult<u64> {
    if bytes.len() < 4 || bytes.iter().take(4).any(|b| b & 0x80 != 0) {
        return Err(LabelError::malformed("an ID3 size is not syncsafe"));
    }
    Ok(bytes
        .iter()
        .take(4)
        .fold(0, |acc, b| (acc << 7) | u64::from(*b)))
}

fn to_syncsafe(n: u64) -> [u8; 4] {
    [
        ((n >> 21) & 0x7F) as u8,
        ((n >> 14) & 0x7F) as u8,
        ((n >> 7) & 0x7F) as u8,
        (n & 0x7F) as u8,
    ]
}

async fn tag(reader: &impl RangeRead) -> LabelResult<Option<Tag>> {
    let head = reader.read_range(0, 10).await?;
    if head.len() < 10 || &head[..3] != b"ID3" {
        return Ok(None);
    }
    let (version, flags) = (head[3], head[5]);
    if !(3..=4).contains(&version) {
        return Err(LabelError::malformed(
            "only ID3v2.3 and ID3v2.4 tags can take the label",
        ));
    }
    if flags & 0x10 != 0 {
        return Err(LabelError::malformed(
            "an ID3 tag with a footer cannot take the label",
        ));
    }
    let size = syncsafe(&head[6..10])?;
    let mut frames_at = 10;
    if flags & 0x40 != 0 {
        let ext = read_exact(reader, 10, 4, "ID3 extended header").await?;
        frames_at += if version == 3 {
            4 + u64::from(be_u32(&ext))
        } else {
            syncsafe(&ext)?
        };
    }
    if frames_at > 10 + size || 10 + size > reader.size() {
        return Err(LabelError::malformed(
            "the ID3 tag runs past the end of the file",
        ));
    }
    Ok(Some(Tag {
        version,
        flags,
        size,
        frames_at,
    }))
}

/// The `PRIV` frame for `version`, its size field free of `0xFF` (so an unsynchronised v2.3
/// tag needs no unsynchronisation of it).
fn frame(label: &AigcLabel, version: u8) -> Vec<u8> {
    for padding in 0..8 {
        let packet = label.xmp_packet(padding);
        let body = (OWNER.len() + packet.len()) as u64;
        let size = if version == 4 {
            to_syncsafe(body)
        } else {
            (body as u32).to_be_bytes()
        };
        if size.contains(&0xFF) {
            continue;
        }
        let mut out = b"PRIV".to_vec();
        out.extend_from_slice(&size);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(OWNER);
        out.extend_from_slice(&packet);
        return out;
    }
    Vec::new()
}

pub(super) async fn plan(reader: &impl RangeRead, label: &AigcLabel) -> LabelResult<Splice> {
    let found = tag(reader).await?;
    let frame = frame(label, found.as_ref().map_or(3, |t| t.version));
    if frame.is_empty() {
        return Err(LabelError::malformed(
            "the label cannot be sized for an ID3 frame",
        ));
    }
    let mut splice = Splice::default();
    match found {
        None => {
            let mut header = b"ID3\x03\x00\x00".to_vec();
            header.extend_from_slice(&to_syncsafe(frame.len() as u64));
            splice.insert(header).insert(frame).copy(0, reader.size());
        }
        Some(t) => {
            let size = t.size + frame.len() as u64;
            if size > MAX_SYNCSAFE {
                return Err(LabelError::malformed(
                    "the ID3 tag is too large to take the label",
                ));
            }
            let mut header = vec![b'I', b'D', b'3', t.version, 0, t.flags];
            header.extend_from_slice(&to_syncsafe(size));
            splice
                .insert(header)
                .copy(10, t.frames_at - 10)
                .insert(frame)
                .copy(t.frames_at, reader.size() - t.frames_at);
        }
    }
    Ok(splice)
}

pub(super) async fn packet(reader: &impl RangeRead) -> LabelResult<Option<Vec<u8>>> {
    let Some(t) = tag(reader).await? else {
        return Ok(None);
    };
    let end = 10 + t.size;
    let mut at = t.frames_at;
    for _ in 0..MAX_FRAMES {
        if at + 10 > end {
            break;
        }
        let head = read_exact(reader, at, 10, "ID3 frame").await?;
        if head[0] == 0 {
            break; // padding
        }
        let size = if t.version == 4 {
            syncsafe(&head[4..8])?
        } else {
            u64::from(be_u32(&head[4..8]))
        };
        if at + 10 + size > end {
            return Err(LabelError::malformed("an ID3 frame runs past its tag"));
        }
        if &head[..4] == b"PRIV" && size >= OWNER.len() as u64 {
            let body = read_exact(reader, at + 10, size, "ID3 frame").await?;
            if body.starts_with(OWNER) {
                return Ok(Some(body[OWNER.len()..].to_vec()));
            }
        }
        at += 10 + size;
    }
    Ok(None)
}
