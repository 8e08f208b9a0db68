//! Content-type sniffing: what an upload really is, from its first bytes.
//!
//! The client's declared type is never trusted; a sample is accepted only if
//! its leading bytes match one of the few formats Keepsake can probe.
//!
//! The rules are hand-written rather than taken from `infer`, because its
//! rules differ from ours exactly where it matters: its MP3 test is the two
//! bytes `FF FB` (no validation; MPEG-2 and CRC-protected frames missed), its
//! MP4 test is a fixed list of brands where ours is "any brand that is not
//! audio, QuickTime or a still image", and it cannot tell an ID3-tagged FLAC
//! from an MP3. The whole rule set fits on one screen below.

use super::MediaType;
use super::{id3, mp3};

/// How many bytes of the object's start [`sniff`] wants: enough to see past
/// a small ID3 tag and to confirm an MP3 frame by the header of the next one
/// (a Layer III frame is at most 2,881 bytes). Shorter prefixes still work
/// when the object itself is shorter.
pub const SNIFF_LEN: usize = 4096;

/// The media type of an object starting with `prefix`, or `None` for
/// anything Keepsake does not accept (HTML, text, ZIP, GIF, HEIC, unknown…).
pub fn sniff(prefix: &[u8]) -> Option<MediaType> {
    if prefix.starts_with(b"\xFF\xD8\xFF") {
        return Some(MediaType::Jpeg);
    }
    if prefix.starts_with(b"\x89PNG\r\n\x1A\n") {
        return Some(MediaType::Png);
    }
    if prefix.starts_with(b"fLaC") {
        return Some(MediaType::Flac);
    }
    if prefix.starts_with(b"%PDF-") {
        return Some(MediaType::Pdf);
    }
    if prefix.starts_with(b"ID3") {
        return sniff_after_id3(prefix);
    }
    if mp3::starts_stream(prefix, 0) {
        return Some(MediaType::Mp3);
    }
    sniff_riff(prefix).or_else(|| sniff_iso_bmff(prefix))
}

/// `RIFF <size> WEBP` or `RIFF <size> WAVE`.
fn sniff_riff(prefix: &[u8]) -> Option<MediaType> {
    if !prefix.starts_with(b"RIFF") {
        return None;
    }
    match prefix.get(8..12)? {
        b"WEBP" => Some(MediaType::Webp),
        b"WAVE" => Some(MediaType::Wav),
        _ => None,
    }
}

/// An ID3v2 tag fronts MP3 audio, or sometimes FLAC: look past it when the
/// tag ends inside the prefix. A larger tag (cover art) is taken as MP3; the
/// MP3 probe then insists on finding real frames.
fn sniff_after_id3(prefix: &[u8]) -> Option<MediaType> {
    let tag_len = id3::tag_len(prefix).ok()??;
    let after = usize::try_from(tag_len)
        .ok()
        .and_then(|at| prefix.get(at..));
    match after {
        Some(rest) if rest.starts_with(b"fLaC") => Some(MediaType::Flac),
        _ => Some(MediaType::Mp3),
    }
}

/// ISO base media files (MP4, MOV, M4A) start with an `ftyp` box whose
/// major brand names the flavour. Old QuickTime files have no `ftyp` and
/// start straight with one of QuickTime's own top-level atoms.
fn sniff_iso_bmff(prefix: &[u8]) -> Option<MediaType> {
    let box_size = u32::from_be_bytes(prefix.get(0..4)?.try_into().ok()?);
    match prefix.get(4..8)? {
        b"ftyp" if box_size >= 12 => sniff_brand(prefix.get(8..12)?),
        b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot" if box_size >= 8 => {
            Some(MediaType::QuickTime)
        }
        _ => None,
    }
}

fn sniff_brand(brand: &[u8]) -> Option<MediaType> {
    match brand {
        b"M4A " | b"M4B " => Some(MediaType::M4a),
        b"qt  " => Some(MediaType::QuickTime),
        // HEIF/AVIF still images and camera raw files share the container.
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" | b"mif1"
        | b"msf1" | b"avif" | b"avis" | b"avio" | b"crx " => None,
        _ => Some(MediaType::Mp4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::samples;

    fn head(data: &[u8]) -> &[u8] {
        &data[..data.len().min(SNIFF_LEN)]
    }

    #[test]
    fn recognises_every_builder() {
        let cases = [
            (samples::jpeg(640, 480), MediaType::Jpeg),
            (samples::png(3, 2), MediaType::Png),
            (samples::wav(500, 8_000), MediaType::Wav),
            (samples::m4a(1_000), MediaType::M4a),
            (samples::mp4(64, 48, 1_000, false, 100), MediaType::Mp4),
            (samples::mp4(64, 48, 1_000, true, 100), MediaType::Mp4),
            (samples::mp3_cbr(1_000, 128), MediaType::Mp3),
            (
                samples::mp3_stream(1_000, 128, false)[samples::MP3_ID3_LEN..].to_vec(),
                MediaType::Mp3,
            ),
            (samples::pdf(), MediaType::Pdf),
        ];
        for (data, media) in cases {
            assert_eq!(sniff(head(&data)), Some(media), "{media:?}");
        }
    }

    #[test]
    fn recognises_other_signatures() {
        let cases: [(&[u8], MediaType); 8] = [
            (b"RIFF\x24\0\0\0WEBPVP8 ", MediaType::Webp),
            (b"fLaC\x00\x00\x00\x22", MediaType::Flac),
            (b"ID3\x04\0\0\0\0\0\x02\0\0fLaC", MediaType::Flac),
            (b"ID3\x04\0\0\0\0\x7F\x7F", MediaType::Mp3),
            (b"\0\0\0\x18ftypqt  \0\0\0\0", MediaType::QuickTime),
            (b"\0\0\0\x18ftypM4B \0\0\0\0", MediaType::M4a),
            (b"\0\0\0\x18ftypmp42\0\0\0\0", MediaType::Mp4),
            (b"\0\0\0\x08wide\0\0\0\0mdat", MediaType::QuickTime),
        ];
        for (data, media) in cases {
            assert_eq!(sniff(data), Some(media), "{media:?}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        let cases: [&[u8]; 13] = [
            b"<!doctype html><html><body>hello</body></html>",
            b"<?xml version=\"1.0\"?><svg/>",
            b"Just some plain text, nothing more.\n",
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00",
            b"PK\x03\x04\x14\x00\x00\x00",
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
            b"\0\0\0\x1cftypavif\0\0\0\0",
            b"\0\0\0\x04ftyp",
            b"RIFF\x24\0\0\0AVI LIST",
            b"\xFF\xF1\x50\x80\x02\x1F\xFC",
            b"\xFF\xFB",
            b"",
            b"\x1A\x45\xDF\xA3webm",
        ];
        for data in cases {
            assert_eq!(sniff(data), None, "{:?}", String::from_utf8_lossy(data));
        }
    }

    #[test]
    fn a_lone_frame_sync_followed_by_noise_is_not_mp3() {
        let mut data = vec![0xFF, 0xFB, 0x90, 0xC4];
        data.resize(1000, b'x');
        assert_eq!(sniff(&data), None);
    }
}
