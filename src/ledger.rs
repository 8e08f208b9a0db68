//! Verifying the consent ledger: the one routine behind `keepsake ledger verify` and
//! `GET /api/v1/ledger/verify`. It reads the global head first and then every event up to it
//! in pages, so events appended meanwhile are simply outside this run, and memory stays at one
//! page plus one hash per order.

use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::domain::ledger::{BrokenLink, Verifier};

const PAGE: u64 = 1000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerifyReport {
    /// Every event fits its chains and the head names the last one.
    pub ok: bool,
    pub events_checked: u64,
    /// The global head the run checked against.
    pub head_seq: i64,
    pub head_hash: String,
    /// The first event that does not fit, when `ok` is false.
    pub first_broken: Option<BrokenLink>,
}

/// Verify the ledger for a reviewer or an admin (anyone else: 403, audited); a break is logged
/// as an error, for the operator.
pub async fn verify_for(
    db: &sea_orm::DatabaseConnection,
    actor: &crate::actor::Actor,
) -> crate::error::AppResult<VerifyReport> {
    use crate::domain::account::Role;
    if !(actor.has(Role::Reviewer) || actor.has(Role::Admin)) {
        let refusal = crate::error::AppError::Forbidden {
            code: crate::error::Code::ReviewersAndAdminsOnly,
            detail: "ledger verification is for reviewers and admins".into(),
        };
        let target = crate::audit::Target::user(actor.id);
        return Err(crate::actor::refuse(db, actor, target, refusal).await);
    }
    let report = verify(db).await?;
    if let Some(broken) = &report.first_broken {
        tracing::error!(seq = broken.seq, fault = ?broken.fault, "the consent ledger does not verify");
    }
    Ok(report)
}

pub async fn verify(conn: &impl ConnectionTrait) -> Result<VerifyReport, DbErr> {
    let (head_seq, head_hash) = db::ledger::global_head(conn).await?;
    let mut verifier = Verifier::default();
    let mut after = 0;
    let mut first_broken = None;
    'pages: loop {
        let events = db::ledger::page(conn, after, head_seq, PAGE).await?;
        let Some(last) = events.last() else { break };
        after = last.seq;
        for event in &events {
            if let Err(broken) = verifier.check(event) {
                first_broken = Some(broken);
                break 'pages;
            }
        }
    }
    if first_broken.is_none() {
        first_broken = verifier.finish(head_seq, &head_hash).err();
    }
    Ok(VerifyReport {
        ok: first_broken.is_none(),
        events_checked: verifier.checked(),
        head_seq,
        head_hash,
        first_broken,
    })
}
