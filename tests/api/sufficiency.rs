//! The sufficiency report over real uploads.

use keepsake::media::samples;
use reqwest::StatusCode;

use crate::helpers::{TestApp, order_body};

#[tokio::test]
async fn the_report_counts_verified_samples_and_says_what_is_missing() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/orders/{order}/sufficiency");

    let empty = app.get(&path).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body["passed"], false);
    assert_eq!(
        empty.body["summary"],
        "Please add 10 more photos (at least 512 pixels on the shorter side), 3 more minutes of voice recordings and 30 more seconds of video."
    );

    for (kind, mime, bytes) in [
        ("photo", "image/jpeg", samples::jpeg(600, 800)),
        ("photo", "image/png", samples::png(1024, 512)),
        ("photo", "image/png", samples::png(300, 300)),
        ("voice", "audio/mp4", samples::m4a(150_000)),
        ("voice", "audio/wav", samples::wav(31_000, 8_000)),
        (
            "video",
            "video/mp4",
            samples::mp4(1280, 720, 10_000, true, 1024),
        ),
    ] {
        assert_eq!(
            app.upload_sample(&order, kind, mime, &bytes).await.status,
            StatusCode::OK,
            "{mime}"
        );
    }
    // A rejected upload counts for nothing.
    let png = samples::png(900, 900);
    assert_eq!(
        app.upload_sample(&order, "photo", "image/jpeg", &png)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let report = app.get(&path).await.body;
    assert_eq!(
        report["criteria"][0]["actual"], 2,
        "the 300 px photo is too small"
    );
    assert_eq!(report["criteria"][1]["actual"], 181);
    assert_eq!(report["criteria"][1]["met"], true);
    assert_eq!(report["criteria"][2]["actual"], 10);
    assert_eq!(
        report["summary"],
        "Please add 8 more photos (at least 512 pixels on the shorter side) and 20 more seconds of video."
    );
}

#[tokio::test]
async fn thresholds_are_configurable() {
    let app = TestApp::spawn_with(|s| {
        s.sufficiency.human_driven.min_photos = 1;
        s.sufficiency.human_driven.min_video_secs = 5;
    })
    .await;
    let order = app.create_order(&order_body("human_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.upload_sample(&order, "photo", "image/jpeg", &samples::jpeg(512, 512))
        .await;
    app.upload_sample(
        &order,
        "video",
        "video/mp4",
        &samples::mp4(1280, 720, 5_000, false, 1024),
    )
    .await;
    let report = app
        .get(&format!("/api/v1/orders/{order}/sufficiency"))
        .await
        .body;
    assert_eq!(report["passed"], true, "{report}");
    assert_eq!(
        report["summary"],
        "The samples are enough for a human-driven live likeness."
    );
}

#[tokio::test]
async fn the_same_photo_uploaded_twice_counts_once() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let photo = samples::jpeg(800, 800);
    for _ in 0..3 {
        assert_eq!(
            app.upload_sample(&order, "photo", "image/jpeg", &photo)
                .await
                .status,
            StatusCode::OK
        );
    }
    let report = app
        .get(&format!("/api/v1/orders/{order}/sufficiency"))
        .await
        .body;
    assert_eq!(report["criteria"][0]["actual"], 1);
}
