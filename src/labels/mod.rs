//! Labels that travel with the file (issue 16): the GB 45438-2025 implicit label — the `AIGC`
//! entry, in an XMP packet — written into a deliverable's own bytes, and read back from them.
//!
//! Each supported container keeps XMP in its own standard place: a JPEG `APP1` segment, a PNG
//! `iTXt` chunk, the top-level XMP `uuid` box of MP4/MOV/M4A, a WAV `_PMX` chunk, an MP3's ID3v2
//! `PRIV` frame owned by `XMP`. [`plan`] reads only headers (through the media module's
//! budgeted ranged reads) and returns a [`Splice`]: the original's byte ranges with the new
//! packet between them, replacing a packet already there. Nothing before the insertion point
//! moves, and nothing after it is rewritten except the few size fields a container keeps
//! (RIFF, ID3): sample offsets inside MP4 stay valid because the box goes after everything
//! else. [`read`] finds the label again in a file's bytes. Other formats (WebP, FLAC, PDF) are
//! refused with [`LabelError::Unsupported`].

mod aigc;
pub mod file_check;
mod id3;
mod isobmff;
mod jpeg;
mod png;
pub mod provenance;
mod riff;
mod splice;
mod stored;

pub use aigc::{AigcLabel, GENERATED, NAMESPACE, from_xmp};
pub use splice::{CHUNK, ChunkSink, Piece, Splice, SpliceError};
pub use stored::{CopyError, write_labeled_copy};

use crate::media::{BlockReader, MediaType, ProbeError, RangeRead};

/// Why a file cannot be labeled or read.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// The format has no place for the label here.
    #[error(
        "files of type {0} cannot carry the label; deliver JPEG, PNG, MP4, MOV, M4A, WAV or MP3"
    )]
    Unsupported(&'static str),
    /// The headers are not what the format says, or leave no room for the label.
    #[error("{0}")]
    Malformed(String),
    /// The store could not be read.
    #[error(transparent)]
    Read(#[from] ProbeError),
}

impl LabelError {
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::Malformed(message.into())
    }
}

type LabelResult<T> = Result<T, LabelError>;

/// The recipe for `source` (of type `media`) carrying `label`.
pub async fn plan(
    media: MediaType,
    source: &impl RangeRead,
    label: &AigcLabel,
) -> LabelResult<Splice> {
    let reader = BlockReader::new(source);
    match media {
        MediaType::Jpeg => jpeg::plan(&reader, label).await,
        MediaType::Png => png::plan(&reader, label).await,
        MediaType::Mp4 | MediaType::QuickTime | MediaType::M4a => {
            isobmff::plan(&reader, label).await
        }
        MediaType::Wav => riff::plan(&reader, label).await,
        MediaType::Mp3 => id3::plan(&reader, label).await,
        other => Err(LabelError::Unsupported(other.mime())),
    }
}

/// The label a file of type `media` carries, if any.
pub async fn read(media: MediaType, source: &impl RangeRead) -> LabelResult<Option<AigcLabel>> {
    let reader = BlockReader::new(source);
    let packet = match media {
        MediaType::Jpeg => jpeg::packet(&reader).await?,
        MediaType::Png => png::packet(&reader).await?,
        MediaType::Mp4 | MediaType::QuickTime | MediaType::M4a => isobmff::packet(&reader).await?,
        MediaType::Wav => riff::packet(&reader).await?,
        MediaType::Mp3 => id3::packet(&reader).await?,
        other => return Err(LabelError::Unsupported(other.mime())),
    };
    Ok(packet.and_then(|p| from_xmp(&p)))
}

/// Exactly `len` bytes at `offset`, or "the {what} is truncated".
async fn read_exact(
    reader: &impl RangeRead,
    offset: u64,
    len: u64,
    what: &str,
) -> LabelResult<bytes::Bytes> {
    let bytes = reader.read_range(offset, len).await?;
    if (bytes.len() as u64) < len {
        return Err(LabelError::malformed(format!("the {what} is truncated")));
    }
    Ok(bytes)
}

fn be_u32(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
}

#[cfg(test)]
mod tests;
