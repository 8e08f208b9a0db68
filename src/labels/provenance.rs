//! The public check: did this studio produce the file with this SHA-256? Anyone — a platform
//! asked to host a likeness, a relative who was sent one — may ask, with the file's SHA-256
//! only (the file itself never needs to leave their hands). The answer says whether the studio
//! delivered a file with exactly these bytes and, if so, its content id: what the label inside
//! the file already says, never who ordered it or for whom.

use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::domain::sample::parse_sha256_hex;
use crate::error::{AppError, AppResult, Code};

/// What the studio can say about a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Provenance {
    /// The SHA-256 asked about (hex, lower case).
    pub sha256: String,
    /// This studio delivered a file with exactly these bytes.
    pub produced_here: bool,
    /// The content id inside that file (GB 45438 `ProduceID`), when produced here.
    pub content_id: Option<String>,
}

/// Look the SHA-256 up among the labeled copies this studio made (400 `invalid_sha256` for
/// anything but 64 hex digits).
pub async fn by_sha256(db: &DatabaseConnection, sha256: &str) -> AppResult<Provenance> {
    let digest = parse_sha256_hex(sha256).ok_or_else(|| {
        AppError::bad_request(Code::InvalidSha256, "a SHA-256 is 64 hexadecimal digits")
    })?;
    let sha256 = hex::encode(digest);
    let found = db::deliverables::by_labeled_sha256(db, &sha256).await?;
    Ok(Provenance {
        produced_here: found.is_some(),
        content_id: found.map(|d| d.content_id),
        sha256,
    })
}
