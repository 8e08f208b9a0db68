//! Sample uploads, from start to verdict (PRODUCT.md, "Samples").
//!
//! `start` checks the declaration and hands out a presigned create-only PUT, or the plan of
//! parts; `sign_parts` presigns parts with their SHA-256s signed in; `resume` lists what the
//! store already has and what is left; `complete`
//! assembles the parts and proves the stored object is what was declared — size, SHA-256, real
//! type sniffed from its first bytes — reads its metadata from headers only, and records the
//! verdict. A rejected object is deleted.

mod assemble;
mod begin;
mod complete;
pub mod download;
pub mod files;
mod label_copy;
mod sign_parts;
mod start;
mod stored_object;
mod verify;

pub use assemble::ListedPart;
pub use begin::{begin_deliverable, begin_sample};
pub use complete::{VERIFY_LEASE, complete, discard};
pub use sign_parts::{PartChecksum, PartInstruction, SignParts, SignedParts, sign_parts};
pub use start::{
    PlannedPart, StartUpload, UploadFor, UploadInstructions, closed_for, resume, start,
};
pub use stored_object::StoredObject;

use crate::error::Code;
use crate::media::MediaType;

/// Why a stored object is not the declared file. `code` is stable; `reason` is for people.
pub(crate) struct Rejection {
    pub code: Code,
    pub reason: String,
    pub detected: Option<MediaType>,
}

impl Rejection {
    pub fn new(code: Code, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
            detected: None,
        }
    }
    pub fn detected(code: Code, reason: impl Into<String>, media: MediaType) -> Self {
        Self {
            code,
            reason: reason.into(),
            detected: Some(media),
        }
    }
}
