//! The consent page: what the studio's policy still needs for this order (in words, each
//! met or not), the exact consent text the customer signs — its version shown beside it —
//! with the grants chosen one by one (nothing pre-ticked), the documents that prove the death
//! and the relationship (uploaded here the same way as samples, then cited), and the
//! signatures recorded so far.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use uuid::Uuid;

use crate::consents::{self, OwnSignature};
use crate::db::consent_texts::ConsentTextRow;
use crate::db::orders::OrderRecord;
use crate::domain::consent::{
    ConsentDecision, ConsentParty, DocumentType, Evidence, Grants, Modality, Purpose, UseScope,
};
use crate::domain::order::{DeliveryMode, Relationship};
use crate::domain::sample::{SampleKind, SampleStatus};
use crate::problem::Code;
use crate::state::AppState;
use crate::uploads;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::Member;
use crate::web::words::need_in_words;

/// One thing the policy asks for, in words.
struct Need {
    text: String,
    met: bool,
}

/// A choice in the form: (value, words, checked).
type Choice = (&'static str, String, bool);

/// A verified document that can be cited, with the type chosen for it.
struct Document {
    id: Uuid,
    name: String,
    chosen: String,
}

/// A recorded signature, in words.
struct Signed {
    who: String,
    text: String,
}

#[derive(Template)]
#[template(path = "portal/consent.html")]
struct ConsentPage {
    page: Page,
    id: Uuid,
    needs: Vec<Need>,
    blocked: bool,
    /// The text the customer signs (absent once they signed or when none is published).
    text: Option<ConsentTextRow>,
    /// "Version 3 of this text" and "I have read version 3…", for the text shown.
    version_line: String,
    read_line: String,
    signer_name: String,
    modalities: Vec<Choice>,
    purposes: Vec<Choice>,
    /// Uses asked for one by one (a follow-up's; the order's own consent asks none).
    scopes: Vec<Choice>,
    documents: Vec<Document>,
    document_types: Vec<(&'static str, String)>,
    signed: Vec<Signed>,
    accepts_documents: bool,
    words_json: String,
    errors: FormErrors,
    /// The parties the customer may invite here: (value, words).
    invitable: Vec<(&'static str, String)>,
    relationships: Vec<(&'static str, String)>,
    invite_errors: FormErrors,
    /// A link just made — shown once.
    new_link: Option<NewLink>,
    link_note: String,
}

/// What the page shows besides the order: what was posted, and what came of it.
#[derive(Default)]
struct Outcome {
    posted: Posted,
    errors: FormErrors,
    invite_errors: FormErrors,
    new_link: Option<NewLink>,
}

/// A link just made: for whom, its address, and a `mailto:` that opens the family's own mail
/// with the link and a few words filled in (the invitation comes from them, not from a studio
/// the relative has never heard of; Keepsake keeps neither the address nor the raw token).
struct NewLink {
    name: String,
    link: String,
    mailto: String,
}

/// A signing form as posted: repeated checkboxes and one `evidence-<sample id>` per
/// document (the follow-up consent form posts the same fields, plus `scope`).
#[derive(Default)]
pub(super) struct Posted {
    pub csrf: String,
    pub text_id: String,
    pub signer_name: String,
    pub read: bool,
    pub modalities: Vec<String>,
    pub purposes: Vec<String>,
    pub scope: Vec<String>,
    pub evidence: Vec<(String, String)>,
}

impl Posted {
    pub fn parse(body: &[u8]) -> Self {
        let mut posted = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf" => posted.csrf = value,
                "text_id" => posted.text_id = value,
                "signer_name" => posted.signer_name = value,
                "read" => posted.read = value == "yes",
                "modality" => posted.modalities.push(value),
                "purpose" => posted.purposes.push(value),
                "scope" => posted.scope.push(value),
                other => {
                    if let Some(sample) = other.strip_prefix("evidence-") {
                        posted.evidence.push((sample.to_owned(), value));
                    }
                }
            }
        }
        posted
    }
}

impl Posted {
    /// The grants ticked, and what is missing from the form (a name, the text read, at least
    /// one use and one purpose), each next to its field.
    pub fn grants(&self, lang: Lang) -> (Grants, FormErrors) {
        let mut errors = FormErrors::default();
        if self.signer_name.trim().is_empty() {
            errors.add("signer_name", lang.t("consent.error.name"));
        }
        if !self.read {
            errors.add("read", lang.t("consent.error.read"));
        }
        let grants = Grants {
            modalities: self
                .modalities
                .iter()
                .filter_map(|m| Modality::parse(m))
                .collect(),
            purposes: self
                .purposes
                .iter()
                .filter_map(|p| Purpose::parse(p))
                .collect(),
            scope: self
                .scope
                .iter()
                .filter_map(|u| UseScope::parse(u))
                .collect(),
        };
        if grants.modalities.is_empty() || grants.purposes.is_empty() {
            errors.add("grants", lang.t("consent.error.grants"));
        }
        (grants, errors)
    }
}

/// The purposes a customer may grant for this mode (the ones the work needs first).
pub(super) fn purposes_for(mode: DeliveryMode) -> &'static [Purpose] {
    match mode {
        DeliveryMode::MachineDriven => &[
            Purpose::Training,
            Purpose::Avatar,
            Purpose::FamilySharing,
            Purpose::Iterations,
        ],
        DeliveryMode::HumanDriven => &[
            Purpose::Training,
            Purpose::LiveCall,
            Purpose::FamilySharing,
            Purpose::Iterations,
        ],
    }
}

/// Whom the customer may invite on this order (the service decides again on posting).
fn invitable_parties(order: &OrderRecord) -> Vec<ConsentParty> {
    let mut parties = Vec::new();
    if !order.subject.living {
        parties.push(ConsentParty::Relative);
    }
    if order.subject.living && !order.subject.living_twin {
        parties.push(ConsentParty::LivingSubject);
    }
    if order.delivery_mode == DeliveryMode::HumanDriven {
        parties.push(ConsentParty::Actor);
    }
    parties
}

/// The current text `party` signs, in the page's language when there is one.
pub(super) fn text_for(
    texts: &[ConsentTextRow],
    party: ConsentParty,
    lang: Lang,
) -> Option<ConsentTextRow> {
    let mine: Vec<&ConsentTextRow> = texts.iter().filter(|t| t.party == party).collect();
    mine.iter()
        .find(|t| t.language.eq_ignore_ascii_case(lang.tag()))
        .or_else(|| mine.first())
        .map(|t| (*t).clone())
}

/// The party the customer signs as on this order.
pub(super) fn own_party(order: &OrderRecord) -> ConsentParty {
    if order.subject.living_twin {
        ConsentParty::LivingSubject
    } else {
        ConsentParty::Requester
    }
}

async fn render_page(
    state: &AppState,
    Member { visitor, actor }: &Member,
    id: Uuid,
    outcome: Outcome,
    status: StatusCode,
) -> Response {
    let Outcome {
        posted,
        errors,
        invite_errors,
        new_link,
    } = outcome;
    let lang = visitor.lang;
    let (order, consent_status) = match consents::status(&state.db, actor, id).await {
        Ok(found) => found,
        Err(err) => return page::failure(state, visitor, err),
    };
    let (records, texts, files) = match tokio::try_join!(
        consents::records(&state.db, actor, id),
        consents::current_texts(&state.db, Some(&order.jurisdiction)),
        uploads::files::samples(&state.db, actor, id),
    ) {
        Ok(found) => found,
        Err(err) => return page::failure(state, visitor, err),
    };
    let party = own_party(&order);
    let already = records
        .iter()
        .any(|r| r.party == party && r.withdrawn_at.is_none() && r.iteration_id.is_none());
    let text = (!already).then(|| text_for(&texts, party, lang)).flatten();
    let modalities = [Modality::Face, Modality::Voice]
        .into_iter()
        .map(|m| {
            let checked = posted.modalities.iter().any(|v| v == m.as_str());
            (
                m.as_str(),
                lang.text(&format!("consent.modality.{}", m.as_str())),
                checked,
            )
        })
        .collect();
    let purposes = purposes_for(order.delivery_mode)
        .iter()
        .map(|p| {
            let checked = posted.purposes.iter().any(|v| v == p.as_str());
            (
                p.as_str(),
                lang.text(&format!("consent.purpose.{}", p.as_str())),
                checked,
            )
        })
        .collect();
    let documents = files
        .iter()
        .filter(|f| f.kind == SampleKind::Document && f.status == SampleStatus::Verified)
        .map(|f| Document {
            id: f.id,
            name: f.file_name.clone(),
            chosen: posted
                .evidence
                .iter()
                .find(|(sample, _)| *sample == f.id.to_string())
                .map(|(_, t)| t.clone())
                .unwrap_or_default(),
        })
        .collect();
    let document_types = DocumentType::ALL
        .iter()
        .map(|t| {
            (
                t.as_str(),
                lang.text(&format!("consent.document.{}", t.as_str())),
            )
        })
        .collect();
    let zone = state.settings.studio.zone();
    let signed = records
        .iter()
        .map(|r| Signed {
            who: lang.fill(
                "consent.signed_by",
                &[
                    (
                        "party",
                        &lang.text(&format!("consent.party.{}", r.party.as_str())),
                    ),
                    ("name", r.signer_name.as_deref().unwrap_or("—")),
                ],
            ),
            text: match r.withdrawn_at {
                Some(at) => lang.fill("consent.withdrawn_at", &[("at", &lang.datetime(at, zone))]),
                None => lang.fill(
                    "consent.signed_at",
                    &[
                        ("at", &lang.datetime(r.signed_at, zone)),
                        ("version", &r.text_version.to_string()),
                    ],
                ),
            },
        })
        .collect();
    let version = text
        .as_ref()
        .map(|t| t.version.to_string())
        .unwrap_or_default();
    let invitable = invitable_parties(&order)
        .into_iter()
        .map(|p| {
            (
                p.as_str(),
                lang.text(&format!("consent.invite_party.{}", p.as_str())),
            )
        })
        .collect();
    let relationships = Relationship::ALL
        .iter()
        .filter(|r| **r != Relationship::OneSelf)
        .map(|r| {
            (
                r.as_str(),
                lang.text(&format!("consent.relative.{}", r.as_str())),
            )
        })
        .collect();
    let days = (state.settings.consent.invitation_ttl_hours / 24)
        .max(1)
        .to_string();
    let template = ConsentPage {
        version_line: lang.fill("consent.version", &[("version", &version)]),
        read_line: lang.fill("consent.read", &[("version", &version)]),
        page: Page::new(state, visitor, "consent.title"),
        id,
        needs: consent_status
            .requirements
            .iter()
            .map(|r| Need {
                text: need_in_words(lang, &r.requirement),
                met: r.satisfied,
            })
            .collect(),
        blocked: consent_status.blocked.is_some(),
        text,
        signer_name: posted.signer_name,
        modalities,
        purposes,
        scopes: Vec::new(),
        documents,
        document_types,
        signed,
        accepts_documents: order.status.accepts_samples(),
        words_json: super::samples::uploader_words(lang),
        errors,
        invitable,
        relationships,
        invite_errors,
        link_note: lang.fill(
            "consent.link_note",
            &[
                ("name", new_link.as_ref().map_or("", |l| l.name.as_str())),
                ("days", &days),
            ],
        ),
        new_link,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

/// `GET /orders/{id}/consent`.
pub async fn show(State(state): State<AppState>, member: Member, Path(id): Path<Uuid>) -> Response {
    render_page(&state, &member, id, Outcome::default(), StatusCode::OK).await
}

/// `POST /orders/{id}/consent`: sign the shown text with the grants and evidence chosen.
pub async fn sign(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    member: Member,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let posted = Posted::parse(&body);
    let lang = member.visitor.lang;
    let again = async |posted: Posted, errors: FormErrors, status: StatusCode| {
        let outcome = Outcome {
            posted,
            errors,
            ..Outcome::default()
        };
        render_page(&state, &member, id, outcome, status).await
    };
    if !member.visitor.form_token_matches(&posted.csrf) {
        return again(posted, FormErrors::expired(lang), StatusCode::FORBIDDEN).await;
    }
    let (grants, errors) = posted.grants(lang);
    let text_id = Uuid::parse_str(&posted.text_id).ok();
    if !errors.is_empty() {
        return again(posted, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let evidence = posted
        .evidence
        .iter()
        .filter_map(|(sample, kind)| {
            Some(Evidence {
                sample_id: Uuid::parse_str(sample).ok()?,
                document_type: DocumentType::parse(kind)?,
            })
        })
        .collect();
    let order = match crate::orders::load_own(&state.db, &member.actor, id).await {
        Ok(order) => order,
        Err(err) => return page::failure(&state, &member.visitor, err),
    };
    let (ip, user_agent) =
        crate::http::consents::client_facts(&state, &member.visitor.headers, peer);
    let own = OwnSignature {
        party: own_party(&order),
        signer_name: posted.signer_name.clone(),
        text_id: text_id.unwrap_or_default(),
        decision: ConsentDecision::Given,
        grants,
        evidence,
        iteration_id: None,
        ip,
        user_agent,
    };
    match consents::sign_own(&state, &member.actor, id, own).await {
        Ok(_) => page::see_other(&format!("/orders/{id}/consent")),
        Err(err) if err.status().is_client_error() => {
            let fields = [
                (Code::InvalidSignerName, "signer_name"),
                (Code::EmptyGrant, "grants"),
                (Code::EvidenceRequired, "evidence"),
                (Code::InvalidEvidence, "evidence"),
            ];
            let errors = FormErrors::from_refusal(lang, &err, &fields);
            again(posted, errors, err.status()).await
        }
        Err(err) => page::failure(&state, &member.visitor, err),
    }
}

/// The invitation form as posted.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct InviteForm {
    csrf: String,
    party: String,
    relationship: String,
    invitee_name: String,
}

/// `POST /orders/{id}/invitations`: make a link for a relative, the actor or the living
/// subject to sign through; the page shows it once, to send as the family likes.
pub async fn invite(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<Uuid>,
    axum::Form(form): axum::Form<InviteForm>,
) -> Response {
    let lang = member.visitor.lang;
    let refused = async |invite_errors: FormErrors, status: StatusCode| {
        let outcome = Outcome {
            invite_errors,
            ..Outcome::default()
        };
        render_page(&state, &member, id, outcome, status).await
    };
    if !member.visitor.form_token_matches(&form.csrf) {
        return refused(FormErrors::expired(lang), StatusCode::FORBIDDEN).await;
    }
    let Some(party) = ConsentParty::parse(&form.party) else {
        let mut errors = FormErrors::default();
        errors.add("party", lang.t("consent.error.party"));
        return refused(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let invite = consents::Invite {
        party,
        relationship: Relationship::parse(&form.relationship),
        invitee_name: form.invitee_name.clone(),
    };
    let ttl = state.settings.consent.invitation_ttl_hours;
    match consents::invite(&state.db, &member.actor, id, invite, ttl).await {
        Ok(invited) => {
            let base = page_base(&state, &member.visitor.headers);
            let link = format!("{base}/invitations/{id}/{}", invited.token);
            let outcome = Outcome {
                new_link: Some(NewLink {
                    mailto: mailto(&state, lang, &invited.row.invitee_name, &link),
                    name: invited.row.invitee_name.clone(),
                    link,
                }),
                ..Outcome::default()
            };
            render_page(&state, &member, id, outcome, StatusCode::OK).await
        }
        Err(err) if err.status().is_client_error() => {
            let fields = [
                (Code::InvalidInviteeName, "invitee_name"),
                (Code::RelationshipRequired, "relationship"),
                (Code::PartyNotInvitable, "party"),
            ];
            refused(FormErrors::from_refusal(lang, &err, &fields), err.status()).await
        }
        Err(err) => page::failure(&state, &member.visitor, err),
    }
}

/// `mailto:?subject=…&body=…` with the invitation's words in the page's language (spaces as
/// `%20`, as RFC 6068 asks, not `+`).
fn mailto(state: &AppState, lang: Lang, name: &str, link: &str) -> String {
    let days = (state.settings.consent.invitation_ttl_hours / 24)
        .max(1)
        .to_string();
    let body = lang.fill(
        "consent.mail_body",
        &[
            ("name", name),
            ("studio", &state.settings.studio.name),
            ("link", link),
            ("days", &days),
        ],
    );
    let encode = |text: &str| {
        form_urlencoded::byte_serialize(text.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "mailto:?subject={}&body={}",
        encode(lang.t("consent.mail_subject")),
        encode(&body)
    )
}

/// The address pages are reached at: the configured public base URL, else this request's
/// host (shown only to the customer who asked, to copy).
fn page_base(state: &AppState, headers: &axum::http::HeaderMap) -> String {
    let configured = state
        .settings
        .notifications
        .public_base_url
        .trim_end_matches('/');
    if !configured.is_empty() {
        return configured.to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}
