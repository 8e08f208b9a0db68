//! JPEG: the XMP packet in an `APP1` segment (`http://ns.adobe.com/xap/1.0/\0` + packet),
//! placed right after the start of image and a JFIF `APP0` (which must stay first). An XMP
//! segment already among the leading markers is dropped in favour of the new one, and so is a
//! C2PA manifest (`APP11` JUMBF segments of type `c2pa`) someone else signed into the file: the
//! studio's own manifest replaces it when the copy is signed.

use super::{AigcLabel, LabelError, LabelResult, Splice, read_exact};
use crate::media::RangeRead;

const SIGNATURE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
/// Most markers walked before the image data (a crafted file cannot loop us).
const MAX_SEGMENTS: usize = 256;

/// A marker segment before the scan: where it starts, its total length, what it is.
struct Segment {
    offset: u64,
    len: u64,
    marker: u8,
    xmp: bool,
    c2pa: bool,
}

/// The segments from the start of image up to (not including) the first that is not
/// metadata (APPn or COM).
async fn leading(reader: &impl RangeRead) -> LabelResult<Vec<Segment>> {
    let soi = read_exact(reader, 0, 2, "JPEG start").await?;
    if soi[..] != [0xFF, 0xD8] {
        return Err(LabelError::malformed("this is not a JPEG file"));
    }
    let mut out = Vec::new();
    let mut at = 2u64;
    for _ in 0..MAX_SEGMENTS {
        let head = read_exact(reader, at, 4, "JPEG marker").await?;
        let marker = head[1];
        let is_meta = head[0] == 0xFF && ((0xE0..=0xEF).contains(&marker) || marker == 0xFE);
        if !is_meta {
            return Ok(out);
        }
        let len = 2 + u64::from(u16::from_be_bytes([head[2], head[3]]));
        let xmp = marker == 0xE1 && {
            let sig = reader.read_range(at + 4, SIGNATURE.len() as u64).await?;
            sig[..] == *SIGNATURE
        };
        let c2pa = marker == 0xEB && is_c2pa_manifest(reader, at, len).await?;
        out.push(Segment {
            offset: at,
            len,
            marker,
            xmp,
            c2pa,
        });
        at += len;
    }
    Err(LabelError::malformed(
        "the JPEG has too many metadata segments",
    ))
}

/// Whether the `APP11` segment at `at` is part of a C2PA manifest store: a JPEG XT box
/// (`JP`, instance, sequence) holding a `jumb` superbox whose description's type begins
/// `c2pa`.
async fn is_c2pa_manifest(reader: &impl RangeRead, at: u64, len: u64) -> LabelResult<bool> {
    const HEAD: u64 = 28;
    if len < 4 + HEAD {
        return Ok(false);
    }
    let head = read_exact(reader, at + 4, HEAD, "JPEG APP11 segment").await?;
    Ok(head[..2] == *b"JP" && head[12..16] == *b"jumb" && head[24..28] == *b"c2pa")
}

pub(super) async fn plan(reader: &impl RangeRead, label: &AigcLabel) -> LabelResult<Splice> {
    let segments = leading(reader).await?;
    let packet = label.xmp_packet(0);
    let body_len = 2 + SIGNATURE.len() + packet.len();
    let Ok(length_field) = u16::try_from(body_len) else {
        return Err(LabelError::malformed(
            "the label is too long for a JPEG segment",
        ));
    };
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&length_field.to_be_bytes());
    app1.extend_from_slice(SIGNATURE);
    app1.extend_from_slice(&packet);

    // After SOI and a leading JFIF APP0; then every other segment but an old XMP one.
    let mut splice = Splice::default();
    let insert_at = match segments.first() {
        Some(first) if first.marker == 0xE0 => first.offset + first.len,
        _ => 2,
    };
    splice.copy(0, insert_at).insert(app1);
    let mut at = insert_at;
    for segment in segments.iter().filter(|s| s.offset >= insert_at) {
        if !segment.xmp && !segment.c2pa {
            splice.copy(segment.offset, segment.len);
        }
        at = segment.offset + segment.len;
    }
    splice.copy(at, reader.size().saturating_sub(at));
    Ok(splice)
}

pub(super) async fn packet(reader: &impl RangeRead) -> LabelResult<Option<Vec<u8>>> {
    for segment in leading(reader).await? {
        if segment.xmp {
            let start = segment.offset + 4 + SIGNATURE.len() as u64;
            let len = segment.len.saturating_sub(4 + SIGNATURE.len() as u64);
            return Ok(Some(
                read_exact(reader, start, len, "XMP segment")
                    .await?
                    .to_vec(),
            ));
        }
    }
    Ok(None)
}
