//! Helpers that walk an order through its lifecycle the way people would: the customer submits,
//! a reviewer screens, consents are signed, the review approves.

use keepsake::domain::account::Role;
use keepsake::media::samples;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, order_body};

impl TestApp {
    /// The order's current ETag (read as the default customer unless `token` is given).
    pub async fn etag_of(&self, order: &str, token: Option<&str>) -> String {
        let path = format!("/api/v1/orders/{order}");
        let reply = match token {
            Some(t) => {
                self.send(Method::GET, &path, &[("authorization", t)], None)
                    .await
            }
            None => self.get(&path).await,
        };
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.etag()
    }

    pub async fn status_of(&self, order: &str) -> String {
        self.status_as(order, &self.auth).await
    }

    /// The order's status as `token` reads it.
    pub async fn status_as(&self, order: &str, token: &str) -> String {
        let reply = self
            .send(
                Method::GET,
                &format!("/api/v1/orders/{order}"),
                &[("authorization", token)],
                None,
            )
            .await;
        reply.body["status"].as_str().unwrap_or_default().to_owned()
    }

    /// `POST …/actions/{action}` as `token` with the current ETag.
    pub async fn act(&self, order: &str, action: &str, token: &str, body: Option<&Value>) -> Reply {
        let etag = self.etag_of(order, Some(token)).await;
        self.send(
            Method::POST,
            &format!("/api/v1/orders/{order}/actions/{action}"),
            &[("authorization", token), ("if-match", &etag)],
            body,
        )
        .await
    }

    /// A `{mode}` order of the default customer with a verified photo and death certificate,
    /// submitted.
    pub async fn submitted_order(&self, mode: &str) -> String {
        self.submitted_order_with(order_body(mode)).await
    }

    pub async fn submitted_order_with(&self, body: Value) -> String {
        let order = self.create_order(&body).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let photo = self
            .upload_sample(&order, "photo", "image/jpeg", &samples::jpeg(600, 600))
            .await;
        assert_eq!(photo.status, StatusCode::OK, "{:?}", photo.body);
        let document = self
            .upload_sample(&order, "document", "application/pdf", &samples::pdf())
            .await;
        assert_eq!(document.status, StatusCode::OK, "{:?}", document.body);
        let submitted = self.act(&order, "submit", &self.auth, None).await;
        assert_eq!(submitted.status, StatusCode::OK, "{:?}", submitted.body);
        order
    }

    /// A reviewer account (logged in) under `email`.
    pub async fn reviewer(&self, email: &str) -> String {
        self.studio_member(email, &[Role::Reviewer]).await
    }

    /// `POST …/screening/decision` as `token` with the current ETag.
    pub async fn decide_screening(&self, order: &str, token: &str, body: &Value) -> Reply {
        let etag = self.etag_of(order, Some(token)).await;
        self.send(
            Method::POST,
            &format!("/api/v1/orders/{order}/screening/decision"),
            &[("authorization", token), ("if-match", &etag)],
            Some(body),
        )
        .await
    }

    /// Submitted → screening → consent_review, by `reviewer`, overriding sufficiency.
    pub async fn screened_order(&self, mode: &str, reviewer: &str) -> String {
        let order = self.submitted_order(mode).await;
        self.screen_to_consent_review(&order, reviewer).await;
        order
    }

    pub async fn screen_to_consent_review(&self, order: &str, reviewer: &str) {
        let started = self.act(order, "start_screening", reviewer, None).await;
        assert_eq!(started.status, StatusCode::OK, "{:?}", started.body);
        let decided = self
            .decide_screening(
                order,
                reviewer,
                &json!({ "decision": "proceed", "sufficiency_override_reason": "the family's photos are few but sharp" }),
            )
            .await;
        assert_eq!(decided.status, StatusCode::OK, "{:?}", decided.body);
        assert_eq!(decided.body["status"], "consent_review");
    }

    /// `GET /api/v1/ledger/verify` as a fresh admin.
    pub async fn verify_ledger(&self, admin: &str) -> Value {
        let reply = self
            .send(
                Method::GET,
                "/api/v1/ledger/verify",
                &[("authorization", admin)],
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body
    }

    /// Publish a CN consent text for every party (as a fresh admin); returns party → text id.
    pub async fn publish_consent_texts(&self) -> std::collections::HashMap<String, String> {
        let admin = self
            .studio_member(
                &format!("texts-{}@studio.example", uuid::Uuid::new_v4().simple()),
                &[Role::Admin],
            )
            .await;
        let mut ids = std::collections::HashMap::new();
        for party in [
            "requester",
            "relative",
            "subject_wishes",
            "living_subject",
            "actor",
        ] {
            let reply = self
                .send(
                    Method::POST,
                    "/api/v1/consent-texts",
                    &[("authorization", &admin)],
                    Some(&json!({ "jurisdiction": "CN", "party": party, "language": "en", "body": format!("I, the {party}, agree as written here.") })),
                )
                .await;
            assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
            ids.insert(
                party.to_owned(),
                reply.body["id"].as_str().unwrap().to_owned(),
            );
        }
        ids
    }

    /// The verified document samples of an order (ids), oldest first.
    pub async fn document_ids(&self, order: &str) -> Vec<String> {
        let list = self.get(&format!("/api/v1/orders/{order}/samples")).await;
        list.body["items"]
            .as_array()
            .or(list.body.as_array())
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == "document" && s["status"] == "verified")
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The customer signs as requester for everything `mode` needs, citing the order's first
    /// document as death certificate and proof of relationship.
    pub async fn sign_requester(&self, order: &str, text: &str, mode: &str) -> Reply {
        let purposes = if mode == "human_driven" {
            json!(["training", "live_call"])
        } else {
            json!(["training", "avatar"])
        };
        let mut docs = self.document_ids(order).await;
        while docs.len() < 2 {
            let upload = self
                .upload_sample(order, "document", "application/pdf", &samples::pdf())
                .await;
            assert_eq!(upload.status, StatusCode::OK, "{:?}", upload.body);
            docs = self.document_ids(order).await;
        }
        let evidence = vec![
            json!({ "sample_id": docs[0], "document_type": "death_certificate" }),
            json!({ "sample_id": docs[1], "document_type": "proof_of_relationship" }),
        ];
        self.post(
            &format!("/api/v1/orders/{order}/consents"),
            &json!({
                "party": "requester",
                "text_id": text,
                "signer_name": "Chen Jun",
                "grants": { "modalities": ["face", "voice"], "purposes": purposes, "scope": ["private_viewing", "interactive_chat"] },
                "evidence": evidence,
            }),
        )
        .await
    }

    /// Invite a party; returns the created invitation (with its token and path).
    pub async fn invite(&self, order: &str, body: &Value) -> Reply {
        self.post(&format!("/api/v1/orders/{order}/consent-invitations"), body)
            .await
    }

    /// Sign through an invitation path (no session).
    pub async fn sign_invitation(&self, path: &str, body: &Value) -> Reply {
        self.send_anonymous(Method::POST, &format!("{path}/sign"), &[], Some(body))
            .await
    }

    /// `POST …/consent-review` as `token` with the current ETag.
    pub async fn review_consents(&self, order: &str, token: &str, body: &Value) -> Reply {
        let etag = self.etag_of(order, Some(token)).await;
        self.send(
            Method::POST,
            &format!("/api/v1/orders/{order}/consent-review"),
            &[("authorization", token), ("if-match", &etag)],
            Some(body),
        )
        .await
    }

    /// A `{mode}` order taken all the way to `queued` (screened by `reviewer`, consents signed,
    /// approved).
    pub async fn queued_order(
        &self,
        mode: &str,
        reviewer: &str,
        texts: &std::collections::HashMap<String, String>,
    ) -> String {
        let order = self.screened_order(mode, reviewer).await;
        let signed = self.sign_requester(&order, &texts["requester"], mode).await;
        assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
        if mode == "human_driven" {
            let invitation = self
                .invite(
                    &order,
                    &json!({ "party": "actor", "invitee_name": "Actor Wang" }),
                )
                .await;
            let actor = self
                .sign_invitation(
                    invitation.body["path"].as_str().unwrap(),
                    &json!({ "text_id": texts["actor"], "signer_name": "Wang Lei", "grants": { "modalities": ["face", "voice"], "purposes": ["live_call"] } }),
                )
                .await;
            assert_eq!(actor.status, StatusCode::CREATED, "{:?}", actor.body);
        }
        let approved = self
            .review_consents(&order, reviewer, &json!({ "decision": "approve" }))
            .await;
        assert_eq!(approved.body["status"], "queued", "{:?}", approved.body);
        order
    }

    /// `GET …/production` as `token`.
    pub async fn production_of(&self, order: &str, token: &str) -> Value {
        let reply = self
            .send(
                Method::GET,
                &format!("/api/v1/orders/{order}/production"),
                &[("authorization", token)],
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body
    }

    /// A `{mode}` order taken through every production stage by `staff`, waiting in quality
    /// check (not signed off).
    pub async fn order_in_quality_check(
        &self,
        mode: &str,
        reviewer: &str,
        staff: &str,
        texts: &std::collections::HashMap<String, String>,
    ) -> String {
        let order = self.queued_order(mode, reviewer, texts).await;
        self.produce(&order, staff).await;
        order
    }

    /// A queued order taken by `staff` through every production stage to quality check.
    pub async fn produce(&self, order: &str, staff: &str) {
        let started = self.act(order, "start_production", staff, None).await;
        assert_eq!(started.status, StatusCode::OK, "{:?}", started.body);
        loop {
            let view = self.production_of(order, staff).await;
            let Some(stage) = view["current_stage"].as_str() else {
                break;
            };
            let stage = stage.to_owned();
            let advanced = self
                .act(order, "advance", staff, Some(&json!({ "stage": stage })))
                .await;
            assert_eq!(advanced.status, StatusCode::OK, "{:?}", advanced.body);
        }
        assert_eq!(self.status_as(order, staff).await, "quality_check");
    }

    /// Upload `bytes` as a deliverable (a video unless `kind` says otherwise) as `staff`:
    /// start, PUT with the instructed headers, complete. Returns the completion reply.
    pub async fn upload_deliverable(
        &self,
        order: &str,
        staff: &str,
        kind: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Reply {
        let started = self
            .send(
                Method::POST,
                &format!("/api/v1/orders/{order}/deliverables"),
                &[("authorization", staff)],
                Some(&json!({ "kind": kind, "file_name": "likeness.mp4", "size": bytes.len(), "sha256": crate::helpers::sha256_hex(bytes), "content_type": content_type })),
            )
            .await;
        assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
        let parts = self
            .put_all_as(&started.body["upload"], bytes, &[("authorization", staff)])
            .await;
        let id = started.body["deliverable"]["id"].as_str().unwrap();
        self.send(
            Method::POST,
            &format!("/api/v1/orders/{order}/deliverables/{id}/complete"),
            &[("authorization", staff)],
            Some(&json!({ "parts": if parts.is_empty() { Value::Null } else { Value::from(parts) } })),
        )
        .await
    }

    /// A machine-driven order delivered with one verified, labeled video; returns
    /// (order id, deliverable id).
    pub async fn delivered_order(
        &self,
        reviewer: &str,
        staff: &str,
        texts: &std::collections::HashMap<String, String>,
    ) -> (String, String) {
        let order = self
            .order_in_quality_check("machine_driven", reviewer, staff, texts)
            .await;
        let id = self
            .sign_off_and_deliver(&order, reviewer, staff, &Self::delivered_video())
            .await;
        (order, id)
    }

    /// The video [`Self::delivered_order`] delivers.
    pub fn delivered_video() -> Vec<u8> {
        samples::mp4(640, 480, 2_000, true, 4096)
    }

    /// An order in quality check signed off by `reviewer`, then `video` uploaded as its
    /// deliverable and delivered by `staff`; returns the deliverable's id.
    pub async fn sign_off_and_deliver(
        &self,
        order: &str,
        reviewer: &str,
        staff: &str,
        video: &[u8],
    ) -> String {
        let signed = self.act(order, "sign_off_quality", reviewer, None).await;
        assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
        let verified = self
            .upload_deliverable(order, staff, "video", "video/mp4", video)
            .await;
        assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
        let delivered = self.act(order, "deliver", staff, None).await;
        assert_eq!(delivered.status, StatusCode::OK, "{:?}", delivered.body);
        verified.body["id"].as_str().unwrap().to_owned()
    }
}

/// A human_driven order in production, its people and its actors' consents.
pub struct InProduction {
    pub order: String,
    pub staff: String,
    pub reviewer: String,
    /// The actor's consent: face and voice for the live call.
    pub actor_consent: String,
    /// The path of the invitation the actor signed through (to withdraw).
    pub actor_link: String,
    /// A second actor who granted their voice only.
    pub voice_only_consent: String,
}

/// A human_driven order in production with two actor consents (one usable, one voice-only).
pub async fn human_order_in_production(app: &TestApp) -> InProduction {
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let order = app.screened_order("human_driven", &reviewer).await;
    let signed = app
        .sign_requester(&order, &texts["requester"], "human_driven")
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
    let text = &texts["actor"];
    let (actor_consent, actor_link) =
        sign_actor(app, &order, text, "Wang Lei", json!(["face", "voice"])).await;
    let (voice_only_consent, _) = sign_actor(app, &order, text, "Li Na", json!(["voice"])).await;
    let approved = app
        .review_consents(&order, &reviewer, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(approved.body["status"], "queued", "{:?}", approved.body);
    let started = app.act(&order, "start_production", &staff, None).await;
    assert_eq!(started.status, StatusCode::OK, "{:?}", started.body);
    InProduction {
        order,
        staff,
        reviewer,
        actor_consent,
        actor_link,
        voice_only_consent,
    }
}

/// An actor signs through an invitation; returns their consent id and the invitation path.
pub async fn sign_actor(
    app: &TestApp,
    order: &str,
    text: &str,
    name: &str,
    modalities: Value,
) -> (String, String) {
    let invitation = app
        .invite(order, &json!({ "party": "actor", "invitee_name": name }))
        .await;
    assert_eq!(
        invitation.status,
        StatusCode::CREATED,
        "{:?}",
        invitation.body
    );
    let path = invitation.body["path"].as_str().unwrap().to_owned();
    let consent = app
        .sign_invitation(
            &path,
            &json!({ "text_id": text, "signer_name": name, "grants": { "modalities": modalities, "purposes": ["live_call"] } }),
        )
        .await;
    assert_eq!(consent.status, StatusCode::CREATED, "{:?}", consent.body);
    (consent.body["id"].as_str().unwrap().to_owned(), path)
}

/// `got` is the labeled copy of `original` (a `media` file): the same picture, sound or
/// running time, the GB 45438 label inside it, and a C2PA manifest that validates against
/// its bytes — checked by someone who does not hold the studio's certificate.
pub async fn assert_labeled_copy_of(
    got: &[u8],
    original: &[u8],
    media: keepsake::media::MediaType,
) {
    let bytes = bytes::Bytes::copy_from_slice(got);
    assert!(
        got.len() > original.len(),
        "the copy carries more than the original"
    );
    assert_eq!(
        keepsake::media::probe(&bytes, media).await.unwrap(),
        keepsake::media::probe(&bytes::Bytes::copy_from_slice(original), media)
            .await
            .unwrap(),
        "the same media"
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), got).unwrap();
    let report = keepsake::labels::file_check::check(file.path(), None)
        .await
        .unwrap();
    assert!(
        report.passes(),
        "both labels inside and holding: {report:?}"
    );
    assert_eq!(report.content_type, media.mime());
}
