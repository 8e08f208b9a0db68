//! Bounds-checked reads of fixed-width fields from untrusted header bytes.
//!
//! Every format module decodes attacker-controlled bytes. Instead of indexing
//! (which panics when a header is shorter than it claims), each read goes
//! through [`Fields`], which turns a short buffer into a
//! [`ProbeError::Malformed`] naming the structure that was cut off.

use super::error::{ProbeError, ProbeResult};

/// A header buffer plus the name of the structure it holds, for error messages.
pub(super) struct Fields<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Fields<'a> {
    pub(super) fn new(buf: &'a [u8], what: &'static str) -> Self {
        Self { buf, what }
    }

    pub(super) fn bytes<const N: usize>(&self, at: usize) -> ProbeResult<[u8; N]> {
        at.checked_add(N)
            .and_then(|end| self.buf.get(at..end))
            .and_then(|slice| <[u8; N]>::try_from(slice).ok())
            .ok_or_else(|| ProbeError::malformed(format!("the {} is truncated", self.what)))
    }

    pub(super) fn u8(&self, at: usize) -> ProbeResult<u8> {
        self.bytes::<1>(at).map(|[b]| b)
    }

    pub(super) fn u16_be(&self, at: usize) -> ProbeResult<u16> {
        self.bytes(at).map(u16::from_be_bytes)
    }

    pub(super) fn u32_be(&self, at: usize) -> ProbeResult<u32> {
        self.bytes(at).map(u32::from_be_bytes)
    }

    pub(super) fn u64_be(&self, at: usize) -> ProbeResult<u64> {
        self.bytes(at).map(u64::from_be_bytes)
    }

    pub(super) fn u16_le(&self, at: usize) -> ProbeResult<u16> {
        self.bytes(at).map(u16::from_le_bytes)
    }

    pub(super) fn u32_le(&self, at: usize) -> ProbeResult<u32> {
        self.bytes(at).map(u32::from_le_bytes)
    }
}

/// `value` ticks of `1 / rate` seconds in milliseconds, rounded to nearest.
/// `None` when the rate is zero. Computed in 128 bits, so it cannot overflow.
pub(super) fn ticks_to_ms(value: u64, rate: u64) -> Option<u64> {
    if rate == 0 {
        return None;
    }
    let ms = (u128::from(value) * 1000 + u128::from(rate) / 2) / u128::from(rate);
    u64::try_from(ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_reports_truncation() {
        let f = Fields::new(&[0x12, 0x34, 0x56, 0x78], "test header");
        assert_eq!(f.u16_be(0).ok(), Some(0x1234));
        assert_eq!(f.u16_le(2).ok(), Some(0x7856));
        assert_eq!(f.u32_be(0).ok(), Some(0x1234_5678));
        let err = f.u32_be(1).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("the test header is truncated"));
        assert!(f.u8(usize::MAX).is_err());
    }

    #[test]
    fn converts_ticks_with_rounding() {
        assert_eq!(ticks_to_ms(44_100, 44_100), Some(1000));
        assert_eq!(ticks_to_ms(1, 3), Some(333));
        assert_eq!(ticks_to_ms(1, 3_000), Some(0));
        assert_eq!(ticks_to_ms(2, 3_000), Some(1));
        assert_eq!(ticks_to_ms(u64::MAX, 1), None);
        assert_eq!(ticks_to_ms(5, 0), None);
    }
}
