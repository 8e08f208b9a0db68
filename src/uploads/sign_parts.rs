//! Presigned part uploads, each with the part's SHA-256 signed in.
//!
//! The client names the parts it is about to send and the SHA-256 of each; every URL it gets
//! back carries that checksum as a signed header, so the store itself refuses a part whose
//! bytes changed on the way (the client sends that part again) instead of the damage showing
//! only when the whole file is checked at completion. The client may sign parts in batches,
//! as it hashes them, and sign a part again to re-send it.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::start::{plan_of, touch_open};
use crate::db::{self, samples::SampleRow};
use crate::domain::sample::{self, UploadMode};
use crate::error::{AppError, AppResult, Code};
use crate::state::AppState;
use crate::storage::PresignedRequest;

/// Most parts signed by one request.
pub const MAX_PARTS_PER_REQUEST: usize = 1000;

/// The parts a client is about to upload.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignParts {
    /// 1 to 1,000 parts, each once.
    pub parts: Vec<PartChecksum>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartChecksum {
    pub part_number: u32,
    /// SHA-256 of exactly this part's bytes, 64 hex digits.
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartInstruction {
    pub part_number: u32,
    /// Bytes this part must carry.
    pub size: u64,
    /// PUT the part here with exactly these headers (the SHA-256 is one of them).
    pub request: PresignedRequest,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignedParts {
    pub expires_at: DateTime<Utc>,
    pub parts: Vec<PartInstruction>,
}

pub async fn sign_parts(
    state: &AppState,
    row: &SampleRow,
    req: SignParts,
) -> AppResult<SignedParts> {
    let plan = plan_of(row)?;
    if plan.mode != UploadMode::Multipart {
        return Err(AppError::conflict(
            Code::NotMultipart,
            "this upload is one PUT; use the URL given when it started (GET the upload for a fresh one)",
        ));
    }
    let parts = checked(&req, plan.part_count)?;
    touch_open(state, row, &plan).await?;
    let upload_id = row
        .multipart_upload_id
        .as_deref()
        .ok_or_else(|| AppError::internal("multipart sample has no upload id"))?;

    let ttl = Duration::from_secs(state.settings.uploads.url_ttl_secs);
    let expires_at =
        db::now() + chrono::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(900));
    let size = u64::try_from(row.declared_size).map_err(AppError::internal)?;
    let mut signed = Vec::with_capacity(parts.len());
    for (number, sha256) in parts {
        let request = state
            .store
            .presign_part(&row.object_key, upload_id, number, Some(&sha256), ttl)
            .await?;
        signed.push(PartInstruction {
            part_number: number,
            size: sample::expected_part_size(&plan, size, number),
            request,
        });
    }
    Ok(SignedParts {
        expires_at,
        parts: signed,
    })
}

/// Each part once, within the plan, with a well-formed SHA-256.
fn checked(req: &SignParts, part_count: u32) -> AppResult<Vec<(u32, [u8; 32])>> {
    if req.parts.is_empty() || req.parts.len() > MAX_PARTS_PER_REQUEST {
        return Err(AppError::unprocessable(
            Code::InvalidPartList,
            format!("sign 1 to {MAX_PARTS_PER_REQUEST} parts per request"),
        ));
    }
    let mut seen = BTreeSet::new();
    req.parts
        .iter()
        .map(|part| {
            if !(1..=part_count).contains(&part.part_number) {
                return Err(AppError::unprocessable(
                    Code::InvalidPartNumber,
                    format!(
                        "part {} is not one of this upload's parts 1 to {part_count}",
                        part.part_number
                    ),
                ));
            }
            if !seen.insert(part.part_number) {
                return Err(AppError::unprocessable(
                    Code::InvalidPartList,
                    format!("part {} is listed twice", part.part_number),
                ));
            }
            let sha256 = sample::parse_sha256_hex(&part.sha256).ok_or_else(|| {
                AppError::unprocessable(
                    Code::InvalidSha256,
                    format!(
                        "part {}: sha256 must be 64 hexadecimal digits",
                        part.part_number
                    ),
                )
            })?;
            Ok((part.part_number, sha256))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(n: u32, sha: &str) -> PartChecksum {
        PartChecksum {
            part_number: n,
            sha256: sha.to_owned(),
        }
    }

    #[test]
    fn parts_are_checked_against_the_plan() {
        let sha = "ab".repeat(32);
        let ok = SignParts {
            parts: vec![part(1, &sha), part(3, &sha)],
        };
        assert_eq!(checked(&ok, 3).unwrap().len(), 2);
        let code = |req: SignParts| match checked(&req, 3) {
            Err(AppError::Unprocessable { code, .. }) => code,
            other => panic!("expected a refusal, got {:?}", other.map(|v| v.len())),
        };
        assert_eq!(code(SignParts { parts: vec![] }), Code::InvalidPartList);
        assert_eq!(
            code(SignParts {
                parts: vec![part(4, &sha)]
            }),
            Code::InvalidPartNumber
        );
        assert_eq!(
            code(SignParts {
                parts: vec![part(0, &sha)]
            }),
            Code::InvalidPartNumber
        );
        assert_eq!(
            code(SignParts {
                parts: vec![part(2, &sha), part(2, &sha)]
            }),
            Code::InvalidPartList
        );
        assert_eq!(
            code(SignParts {
                parts: vec![part(1, "xyz")]
            }),
            Code::InvalidSha256
        );
    }
}
