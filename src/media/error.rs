//! The one error type every probe returns.
//!
//! Two causes matter to a caller: the store could not be read (retry later,
//! an operator problem) or the bytes are not what they claim to be (reject the
//! upload, a customer problem). Messages of the second kind are written so
//! they can be shown to the customer.

/// Why a probe gave no metadata.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The object store failed; produced by a [`RangeRead`](super::RangeRead) implementation.
    #[error("could not read the stored object: {0}")]
    Read(String),
    /// The headers are truncated, inconsistent or too large to inspect.
    #[error("{0}")]
    Malformed(String),
}

impl ProbeError {
    pub(super) fn malformed(message: impl Into<String>) -> Self {
        Self::Malformed(message.into())
    }
}

/// Shorthand used by the format modules.
pub(super) type ProbeResult<T> = Result<T, ProbeError>;
