//! MP4, MOV and M4A: the XMP packet in a top-level `uuid` box with the XMP user type
//! `BE7ACFCB-97A9-42E8-9C71-999491E3AFAC`, appended after every other box. Appending moves
//! nothing, so the sample offsets in `moov` stay right and the media data is copied untouched;
//! an XMP box already at the top level is dropped. A last box that runs "to the end of the
//! file" (size 0) is given its real size first, which needs it to fit in 32 bits.

use super::{AigcLabel, LabelError, LabelResult, Splice, be_u32, read_exact};
use crate::media::RangeRead;

const XMP_UUID: [u8; 16] = [
    0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC,
];
/// Most top-level boxes walked.
const MAX_BOXES: usize = 4096;
/// The largest XMP box read back.
const MAX_PACKET: u64 = 1024 * 1024;

struct TopBox {
    offset: u64,
    /// Total length (header included).
    len: u64,
    header_len: u64,
    /// The box declared size 0: it runs to the end of the file.
    to_end: bool,
    xmp: bool,
}

async fn top_level(reader: &impl RangeRead) -> LabelResult<Vec<TopBox>> {
    let size = reader.size();
    let mut out = Vec::new();
    let mut at = 0u64;
    while at < size {
        if out.len() >= MAX_BOXES {
            return Err(LabelError::malformed(
                "the file has too many top-level boxes",
            ));
        }
        let head = read_exact(reader, at, 8, "box header").await?;
        let declared = u64::from(be_u32(&head[..4]));
        let kind = &head[4..8];
        let (len, header_len, to_end) = match declared {
            0 => (size - at, 8, true),
            1 => {
                let large = read_exact(reader, at + 8, 8, "box size").await?;
                let len = (u64::from(be_u32(&large[..4])) << 32) | u64::from(be_u32(&large[4..]));
                (len, 16, false)
            }
            n => (n, 8, false),
        };
        if len < header_len || at.checked_add(len).is_none_or(|end| end > size) {
            return Err(LabelError::malformed("a box runs past the end of the file"));
        }
        let xmp = kind == b"uuid" && {
            let user = read_exact(reader, at + header_len, 16, "box type").await?;
            user[..] == XMP_UUID
        };
        out.push(TopBox {
            offset: at,
            len,
            header_len,
            to_end,
            xmp,
        });
        at += len;
    }
    if out.is_empty() {
        return Err(LabelError::malformed("the file holds no boxes"));
    }
    Ok(out)
}

pub(super) async fn plan(reader: &impl RangeRead, label: &AigcLabel) -> LabelResult<Splice> {
    let boxes = top_level(reader).await?;
    let packet = label.xmp_packet(0);
    let box_len = 8 + 16 + packet.len();
    let Ok(declared) = u32::try_from(box_len) else {
        return Err(LabelError::malformed("the label is too long for a box"));
    };
    let mut xmp_box = declared.to_be_bytes().to_vec();
    xmp_box.extend_from_slice(b"uuid");
    xmp_box.extend_from_slice(&XMP_UUID);
    xmp_box.extend_from_slice(&packet);

    let mut splice = Splice::default();
    for b in boxes.iter().filter(|b| !b.xmp) {
        if b.to_end {
            let Ok(real) = u32::try_from(b.len) else {
                return Err(LabelError::malformed(
                    "the last box runs to the end of a file over 4 GiB and cannot be sized",
                ));
            };
            splice.insert(real.to_be_bytes().to_vec());
            splice.copy(b.offset + 4, b.len - 4);
        } else {
            splice.copy(b.offset, b.len);
        }
    }
    splice.insert(xmp_box);
    Ok(splice)
}

pub(super) async fn packet(reader: &impl RangeRead) -> LabelResult<Option<Vec<u8>>> {
    for b in top_level(reader).await? {
        if b.xmp {
            let start = b.offset + b.header_len + 16;
            let len = b.len.saturating_sub(b.header_len + 16);
            if len > MAX_PACKET {
                return Err(LabelError::malformed("the XMP box is too large"));
            }
            return Ok(Some(
                read_exact(reader, start, len, "XMP box").await?.to_vec(),
            ));
        }
    }
    Ok(None)
}
