//! The family's privacy controls on one order: keep the raw samples for follow-ups (or let
//! them be deleted after delivery as planned), withdraw a consent they signed, and erase the
//! order now — typing its reference to confirm, since it cannot be undone — after which the
//! certificate of destruction is shown and can be downloaded.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use crate::consents;
use crate::error::AppError;
use crate::orders;
use crate::privacy;
use crate::problem::Code;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::Member;

/// A consent the visitor signed and may withdraw.
struct Mine {
    id: Uuid,
    text: String,
}

#[derive(Template)]
#[template(path = "portal/privacy.html")]
struct PrivacyPage {
    page: Page,
    id: Uuid,
    reference: String,
    version: i32,
    keep_samples: bool,
    samples_gone: bool,
    erased: bool,
    mine: Vec<Mine>,
    errors: FormErrors,
}

async fn render(
    state: &AppState,
    Member { visitor, actor }: &Member,
    id: Uuid,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let lang = visitor.lang;
    let (order, records) = match tokio::try_join!(
        orders::load_own(&state.db, actor, id),
        consents::records(&state.db, actor, id)
    ) {
        Ok(found) => found,
        Err(err) => return page::failure(state, visitor, err),
    };
    let zone = state.settings.studio.zone();
    let mine = records
        .iter()
        .filter(|r| r.signer_user_id == Some(actor.id) && r.withdrawn_at.is_none())
        .map(|r| Mine {
            id: r.id,
            text: lang.fill(
                "privacy.consent_line",
                &[
                    (
                        "party",
                        &lang.text(&format!("consent.party.{}", r.party.as_str())),
                    ),
                    ("at", &lang.datetime(r.signed_at, zone)),
                ],
            ),
        })
        .collect();
    let template = PrivacyPage {
        page: Page::new(state, visitor, "privacy.title"),
        id,
        reference: order.reference.clone(),
        version: order.version,
        keep_samples: order.keep_samples,
        samples_gone: order.samples_purged_at.is_some(),
        erased: order.erased_at.is_some(),
        mine,
        errors,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

/// `GET /orders/{id}/privacy`.
pub async fn show(State(state): State<AppState>, member: Member, Path(id): Path<Uuid>) -> Response {
    render(&state, &member, id, FormErrors::default(), StatusCode::OK).await
}

/// The answer to a refused privacy form: the page again with the reason at its field.
async fn refused(
    state: &AppState,
    member: &Member,
    id: Uuid,
    err: AppError,
    fields: &[(Code, &'static str)],
) -> Response {
    if err.status().is_server_error() {
        return page::failure(state, &member.visitor, err);
    }
    let errors = FormErrors::from_refusal(member.visitor.lang, &err, fields);
    render(state, member, id, errors, err.status()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct KeepForm {
    csrf: String,
    version: String,
    keep: String,
}

/// `POST /orders/{id}/privacy/keep`.
pub async fn keep(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<Uuid>,
    Form(form): Form<KeepForm>,
) -> Response {
    if !member.visitor.form_token_matches(&form.csrf) {
        return refused(&state, &member, id, csrf(), &[]).await;
    }
    let expected = form.version.parse().unwrap_or(-1);
    let keep = form.keep == "yes";
    match privacy::controls::keep_samples(&state, &member.actor, id, expected, keep).await {
        Ok(_) => page::see_other(&format!("/orders/{id}/privacy")),
        Err(AppError::PreconditionFailed { .. }) => {
            let errors = FormErrors::whole(member.visitor.lang.t("form.changed_meanwhile"));
            render(&state, &member, id, errors, StatusCode::CONFLICT).await
        }
        Err(err) => refused(&state, &member, id, err, &[]).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WithdrawForm {
    csrf: String,
    understood: String,
    reason: String,
}

/// `POST /orders/{id}/consents/{consent}/withdraw`: the work stops and erasure follows.
pub async fn withdraw(
    State(state): State<AppState>,
    member: Member,
    Path((id, consent)): Path<(Uuid, Uuid)>,
    Form(form): Form<WithdrawForm>,
) -> Response {
    if !member.visitor.form_token_matches(&form.csrf) {
        return refused(&state, &member, id, csrf(), &[]).await;
    }
    if form.understood != "yes" {
        let errors = FormErrors::whole(member.visitor.lang.t("privacy.error.understood"));
        return render(
            &state,
            &member,
            id,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    match consents::withdraw_own(&state, &member.actor, id, consent, reason).await {
        Ok(_) => page::see_other(&format!("/orders/{id}")),
        Err(err) => refused(&state, &member, id, err, &[]).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EraseForm {
    csrf: String,
    confirm_reference: String,
}

/// `POST /orders/{id}/erase`: erase now, then show the certificate.
pub async fn erase(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<Uuid>,
    Form(form): Form<EraseForm>,
) -> Response {
    if !member.visitor.form_token_matches(&form.csrf) {
        return refused(&state, &member, id, csrf(), &[]).await;
    }
    match privacy::controls::erase_now(&state, &member.actor, id, &form.confirm_reference).await {
        Ok(_) => page::see_other(&format!("/orders/{id}/certificate")),
        Err(err) => {
            let fields = [(Code::ConfirmationMismatch, "confirm_reference")];
            refused(&state, &member, id, err, &fields).await
        }
    }
}

#[derive(Template)]
#[template(path = "portal/certificate.html")]
struct CertificatePage {
    page: Page,
    id: Uuid,
    reference: String,
    completed: String,
    objects: usize,
    digest: String,
    issued_by: String,
}

/// `GET /orders/{id}/certificate`: the certificate of destruction, in words.
pub async fn certificate(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Path(id): Path<Uuid>,
) -> Response {
    let json = match privacy::controls::certificate_of(&state, &actor, id).await {
        Ok(json) => json,
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(&json) else {
        return page::failure(
            &state,
            &visitor,
            AppError::internal("unreadable certificate"),
        );
    };
    let lang = visitor.lang;
    let completed = doc["completed_at"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| lang.datetime(t.with_timezone(&chrono::Utc), state.settings.studio.zone()))
        .unwrap_or_default();
    let template = CertificatePage {
        page: Page::new(&state, &visitor, "certificate.title"),
        id,
        reference: doc["reference"].as_str().unwrap_or_default().to_owned(),
        completed,
        objects: doc["objects_deleted"].as_array().map_or(0, Vec::len),
        digest: doc["digest"].as_str().unwrap_or_default().to_owned(),
        issued_by: doc["issued_by"].as_str().unwrap_or_default().to_owned(),
    };
    page::render(
        &state,
        &visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}

/// `GET /orders/{id}/certificate.json`: the certificate as issued, to keep.
pub async fn certificate_file(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Path(id): Path<Uuid>,
) -> Response {
    match privacy::controls::certificate_of(&state, &actor, id).await {
        Ok(json) => {
            let mut response = json.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(disposition) = HeaderValue::from_str(&format!(
                "attachment; filename=\"destruction-certificate-{id}.json\""
            )) {
                headers.insert(header::CONTENT_DISPOSITION, disposition);
            }
            response
        }
        Err(err) => page::failure(&state, &visitor, err),
    }
}

fn csrf() -> AppError {
    super::account::csrf_refusal()
}
