//! Ranged access to a stored object, and the block cache every probe reads through.
//!
//! Header parsers ask for many tiny pieces (an 8-byte box header here, a
//! 4-byte field there). Sent one by one to S3, each would be a round trip and
//! a billed request. [`BlockReader`] rounds every read out to aligned blocks
//! (64 KiB by default), fetches missing neighbouring blocks in one request and
//! serves later reads from memory, so probing a typical file costs one to four
//! requests. It also caps the bytes one probe may fetch: a crafted file whose
//! headers send the parser all over a 10 GiB object fails fast with
//! [`ProbeError::Malformed`] instead of downloading it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};

use super::error::{ProbeError, ProbeResult};

/// Random access to an object of known size, e.g. S3 `GetObject` with a `Range` header.
// Native `async fn` in a public trait: callers cannot add a `Send` bound to the
// returned future, which the lint warns about. Probes are only ever called
// with concrete reader types (static dispatch), and then the compiler sees
// the concrete future, so a `Send` reader gives a `Send` probe.
#[allow(async_fn_in_trait)]
pub trait RangeRead {
    /// Total object size in bytes.
    fn size(&self) -> u64;
    /// Read `len` bytes starting at `offset` (fewer only at end of object).
    async fn read_range(&self, offset: u64, len: u64) -> Result<Bytes, ProbeError>;
}

impl<R: RangeRead + ?Sized> RangeRead for &R {
    fn size(&self) -> u64 {
        (**self).size()
    }

    async fn read_range(&self, offset: u64, len: u64) -> Result<Bytes, ProbeError> {
        (**self).read_range(offset, len).await
    }
}

/// An object held in memory: for tests, fixtures and benchmarks.
impl RangeRead for Bytes {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    async fn read_range(&self, offset: u64, len: u64) -> Result<Bytes, ProbeError> {
        let (start, end) = clamp_range(offset, len, self.size());
        // Both bounds are at most `self.len()`, so they fit in usize.
        Ok(self.slice(start as usize..end as usize))
    }
}

/// `[offset, offset + len)` clipped to an object of `size` bytes.
fn clamp_range(offset: u64, len: u64, size: u64) -> (u64, u64) {
    let start = offset.min(size);
    let end = offset.saturating_add(len).min(size);
    (start, end)
}

/// Reads exactly `len` bytes or fails with "the {what} is truncated".
pub(super) async fn read_exact(
    reader: &impl RangeRead,
    offset: u64,
    len: u64,
    what: &str,
) -> ProbeResult<Bytes> {
    let bytes = reader.read_range(offset, len).await?;
    if (bytes.len() as u64) < len {
        return Err(ProbeError::malformed(format!("the {what} is truncated")));
    }
    Ok(bytes)
}

/// A caching, budgeted [`RangeRead`] over another one. See the module docs.
pub struct BlockReader<R> {
    inner: R,
    block_len: u64,
    budget: u64,
    blocks: Mutex<BTreeMap<u64, Bytes>>,
    fetched: AtomicU64,
    requests: AtomicU64,
}

impl<R: RangeRead> BlockReader<R> {
    /// Size of the aligned blocks fetched by [`BlockReader::new`].
    pub const DEFAULT_BLOCK_LEN: u64 = 64 * 1024;
    /// Most bytes one probe may fetch with [`BlockReader::new`].
    pub const DEFAULT_BUDGET: u64 = 4 * 1024 * 1024;

    /// Wraps `inner` with 64 KiB blocks and a 4 MiB budget.
    pub fn new(inner: R) -> Self {
        Self::with_limits(inner, Self::DEFAULT_BLOCK_LEN, Self::DEFAULT_BUDGET)
    }

    /// Wraps `inner` with custom limits; `block_len` is raised to at least 1 byte.
    pub fn with_limits(inner: R, block_len: u64, budget: u64) -> Self {
        Self {
            inner,
            block_len: block_len.max(1),
            budget,
            blocks: Mutex::new(BTreeMap::new()),
            fetched: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    /// Bytes fetched from the inner reader so far.
    pub fn bytes_fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }

    /// Requests sent to the inner reader so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    async fn read_cached(&self, offset: u64, len: u64) -> ProbeResult<Bytes> {
        let (start, end) = clamp_range(offset, len, self.size());
        if start == end {
            return Ok(Bytes::new());
        }
        if end - start > self.budget {
            return Err(too_large());
        }
        let first = start / self.block_len;
        let last = (end - 1) / self.block_len;
        self.fetch_missing(first, last).await?;
        self.assemble(start, end, first, last)
    }

    /// Fetches every uncached block in `first..=last`, one request per run of
    /// consecutive missing blocks.
    async fn fetch_missing(&self, first: u64, last: u64) -> ProbeResult<()> {
        let mut block = first;
        while block <= last {
            if self.is_cached(block) {
                block += 1;
                continue;
            }
            let mut run_end = block;
            while run_end < last && !self.is_cached(run_end + 1) {
                run_end += 1;
            }
            self.fetch_run(block, run_end).await?;
            block = run_end + 1;
        }
        Ok(())
    }

    async fn fetch_run(&self, first: u64, last: u64) -> ProbeResult<()> {
        let start = first.saturating_mul(self.block_len);
        let end = last
            .saturating_add(1)
            .saturating_mul(self.block_len)
            .min(self.size());
        let want = end.saturating_sub(start);
        self.charge(want)?;
        let data = self.inner.read_range(start, want).await?;
        if (data.len() as u64) < want {
            return Err(ProbeError::Read(format!(
                "the store returned {} bytes at offset {start} where {want} were expected",
                data.len()
            )));
        }
        self.store_blocks(first, data.slice(..want as usize));
        Ok(())
    }

    /// Counts `len` more bytes against the budget, or refuses.
    fn charge(&self, len: u64) -> ProbeResult<()> {
        self.fetched
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |done| {
                done.checked_add(len).filter(|total| *total <= self.budget)
            })
            .map_err(|_| too_large())?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn store_blocks(&self, first: u64, data: Bytes) {
        let block_len = usize::try_from(self.block_len).unwrap_or(usize::MAX);
        let mut blocks = self.lock();
        let mut index = first;
        let mut at = 0;
        while at < data.len() {
            let end = at.saturating_add(block_len).min(data.len());
            blocks.insert(index, data.slice(at..end));
            index += 1;
            at = end;
        }
    }

    /// Copies `[start, end)` out of cached blocks `first..=last`; zero-copy
    /// when the range sits inside one block.
    fn assemble(&self, start: u64, end: u64, first: u64, last: u64) -> ProbeResult<Bytes> {
        let blocks = self.lock();
        let mut out = BytesMut::new();
        for index in first..=last {
            let block = blocks.get(&index).ok_or_else(|| missing_block(index))?;
            let block_start = index * self.block_len;
            let from = start.saturating_sub(block_start).min(block.len() as u64) as usize;
            let to = (end - block_start).min(block.len() as u64) as usize;
            let piece = block.slice(from..to.max(from));
            if first == last {
                return Ok(piece);
            }
            out.extend_from_slice(&piece);
        }
        Ok(out.freeze())
    }

    fn is_cached(&self, block: u64) -> bool {
        self.lock().contains_key(&block)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Bytes>> {
        // A poisoned lock only means another reader panicked mid-insert; the
        // map itself is still consistent (inserts are single operations).
        self.blocks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn too_large() -> ProbeError {
    ProbeError::malformed("media headers are too large to inspect")
}

fn missing_block(index: u64) -> ProbeError {
    ProbeError::Read(format!("block {index} vanished from the cache"))
}

impl<R: RangeRead> RangeRead for BlockReader<R> {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    async fn read_range(&self, offset: u64, len: u64) -> Result<Bytes, ProbeError> {
        self.read_cached(offset, len).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(len: usize) -> Bytes {
        (0..len)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>()
            .into()
    }

    #[tokio::test]
    async fn in_memory_reads_clip_at_the_end() {
        let data = object(10);
        assert_eq!(data.read_range(8, 5).await.ok().map(|b| b.len()), Some(2));
        assert_eq!(data.read_range(20, 5).await.ok().map(|b| b.len()), Some(0));
        assert_eq!(
            data.read_range(u64::MAX, u64::MAX)
                .await
                .ok()
                .map(|b| b.len()),
            Some(0)
        );
    }

    #[tokio::test]
    async fn serves_small_reads_from_few_block_requests() -> Result<(), ProbeError> {
        let data = object(10_000);
        let reader = BlockReader::with_limits(&data, 1024, 1 << 20);
        for offset in (0..3000).step_by(7) {
            let got = reader.read_range(offset, 8).await?;
            assert_eq!(got, data.slice(offset as usize..offset as usize + 8));
        }
        assert_eq!(reader.requests(), 3);
        assert_eq!(reader.bytes_fetched(), 3072);
        Ok(())
    }

    #[tokio::test]
    async fn reads_across_blocks_and_up_to_the_end() -> Result<(), ProbeError> {
        let data = object(5000);
        let reader = BlockReader::with_limits(&data, 1024, 1 << 20);
        assert_eq!(reader.read_range(1000, 100).await?, data.slice(1000..1100));
        assert_eq!(reader.read_range(4090, 100).await?, data.slice(4090..4190));
        assert_eq!(reader.read_range(4990, 100).await?, data.slice(4990..5000));
        assert_eq!(reader.read_range(0, 5000).await?, data);
        assert_eq!(reader.bytes_fetched(), 5000);
        assert_eq!(reader.read_range(6000, 10).await?.len(), 0);
        Ok(())
    }

    #[tokio::test]
    async fn refuses_to_fetch_past_its_budget() {
        let data = object(10_000);
        let reader = BlockReader::with_limits(&data, 1024, 4096);
        assert!(reader.read_range(0, 4096).await.is_ok());
        let err = reader.read_range(9000, 1).await.err();
        assert!(matches!(err, Some(ProbeError::Malformed(m)) if m.contains("too large")));
        assert_eq!(reader.bytes_fetched(), 4096);
    }

    struct ShortReader;

    impl RangeRead for ShortReader {
        fn size(&self) -> u64 {
            100
        }
        async fn read_range(&self, _offset: u64, _len: u64) -> Result<Bytes, ProbeError> {
            Ok(Bytes::from_static(b"abc"))
        }
    }

    #[tokio::test]
    async fn a_short_read_mid_object_is_a_read_error() {
        let reader = BlockReader::new(ShortReader);
        assert!(matches!(
            reader.read_range(0, 10).await,
            Err(ProbeError::Read(_))
        ));
    }
}
