//! `/api/v1/orders/{id}/iterations`: paid follow-up work on a delivered order (PRODUCT.md,
//! "Follow-up iterations"). Staff record an iteration with what it needs; if that goes beyond
//! the consents on file it waits for fresh consent, which the customer gives for that
//! iteration alone; staff then take it through its own stages to delivery.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::db::WriteTransaction;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::consents::{ConsentView, CustomerSignature};
use super::extract::{ApiJson, ApiPath, IdempotencyKey, IfMatch, OptionalJson, RequestId};
use super::idempotent::{Once, answer_body, create_once};
use super::session::Caller;
use crate::audit::{self, Target};
use crate::consents::{self, Signature};
use crate::db::{self, iterations::IterationRow, orders::OrderRecord};
use crate::domain::consent::ConsentParty;
use crate::domain::iteration::{self, IterationAction, IterationStatus, Needs};
use crate::domain::money::{self, Currency, Entry, EntryKind};
use crate::error::{AppError, AppResult, Problem};
use crate::orders;
use crate::outbox::{self, Audience};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_iteration, list_iterations))
        .routes(routes!(get_iteration))
        .routes(routes!(iteration_action))
        .routes(routes!(sign_iteration_consent))
}

/// Whether the consents on file cover what the iteration needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentCover {
    pub covered: bool,
    /// What is still missing, in words.
    pub missing: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IterationView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub number: i32,
    pub description: String,
    pub needs: Needs,
    pub status: IterationStatus,
    pub consent: ConsentCover,
    pub due_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// `If-Match: "v{version}"` changes it.
    pub version: i32,
    /// The quotes recorded for this iteration (its price), read from the money ledger.
    pub price: Option<Price>,
}

async fn cover(conn: &impl ConnectionTrait, row: &IterationRow) -> AppResult<ConsentCover> {
    let granted = db::iterations::granted(conn, row.order_id, row.id).await?;
    let missing = iteration::missing(&row.needs()?, &granted);
    Ok(ConsentCover {
        covered: missing.is_empty(),
        missing,
    })
}

async fn view(conn: &impl ConnectionTrait, row: &IterationRow) -> AppResult<IterationView> {
    let quotes: Vec<_> = db::payments::for_order(conn, row.order_id)
        .await?
        .into_iter()
        .filter(|p| p.iteration_id == Some(row.id) && p.kind == EntryKind::Quote.as_str())
        .collect();
    let price = quotes.first().map(|first| Price {
        amount_minor: quotes.iter().map(|q| q.amount_minor).sum(),
        currency: first.currency.clone(),
    });
    Ok(IterationView {
        price,
        id: row.id,
        order_id: row.order_id,
        number: row.number,
        description: row.description.clone(),
        needs: row.needs()?,
        status: row.status()?,
        consent: cover(conn, row).await?,
        due_at: row.due_at,
        started_at: row.started_at,
        delivered_at: row.delivered_at,
        cancelled_at: row.cancelled_at,
        created_at: row.created_at,
        version: row.version,
    })
}

/// Iterations are made and worked on while the order is delivered (or closed) and not
/// erased: a withdrawal stops follow-up work as it stops the order.
fn order_open(order: &OrderRecord) -> AppResult<()> {
    if iteration::order_takes_iterations(order.status) && order.erased_at.is_none() {
        return Ok(());
    }
    Err(AppError::conflict(
        "order_not_delivered",
        format!(
            "iterations follow a delivered order; this one is {}",
            order.status
        ),
    ))
}

async fn load_iteration(state: &AppState, order_id: Uuid, id: Uuid) -> AppResult<IterationRow> {
    db::iterations::find(&state.db, order_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("iteration_not_found", "no such iteration"))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIteration {
    /// What the customer asked for ("a new clip for the anniversary").
    pub description: String,
    pub needs: Needs,
    /// The iteration's price: recorded as a quote in the order's money ledger, carrying the
    /// iteration's id (so the order's balance includes it and nothing is stored twice).
    pub price: Price,
}

/// An amount in minor units (fen) with its ISO 4217 currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub amount_minor: i64,
    pub currency: String,
}

/// Record a follow-up iteration of a delivered order (staff). It is `ready` when the consents
/// on file cover its needs, else `awaiting_consent` (and the customer is told).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/iterations", tag = "iterations",
    request_body = CreateIteration,
    params(IdempotencyKey,
        ("id" = Uuid, Path, description = "Order id"),
    ),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not studio staff", body = Problem),
        (status = 201, description = "Recorded (a repeat with the same Idempotency-Key and body answers the same, with Idempotent-Replayed: true)", body = IterationView),
        (status = 400, description = "Malformed JSON, Idempotency-Key missing or invalid", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "order_not_delivered (or erased), idempotency_request_in_progress", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "reason_required (description), reason_too_long, invalid_currency, invalid_amount, currency_mismatch (not the order's currency), idempotency_key_reused, invalid_body", body = Problem),
    )
)]
async fn create_iteration(
    State(state): State<AppState>,
    caller: Caller,
    IdempotencyKey(key): IdempotencyKey,
    ApiPath(order_id): ApiPath<Uuid>,
    request_id: RequestId,
    ApiJson(req): ApiJson<CreateIteration>,
) -> AppResult<Response> {
    let order = orders::load_staff(
        &state.db,
        &caller.acting(),
        order_id,
        "only studio staff record iterations",
    )
    .await?;
    order_open(&order)?;
    let description = orders::required_text(Some(&req.description), "description", "an iteration")?;
    let currency = Currency::parse(&req.price.currency).ok_or_else(|| {
        AppError::unprocessable(
            "invalid_currency",
            "currency is an ISO 4217 code of three capital letters (CNY)",
        )
    })?;
    let owner = format!("iterations:{}", caller.user.id);
    let spec = NewIteration {
        description,
        needs: req.needs.clone().normalized(),
        price: (req.price.amount_minor, currency),
        order_id: order.id,
        reference: order.reference.clone(),
        staff: caller.actor(),
        staff_id: caller.user.id,
        request_id: request_id.0,
    };
    let created = create_once(&state, &owner, &key, &(order_id, &req), move |txn| {
        Box::pin(insert(txn, spec))
    })
    .await?;
    match created {
        Once::Created(view) => Ok((StatusCode::CREATED, Json(view)).into_response()),
        Once::Replayed(answer) => Ok(answer),
    }
}

/// What a creation records, and who records it.
struct NewIteration {
    description: String,
    needs: Needs,
    price: (i64, Currency),
    order_id: Uuid,
    reference: String,
    staff: crate::audit::Actor,
    staff_id: Uuid,
    request_id: Option<String>,
}

/// The iteration (next number, serialised per order; awaiting consent unless the order's
/// consents already grant what it needs), its price as a quote in the money ledger, its audit
/// event and the customer's notification when it waits for consent — in the caller's
/// transaction, which also stores the answer under the request's Idempotency-Key.
async fn insert(
    txn: &sea_orm::DatabaseTransaction,
    spec: NewIteration,
) -> AppResult<(IterationView, serde_json::Value)> {
    let NewIteration {
        description,
        needs,
        price: (amount_minor, currency),
        order_id,
        reference,
        staff: actor,
        staff_id,
        request_id,
    } = spec;
    let granted = db::iterations::granted(txn, order_id, Uuid::nil()).await?;
    let status = if iteration::missing(&needs, &granted).is_empty() {
        IterationStatus::Ready
    } else {
        IterationStatus::AwaitingConsent
    };
    let new = db::iterations::NewIteration {
        id: Uuid::now_v7(),
        order_id,
        description,
        needs,
        status,
        created_by: staff_id,
        now: db::now(),
    };
    // Serialised per order: the next number is read and used in one writer's turn.
    db::order_lock::lock(txn, new.order_id).await?;
    // Read again under the lock: a withdrawal may have stopped the order meanwhile.
    let current = db::orders::find(txn, new.order_id)
        .await?
        .ok_or_else(|| AppError::not_found("order_not_found", "no such order"))?;
    order_open(&current)?;
    let order_status = current.status;
    let row = db::iterations::insert(txn, new).await?;
    let quote = Entry {
        kind: EntryKind::Quote,
        amount_minor,
        currency: currency.clone(),
        iteration_id: Some(row.id),
    };
    let entries = db::payments::for_order(txn, row.order_id)
        .await?
        .iter()
        .map(db::payments::entry)
        .collect::<Result<Vec<_>, _>>()?;
    money::check(&entries, &quote, order_status).map_err(super::payments::refusal)?;
    db::payments::insert(
        txn,
        db::payments::NewPayment {
            order_id: row.order_id,
            iteration_id: Some(row.id),
            kind: EntryKind::Quote,
            amount_minor,
            currency: currency.clone(),
            note: None,
            recorded_by: staff_id,
            recorded_at: row.created_at,
        },
    )
    .await?;
    let detail = serde_json::json!({
        "iteration_id": row.id, "number": row.number, "status": row.status,
        "price_minor": amount_minor, "currency": currency.as_str(),
    });
    audit::record(
        txn,
        &actor,
        "iteration.created",
        Target::order(row.order_id),
        request_id.as_deref(),
        detail,
    )
    .await?;
    if status == IterationStatus::AwaitingConsent {
        let payload = serde_json::json!({ "reference": reference, "iteration": row.number });
        outbox::enqueue(
            txn,
            "iteration.consent_needed",
            Some(row.order_id),
            Audience::Customer,
            payload,
        )
        .await?;
    }
    let answer = view(txn, &row).await?;
    let body = answer_body(&answer)?;
    Ok((answer, body))
}

/// The order's iterations (its customer and the studio).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/iterations", tag = "iterations",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "Iterations, first first", body = Vec<IterationView>),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn list_iterations(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(order_id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<IterationView>>> {
    orders::load(&state.db, &caller.acting(), order_id).await?;
    let mut out = Vec::new();
    for row in db::iterations::for_order(&state.db, order_id).await? {
        out.push(view(&state.db, &row).await?);
    }
    Ok(Json(out))
}

#[utoipa::path(
    get, path = "/api/v1/orders/{id}/iterations/{iid}", tag = "iterations",
    params(("id" = Uuid, Path, description = "Order id"), ("iid" = Uuid, Path, description = "Iteration id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "The iteration", body = IterationView),
        (status = 404, description = "No such order or iteration", body = Problem),
    )
)]
async fn get_iteration(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<Json<IterationView>> {
    orders::load(&state.db, &caller.acting(), order_id).await?;
    let row = load_iteration(&state, order_id, id).await?;
    Ok(Json(view(&state.db, &row).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IterationActionBody {
    /// `cancel`: why (required).
    pub reason: Option<String>,
}

/// Move an iteration (staff, `If-Match: "v{version}"`): `start` (only when the consents cover
/// it; sets its due time), `advance` (to quality check), `deliver`, `cancel` (with a reason).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/iterations/{iid}/actions/{action}", tag = "iterations",
    request_body(content = Option<IterationActionBody>, description = "`{\"reason\": …}` for cancel"),
    params(IfMatch,
        ("id" = Uuid, Path, description = "Order id"),
        ("iid" = Uuid, Path, description = "Iteration id"),
        ("action" = IterationAction, Path, description = "The action"),
    ),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not studio staff", body = Problem),
        (status = 200, description = "The iteration after the action", body = IterationView),
        (status = 400, description = "Malformed If-Match or body", body = Problem),
        (status = 404, description = "No such order, iteration or action", body = Problem),
        (status = 409, description = "consent_required (naming what is missing), invalid_transition", body = Problem),
        (status = 412, description = "The iteration changed since it was read", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "A cancel without a reason", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    )
)]
async fn iteration_action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, id, action)): ApiPath<(Uuid, Uuid, String)>,
    if_match: IfMatch,
    request_id: RequestId,
    OptionalJson(body): OptionalJson<IterationActionBody>,
) -> AppResult<Json<IterationView>> {
    let action = IterationAction::parse(&action).ok_or_else(|| {
        AppError::not_found(
            "unknown_action",
            format!("there is no iteration action `{action}`"),
        )
    })?;
    let expected = if_match.required()?;
    let order = orders::load_staff(
        &state.db,
        &caller.acting(),
        order_id,
        "only studio staff move iterations",
    )
    .await?;
    let row = load_iteration(&state, order_id, id).await?;
    if action != IterationAction::Cancel {
        order_open(&order)?;
    }
    if row.version != expected {
        return Err(AppError::PreconditionFailed {
            current_version: row.version,
        });
    }
    let reason = match action {
        IterationAction::Cancel => Some(orders::required_text(
            body.as_ref().and_then(|b| b.reason.as_deref()),
            "reason",
            "a cancellation",
        )?),
        _ => None,
    };
    let cover = cover(&state.db, &row).await?;
    if action == IterationAction::Start && !cover.covered {
        return Err(AppError::conflict(
            "consent_required",
            format!(
                "this iteration needs fresh consent first: {}",
                cover.missing.join("; ")
            ),
        ));
    }
    let from = row.status()?;
    let to = iteration::next(from, action, cover.covered)
        .map_err(|reason| AppError::conflict("invalid_transition", reason))?;
    let now = db::now();
    let target = state.settings.sla.for_mode(order.delivery_mode).target_days;
    let stamps = match to {
        IterationStatus::InProduction => db::iterations::Stamps {
            started_at: Some(now),
            due_at: Some(now + chrono::Duration::days(i64::from(target))),
            ..Default::default()
        },
        IterationStatus::Delivered => db::iterations::Stamps {
            delivered_at: Some(now),
            ..Default::default()
        },
        IterationStatus::Cancelled => db::iterations::Stamps {
            cancelled_at: Some(now),
            ..Default::default()
        },
        _ => db::iterations::Stamps::default(),
    };
    let detail = serde_json::json!({
        "iteration_id": row.id, "number": row.number, "from": from, "to": to, "reason": reason,
    });
    let (actor, request_id) = (caller.actor(), request_id.0);
    let reference = order.reference.clone();
    let event = format!("iteration.{action}");
    let updated = state
        .db
        .write_transaction::<_, IterationRow, AppError>(|txn| {
            Box::pin(async move {
                db::order_lock::lock(txn, order_id).await?;
                if action != IterationAction::Cancel {
                    let current = db::orders::find(txn, order_id)
                        .await?
                        .ok_or_else(|| AppError::not_found("order_not_found", "no such order"))?;
                    order_open(&current)?;
                }
                let updated = db::iterations::transition(txn, &row, expected, to, stamps, now)
                    .await?
                    .ok_or_else(|| AppError::PreconditionFailed {
                        current_version: expected + 1,
                    })?;
                audit::record(
                    txn,
                    &actor,
                    &event,
                    Target::order(order_id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                let payload = serde_json::json!({
                    "reference": reference, "iteration": updated.number, "to": to,
                    "due_at": updated.due_at,
                });
                outbox::enqueue(
                    txn,
                    "iteration.status_changed",
                    Some(order_id),
                    Audience::Customer,
                    payload,
                )
                .await?;
                Ok(updated)
            })
        })
        .await?;
    Ok(Json(view(&state.db, &updated).await?))
}

/// Give fresh consent for one iteration (the order's customer, as the requester — or as the
/// living subject of a living twin). It counts for this iteration only.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/iterations/{iid}/consents", tag = "iterations",
    request_body = CustomerSignature,
    params(("id" = Uuid, Path, description = "Order id"), ("iid" = Uuid, Path, description = "Iteration id")),
    responses(
        (status = 201, description = "Recorded (and chained into the ledger)", body = ConsentView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer", body = Problem),
        (status = 404, description = "No such order or iteration", body = Problem),
        (status = 409, description = "The iteration already started (consents_closed), text outdated, or already signed", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Wrong text, party or grants", body = Problem),
    )
)]
async fn sign_iteration_consent(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    caller: Caller,
    ApiPath((order_id, id)): ApiPath<(Uuid, Uuid)>,
    request_id: RequestId,
    ApiJson(req): ApiJson<CustomerSignature>,
) -> AppResult<(StatusCode, Json<ConsentView>)> {
    let order = orders::load_own(&state.db, &caller.acting(), order_id).await?;
    load_iteration(&state, order_id, id).await?;
    let relationship = match req.party {
        ConsentParty::Requester => order.subject.requester_relationship.as_str(),
        ConsentParty::LivingSubject if order.subject.living_twin => "self",
        other => {
            return Err(AppError::unprocessable(
                "party_not_for_iterations",
                format!("fresh consent for an iteration is given by the requester, not a {other}"),
            ));
        }
    };
    let signer = super::consents::customer_signer(&state, &headers, peer, &caller, req.signer_name);
    let signature = Signature {
        party: req.party,
        relationship: relationship.to_owned(),
        text_id: req.text_id,
        decision: req.decision,
        grants: req.grants,
        evidence: req.evidence,
        iteration_id: Some(id),
    };
    let row = consents::record_signature(&state, &order, signer, signature, request_id.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(ConsentView::from(&row))))
}
