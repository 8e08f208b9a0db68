//! Sample uploads, from start to verdict (PRODUCT.md, "Samples").
//!
//! `start` checks the declaration and hands out presigned URLs (one PUT, or one per part);
//! `resume` lists what the store already has and re-signs the rest; `complete` proves the stored
//! object is what was declared — size, SHA-256, real type sniffed from its first bytes — reads
//! its metadata from headers only, and records the verdict. A rejected object is deleted.

mod complete;
mod start;
mod stored_object;

pub use complete::{ListedPart, complete, discard};
pub use start::{PartInstruction, StartUpload, UploadInstructions, resume, start};
pub use stored_object::StoredObject;
