//! A labeled file as a recipe over the original: copy these ranges of it, insert these bytes
//! between them. The format modules work out the recipe from the headers alone; [`Splice::
//! write_to`] then streams the original through in bounded chunks, so a 2 GiB video is never
//! held in memory.

use bytes::Bytes;

use crate::media::{ProbeError, RangeRead};

/// How much of the original one read fetches while streaming.
pub const CHUNK: u64 = 4 * 1024 * 1024;

/// One step of the recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// `len` bytes of the original from `offset`.
    Copy { offset: u64, len: u64 },
    /// New bytes.
    Insert(Bytes),
}

/// The recipe for one labeled file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Splice {
    pieces: Vec<Piece>,
}

impl Splice {
    pub fn copy(&mut self, offset: u64, len: u64) -> &mut Self {
        if len > 0 {
            self.pieces.push(Piece::Copy { offset, len });
        }
        self
    }

    pub fn insert(&mut self, bytes: impl Into<Bytes>) -> &mut Self {
        let bytes = bytes.into();
        if !bytes.is_empty() {
            self.pieces.push(Piece::Insert(bytes));
        }
        self
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// The labeled file's length.
    pub fn len(&self) -> u64 {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Copy { len, .. } => *len,
                Piece::Insert(bytes) => bytes.len() as u64,
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Write the labeled file to `out`, reading the original from `source` at most [`CHUNK`]
    /// bytes at a time.
    pub async fn write_to(
        &self,
        source: &impl RangeRead,
        out: &mut impl ChunkSink,
    ) -> Result<(), SpliceError> {
        for piece in &self.pieces {
            match piece {
                Piece::Insert(bytes) => out.put(bytes).await?,
                Piece::Copy { offset, len } => {
                    let end = offset.saturating_add(*len);
                    let mut at = *offset;
                    while at < end {
                        let want = (end - at).min(CHUNK);
                        let got = source.read_range(at, want).await?;
                        if got.is_empty() {
                            return Err(SpliceError::Read(ProbeError::Malformed(
                                "the original ended early".into(),
                            )));
                        }
                        out.put(&got).await?;
                        at += got.len() as u64;
                    }
                }
            }
        }
        Ok(())
    }

    /// The labeled file in memory (small files, tests).
    pub async fn to_vec(&self, source: &impl RangeRead) -> Result<Vec<u8>, SpliceError> {
        let mut out = Vec::new();
        self.write_to(source, &mut out).await?;
        Ok(out)
    }
}

/// Where a labeled file goes, a chunk at a time: memory, or an object being written.
// Native `async fn` in a trait, as `RangeRead`: only ever used with concrete types.
#[allow(async_fn_in_trait)]
pub trait ChunkSink {
    async fn put(&mut self, chunk: &[u8]) -> Result<(), SpliceError>;
}

impl ChunkSink for Vec<u8> {
    async fn put(&mut self, chunk: &[u8]) -> Result<(), SpliceError> {
        self.extend_from_slice(chunk);
        Ok(())
    }
}

impl ChunkSink for crate::storage::streamed::StreamedObject<'_> {
    async fn put(&mut self, chunk: &[u8]) -> Result<(), SpliceError> {
        self.write(chunk)
            .await
            .map_err(|e| SpliceError::Write(e.to_string()))
    }
}

/// Streaming failed: the original could not be read, or the output not written.
#[derive(Debug, thiserror::Error)]
pub enum SpliceError {
    #[error(transparent)]
    Read(#[from] ProbeError),
    #[error("could not write the labeled file: {0}")]
    Write(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn copies_and_inserts_in_order_and_skips_empty_pieces() {
        let original = Bytes::from_static(b"0123456789");
        let mut splice = Splice::default();
        splice
            .copy(0, 2)
            .insert(Bytes::from_static(b"ab"))
            .copy(5, 0)
            .copy(6, 4)
            .insert(Vec::new());
        assert_eq!(splice.pieces().len(), 3);
        assert_eq!(splice.len(), 8);
        assert_eq!(splice.to_vec(&original).await.unwrap(), b"01ab6789");
    }

    #[tokio::test]
    async fn a_range_past_the_end_is_an_error_not_a_short_file() {
        let original = Bytes::from_static(b"0123");
        let mut splice = Splice::default();
        splice.copy(2, 10);
        assert!(splice.to_vec(&original).await.is_err());
    }
}
