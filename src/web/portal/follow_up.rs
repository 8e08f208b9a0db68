//! Fresh consent for one follow-up iteration of a delivered order (PRODUCT.md, "Follow-up
//! iterations"): when the studio records a follow-up that needs more than the consents on
//! file grant, the family reads what it needs, the current consent text with its version, and
//! ticks the grants one by one (nothing pre-ticked; only what this follow-up asks for is
//! offered). The signature counts for this follow-up alone — the same service as
//! `POST /api/v1/orders/{id}/iterations/{iid}/consents`.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::consent::{Posted, own_party, text_for};
use crate::consents::{self, OwnSignature};
use crate::db::consent_texts::ConsentTextRow;
use crate::domain::consent::ConsentDecision;
use crate::domain::ids::OrderId;
use crate::domain::iteration::IterationStatus;
use crate::iterations::{self, IterationView};
use crate::orders;
use crate::problem::Code;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::Member;

/// A grant offered: (value, words, ticked when posted back).
type Choice = (&'static str, String, bool);

#[derive(Template)]
#[template(path = "portal/follow_up.html")]
struct FollowUpPage {
    page: Page,
    id: Uuid,
    iteration_id: Uuid,
    heading: String,
    description: String,
    status: String,
    /// Everything this follow-up needs consent for, in words.
    needs: Vec<String>,
    /// Whether it waits for the family's consent now (else the page only says where it is).
    open: bool,
    text: Option<ConsentTextRow>,
    version_line: String,
    read_line: String,
    signer_name: String,
    modalities: Vec<Choice>,
    purposes: Vec<Choice>,
    scopes: Vec<Choice>,
    errors: FormErrors,
}

/// `GET /orders/{id}/iterations/{iid}/consent`.
pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Path((id, iteration_id)): Path<(Uuid, Uuid)>,
) -> Response {
    let posted = Posted::default();
    render(
        &state,
        &member,
        (id, iteration_id),
        posted,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn render(
    state: &AppState,
    Member { visitor, actor }: &Member,
    (id, iteration_id): (Uuid, Uuid),
    posted: Posted,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let lang = visitor.lang;
    let (order, follow_ups) = match tokio::try_join!(
        orders::load_own(&state.db, actor, id),
        iterations::list(&state.db, actor, id),
    ) {
        Ok(found) => found,
        Err(err) => return page::failure(state, visitor, err),
    };
    let Some(view) = follow_ups.into_iter().find(|i| i.id == iteration_id) else {
        let missing =
            crate::error::AppError::not_found(Code::IterationNotFound, "no such iteration");
        return page::failure(state, visitor, missing);
    };
    let open = view.status == IterationStatus::AwaitingConsent && !view.consent.covered;
    let texts = match consents::current_texts(&state.db, Some(&order.jurisdiction)).await {
        Ok(texts) => texts,
        Err(err) => return page::failure(state, visitor, err),
    };
    let text = open
        .then(|| text_for(&texts, own_party(&order), lang))
        .flatten();
    let version = text
        .as_ref()
        .map(|t| t.version.to_string())
        .unwrap_or_default();
    let (modalities, purposes, scopes) = choices(lang, &view, &posted);
    let template = FollowUpPage {
        page: Page::new(state, visitor, "follow_up.title"),
        id,
        iteration_id,
        heading: lang.fill("iteration.number", &[("n", &view.number.to_string())]),
        status: super::order_sections::follow_up_status(lang, &view),
        needs: modalities
            .iter()
            .chain(&purposes)
            .chain(&scopes)
            .map(|(_, words, _)| words.clone())
            .collect(),
        description: view.description,
        open,
        text,
        version_line: lang.fill("consent.version", &[("version", &version)]),
        read_line: lang.fill("consent.read", &[("version", &version)]),
        signer_name: posted.signer_name,
        modalities,
        purposes,
        scopes,
        errors,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

/// The grants this follow-up asks for, in words, ticked as posted.
fn choices(
    lang: Lang,
    view: &IterationView,
    posted: &Posted,
) -> (Vec<Choice>, Vec<Choice>, Vec<Choice>) {
    let choice = |value: &'static str, group: &str, ticked: &[String]| {
        (
            value,
            lang.text(&format!("consent.{group}.{value}")),
            ticked.iter().any(|v| v == value),
        )
    };
    let needs = &view.needs;
    (
        needs
            .modalities
            .iter()
            .map(|m| choice(m.as_str(), "modality", &posted.modalities))
            .collect(),
        needs
            .purposes
            .iter()
            .map(|p| choice(p.as_str(), "purpose", &posted.purposes))
            .collect(),
        needs
            .scope
            .iter()
            .map(|u| choice(u.as_str(), "scope", &posted.scope))
            .collect(),
    )
}

/// `POST /orders/{id}/iterations/{iid}/consent`: sign the shown text for this follow-up.
pub async fn sign(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    member: Member,
    Path((id, iteration_id)): Path<(Uuid, Uuid)>,
    body: axum::body::Bytes,
) -> Response {
    let posted = Posted::parse(&body);
    let lang = member.visitor.lang;
    let ids = (id, iteration_id);
    if !member.visitor.form_token_matches(&posted.csrf) {
        let errors = FormErrors::expired(lang);
        return render(&state, &member, ids, posted, errors, StatusCode::FORBIDDEN).await;
    }
    let (grants, errors) = posted.grants(lang);
    if !errors.is_empty() {
        return render(
            &state,
            &member,
            ids,
            posted,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let order = match orders::load_own(&state.db, &member.actor, id).await {
        Ok(order) => order,
        Err(err) => return page::failure(&state, &member.visitor, err),
    };
    // The iteration must be this order's (the service trusts its door for that).
    if let Err(err) = iterations::load(&state.db, OrderId(id), iteration_id).await {
        return page::failure(&state, &member.visitor, err);
    }
    let (ip, user_agent) =
        crate::http::consents::client_facts(&state, &member.visitor.headers, peer);
    let own = OwnSignature {
        party: own_party(&order),
        signer_name: posted.signer_name.clone(),
        text_id: Uuid::parse_str(&posted.text_id).unwrap_or_default(),
        decision: ConsentDecision::Given,
        grants,
        evidence: Vec::new(),
        iteration_id: Some(iteration_id),
        ip,
        user_agent,
    };
    match consents::sign_own(&state, &member.actor, id, own).await {
        Ok(_) => page::see_other(&format!("/orders/{id}#iterations-heading")),
        Err(err) if err.status().is_client_error() => {
            let fields = [
                (Code::InvalidSignerName, "signer_name"),
                (Code::EmptyGrant, "grants"),
            ];
            let errors = FormErrors::from_refusal(lang, &err, &fields);
            render(&state, &member, ids, posted, errors, err.status()).await
        }
        Err(err) => page::failure(&state, &member.visitor, err),
    }
}
