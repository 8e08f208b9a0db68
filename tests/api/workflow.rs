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
        let reply = self.get(&format!("/api/v1/orders/{order}")).await;
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
}
