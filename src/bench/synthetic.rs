//! A synthetic MP4 of any size (header, `mdat` of pseudo-random bytes, `moov` at the end) that
//! is generated on the fly at any offset, so a benchmark can upload gigabytes without holding
//! them in memory or on disk.

use bytes::Bytes;
use futures::Stream;
use sha2::{Digest, Sha256};

use crate::media::samples;

pub struct SyntheticVideo {
    header: Vec<u8>,
    mdat_len: u64,
    trailer: Vec<u8>,
}

const CHUNK: u64 = 256 * 1024;

impl SyntheticVideo {
    /// A moov-at-end MP4 of (about) `total` bytes.
    pub fn new(total: u64) -> Self {
        let (header, trailer) = samples::mp4_parts(1920, 1080, 600_000, 0);
        let overhead = (header.len() + trailer.len()) as u64 + 8;
        let mdat_len = total.saturating_sub(overhead);
        let (header, trailer) = samples::mp4_parts(1920, 1080, 600_000, mdat_len);
        Self {
            header,
            mdat_len,
            trailer,
        }
    }

    pub fn len(&self) -> u64 {
        self.header.len() as u64 + self.mdat_len + self.trailer.len() as u64
    }

    /// Fill `buf` with the bytes at `offset`.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) {
        let header_len = self.header.len() as u64;
        let trailer_start = header_len + self.mdat_len;
        let mut i = 0;
        while i < buf.len() {
            let pos = offset + i as u64;
            if pos < header_len {
                buf[i] = self.header[pos as usize];
                i += 1;
            } else if pos < trailer_start {
                // Whole 8-byte words of noise at a time where they fit.
                let word = noise_word(pos / 8).to_le_bytes();
                let within = (pos % 8) as usize;
                let n = (8 - within)
                    .min(buf.len() - i)
                    .min((trailer_start - pos) as usize);
                buf[i..i + n].copy_from_slice(&word[within..within + n]);
                i += n;
            } else {
                buf[i] = self
                    .trailer
                    .get((pos - trailer_start) as usize)
                    .copied()
                    .unwrap_or(0);
                i += 1;
            }
        }
    }

    /// The bytes of `start..end` as a stream of 256 KiB chunks.
    pub fn stream(
        &self,
        start: u64,
        end: u64,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        let me = SyntheticVideo {
            header: self.header.clone(),
            mdat_len: self.mdat_len,
            trailer: self.trailer.clone(),
        };
        futures::stream::unfold(start, move |pos| {
            let chunk = if pos >= end {
                None
            } else {
                let len = CHUNK.min(end - pos) as usize;
                let mut buf = vec![0u8; len];
                me.read_at(pos, &mut buf);
                Some((Ok(Bytes::from(buf)), pos + len as u64))
            };
            futures::future::ready(chunk)
        })
    }

    pub fn sha256(&self) -> [u8; 32] {
        self.sha256_of(0, self.len())
    }

    /// SHA-256 of bytes `start..end`.
    pub fn sha256_of(&self, start: u64, end: u64) -> [u8; 32] {
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; CHUNK as usize];
        let mut pos = start;
        while pos < end {
            let len = CHUNK.min(end - pos) as usize;
            self.read_at(pos, &mut buf[..len]);
            hasher.update(&buf[..len]);
            pos += len as u64;
        }
        hasher.finalize().into()
    }
}

/// Cheap position-addressable noise: splitmix64 of the 8-byte word index.
fn noise_word(index: u64) -> u64 {
    let mut z = index.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
