//! Consent review: `approve` needs every consent the policy requires (and no documented
//! refusal) and queues the order with its delivery due times; `reject` declines it;
//! `needs_info` asks the customer for more (it returns to consent review when they resubmit).

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::decision::{self, Decision};
use crate::actor::Actor;
use crate::config::SlaSettings;
use crate::db::orders::OrderRecord;
use crate::domain::order::{ReviewDecision, after_review};
use crate::error::{AppError, AppResult, Code};

/// A reviewer's decision on the order's consents.
pub struct ConsentReview {
    pub decision: ReviewDecision,
    /// Required for `reject` and `needs_info`.
    pub reason: Option<String>,
}

/// Decide on order `id`'s consents, from version `expected`.
pub async fn decide_consents(
    db: &DatabaseConnection,
    sla: &SlaSettings,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    review: ConsentReview,
) -> AppResult<OrderRecord> {
    let approve = review.decision == ReviewDecision::Approve;
    let decision_name = review.decision.as_str();
    let opened = decision::open(
        db,
        actor,
        id,
        expected,
        decision::Asked {
            name: decision_name,
            lets_it_go_on: approve,
            reason: review.reason.as_deref(),
        },
        |from| after_review(from, review.decision),
    )
    .await?;
    let (order, mut change) = (opened.order, opened.change);
    let status = crate::consents::status_of(db, &order).await?;
    if approve {
        if let Some(blocked) = &status.blocked {
            return Err(AppError::conflict(
                Code::SubjectRefused,
                format!("cannot approve: {blocked}"),
            ));
        }
        let missing: Vec<&str> = status
            .requirements
            .iter()
            .filter_map(|r| r.missing.as_deref())
            .collect();
        if !missing.is_empty() {
            return Err(AppError::conflict(
                Code::ConsentsMissing,
                format!(
                    "cannot approve while consents are missing: {}",
                    missing.join("; ")
                ),
            ));
        }
        let now = change.now;
        let sla = sla.for_mode(order.delivery_mode);
        change.queued_at = Some(now);
        change.due_at = Some(now + chrono::Duration::days(i64::from(sla.target_days)));
        change.promised_at = Some(now + chrono::Duration::days(i64::from(sla.promise_days)));
        change.production.sla_next_check_at = Some(now);
    }
    let consent_ids: Vec<Uuid> = status
        .requirements
        .iter()
        .flat_map(|r| r.satisfied_by.iter().copied())
        .collect();
    let decision = Decision {
        kind: "consent_review.decided",
        content: serde_json::json!({
            "decision": review.decision,
            "reviewer_id": actor.id,
            "from": order.status,
            "to": opened.step.to,
            "policy": status.policy,
            "complete": status.complete,
            "consent_ids": consent_ids,
            "due_at": change.due_at,
            "promised_at": change.promised_at,
        }),
        personal: opened.reason.map(|r| serde_json::json!({ "reason": r })),
    };
    let (updated, _) = decision::commit(db, actor, &order, expected, change, decision).await?;
    Ok(updated)
}
