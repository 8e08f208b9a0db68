//! Sample rules (PRODUCT.md, "Samples"): which file types each kind accepts, how large a file
//! may be, how an upload is split into presigned parts, and what a declared SHA-256 looks like.

use crate::media::MediaType;

use super::order::{OrderStatus, string_enum};

string_enum!(
    /// What a sample is evidence of.
    SampleKind {
        Photo => "photo",
        Voice => "voice",
        Video => "video",
        Document => "document",
    }
);

string_enum!(
    /// Where a sample's upload stands. `purged` is never stored: it is how a file whose bytes
    /// were destroyed (the retention purge, an erasure) is shown — see [`shown_status`].
    SampleStatus {
        Uploading => "uploading",
        Verifying => "verifying",
        Verified => "verified",
        Rejected => "rejected",
        Aborted => "aborted",
        Purged => "purged",
    }
);

/// The status a file is shown with: `purged` once its bytes are destroyed, unless its upload
/// was rejected or aborted (it never held usable content, and why it failed stays readable).
pub fn shown_status(stored: SampleStatus, purged: bool) -> SampleStatus {
    match stored {
        SampleStatus::Rejected | SampleStatus::Aborted => stored,
        _ if purged => SampleStatus::Purged,
        _ => stored,
    }
}

string_enum!(
    /// One presigned PUT, or a multipart upload with presigned part URLs.
    UploadMode {
        Single => "single",
        Multipart => "multipart",
    }
);

string_enum!(
    /// What the studio delivers: a photo, voice recording or video (never a document).
    DeliverableKind {
        Photo => "photo",
        Voice => "voice",
        Video => "video",
    }
);

impl From<DeliverableKind> for SampleKind {
    fn from(kind: DeliverableKind) -> Self {
        match kind {
            DeliverableKind::Photo => Self::Photo,
            DeliverableKind::Voice => Self::Voice,
            DeliverableKind::Video => Self::Video,
        }
    }
}

impl SampleKind {
    /// The file types this kind accepts: only types whose metadata the server can read.
    pub fn accepts(self, media: MediaType) -> bool {
        use MediaType::*;
        match self {
            Self::Photo => matches!(media, Jpeg | Png | Webp),
            Self::Voice => matches!(media, Wav | Mp3 | Flac | M4a),
            Self::Video => matches!(media, Mp4 | QuickTime),
            Self::Document => matches!(media, Pdf | Jpeg | Png),
        }
    }
}

/// S3 allows at most this many parts in one multipart upload.
pub const MAX_PARTS: u64 = 10_000;
const MIB: u64 = 1024 * 1024;

/// How a file of a given size is uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadPlan {
    pub mode: UploadMode,
    pub part_size: u64,
    pub part_count: u32,
}

/// Where an upload goes multipart, and its smallest part (from the studio's `[uploads]`
/// settings: `UploadSettings::part_limits`).
#[derive(Debug, Clone, Copy)]
pub struct PartLimits {
    pub single_put_max_bytes: u64,
    pub min_part_bytes: u64,
}

/// Small files go in one PUT; large ones in parts of at least `min_part_bytes`, grown (in whole
/// MiB) until the file fits in S3's 10,000 parts.
pub fn plan_upload(size: u64, limits: PartLimits) -> UploadPlan {
    if size <= limits.single_put_max_bytes {
        return UploadPlan {
            mode: UploadMode::Single,
            part_size: size,
            part_count: 1,
        };
    }
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    let part_size = needed.max(limits.min_part_bytes);
    let part_count = u32::try_from(size.div_ceil(part_size)).unwrap_or(u32::MAX);
    UploadPlan {
        mode: UploadMode::Multipart,
        part_size,
        part_count,
    }
}

/// The expected size of part `number` (1-based) of a plan over `size` bytes.
pub fn expected_part_size(plan: &UploadPlan, size: u64, number: u32) -> u64 {
    let before = plan.part_size * u64::from(number.saturating_sub(1));
    size.saturating_sub(before).min(plan.part_size)
}

/// A declared SHA-256: 64 hex digits, normalised to lower case.
pub fn parse_sha256_hex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

string_enum!(
    /// Whose file an upload is: the customer's evidence, or the studio's delivery. Both go
    /// through the same verified upload path; they differ in who may upload, when, and where
    /// the object lives.
    UploadPurpose {
        Sample => "sample",
        Deliverable => "deliverable",
    }
);

impl UploadPurpose {
    /// Whether an order in `status` takes uploads of this purpose: samples until production
    /// starts, deliverables while the likeness is being produced and checked.
    pub fn open_for(self, status: OrderStatus) -> bool {
        match self {
            Self::Sample => status.accepts_samples(),
            Self::Deliverable => {
                matches!(
                    status,
                    OrderStatus::InProduction | OrderStatus::QualityCheck
                )
            }
        }
    }

    /// The audit action for `what` happening to an upload of this purpose.
    pub fn event(self, what: &str) -> String {
        format!("{}.{what}", self.as_str())
    }
}

/// Every object of an order lives under this prefix (erasure lists it to prove it empty).
pub fn order_prefix(order_id: uuid::Uuid) -> String {
    format!("orders/{order_id}/")
}

/// The key of a deliverable's labeled copy: beside the original, under the order's prefix (so
/// erasure finds it with everything else).
pub fn labeled_key(object_key: &str) -> String {
    format!("{object_key}.labeled")
}

/// Keys are generated from ids, never from anything a client sent.
pub fn object_key(purpose: UploadPurpose, order_id: uuid::Uuid, id: uuid::Uuid) -> String {
    let folder = match purpose {
        UploadPurpose::Sample => "samples",
        UploadPurpose::Deliverable => "deliverables",
    };
    format!("{}{folder}/{id}", order_prefix(order_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destroyed_files_show_as_purged_but_failed_uploads_keep_their_reason() {
        use SampleStatus::*;
        assert_eq!(shown_status(Verified, true), Purged);
        assert_eq!(shown_status(Uploading, true), Purged);
        assert_eq!(shown_status(Verified, false), Verified);
        assert_eq!(shown_status(Rejected, true), Rejected);
        assert_eq!(shown_status(Aborted, true), Aborted);
    }

    #[test]
    fn small_files_get_one_put() {
        let limits = crate::config::UploadSettings::default().part_limits();
        let plan = plan_upload(limits.single_put_max_bytes, limits);
        assert_eq!(plan.mode, UploadMode::Single);
        assert_eq!(plan.part_count, 1);
    }

    #[test]
    fn large_files_fit_in_ten_thousand_parts() {
        let limits = crate::config::UploadSettings::default().part_limits();
        for size in [
            limits.single_put_max_bytes + 1,
            10 * 1024 * MIB,
            200 * 1024 * MIB,
            5 * 1024 * 1024 * MIB,
        ] {
            let plan = plan_upload(size, limits);
            assert_eq!(plan.mode, UploadMode::Multipart);
            assert!(u64::from(plan.part_count) <= MAX_PARTS, "{size}: {plan:?}");
            assert!(plan.part_size >= limits.min_part_bytes);
            assert_eq!(plan.part_size % MIB, 0);
            assert!(plan.part_size * u64::from(plan.part_count) >= size);
            assert!(plan.part_size * u64::from(plan.part_count - 1) < size);
        }
    }

    #[test]
    fn last_part_holds_the_remainder() {
        let limits = crate::config::UploadSettings::default().part_limits();
        let size = 40 * MIB + 7;
        let plan = plan_upload(size, limits);
        assert_eq!((plan.part_size, plan.part_count), (16 * MIB, 3));
        assert_eq!(expected_part_size(&plan, size, 1), 16 * MIB);
        assert_eq!(expected_part_size(&plan, size, 3), 8 * MIB + 7);
    }

    #[test]
    fn kinds_accept_only_their_types() {
        assert!(SampleKind::Photo.accepts(MediaType::Jpeg));
        assert!(!SampleKind::Photo.accepts(MediaType::Mp4));
        assert!(!SampleKind::Voice.accepts(MediaType::Jpeg));
        assert!(SampleKind::Video.accepts(MediaType::QuickTime));
        assert!(SampleKind::Document.accepts(MediaType::Pdf));
    }

    #[test]
    fn sha256_must_be_64_hex_digits() {
        assert!(parse_sha256_hex(&"ab".repeat(32)).is_some());
        assert!(parse_sha256_hex(&"AB".repeat(32)).is_some());
        assert!(parse_sha256_hex("abc").is_none());
        assert!(parse_sha256_hex(&"zz".repeat(32)).is_none());
    }
}
