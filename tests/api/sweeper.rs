//! The abandoned-upload sweeper: old unfinished uploads are aborted and their bytes removed;
//! fresh ones are left alone; two sweepers at once abort each upload once.

use keepsake::jobs::upload_sweeper;
use keepsake::media::samples;
use reqwest::StatusCode;

use crate::helpers::{MIB, TestApp, order_body};

#[tokio::test]
async fn abandoned_uploads_are_aborted_once_and_their_parts_removed() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // One multipart upload with a part stored, one single upload with its object stored.
    let video = samples::mp4(640, 360, 5_000, false, 6 * MIB);
    let multipart = app.start_upload(&order, "video", "video/mp4", &video).await;
    app.put_presigned(
        &multipart.body["upload"]["parts"][0]["request"],
        video[..5 * MIB].to_vec(),
    )
    .await;
    let photo = samples::jpeg(600, 600);
    let single = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    app.put_all(&single.body["upload"], &photo).await;
    assert_eq!(app.stored_keys(&order).await.len(), 1);

    let now = keepsake::db::now();
    assert_eq!(
        upload_sweeper::sweep_once(&app.state, now).await.unwrap(),
        0,
        "nothing is old yet"
    );

    let later = now + chrono::Duration::hours(25);
    let (a, b) = tokio::join!(
        upload_sweeper::sweep_once(&app.state, later),
        upload_sweeper::sweep_once(&app.state, later)
    );
    assert_eq!(
        a.unwrap() + b.unwrap(),
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
    let row = keepsake::db::samples::find(
        &app.state.db,
        order.parse().unwrap(),
        multipart.body["sample"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let parts = app
        .state
        .store
        .list_parts(&row.object_key, row.multipart_upload_id.as_deref().unwrap())
        .await;
    assert!(
        parts.map(|p| p.is_empty()).unwrap_or(true),
        "the multipart upload is gone"
    );
}
