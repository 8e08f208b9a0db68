//! The transactional outbox (ARCHITECTURE.md: one transaction = the change + its audit event +
//! its outbox message). `enqueue` writes a message with the connection it is given — always the
//! change's transaction — so a notification exists exactly when its change committed. Sending
//! (SMTP, leases, retries) is `jobs::outbox_relay`'s.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::db::entities::outbox_message;

/// Who a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The order's customer; for a message about an account (no order), the account named by
    /// the payload's `user_id` — whatever its roles, it is the person, not the studio's desk.
    Customer,
    /// The studio (SLA alerts).
    Staff,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Staff => "staff",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "customer" => Some(Self::Customer),
            "staff" => Some(Self::Staff),
            _ => None,
        }
    }
}

pub async fn enqueue(
    conn: &impl ConnectionTrait,
    kind: &str,
    order_id: Option<Uuid>,
    audience: Audience,
    payload: serde_json::Value,
) -> Result<(), DbErr> {
    let now = crate::db::now();
    outbox_message::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind.to_owned()),
        order_id: Set(order_id),
        audience: Set(audience.as_str().to_owned()),
        payload: Set(payload),
        created_at: Set(now),
        available_at: Set(now),
        attempts: Set(0),
        lease_owner: Set(None),
        lease_until: Set(None),
        sent_at: Set(None),
        status: Set(crate::db::outbox::DeliveryStatus::Queued),
        last_error: Set(None),
        last_attempt_at: Set(None),
        skip_reason: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The message every customer-visible status change sends.
pub async fn status_changed(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    reference: &str,
    from: crate::domain::order::OrderStatus,
    to: crate::domain::order::OrderStatus,
) -> Result<(), DbErr> {
    if from == to {
        return Ok(());
    }
    let payload = serde_json::json!({ "reference": reference, "from": from, "to": to });
    enqueue(
        conn,
        "order.status_changed",
        Some(order_id),
        Audience::Customer,
        payload,
    )
    .await
}

/// The message an action sends besides a status change: progress within production for the
/// customer (a stage done; which stage, never who), and the assignment for the studio.
pub async fn for_action(
    conn: &impl ConnectionTrait,
    action: &str,
    order: &crate::db::orders::OrderRecord,
    detail: &serde_json::Value,
) -> Result<(), DbErr> {
    match action {
        "production.stage_completed"
            if order.status == crate::domain::order::OrderStatus::InProduction =>
        {
            let payload = serde_json::json!({ "reference": order.reference, "stage_completed": detail["stage"], "next_stage": detail["next_stage"] });
            enqueue(
                conn,
                "order.progress",
                Some(order.id),
                Audience::Customer,
                payload,
            )
            .await
        }
        "order.assigned" => {
            let payload = serde_json::json!({ "reference": order.reference, "assignee_id": detail["assignee_id"] });
            enqueue(
                conn,
                "order.assigned",
                Some(order.id),
                Audience::Staff,
                payload,
            )
            .await
        }
        _ => Ok(()),
    }
}
