//! MP4, MOV and M4A metadata from the `moov` box, wherever it sits.
//!
//! These files are a sequence of boxes (QuickTime calls them atoms), each
//! starting with its size and a four-letter type. The media data (`mdat`) can
//! be gigabytes and is never read; the index (`moov`) is small but is often
//! written last, after `mdat`. So the top level is walked header by header,
//! jumping over each box by its size, until `moov` is found — for a 1 GiB
//! file with the index at the end that is a handful of 8–16 byte reads.
//! Inside `moov` only what the answer needs is read:
//! - `mvhd`: the movie's timescale and duration (the presentation length);
//! - each `trak`: `tkhd` for the display width/height (16.16 fixed point,
//!   swapped when the track matrix rotates by 90°, as phones do for portrait
//!   video) and `mdia/hdlr` for the handler type (`vide` = video);
//! - fallbacks for fragmented files, whose `mvhd` duration is often zero:
//!   `mvex/mehd` (fragment duration), then the longest `mdia/mdhd`.
//!
//! Sample tables (`stbl`), often megabytes, are skipped by their size.

use super::MediaMetadata;
use super::error::{ProbeError, ProbeResult};
use super::fields::{Fields, ticks_to_ms};
use super::reader::{RangeRead, read_exact};

/// Guards against files made of endless tiny boxes (the block budget is the
/// other guard: every header read is paid for).
const MAX_BOXES: usize = 4096;

pub(super) async fn probe(reader: &impl RangeRead) -> ProbeResult<MediaMetadata> {
    let moov = find_top_level(reader, b"moov").await?;
    let movie = read_movie(reader, &moov).await?;
    let video = movie
        .tracks
        .iter()
        .filter(|t| &t.handler == b"vide" && t.width > 0 && t.height > 0)
        .max_by_key(|t| u64::from(t.width) * u64::from(t.height));
    Ok(MediaMetadata {
        width: video.map(|t| t.width),
        height: video.map(|t| t.height),
        duration_ms: movie.duration_ms(),
    })
}

/// A box: its type and where its body starts and the box ends (absolute offsets).
#[derive(Debug, Clone, Copy)]
struct BoxHeader {
    kind: [u8; 4],
    body: u64,
    end: u64,
}

impl BoxHeader {
    fn body_len(&self) -> u64 {
        self.end - self.body
    }

    fn name(&self) -> String {
        self.kind.escape_ascii().to_string()
    }
}

/// Reads the box header at `offset` inside a parent ending at `limit`:
/// 32-bit size, type, and a 64-bit `largesize` when the size is 1. Size 0
/// means "to the end of the parent" (the file, at the top level).
async fn read_header(reader: &impl RangeRead, offset: u64, limit: u64) -> ProbeResult<BoxHeader> {
    let head = reader.read_range(offset, (limit - offset).min(16)).await?;
    let fields = Fields::new(&head, "MP4 box header");
    let kind = fields.bytes::<4>(4)?;
    let (header_len, size) = match fields.u32_be(0)? {
        0 => (8, limit - offset),
        1 => (16, fields.u64_be(8)?),
        size => (8, u64::from(size)),
    };
    let end = offset
        .checked_add(size)
        .filter(|end| size >= header_len && *end <= limit)
        .ok_or_else(|| {
            let name = kind.escape_ascii();
            ProbeError::malformed(format!("the MP4 box '{name}' has an impossible size"))
        })?;
    Ok(BoxHeader {
        kind,
        body: offset + header_len,
        end,
    })
}

/// Walks top-level boxes until one of type `kind`, skipping the others unread.
async fn find_top_level(reader: &impl RangeRead, kind: &[u8; 4]) -> ProbeResult<BoxHeader> {
    let size = reader.size();
    let mut offset: u64 = 0;
    for _ in 0..MAX_BOXES {
        if offset.saturating_add(8) > size {
            break;
        }
        let header = read_header(reader, offset, size).await?;
        if &header.kind == kind {
            return Ok(header);
        }
        // `end >= offset + 8`, so the walk always moves forward.
        offset = header.end;
    }
    let name = kind.escape_ascii();
    Err(ProbeError::malformed(format!(
        "the file has no '{name}' box"
    )))
}

/// Headers of the boxes inside `parent`. Fewer than 8 trailing bytes are
/// ignored (QuickTime ends some atoms with a 4-byte zero terminator).
async fn children(reader: &impl RangeRead, parent: &BoxHeader) -> ProbeResult<Vec<BoxHeader>> {
    let mut found = Vec::new();
    let mut offset = parent.body;
    while parent.end.saturating_sub(offset) >= 8 {
        if found.len() >= MAX_BOXES {
            let name = parent.name();
            return Err(ProbeError::malformed(format!(
                "the MP4 box '{name}' has too many children"
            )));
        }
        let header = read_header(reader, offset, parent.end).await?;
        offset = header.end;
        found.push(header);
    }
    Ok(found)
}

/// Reads the first `len` bytes of a box body, refusing boxes shorter than that.
async fn read_body(
    reader: &impl RangeRead,
    header: &BoxHeader,
    len: u64,
) -> ProbeResult<bytes::Bytes> {
    if header.body_len() < len {
        let name = header.name();
        return Err(ProbeError::malformed(format!(
            "the MP4 box '{name}' is truncated"
        )));
    }
    read_exact(reader, header.body, len, "MP4 box").await
}

#[derive(Debug, Default)]
struct Movie {
    header: Option<TimeHeader>,
    fragment_duration: Option<u64>,
    tracks: Vec<Track>,
}

impl Movie {
    /// `mvhd`, else `mehd` (in the movie timescale), else the longest track.
    fn duration_ms(&self) -> Option<u64> {
        let header = self.header?;
        header
            .duration_ms()
            .or_else(|| ticks_to_ms(self.fragment_duration?, u64::from(header.timescale)))
            .or_else(|| self.tracks.iter().filter_map(|t| t.duration_ms).max())
    }
}

async fn read_movie(reader: &impl RangeRead, moov: &BoxHeader) -> ProbeResult<Movie> {
    let mut movie = Movie::default();
    for child in children(reader, moov).await? {
        match &child.kind {
            b"mvhd" => movie.header = Some(read_time_header(reader, &child).await?),
            b"mvex" => movie.fragment_duration = read_fragment_duration(reader, &child).await?,
            b"trak" => movie.tracks.push(read_track(reader, &child).await?),
            _ => {}
        }
    }
    if movie.header.is_none() {
        return Err(ProbeError::malformed("the MP4 index has no movie header"));
    }
    Ok(movie)
}

/// Timescale (ticks per second) and duration, shared by `mvhd` and `mdhd`.
#[derive(Debug, Clone, Copy)]
struct TimeHeader {
    timescale: u32,
    /// `None` when the writer left it unknown (all ones) or zero.
    duration: Option<u64>,
}

impl TimeHeader {
    fn duration_ms(self) -> Option<u64> {
        ticks_to_ms(self.duration?, u64::from(self.timescale))
    }
}

/// Version 0: 32-bit times, timescale at 12, duration at 16.
/// Version 1: 64-bit times, timescale at 20, duration at 24.
async fn read_time_header(reader: &impl RangeRead, header: &BoxHeader) -> ProbeResult<TimeHeader> {
    let wide = is_wide(reader, header).await?;
    let body = read_body(reader, header, if wide { 32 } else { 20 }).await?;
    let fields = Fields::new(&body, "MP4 time header");
    let (timescale_at, duration_at) = if wide { (20, 24) } else { (12, 16) };
    Ok(TimeHeader {
        timescale: fields.u32_be(timescale_at)?,
        duration: known_time(&fields, duration_at, wide)?,
    })
}

/// `mvex/mehd`: the total duration of a fragmented movie (in the movie timescale).
async fn read_fragment_duration(
    reader: &impl RangeRead,
    mvex: &BoxHeader,
) -> ProbeResult<Option<u64>> {
    let children = children(reader, mvex).await?;
    let Some(mehd) = children.iter().find(|child| &child.kind == b"mehd") else {
        return Ok(None);
    };
    let wide = is_wide(reader, mehd).await?;
    let body = read_body(reader, mehd, if wide { 12 } else { 8 }).await?;
    known_time(&Fields::new(&body, "MP4 mehd box"), 4, wide)
}

/// Whether a full box is version 1 (64-bit time fields) rather than 0.
async fn is_wide(reader: &impl RangeRead, header: &BoxHeader) -> ProbeResult<bool> {
    match read_body(reader, header, 1).await?.first() {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => {
            let name = header.name();
            Err(ProbeError::malformed(format!(
                "the MP4 box '{name}' has an unsupported version"
            )))
        }
    }
}

/// A 32- or 64-bit duration; `None` when zero or all ones ("unknown").
fn known_time(fields: &Fields<'_>, at: usize, wide: bool) -> ProbeResult<Option<u64>> {
    let (value, unknown) = if wide {
        (fields.u64_be(at)?, u64::MAX)
    } else {
        (u64::from(fields.u32_be(at)?), u64::from(u32::MAX))
    };
    Ok((value != 0 && value != unknown).then_some(value))
}

#[derive(Debug, Default)]
struct Track {
    handler: [u8; 4],
    width: u32,
    height: u32,
    duration_ms: Option<u64>,
}

async fn read_track(reader: &impl RangeRead, trak: &BoxHeader) -> ProbeResult<Track> {
    let mut track = Track::default();
    for child in children(reader, trak).await? {
        match &child.kind {
            b"tkhd" => (track.width, track.height) = read_display_size(reader, &child).await?,
            b"mdia" => read_media(reader, &child, &mut track).await?,
            _ => {}
        }
    }
    Ok(track)
}

/// `mdia`: `hdlr` handler type (at byte 8 of its body) and `mdhd` duration.
async fn read_media(
    reader: &impl RangeRead,
    mdia: &BoxHeader,
    track: &mut Track,
) -> ProbeResult<()> {
    for child in children(reader, mdia).await? {
        match &child.kind {
            b"hdlr" => {
                let body = read_body(reader, &child, 12).await?;
                track.handler = Fields::new(&body, "MP4 hdlr box").bytes::<4>(8)?;
            }
            b"mdhd" => track.duration_ms = read_time_header(reader, &child).await?.duration_ms(),
            _ => {}
        }
    }
    Ok(())
}

/// `tkhd` width and height (16.16 fixed point, integer part), swapped when
/// the transformation matrix turns the picture by a quarter turn.
async fn read_display_size(reader: &impl RangeRead, tkhd: &BoxHeader) -> ProbeResult<(u32, u32)> {
    // Version 1 widens three time fields from 32 to 64 bits: 12 more bytes.
    let shift = if is_wide(reader, tkhd).await? { 12 } else { 0 };
    let body = read_body(reader, tkhd, 84 + shift as u64).await?;
    let fields = Fields::new(&body, "MP4 tkhd box");
    // The 3×3 matrix is stored row by row: a b u / c d v / x y w.
    let entry = |index: usize| fields.u32_be(40 + shift + 4 * index);
    let (a, b, c, d) = (entry(0)?, entry(1)?, entry(3)?, entry(4)?);
    let quarter_turn = a == 0 && d == 0 && b != 0 && c != 0;
    let width = fields.u32_be(76 + shift)? >> 16;
    let height = fields.u32_be(80 + shift)? >> 16;
    Ok(if quarter_turn {
        (height, width)
    } else {
        (width, height)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::samples::{self, movie, mp4_box, track};
    use crate::media::{BlockReader, MediaType, probe_cached};
    use bytes::Bytes;

    /// A file that is `head`, then `gap` zero bytes, then `tail`, without
    /// holding the zeros in memory.
    struct Sparse {
        head: Vec<u8>,
        gap: u64,
        tail: Vec<u8>,
    }

    impl RangeRead for Sparse {
        fn size(&self) -> u64 {
            self.head.len() as u64 + self.gap + self.tail.len() as u64
        }

        async fn read_range(&self, offset: u64, len: u64) -> Result<Bytes, ProbeError> {
            let end = offset.saturating_add(len).min(self.size());
            let tail_at = self.head.len() as u64 + self.gap;
            let out = (offset..end)
                .map(|at| match at {
                    at if at < self.head.len() as u64 => self.head[at as usize],
                    at if at >= tail_at => self.tail[(at - tail_at) as usize],
                    _ => 0,
                })
                .collect::<Vec<u8>>();
            Ok(out.into())
        }
    }

    async fn probe_bytes(data: Vec<u8>) -> Result<MediaMetadata, ProbeError> {
        crate::media::probe(&Bytes::from(data), MediaType::Mp4).await
    }

    fn video(width: u32, height: u32, duration_ms: u64) -> MediaMetadata {
        MediaMetadata {
            width: Some(width),
            height: Some(height),
            duration_ms: Some(duration_ms),
        }
    }

    fn with_ftyp(moov: Vec<u8>) -> Vec<u8> {
        let mut out = samples::mp4_parts(1, 1, 1, 0).0;
        out.extend_from_slice(&moov);
        out
    }

    #[tokio::test]
    async fn reads_video_with_the_index_first_or_last() -> Result<(), ProbeError> {
        for at_end in [false, true] {
            let data = samples::mp4(1920, 1080, 61_500, at_end, 10_000);
            assert_eq!(probe_bytes(data).await?, video(1920, 1080, 61_500));
        }
        assert_eq!(
            probe_bytes(samples::mp4(7, 5, 1, true, 0)).await?,
            video(7, 5, 1)
        );
        Ok(())
    }

    #[tokio::test]
    async fn reads_audio_only_files() -> Result<(), ProbeError> {
        let meta = crate::media::probe(&Bytes::from(samples::m4a(183_250)), MediaType::M4a).await?;
        assert_eq!(
            meta,
            MediaMetadata {
                duration_ms: Some(183_250),
                ..MediaMetadata::default()
            }
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_large_moov_at_end_file_is_probed_from_a_few_blocks() -> Result<(), ProbeError> {
        let data = samples::mp4(1280, 720, 30_000, true, 8 << 20);
        let total = data.len();
        let reader = BlockReader::new(Bytes::from(data));
        let meta = probe_cached(&reader, MediaType::Mp4).await?;
        assert_eq!(meta, video(1280, 720, 30_000));
        eprintln!(
            "8 MiB moov-at-end MP4 ({total} bytes): fetched {} bytes in {} requests",
            reader.bytes_fetched(),
            reader.requests()
        );
        assert!(reader.bytes_fetched() < 300 * 1024);
        Ok(())
    }

    #[tokio::test]
    async fn gigabyte_files_and_64_bit_sizes_cost_the_same() -> Result<(), ProbeError> {
        for mdat_len in [1u64 << 30, 5 << 30] {
            let (head, tail) = samples::mp4_parts(3840, 2160, 600_000, mdat_len);
            let reader = BlockReader::new(Sparse {
                head,
                gap: mdat_len,
                tail,
            });
            let meta = probe_cached(&reader, MediaType::Mp4).await?;
            assert_eq!(meta, video(3840, 2160, 600_000));
            eprintln!(
                "{mdat_len}-byte mdat, moov at end: fetched {} bytes in {} requests",
                reader.bytes_fetched(),
                reader.requests()
            );
            assert!(reader.bytes_fetched() < 300 * 1024);
        }
        Ok(())
    }

    #[tokio::test]
    async fn picks_the_largest_video_track_among_others() -> Result<(), ProbeError> {
        let moov = movie(
            5_000,
            &[
                track(1, b"soun", 0, 0, 5_000),
                track(2, b"vide", 160, 90, 5_000),
                track(3, b"vide", 640, 360, 5_000),
                track(4, b"text", 640, 480, 5_000),
            ],
        );
        assert_eq!(probe_bytes(with_ftyp(moov)).await?, video(640, 360, 5_000));
        Ok(())
    }

    /// `mvhd` version 1 with a 64-bit duration at timescale 600.
    fn mvhd_v1(duration: u64) -> Vec<u8> {
        let mut body = vec![1, 0, 0, 0];
        body.extend_from_slice(&[0; 16]);
        body.extend_from_slice(&600u32.to_be_bytes());
        body.extend_from_slice(&duration.to_be_bytes());
        body.extend_from_slice(&[0; 80]);
        mp4_box(b"mvhd", &body)
    }

    /// `tkhd` version 1 rotated by 90° (a phone's portrait video).
    fn tkhd_v1_rotated(width: u16, height: u16) -> Vec<u8> {
        let mut body = vec![1, 0, 0, 3];
        body.extend_from_slice(&[0; 48]);
        for value in [0u32, 0x0001_0000, 0, 0xFFFF_0000, 0, 0, 0, 0, 0x4000_0000] {
            body.extend_from_slice(&value.to_be_bytes());
        }
        body.extend_from_slice(&(u32::from(width) << 16).to_be_bytes());
        body.extend_from_slice(&(u32::from(height) << 16).to_be_bytes());
        mp4_box(b"tkhd", &body)
    }

    /// Replaces the first box of `kind` inside `data` (found by type) with `new`.
    fn replace_box(data: &[u8], kind: &[u8; 4], new: &[u8]) -> Vec<u8> {
        let at = data.windows(4).position(|w| w == kind).unwrap_or(4) - 4;
        let len = u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]) as usize;
        [&data[..at], new, &data[at + len..]].concat()
    }

    /// Rewrites the sizes of the enclosing boxes after an edit changed `delta` bytes.
    fn fix_sizes(data: &mut [u8], kinds: &[&[u8; 4]], delta: i64) {
        for kind in kinds {
            let at = data.windows(4).position(|w| w == *kind).unwrap_or(4) - 4;
            let old = u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
            let new = (i64::from(old) + delta) as u32;
            data[at..at + 4].copy_from_slice(&new.to_be_bytes());
        }
    }

    #[tokio::test]
    async fn reads_version_1_headers_and_rotation() -> Result<(), ProbeError> {
        let moov = movie(1, &[track(1, b"vide", 1920, 1080, 1)]);
        let moov = replace_box(&moov, b"mvhd", &mvhd_v1(600 * 3_600 * 24 * 365));
        let mut moov = replace_box(&moov, b"tkhd", &tkhd_v1_rotated(1920, 1080));
        // Version 1 adds 12 bytes to each of mvhd and tkhd.
        fix_sizes(&mut moov, &[b"moov"], 24);
        fix_sizes(&mut moov, &[b"trak"], 12);
        let year_ms = 1000 * 3_600 * 24 * 365;
        assert_eq!(
            probe_bytes(with_ftyp(moov)).await?,
            video(1080, 1920, year_ms)
        );
        Ok(())
    }

    #[tokio::test]
    async fn falls_back_to_fragment_and_track_durations() -> Result<(), ProbeError> {
        let unknown = movie(
            0,
            &[track(1, b"vide", 320, 240, 0), track(2, b"soun", 0, 0, 0)],
        );
        let meta = probe_bytes(with_ftyp(unknown.clone())).await?;
        assert_eq!((meta.width, meta.duration_ms), (Some(320), None));

        let by_track = movie(
            0,
            &[
                track(1, b"vide", 320, 240, 4_000),
                track(2, b"soun", 0, 0, 4_500),
            ],
        );
        assert_eq!(
            probe_bytes(with_ftyp(by_track)).await?.duration_ms,
            Some(4_500)
        );

        let mehd = mp4_box(b"mehd", &[&[0u8; 4][..], &7_250u32.to_be_bytes()].concat());
        let fragmented = mp4_box(b"moov", &[&unknown[8..], &mp4_box(b"mvex", &mehd)].concat());
        assert_eq!(
            probe_bytes(with_ftyp(fragmented)).await?.duration_ms,
            Some(7_250)
        );
        Ok(())
    }

    #[tokio::test]
    async fn tolerates_quicktime_terminators_and_boxes_to_the_end() -> Result<(), ProbeError> {
        let moov = movie(2_000, &[track(1, b"vide", 720, 576, 2_000)]);
        let mut terminated = [moov.as_slice(), &[0, 0, 0, 0]].concat();
        fix_sizes(&mut terminated, &[b"moov"], 4);
        let qt = [
            b"\0\0\0\x08wide".as_slice(),
            &mp4_box(b"mdat", &[0; 100]),
            &terminated,
        ]
        .concat();
        assert_eq!(probe_bytes(qt).await?, video(720, 576, 2_000));

        let mut to_end = with_ftyp(moov);
        let moov_at = to_end.windows(4).position(|w| w == b"moov").unwrap_or(4) - 4;
        to_end[moov_at..moov_at + 4].fill(0);
        assert_eq!(probe_bytes(to_end).await?, video(720, 576, 2_000));
        Ok(())
    }

    #[tokio::test]
    async fn bad_boxes_are_malformed_not_loops() {
        let good = samples::mp4(64, 64, 1_000, true, 100);
        let mdat_at = good.windows(4).position(|w| w == b"mdat").unwrap_or(4) - 4;
        let with_mdat_size = |size: &[u8]| {
            let mut data = good.clone();
            data[mdat_at..mdat_at + size.len()].copy_from_slice(size);
            data
        };
        let mut tiny_boxes = samples::mp4_parts(1, 1, 1, 0).0;
        for _ in 0..10_000 {
            tiny_boxes.extend_from_slice(b"\0\0\0\x08free");
        }
        let no_mvhd = with_ftyp(mp4_box(b"moov", &mp4_box(b"udta", &[])));
        let mut short_hdlr = with_ftyp(movie(1, &[track(1, b"vide", 1, 1, 1)]));
        let hdlr_at = short_hdlr
            .windows(4)
            .position(|w| w == b"hdlr")
            .unwrap_or(4)
            - 4;
        short_hdlr[hdlr_at..hdlr_at + 4].copy_from_slice(&16u32.to_be_bytes());
        let cases = [
            with_mdat_size(&0u32.to_be_bytes()), // to the end: moov swallowed
            with_mdat_size(&4u32.to_be_bytes()), // smaller than its header
            with_mdat_size(&u32::MAX.to_be_bytes()), // past the end
            with_mdat_size(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8]), // largesize < 16
            with_mdat_size(&[0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            good[..good.len() - 10].to_vec(),
            good[..mdat_at].to_vec(),
            tiny_boxes,
            no_mvhd,
            short_hdlr,
            b"\0\0\0\x18ftypisom".to_vec(),
            Vec::new(),
        ];
        for (i, data) in cases.into_iter().enumerate() {
            let result = probe_bytes(data).await;
            assert!(
                matches!(result, Err(ProbeError::Malformed(_))),
                "case {i}: {result:?}"
            );
        }
    }
}
