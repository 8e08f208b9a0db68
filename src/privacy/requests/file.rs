//! Filing a request. The order's own customer gets their request back; anyone else — a close
//! relative of the deceased may file too — gets the same answer whether the reference exists or
//! not: the request is stored (with the order when the reference matched one, without when
//! not) and audited, the same work either way. Their correction is checked only by itself,
//! never against the order's stored details.

use chrono::{NaiveDate, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::target;
use crate::actor::Actor;
use crate::audit;
use crate::db::{self, WriteTransaction, data_requests::DataRequestRow, orders::OrderRecord};
use crate::domain::data_rights::{self, RequestKind};
use crate::domain::order::Relationship;
use crate::error::{AppError, AppResult, Code};
use crate::orders;

const MAX_DETAILS_CHARS: usize = 4000;

/// How many requests one person may have open at once: a bound on what anyone can put in
/// the reviewers' queue (the same answer whether the references they name exist or not).
const MAX_OPEN_REQUESTS: u64 = 10;

/// Subject details a correction asks to change (only those given change).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Corrections {
    /// 1 to 200 characters once surrounding blanks are dropped.
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub death_date: Option<NaiveDate>,
}

/// What a requester files.
#[derive(Debug, Clone)]
pub struct FileCommand {
    pub kind: RequestKind,
    /// The order's reference as typed (any case, surrounding blanks allowed).
    pub order_reference: String,
    pub relationship_to_subject: Relationship,
    pub details: Option<String>,
    pub corrections: Option<Corrections>,
}

/// The stored request, and whether the order's own customer filed it (only then may the
/// answer show it; anyone else is told it is queued).
pub struct Filed {
    pub row: DataRequestRow,
    pub by_customer: bool,
}

pub async fn file(
    db: &DatabaseConnection,
    actor: &Actor,
    command: FileCommand,
) -> AppResult<Filed> {
    let reference =
        data_rights::normalize_reference(&command.order_reference).ok_or_else(|| {
            AppError::unprocessable(
                Code::InvalidReference,
                "order_reference is an order's reference such as KS-2026-000123",
            )
        })?;
    let details = filed_details(command.details)?;
    let order = db::orders::find_by_reference(db, &reference).await?;
    let own_order = order.as_ref().filter(|o| o.customer_id == Some(actor.id));
    if own_order.is_some_and(|o| o.erased_at.is_some()) {
        return Err(AppError::conflict(
            Code::OrderErased,
            "this order was erased: the studio holds no personal data of it any more",
        ));
    }
    let corrections = filed_corrections(command.kind, command.corrections, own_order)?;
    let new = db::data_requests::NewRequest {
        id: Uuid::now_v7(),
        kind: command.kind,
        order_id: order.as_ref().map(|o| o.id),
        order_reference: reference,
        requester_id: actor.id,
        relationship: command.relationship_to_subject.as_str().to_owned(),
        details,
        corrections,
        now: db::now(),
    };
    let by_customer = own_order.is_some();
    let row = insert_with_audit(db, actor, new, by_customer).await?;
    Ok(Filed { row, by_customer })
}

fn filed_details(details: Option<String>) -> AppResult<Option<String>> {
    let details = details
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if details
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DETAILS_CHARS)
    {
        return Err(AppError::unprocessable(
            Code::DetailsTooLong,
            format!("details are at most {MAX_DETAILS_CHARS} characters"),
        ));
    }
    Ok(details)
}

/// A correction's fields, checked against the order only when it is the requester's own
/// (`own_order`); anyone else's is checked by itself, so its answer never depends on what
/// the order holds.
fn filed_corrections(
    kind: RequestKind,
    corrections: Option<Corrections>,
    own_order: Option<&OrderRecord>,
) -> AppResult<Option<serde_json::Value>> {
    let c = match (kind, corrections) {
        (RequestKind::Correction, Some(c))
            if c.name.is_some() || c.birth_date.is_some() || c.death_date.is_some() =>
        {
            c
        }
        (RequestKind::Correction, _) => {
            return Err(AppError::unprocessable(
                Code::CorrectionsRequired,
                "a correction names the subject details to correct (name, birth_date, death_date)",
            ));
        }
        (_, Some(_)) => {
            // Not dropped unread: the requester meant something by them, and should know
            // that only a correction request changes the order's details.
            return Err(AppError::Unprocessable {
                code: Code::CorrectionsNotTaken,
                detail: "only a correction request takes corrections; file one with kind \
                         `correction`"
                    .into(),
                extra: Some(serde_json::Map::from_iter([(
                    "field".to_owned(),
                    "corrections".into(),
                )])),
            });
        }
        (_, None) => return Ok(None),
    };
    match own_order {
        Some(order) => orders::validate(
            &corrected(order, &c).subject,
            &order.intake,
            &order.jurisdiction,
        )?,
        None => data_rights::check_correction_alone(
            c.name.as_deref(),
            c.birth_date,
            c.death_date,
            Utc::now().date_naive(),
        )
        .map_err(|(field, reason)| AppError::Unprocessable {
            code: Code::InvalidIntake,
            detail: format!("{field}: {reason}"),
            extra: Some(serde_json::Map::from_iter([(
                "field".to_owned(),
                field.into(),
            )])),
        })?,
    }
    Ok(Some(serde_json::to_value(c).map_err(AppError::internal)?))
}

/// Store the request with its audit event: on the order when the reference matched one, on
/// the request itself otherwise. The same work either way.
async fn insert_with_audit(
    db: &DatabaseConnection,
    actor: &Actor,
    new: db::data_requests::NewRequest,
    by_customer: bool,
) -> AppResult<DataRequestRow> {
    let actor = actor.clone();
    db.write_transaction::<_, DataRequestRow, AppError>(|txn| {
        Box::pin(async move {
            let requester = new.requester_id;
            // The insert comes first (the write lock before any read); too many open
            // requests roll it back.
            let row = db::data_requests::insert(txn, new).await.map_err(|err| {
                if db::is_unique_violation(&err) {
                    AppError::conflict(
                        Code::RequestOpen,
                        "you already have an open request of this kind for this reference",
                    )
                } else {
                    err.into()
                }
            })?;
            if db::data_requests::open_count(txn, requester).await? > MAX_OPEN_REQUESTS {
                return Err(AppError::conflict(
                    Code::TooManyOpenRequests,
                    format!(
                        "you have {MAX_OPEN_REQUESTS} requests waiting for a reviewer; file \
                         more once they are answered"
                    ),
                ));
            }
            let detail = serde_json::json!({
                "request_id": row.id,
                "kind": row.kind,
                "by_customer": by_customer,
                "reference_matched": row.order_id.is_some(),
            });
            audit::record(
                txn,
                &actor.audit(),
                "data_request.filed",
                target(&row),
                actor.request_id(),
                detail,
            )
            .await?;
            Ok(row)
        })
    })
    .await
}

/// The order as a correction would leave it.
pub(super) fn corrected(order: &OrderRecord, c: &Corrections) -> db::orders::OrderChange {
    let mut change = order.unchanged(db::now());
    if let Some(name) = &c.name {
        change.subject.name = name.trim().to_owned();
    }
    if let Some(date) = c.birth_date {
        change.subject.birth_date = Some(date);
    }
    if let Some(date) = c.death_date {
        change.subject.death_date = Some(date);
    }
    change
}
