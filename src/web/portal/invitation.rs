//! The invitation page: a relative, the actor or the living subject opens the link the
//! family sent them — no account, the token in the link is the credential — and sees who
//! asks, for whose likeness, and the exact text; they sign (ticking what they agree to) or
//! decline (a "no" recorded as such). Once used, the link shows what was given and lets them
//! withdraw it.
//!
//! The link's address carries the token, so these pages are `no-store` and send no referrer
//! (the pages' `Referrer-Policy: no-referrer`), and an unknown, used or expired link says so
//! in words.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use uuid::Uuid;

use crate::consents::{self, InvitationState, LinkSignature};
use crate::db::consent_texts::ConsentTextRow;
use crate::domain::consent::{ConsentDecision, Grants, Modality, Purpose};
use crate::error::AppError;
use crate::problem::Code;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::Visitor;

#[derive(Template)]
#[template(path = "portal/invitation.html")]
struct InvitationPage {
    page: Page,
    action: String,
    greeting: String,
    asked: String,
    state: &'static str,
    text: Option<ConsentTextRow>,
    version_line: String,
    modalities: Vec<(&'static str, String)>,
    purposes: Vec<(&'static str, String)>,
    /// What was given through the link, in words, once used.
    given: Option<String>,
    errors: FormErrors,
}

#[derive(Default)]
struct Answer {
    csrf: String,
    text_id: String,
    signer_name: String,
    /// `sign` or `decline`.
    answer: String,
    read: String,
    modality: Vec<String>,
    purpose: Vec<String>,
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    order_id: Uuid,
    token: &str,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let lang = visitor.lang;
    let opened = match consents::open_invitation(&state.db, order_id, token).await {
        Ok(opened) => opened,
        Err(err) => return page::failure(state, visitor, err),
    };
    let invitation = &opened.invitation;
    let link_state = consents::invitation_state(invitation, crate::db::now());
    let text = (link_state == InvitationState::Pending)
        .then(|| {
            opened
                .texts
                .iter()
                .find(|t| t.language.eq_ignore_ascii_case(lang.tag()))
                .or_else(|| opened.texts.first())
                .cloned()
        })
        .flatten();
    let party_words = lang.text(&format!(
        "consent.invite_party.{}",
        invitation.party.as_str()
    ));
    let given = opened.consent.as_ref().map(|c| {
        let key = match (c.decision, c.withdrawn_at) {
            (_, Some(_)) => "invitation.given_withdrawn",
            (ConsentDecision::Given, None) => "invitation.given_yes",
            (_, None) => "invitation.given_no",
        };
        lang.text(key)
    });
    let version = text
        .as_ref()
        .map(|t| t.version.to_string())
        .unwrap_or_default();
    let template = InvitationPage {
        page: Page::new(state, visitor, "invitation.title"),
        action: format!("/invitations/{order_id}/{token}"),
        greeting: lang.fill("invitation.greeting", &[("name", &invitation.invitee_name)]),
        asked: lang.fill(
            "invitation.asked",
            &[
                ("subject", &opened.order.subject.name),
                ("party", &party_words),
            ],
        ),
        state: match link_state {
            InvitationState::Pending => "pending",
            InvitationState::Used => "used",
            InvitationState::Expired => "expired",
        },
        version_line: lang.fill("consent.version", &[("version", &version)]),
        text,
        modalities: [Modality::Face, Modality::Voice]
            .into_iter()
            .map(|m| {
                (
                    m.as_str(),
                    lang.text(&format!("consent.modality.{}", m.as_str())),
                )
            })
            .collect(),
        purposes: super::consent::purposes_for(opened.order.delivery_mode)
            .iter()
            .map(|p| {
                (
                    p.as_str(),
                    lang.text(&format!("consent.purpose.{}", p.as_str())),
                )
            })
            .collect(),
        given,
        errors,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

/// `GET /invitations/{order}/{token}`.
pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((order_id, token)): Path<(Uuid, String)>,
) -> Response {
    render(
        &state,
        &visitor,
        order_id,
        &token,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /invitations/{order}/{token}`: sign or decline.
pub async fn answer(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    visitor: Visitor,
    Path((order_id, token)): Path<(Uuid, String)>,
    body: axum::body::Bytes,
) -> Response {
    let answer = parse_answer(&body);
    let lang = visitor.lang;
    if !visitor.form_token_matches(&answer.csrf) {
        let errors = FormErrors::expired(lang);
        return render(
            &state,
            &visitor,
            order_id,
            &token,
            errors,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let declining = answer.answer == "decline";
    let mut errors = FormErrors::default();
    if answer.signer_name.trim().is_empty() {
        errors.add("signer_name", lang.t("consent.error.name"));
    }
    if answer.read != "yes" {
        errors.add("read", lang.t("consent.error.read"));
    }
    let grants = Grants {
        modalities: answer
            .modality
            .iter()
            .filter_map(|m| Modality::parse(m))
            .collect(),
        purposes: answer
            .purpose
            .iter()
            .filter_map(|p| Purpose::parse(p))
            .collect(),
        scope: Vec::new(),
    };
    if !declining && (grants.modalities.is_empty() || grants.purposes.is_empty()) {
        errors.add("grants", lang.t("consent.error.grants"));
    }
    if !errors.is_empty() {
        return render(
            &state,
            &visitor,
            order_id,
            &token,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let headers = &visitor.headers;
    let signed = LinkSignature {
        signer_name: answer.signer_name,
        text_id: Uuid::parse_str(&answer.text_id).unwrap_or_default(),
        decision: if declining {
            ConsentDecision::Refused
        } else {
            ConsentDecision::Given
        },
        grants,
        ip: Some(crate::accounts::client_address(
            headers,
            peer,
            &state.settings.auth,
        )),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(500).collect()),
        request_id: visitor.request_id.clone(),
    };
    match consents::sign_through_link(&state, order_id, &token, signed).await {
        Ok(_) => page::see_other(&format!("/invitations/{order_id}/{token}")),
        Err(err @ (AppError::NotFound { .. } | AppError::Gone { .. })) => {
            page::failure(&state, &visitor, err)
        }
        Err(err) if err.status().is_client_error() => {
            let fields = [
                (Code::InvalidSignerName, "signer_name"),
                (Code::EmptyGrant, "grants"),
            ];
            let errors = FormErrors::from_refusal(lang, &err, &fields);
            render(&state, &visitor, order_id, &token, errors, err.status()).await
        }
        Err(err) => page::failure(&state, &visitor, err),
    }
}

/// The answer form (checkboxes repeat, which a plain struct form cannot take).
fn parse_answer(body: &[u8]) -> Answer {
    let mut answer = Answer::default();
    for (key, value) in form_urlencoded::parse(body) {
        let value = value.into_owned();
        match key.as_ref() {
            "csrf" => answer.csrf = value,
            "text_id" => answer.text_id = value,
            "signer_name" => answer.signer_name = value,
            "answer" => answer.answer = value,
            "read" => answer.read = value,
            "modality" => answer.modality.push(value),
            "purpose" => answer.purpose.push(value),
            _ => {}
        }
    }
    answer
}
