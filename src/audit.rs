//! The audit trail. `record` writes one event with the connection it is given, which is always
//! the transaction that makes the change: a change without its audit record cannot commit, and
//! an audit record of a change that rolled back cannot survive.
//!
//! Events hold who, what, which object and a small JSON detail — never secrets, and (from the
//! identity issue on) no personal data beyond ids.

use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use crate::db::entities::audit_event;

/// Who did it: `user:{id}` with the roles they held, `anonymous` (not logged in), or a
/// background job naming itself (`system:upload-sweeper`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub roles: Option<String>,
}

impl Actor {
    pub fn anonymous() -> Self {
        Self {
            name: "anonymous".into(),
            roles: None,
        }
    }
    pub fn system(job: &str) -> Self {
        Self {
            name: format!("system:{job}"),
            roles: None,
        }
    }
    /// Someone acting through a consent invitation link (no account).
    pub fn invitee(invitation_id: Uuid) -> Self {
        Self {
            name: format!("invitation:{invitation_id}"),
            roles: None,
        }
    }
    pub fn user(id: Uuid, roles: &[crate::domain::account::Role]) -> Self {
        let roles = roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",");
        Self {
            name: format!("user:{id}"),
            roles: Some(roles),
        }
    }
}

/// How the recorded attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// It was tried and did not work (a wrong password).
    Failure,
    /// It was not allowed (access denied, throttled).
    Refused,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Refused => "refused",
        }
    }
}

/// The object an event is about.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub kind: &'static str,
    pub id: Uuid,
}

impl Target {
    pub fn order(id: Uuid) -> Self {
        Self { kind: "order", id }
    }
    pub fn sample(id: Uuid) -> Self {
        Self { kind: "sample", id }
    }
    pub fn user(id: Uuid) -> Self {
        Self { kind: "user", id }
    }
    pub fn inquiry(id: Uuid) -> Self {
        Self {
            kind: "inquiry",
            id,
        }
    }
}

pub async fn record(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    target: Target,
    request_id: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    record_outcome(
        conn,
        actor,
        action,
        target,
        request_id,
        detail,
        Outcome::Success,
    )
    .await
}

/// [`record`] for an attempt that failed or was refused. `action` must be an
/// [`EventKind`](crate::domain::events::EventKind): the list the timeline words, so no kind
/// reaches the trail without words for whoever reads it (a writer naming another is a bug, and
/// its change does not commit).
pub async fn record_outcome(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    target: Target,
    request_id: Option<&str>,
    detail: serde_json::Value,
    outcome: Outcome,
) -> Result<(), DbErr> {
    if crate::domain::events::EventKind::parse(action).is_none() {
        return Err(DbErr::Custom(format!(
            "audit action {action:?} is not in domain::events::EventKind"
        )));
    }
    // Nothing is read back: an insert without RETURNING is one statement the database need
    // not answer with the row.
    let event = audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(crate::db::now()),
        actor: Set(actor.name.clone()),
        actor_roles: Set(actor.roles.clone()),
        outcome: Set(outcome.as_str().to_owned()),
        action: Set(action.to_owned()),
        target_type: Set(target.kind.to_owned()),
        target_id: Set(target.id),
        request_id: Set(request_id.map(str::to_owned)),
        detail: Set(detail),
    };
    audit_event::Entity::insert(event)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The events about one object, oldest first (used by the timeline and by tests).
pub async fn events_for(
    conn: &impl ConnectionTrait,
    target_id: Uuid,
) -> Result<Vec<audit_event::Model>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    audit_event::Entity::find()
        .filter(audit_event::Column::TargetId.eq(target_id))
        .order_by_asc(audit_event::Column::OccurredAt)
        .order_by_asc(audit_event::Column::Id)
        .all(conn)
        .await
}

/// Has `actor` (the same user, whatever roles they held then) recorded any of `actions` on
/// `target_id`? Separation of duties asks this of the staff history.
pub async fn acted_on(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    target_id: Uuid,
    actions: &[&str],
) -> Result<bool, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let count = audit_event::Entity::find()
        .filter(audit_event::Column::TargetId.eq(target_id))
        .filter(audit_event::Column::Actor.eq(actor.name.as_str()))
        .filter(audit_event::Column::Outcome.eq(Outcome::Success.as_str()))
        .filter(audit_event::Column::Action.is_in(actions.iter().copied()))
        .count(conn)
        .await?;
    Ok(count > 0)
}
