//! Object-level authorization on the order and sample routes: a customer reaches only their own
//! orders (another's answers 404 exactly like a missing one), the studio reads every order but
//! does not act as the customer, anonymous callers get 401, and idempotency keys are per person.

use keepsake::domain::account::Role;
use keepsake::media::samples;
use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, order_body};

/// A route to try: method, path, extra headers.
type Route = (Method, String, Vec<(&'static str, &'static str)>);

struct World {
    app: TestApp,
    order: String,
    sample: String,
    other: String,
    staff: String,
}

/// The default customer's order with one verified photo, another customer, and a staff member.
async fn world() -> World {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let photo = app
        .upload_sample(&order, "photo", "image/jpeg", &samples::jpeg(600, 600))
        .await;
    assert_eq!(photo.status, StatusCode::OK);
    let sample = photo.body["id"].as_str().unwrap().to_owned();
    let other = app.customer("other@example.com").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    World {
        app,
        order,
        sample,
        other,
        staff,
    }
}

#[tokio::test]
async fn another_customers_order_is_indistinguishable_from_a_missing_one() {
    let w = world().await;
    let missing = "01a2225f-0000-7000-8000-000000000000";
    let routes = |id: &str, sample: &str| -> Vec<Route> {
        vec![
            (Method::GET, format!("/api/v1/orders/{id}"), vec![]),
            (
                Method::PATCH,
                format!("/api/v1/orders/{id}"),
                vec![("if-match", "\"v99\"")],
            ),
            (
                Method::POST,
                format!("/api/v1/orders/{id}/actions/submit"),
                vec![("if-match", "\"v99\"")],
            ),
            (Method::GET, format!("/api/v1/orders/{id}/samples"), vec![]),
            (Method::POST, format!("/api/v1/orders/{id}/samples"), vec![]),
            (
                Method::GET,
                format!("/api/v1/orders/{id}/samples/{sample}"),
                vec![],
            ),
            (
                Method::GET,
                format!("/api/v1/orders/{id}/samples/{sample}/upload"),
                vec![],
            ),
            (
                Method::POST,
                format!("/api/v1/orders/{id}/samples/{sample}/complete"),
                vec![],
            ),
            (
                Method::GET,
                format!("/api/v1/orders/{id}/sufficiency"),
                vec![],
            ),
        ]
    };
    let body = serde_json::json!({ "jurisdiction": "HK" });
    let start = serde_json::json!({ "kind": "photo", "file_name": "a.jpg", "size": 10, "sha256": "a".repeat(64), "content_type": "image/jpeg" });
    for ((method, theirs, headers), (_, absent, _)) in routes(&w.order, &w.sample)
        .into_iter()
        .zip(routes(missing, missing))
    {
        let payload = if theirs.ends_with("/samples") && method == Method::POST {
            Some(&start)
        } else if method == Method::PATCH {
            Some(&body)
        } else {
            None
        };
        let mut as_other: Vec<(&str, &str)> = headers.clone();
        as_other.push(("authorization", &w.other));
        let reply = w
            .app
            .send(method.clone(), &theirs, &as_other, payload)
            .await;
        let nothing = w
            .app
            .send(method.clone(), &absent, &as_other, payload)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {theirs}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.body, nothing.body,
            "{method} {theirs} must look exactly like a missing order"
        );
    }
    // Nothing changed, and the other customer's list is empty.
    let order = w.app.get(&format!("/api/v1/orders/{}", w.order)).await;
    assert_eq!(order.body["version"], 1);
    let list = w
        .app
        .send(
            Method::GET,
            "/api/v1/orders",
            &[("authorization", &w.other)],
            None,
        )
        .await;
    assert!(list.body["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_studio_reads_every_order_but_does_not_act_as_the_customer() {
    let w = world().await;
    let staff = [("authorization", w.staff.as_str())];
    let list = w
        .app
        .send(Method::GET, "/api/v1/orders", &staff, None)
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        w.app
            .send(
                Method::GET,
                &format!("/api/v1/orders/{}", w.order),
                &staff,
                None
            )
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        w.app
            .send(
                Method::GET,
                &format!("/api/v1/orders/{}/sufficiency", w.order),
                &staff,
                None
            )
            .await
            .status,
        StatusCode::OK
    );

    let edit = w
        .app
        .send(
            Method::PATCH,
            &format!("/api/v1/orders/{}", w.order),
            &[("authorization", w.staff.as_str()), ("if-match", "\"v1\"")],
            Some(&serde_json::json!({ "jurisdiction": "HK" })),
        )
        .await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    assert_eq!(edit.code(), "not_the_customer");
    let create = w
        .app
        .send(
            Method::POST,
            "/api/v1/orders",
            &[
                ("authorization", w.staff.as_str()),
                ("idempotency-key", "s1"),
            ],
            Some(&order_body("machine_driven")),
        )
        .await;
    assert_eq!(create.code(), "customers_only");
}

#[tokio::test]
async fn anonymous_callers_reach_only_the_public_routes() {
    let w = world().await;
    for (method, path) in [
        (Method::GET, "/api/v1/orders".to_owned()),
        (Method::POST, "/api/v1/orders".to_owned()),
        (Method::GET, format!("/api/v1/orders/{}", w.order)),
        (Method::GET, format!("/api/v1/orders/{}/samples", w.order)),
        (
            Method::GET,
            format!("/api/v1/orders/{}/sufficiency", w.order),
        ),
        (Method::GET, "/api/v1/me".to_owned()),
    ] {
        let reply = w.app.send_anonymous(method.clone(), &path, &[], None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    for path in ["/healthz", "/readyz", "/api/openapi.json"] {
        assert_eq!(
            w.app
                .send_anonymous(Method::GET, path, &[], None)
                .await
                .status,
            StatusCode::OK,
            "{path}"
        );
    }
}

#[tokio::test]
async fn personal_data_is_never_cached_and_changes_name_their_actor() {
    let w = world().await;
    let order = w.app.get(&format!("/api/v1/orders/{}", w.order)).await;
    assert_eq!(order.headers["cache-control"], "no-store");
    let me = w.app.get("/api/v1/me").await;
    assert_eq!(me.headers["cache-control"], "no-store");
    let events = keepsake::audit::events_for(&w.app.state.db, w.order.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        events[0].actor,
        format!("user:{}", me.body["id"].as_str().unwrap())
    );
}

#[tokio::test]
async fn idempotency_keys_belong_to_one_person() {
    let w = world().await;
    let body = order_body("human_driven");
    let mine = w
        .app
        .send(
            Method::POST,
            "/api/v1/orders",
            &[("idempotency-key", "same")],
            Some(&body),
        )
        .await;
    let theirs = w
        .app
        .send(
            Method::POST,
            "/api/v1/orders",
            &[("idempotency-key", "same"), ("authorization", &w.other)],
            Some(&body),
        )
        .await;
    assert_eq!(mine.status, StatusCode::CREATED);
    assert_eq!(theirs.status, StatusCode::CREATED);
    assert_ne!(
        mine.body["id"], theirs.body["id"],
        "one customer's key never returns another's order"
    );
    assert!(theirs.headers.get("idempotent-replayed").is_none());
}

#[tokio::test]
async fn sample_downloads_are_short_lived_audited_and_only_for_those_who_may_see() {
    let w = world().await;
    let path = format!("/api/v1/orders/{}/samples/{}/download", w.order, w.sample);
    let mine = w.app.get(&path).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    let url = mine.body["request"]["url"].as_str().unwrap();
    let expires: u64 = url
        .split("X-Amz-Expires=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(expires <= 900, "{expires}");
    let bytes = w
        .app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], &samples::jpeg(600, 600)[..]);

    assert_eq!(
        w.app
            .send(Method::GET, &path, &[("authorization", &w.staff)], None)
            .await
            .status,
        StatusCode::OK
    );
    let other = w
        .app
        .send(Method::GET, &path, &[("authorization", &w.other)], None)
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    let events = keepsake::audit::events_for(&w.app.state.db, w.sample.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "sample.download_url_issued")
            .count(),
        2,
        "the owner's and the staff's"
    );

    let pending = w
        .app
        .start_upload(&w.order, "photo", "image/jpeg", &samples::jpeg(700, 700))
        .await;
    let pending_id = pending.body["sample"]["id"].as_str().unwrap();
    let early = w
        .app
        .get(&format!(
            "/api/v1/orders/{}/samples/{pending_id}/download",
            w.order
        ))
        .await;
    assert_eq!(early.code(), "sample_not_verified");
}

#[tokio::test]
async fn refused_access_is_audited() {
    let w = world().await;
    w.app
        .send(
            Method::GET,
            &format!("/api/v1/orders/{}", w.order),
            &[("authorization", &w.other)],
            None,
        )
        .await;
    w.app
        .send(
            Method::PATCH,
            &format!("/api/v1/orders/{}", w.order),
            &[("authorization", &w.staff), ("if-match", "\"v1\"")],
            Some(&serde_json::json!({ "jurisdiction": "HK" })),
        )
        .await;
    let events = keepsake::audit::events_for(&w.app.state.db, w.order.parse().unwrap())
        .await
        .unwrap();
    let denied: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e.action == "access.denied")
        .map(|e| (e.actor.as_str(), e.detail["code"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert_eq!(denied[0].1, "order_not_found");
    assert_eq!(denied[1].1, "not_the_customer");
}

#[tokio::test]
async fn a_customer_cannot_list_another_customers_orders_by_filtering() {
    let w = world().await;
    let me = w.app.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let snooping = w
        .app
        .send(
            Method::GET,
            &format!("/api/v1/orders?customer_id={me}"),
            &[("authorization", &w.other)],
            None,
        )
        .await;
    assert_eq!(snooping.status, StatusCode::OK);
    assert!(
        snooping.body["items"].as_array().unwrap().is_empty(),
        "the filter is ignored for customers"
    );
    let studio = w
        .app
        .send(
            Method::GET,
            &format!("/api/v1/orders?customer_id={me}"),
            &[("authorization", &w.staff)],
            None,
        )
        .await;
    assert_eq!(studio.body["items"].as_array().unwrap().len(), 1);
    let nobody = w
        .app
        .send(
            Method::GET,
            &format!("/api/v1/orders?customer_id={}", uuid::Uuid::nil()),
            &[("authorization", &w.staff)],
            None,
        )
        .await;
    assert!(nobody.body["items"].as_array().unwrap().is_empty());
}
