//! The upload sweeper: old unfinished uploads are aborted and their bytes removed; fresh or
//! resumed ones are left alone; two sweepers at once abort each upload once; bytes put back
//! through a still-valid URL after a rejection are purged once the URLs have expired.

use keepsake::jobs::upload_sweeper::{self, Swept};
use keepsake::media::samples;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{MIB, TestApp, order_body, sha256_hex};

async fn new_order(app: &TestApp) -> String {
    app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Pretend a sample was last touched `hours` ago.
async fn backdate(app: &TestApp, sample_id: &str, hours: i64) {
    use keepsake::db::entities::sample;
    let then = keepsake::db::now() - chrono::Duration::hours(hours);
    sample::Entity::update_many()
        .col_expr(
            sample::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(then),
        )
        .filter(sample::Column::Id.eq(sample_id.parse::<uuid::Uuid>().unwrap()))
        .exec(&app.state.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn abandoned_uploads_are_aborted_once_and_their_parts_removed() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;

    // One multipart upload with a part stored, one single upload with its object stored.
    let video = samples::mp4(640, 360, 5_000, false, 6 * MIB);
    let multipart = app.start_upload(&order, "video", "video/mp4", &video).await;
    let part1 = app
        .sign_parts(&multipart.body["upload"], &video, &[1])
        .await;
    let stored = app
        .put_presigned(&part1[0]["request"], video[..5 * MIB].to_vec())
        .await;
    assert!(stored.status().is_success(), "part 1 stored");
    let photo = samples::jpeg(600, 600);
    let single = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    app.put_all(&single.body["upload"], &photo).await;
    assert_eq!(app.stored_keys(&order).await.len(), 1);
    assert!(
        !app.stray_part_files().is_empty(),
        "the part is in the store"
    );

    let now = keepsake::db::now();
    assert_eq!(
        upload_sweeper::sweep_once(&app.state, now).await.unwrap(),
        Swept::default(),
        "nothing is old yet"
    );

    let later = now + chrono::Duration::hours(25);
    let (a, b) = tokio::join!(
        upload_sweeper::sweep_once(&app.state, later),
        upload_sweeper::sweep_once(&app.state, later)
    );
    assert_eq!(
        a.unwrap().aborted + b.unwrap().aborted,
        2,
        "each upload aborted exactly once"
    );

    for started in [&multipart, &single] {
        let id = started.body["sample"]["id"].as_str().unwrap();
        let sample = app
            .get(&format!("/api/v1/orders/{order}/samples/{id}"))
            .await;
        assert_eq!(sample.body["status"], "aborted");
        let resume = app
            .get(&format!("/api/v1/orders/{order}/samples/{id}/upload"))
            .await;
        assert_eq!(resume.status, StatusCode::CONFLICT);
        let events = keepsake::audit::events_for(&app.state.db, id.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| e.action == "sample.upload_abandoned")
                .count(),
            1
        );
    }
    assert!(app.stored_keys(&order).await.is_empty());
    assert_eq!(
        app.stray_part_files(),
        Vec::<String>::new(),
        "no part of the multipart upload is left"
    );

    // Once the URLs have expired the keys are purged for good (and only once).
    let after_urls = later + chrono::Duration::minutes(20);
    let (a, b) = tokio::join!(
        upload_sweeper::sweep_once(&app.state, after_urls),
        upload_sweeper::sweep_once(&app.state, after_urls)
    );
    assert_eq!(a.unwrap().purged + b.unwrap().purged, 2);
}

#[tokio::test]
async fn a_resumed_upload_is_not_abandoned() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::jpeg(600, 600);
    let idle = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    let resumed = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    let (idle_id, resumed_id) = (
        idle.body["sample"]["id"].as_str().unwrap(),
        resumed.body["sample"]["id"].as_str().unwrap(),
    );
    backdate(&app, idle_id, 30).await;
    backdate(&app, resumed_id, 30).await;

    let again = app
        .get(&format!(
            "/api/v1/orders/{order}/samples/{resumed_id}/upload"
        ))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(
        upload_sweeper::sweep_once(&app.state, keepsake::db::now())
            .await
            .unwrap()
            .aborted,
        1
    );
    assert_eq!(
        app.get(&format!("/api/v1/orders/{order}/samples/{idle_id}"))
            .await
            .body["status"],
        "aborted"
    );
    assert_eq!(
        app.get(&format!("/api/v1/orders/{order}/samples/{resumed_id}"))
            .await
            .body["status"],
        "uploading"
    );
}

#[tokio::test]
async fn bytes_put_back_after_a_rejection_are_purged_when_the_urls_expire() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let png = samples::png(600, 600);
    // Declared as a JPEG: rejected at completion, and the object deleted.
    let started = app
        .start_upload_declared(
            &order,
            "photo",
            "image/jpeg",
            png.len() as u64,
            &sha256_hex(&png),
        )
        .await;
    let put = started.body["upload"]["put"].clone();
    assert!(
        app.put_presigned(&put, png.clone())
            .await
            .status()
            .is_success()
    );
    let sample_id = started.body["sample"]["id"].as_str().unwrap();
    assert_eq!(
        app.complete(&order, sample_id).await.code(),
        "type_mismatch"
    );
    assert!(app.stored_keys(&order).await.is_empty());

    // The URL is still valid: the same bytes can be put back...
    assert!(app.put_presigned(&put, png).await.status().is_success());
    assert_eq!(app.stored_keys(&order).await.len(), 1);
    // ...but not for long: once every URL has expired, the sweeper removes them for good.
    let now = keepsake::db::now();
    assert_eq!(
        upload_sweeper::sweep_once(&app.state, now)
            .await
            .unwrap()
            .purged,
        0,
        "URLs may still be in use"
    );
    let later = now + chrono::Duration::minutes(20);
    assert_eq!(
        upload_sweeper::sweep_once(&app.state, later)
            .await
            .unwrap()
            .purged,
        1
    );
    assert!(app.stored_keys(&order).await.is_empty());
    assert_eq!(
        upload_sweeper::sweep_once(&app.state, later)
            .await
            .unwrap()
            .purged,
        0,
        "purged once"
    );

    use keepsake::db::entities::sample;
    let row = sample::Entity::find_by_id(sample_id.parse::<uuid::Uuid>().unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.purged_at.is_some());
    let events = keepsake::audit::events_for(&app.state.db, row.id)
        .await
        .unwrap();
    assert_eq!(
        events.last().map(|e| e.action.as_str()),
        Some("sample.bytes_purged")
    );
}
