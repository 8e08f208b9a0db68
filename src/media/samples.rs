//! Synthetic media files for tests and benchmarks.
//!
//! Integration tests upload these through the real API and the upload
//! benchmark streams them to the object store, so they live in the library
//! (no dev-dependencies) rather than under `tests/`. Each builder writes
//! structurally valid headers with exactly the metadata asked for, and no
//! real picture or sound: payloads are zeros or flat grey. The PNG is a fully
//! valid image (checksums included); the others are valid as far as any
//! header parser can tell.

/// Length of the ID3v2 tag [`mp3_cbr`] starts with.
pub const MP3_ID3_LEN: usize = 10 + ID3_BODY_LEN;
const ID3_BODY_LEN: usize = 64;

// ---------------------------------------------------------------- images

/// A baseline greyscale JPEG: SOI, APP0 (JFIF), DQT, SOF0 with the given
/// size, DHT (DC and AC), SOS, scan data, EOI. Each Huffman table holds a
/// single one-bit code, so the scan is two zero bits per 8×8 block (a zero
/// DC difference, then end-of-block), padded with one bits.
pub fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    jpeg_segment(
        &mut out,
        0xE0,
        b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00",
    );
    let mut dqt = vec![0x00];
    dqt.extend_from_slice(&[1; 64]);
    jpeg_segment(&mut out, 0xDB, &dqt);
    let [h1, h0] = height.to_be_bytes();
    let [w1, w0] = width.to_be_bytes();
    jpeg_segment(&mut out, 0xC0, &[8, h1, h0, w1, w0, 1, 1, 0x11, 0]);
    for class_and_id in [0x00, 0x10] {
        let mut dht = vec![class_and_id, 1];
        dht.extend_from_slice(&[0; 15]);
        dht.push(0x00);
        jpeg_segment(&mut out, 0xC4, &dht);
    }
    jpeg_segment(&mut out, 0xDA, &[1, 1, 0x00, 0, 63, 0]);
    out.extend_from_slice(&jpeg_scan(width, height));
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

fn jpeg_segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&jpeg_len(body.len() + 2).to_be_bytes());
    out.extend_from_slice(body);
}

fn jpeg_len(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

fn jpeg_scan(width: u16, height: u16) -> Vec<u8> {
    let blocks = usize::from(width).div_ceil(8) * usize::from(height).div_ceil(8);
    let bits = blocks * 2;
    let mut scan = vec![0u8; bits / 8];
    let tail_bits = bits % 8;
    if tail_bits > 0 {
        scan.push((1u8 << (8 - tail_bits)) - 1);
    }
    scan
}

/// A valid 8-bit greyscale PNG (mid-grey): IHDR, one IDAT holding a zlib
/// stream of stored (uncompressed) deflate blocks, IEND.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1A\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &zlib_stored(&png_rows(width, height)));
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// Each row: filter type 0, then one grey byte per pixel.
fn png_rows(width: u32, height: u32) -> Vec<u8> {
    let mut row = vec![0x80; width as usize + 1];
    row[0] = 0;
    row.repeat(height as usize)
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    const MAX_BLOCK: usize = 0xFFFF;
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(MAX_BLOCK).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0x00, 0x00, 0xFF, 0xFF]);
    }
    while let Some(block) = blocks.next() {
        let last = blocks.peek().is_none();
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.push(u8::from(last));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
}

/// CRC-32 as PNG uses it (ISO 3309, reflected, polynomial 0xEDB88320).
fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |crc, byte| {
        CRC_TABLE[usize::from((crc as u8) ^ byte)] ^ (crc >> 8)
    })
}

/// Adler-32 (RFC 1950).
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (a, b) = data.iter().fold((1u32, 0u32), |(a, b), byte| {
        let a = (a + u32::from(*byte)) % MOD;
        (a, (b + a) % MOD)
    });
    (b << 16) | a
}

// ---------------------------------------------------------------- audio

/// 16-bit mono PCM silence: `duration_ms × sample_rate / 1000` samples.
pub fn wav(duration_ms: u32, sample_rate: u32) -> Vec<u8> {
    let samples = u64::from(duration_ms) * u64::from(sample_rate) / 1000;
    let data_len = u32::try_from(samples * 2).unwrap_or(u32::MAX);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&data_len.saturating_add(36).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00");
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&sample_rate.saturating_mul(2).to_le_bytes());
    out.extend_from_slice(b"\x02\x00\x10\x00data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.resize(out.len() + data_len as usize, 0);
    out
}

/// A constant-bitrate MP3: an ID3v2.4 tag ([`MP3_ID3_LEN`] bytes), a LAME
/// style "Info" frame holding the frame count, then zeroed MPEG-1 Layer III
/// mono frames at 44.1 kHz without padding (`144 × bitrate / 44100` bytes
/// each). The frame count is rounded up, so the file is at least
/// `duration_ms` long and at most one frame (26 ms) longer. `bitrate_kbps`
/// is rounded to the nearest Layer III bitrate (32..=320).
pub fn mp3_cbr(duration_ms: u32, bitrate_kbps: u32) -> Vec<u8> {
    mp3_stream(duration_ms, bitrate_kbps, true)
}

const MP3_BITRATES: [u32; 14] = [
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];

/// [`mp3_cbr`], optionally without the Info frame (to test the CBR estimate).
pub(crate) fn mp3_stream(duration_ms: u32, bitrate_kbps: u32, info_frame: bool) -> Vec<u8> {
    let (index, bitrate) = MP3_BITRATES
        .iter()
        .enumerate()
        .min_by_key(|(_, b)| b.abs_diff(bitrate_kbps))
        .map_or((8, 128), |(i, b)| (i + 1, *b));
    let frame_len = (144 * bitrate * 1000 / 44_100) as usize;
    let frames = (u64::from(duration_ms) * 44_100).div_ceil(1_152_000);
    let mut frame = vec![0u8; frame_len];
    frame[..4].copy_from_slice(&[0xFF, 0xFB, (index as u8) << 4, 0xC4]);
    let mut out = id3_tag();
    if info_frame {
        let mut info = frame.clone();
        // Mono MPEG-1: the tag follows the header and 17 bytes of side info.
        info[21..25].copy_from_slice(b"Info");
        info[25..29].copy_from_slice(&1u32.to_be_bytes());
        info[29..33].copy_from_slice(&u32::try_from(frames).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&info);
    }
    out.extend_from_slice(&frame.repeat(frames as usize));
    out
}

/// An ID3v2.4 tag with a title frame, zero-padded to [`MP3_ID3_LEN`] bytes.
fn id3_tag() -> Vec<u8> {
    let title = b"\x03Keepsake sample";
    let mut out = b"ID3\x04\x00\x00".to_vec();
    out.extend_from_slice(&[0, 0, 0, ID3_BODY_LEN as u8]);
    out.extend_from_slice(b"TIT2\x00\x00\x00");
    out.push(title.len() as u8);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(title);
    out.resize(MP3_ID3_LEN, 0);
    out
}

/// An M4A (AAC in MP4) file: `ftyp` M4A, `moov` with one sound track, and a
/// small `mdat`.
pub fn m4a(duration_ms: u32) -> Vec<u8> {
    let mut out = ftyp(b"M4A ", &[b"M4A ", b"mp42", b"isom"]);
    out.extend_from_slice(&movie(duration_ms, &[track(1, b"soun", 0, 0, duration_ms)]));
    out.extend_from_slice(&mdat_header(64));
    out.resize(out.len() + 64, 0);
    out
}

// ---------------------------------------------------------------- video

/// An MP4 with one video track of the given size and duration and an `mdat`
/// of `mdat_len` zero bytes, the `moov` index before or after it.
pub fn mp4(
    width: u16,
    height: u16,
    duration_ms: u32,
    moov_at_end: bool,
    mdat_len: usize,
) -> Vec<u8> {
    let moov = video_moov(width, height, duration_ms);
    let mut out = video_ftyp();
    if !moov_at_end {
        out.extend_from_slice(&moov);
    }
    out.extend_from_slice(&mdat_header(mdat_len as u64));
    out.resize(out.len() + mdat_len, 0);
    if moov_at_end {
        out.extend_from_slice(&moov);
    }
    out
}

/// The two ends of a moov-at-end MP4, for streaming one too large to build
/// in memory: the file is `header`, then `mdat_len` zero bytes, then
/// `trailer`. The `mdat` header uses a 64-bit `largesize` when it must.
pub fn mp4_parts(width: u16, height: u16, duration_ms: u32, mdat_len: u64) -> (Vec<u8>, Vec<u8>) {
    let mut header = video_ftyp();
    header.extend_from_slice(&mdat_header(mdat_len));
    (header, video_moov(width, height, duration_ms))
}

fn video_ftyp() -> Vec<u8> {
    ftyp(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"])
}

fn video_moov(width: u16, height: u16, duration_ms: u32) -> Vec<u8> {
    movie(
        duration_ms,
        &[track(1, b"vide", width, height, duration_ms)],
    )
}

/// An `mdat` header for `body_len` bytes of media data.
fn mdat_header(body_len: u64) -> Vec<u8> {
    match u32::try_from(body_len.saturating_add(8)) {
        Ok(size) => [&size.to_be_bytes()[..], b"mdat"].concat(),
        Err(_) => [
            &1u32.to_be_bytes()[..],
            b"mdat",
            &body_len.saturating_add(16).to_be_bytes(),
        ]
        .concat(),
    }
}

/// An ISO-BMFF box with a 32-bit size.
pub(crate) fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let size = u32::try_from(body.len() + 8).unwrap_or(u32::MAX);
    [&size.to_be_bytes()[..], kind, body].concat()
}

fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let mut body = major.to_vec();
    body.extend_from_slice(&0x200u32.to_be_bytes());
    for brand in compatible {
        body.extend_from_slice(*brand);
    }
    mp4_box(b"ftyp", &body)
}

/// `moov`: a movie header (timescale 1000) followed by the given tracks.
pub(crate) fn movie(duration_ms: u32, tracks: &[Vec<u8>]) -> Vec<u8> {
    let mut tail = Vec::new();
    tail.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
    tail.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
    tail.extend_from_slice(&[0; 10]);
    tail.extend_from_slice(&IDENTITY_MATRIX);
    tail.extend_from_slice(&[0; 24]);
    tail.extend_from_slice(&(tracks.len() as u32 + 1).to_be_bytes()); // next track id
    let mut body = mp4_box(
        b"mvhd",
        &[time_fields(1000, u64::from(duration_ms)), tail].concat(),
    );
    for track in tracks {
        body.extend_from_slice(track);
    }
    mp4_box(b"moov", &body)
}

const IDENTITY_MATRIX: [u8; 36] = [
    0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0,
];

/// A `trak` whose media timescale is 90 kHz for video and 44.1 kHz otherwise.
pub(crate) fn track(
    id: u32,
    handler: &[u8; 4],
    width: u16,
    height: u16,
    duration_ms: u32,
) -> Vec<u8> {
    let video = handler == b"vide";
    let media_rate: u32 = if video { 90_000 } else { 44_100 };
    let media_ticks = u64::from(duration_ms) * u64::from(media_rate) / 1000;
    let mdhd = mp4_box(
        b"mdhd",
        &[time_fields(media_rate, media_ticks), vec![0x55, 0xC4, 0, 0]].concat(),
    );
    let hdlr_body = [&[0u8; 8][..], handler, &[0; 12], b"Keepsake\0"].concat();
    let mdia = [mdhd, mp4_box(b"hdlr", &hdlr_body), media_info(video)].concat();
    let trak = [
        track_header(id, duration_ms, width, height, video),
        mp4_box(b"mdia", &mdia),
    ]
    .concat();
    mp4_box(b"trak", &trak)
}

/// `tkhd` version 0, enabled and in the movie.
fn track_header(id: u32, duration_ms: u32, width: u16, height: u16, video: bool) -> Vec<u8> {
    let mut body = vec![0, 0, 0, 3];
    body.extend_from_slice(&[0; 8]);
    body.extend_from_slice(&id.to_be_bytes());
    body.extend_from_slice(&[0; 4]);
    body.extend_from_slice(&duration_ms.to_be_bytes());
    body.extend_from_slice(&[0; 12]); // reserved, layer, alternate group
    body.extend_from_slice(if video { &[0, 0] } else { &[1, 0] }); // volume
    body.extend_from_slice(&[0; 2]);
    body.extend_from_slice(&IDENTITY_MATRIX);
    body.extend_from_slice(&(u32::from(width) << 16).to_be_bytes());
    body.extend_from_slice(&(u32::from(height) << 16).to_be_bytes());
    mp4_box(b"tkhd", &body)
}

/// `minf` with a media header, a data reference and empty sample tables.
fn media_info(video: bool) -> Vec<u8> {
    let media_header = if video {
        mp4_box(b"vmhd", &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    } else {
        mp4_box(b"smhd", &[0; 8])
    };
    let url = mp4_box(b"url ", &[0, 0, 0, 1]);
    let dref = mp4_box(b"dref", &[&[0, 0, 0, 0, 0, 0, 0, 1][..], &url].concat());
    let empty_table = |kind: &[u8; 4]| mp4_box(kind, &[0; 8]);
    let stbl = [
        empty_table(b"stsd"),
        empty_table(b"stts"),
        empty_table(b"stsc"),
        mp4_box(b"stsz", &[0; 12]),
        empty_table(b"stco"),
    ]
    .concat();
    let body = [
        media_header,
        mp4_box(b"dinf", &dref),
        mp4_box(b"stbl", &stbl),
    ]
    .concat();
    mp4_box(b"minf", &body)
}

/// Version, flags, creation and modification times, timescale, duration —
/// the start shared by `mvhd` and `mdhd`; version 1 when the duration needs 64 bits.
fn time_fields(timescale: u32, duration: u64) -> Vec<u8> {
    match u32::try_from(duration) {
        Ok(short) => [
            &[0u8; 12][..],
            &timescale.to_be_bytes(),
            &short.to_be_bytes(),
        ]
        .concat(),
        Err(_) => [
            &[1u8, 0, 0, 0][..],
            &[0; 16],
            &timescale.to_be_bytes(),
            &duration.to_be_bytes(),
        ]
        .concat(),
    }
}

// ---------------------------------------------------------------- documents

/// A minimal one-page PDF with a correct cross-reference table.
pub fn pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (number, object) in (1..).zip(objects) {
        offsets.push(out.len());
        out.push_str(&format!("{number} 0 obj\n{object}\nendobj\n"));
    }
    let xref_at = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for offset in offsets {
        out.push_str(&format!("{offset:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(b""), 1);
    }

    #[test]
    fn png_idat_is_a_stored_zlib_stream() {
        let data = png(300, 300);
        let rows = png_rows(300, 300);
        let idat_len = u32::from_be_bytes([data[33], data[34], data[35], data[36]]) as usize;
        assert_eq!(&data[37..41], b"IDAT");
        let zlib = &data[41..41 + idat_len];
        assert_eq!(
            zlib.len(),
            2 + rows.len() + 5 * rows.len().div_ceil(0xFFFF) + 4
        );
        assert_eq!(&data[data.len() - 12..], b"\0\0\0\0IEND\xAE\x42\x60\x82");
        assert_eq!(png(0, 0).len(), 8 + 25 + 12 + 2 + 5 + 4 + 12);
    }

    #[test]
    fn jpeg_scan_has_two_bits_per_block() {
        assert_eq!(jpeg_scan(8, 8), vec![0x3F]);
        assert_eq!(jpeg_scan(32, 8), vec![0x00]);
        assert_eq!(jpeg_scan(33, 8), vec![0x00, 0x3F]);
        assert!(jpeg_scan(0, 100).is_empty());
    }

    #[test]
    fn pdf_cross_references_point_at_objects() {
        let data = pdf();
        let text = String::from_utf8_lossy(&data);
        assert!(text.starts_with("%PDF-1.4\n") && text.ends_with("%%EOF\n"));
        let xref_at: usize = text
            .lines()
            .rev()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        assert!(text[xref_at..].starts_with("xref\n"));
        let second = text[xref_at..].lines().nth(3).unwrap_or_default();
        let offset: usize = second[..10].parse().unwrap_or(0);
        assert!(text[offset..].starts_with("1 0 obj"));
    }

    #[test]
    fn mp4_parts_use_a_largesize_past_4_gib() {
        let (small, _) = mp4_parts(2, 2, 1, 1 << 30);
        assert_eq!(
            &small[small.len() - 8..],
            &[&0x4000_0008u32.to_be_bytes()[..], b"mdat"].concat()
        );
        let (large, trailer) = mp4_parts(2, 2, 1, 5 << 30);
        let tail = &large[large.len() - 16..];
        assert_eq!(&tail[..8], b"\0\0\0\x01mdat");
        assert_eq!(tail[8..], ((5u64 << 30) + 16).to_be_bytes());
        assert_eq!(&trailer[4..8], b"moov");
    }

    #[test]
    fn mp3_frames_have_the_padding_free_size() {
        let data = mp3_stream(1_000, 128, false);
        let frames = (1_000u64 * 44_100).div_ceil(1_152_000) as usize;
        assert_eq!(data.len(), MP3_ID3_LEN + frames * 417);
        assert_eq!(
            &data[MP3_ID3_LEN..MP3_ID3_LEN + 4],
            &[0xFF, 0xFB, 0x90, 0xC4]
        );
        assert_eq!(mp3_cbr(1_000, 128).len(), data.len() + 417);
    }
}
