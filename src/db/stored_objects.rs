//! The objects the database says must be in the store, each with the SHA-256 it recorded:
//! verified uploads still kept (samples and deliverables' originals) and the labeled copies
//! families download. What a backup must hold and `keepsake backup verify` checks.
//!
//! Left out, because their bytes may be gone by design: anything of an erased order, uploads
//! already purged, and the originals of an order whose purge after delivery has begun (it
//! deletes them before it marks them; a snapshot taken in between names files already gone).

use sea_orm::{ConnectionTrait, DbErr, Statement};

/// One object the database names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedObject {
    pub key: String,
    /// Lowercase hex.
    pub sha256: String,
    /// `sample`, `deliverable` (an original upload) or `labeled_copy`.
    pub what: String,
}

pub async fn named(conn: &impl ConnectionTrait) -> Result<Vec<NamedObject>, DbErr> {
    const SQL: &str = "\
        SELECT s.object_key AS object_key, s.declared_sha256 AS sha256, s.purpose AS what \
          FROM samples s JOIN orders o ON o.id = s.order_id \
         WHERE s.status = 'verified' AND s.purged_at IS NULL \
           AND o.erased_at IS NULL AND o.samples_purged_at IS NULL \
        UNION ALL \
        SELECT d.labeled_key, d.labeled_sha256, 'labeled_copy' \
          FROM deliverables d JOIN orders o ON o.id = d.order_id \
         WHERE d.labeled_key IS NOT NULL AND d.labeled_sha256 IS NOT NULL \
           AND o.erased_at IS NULL \
        ORDER BY 1";
    let backend = conn.get_database_backend();
    let rows = conn
        .query_all_raw(Statement::from_string(backend, SQL))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(NamedObject {
                key: row.try_get("", "object_key")?,
                sha256: row.try_get::<String>("", "sha256")?.to_ascii_lowercase(),
                what: row.try_get("", "what")?,
            })
        })
        .collect()
}
