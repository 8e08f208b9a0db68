//! Sending the photos, a voice recording and a video from the page: progress shown, the
//! video in parts, a reload in the middle of it and the same file chosen again resumes where
//! it stopped, the sufficiency meter turns to "enough", and a wrong file is refused with the
//! reason in words.

use std::path::{Path, PathBuf};

use keepsake::media::samples;

use crate::harness::{self, Browser, Options};
use crate::helpers::{MIB, TestApp, order_body};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

/// The shown states of the queue's rows, by file name.
async fn states(browser: &Browser) -> Vec<(String, String)> {
    let script = "return Array.from(document.querySelectorAll('#queue li')).map(li => \
                  [li.querySelector('.file-name').textContent, li.dataset.state || '', \
                   li.querySelector('.file-state').textContent]);";
    let rows = browser.client.execute(script, vec![]).await.expect("rows");
    rows.as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    (
                        r[0].as_str().unwrap_or_default().to_owned(),
                        format!(
                            "{}|{}",
                            r[1].as_str().unwrap_or_default(),
                            r[2].as_str().unwrap_or_default()
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn photos_voice_and_a_video_in_parts_resume_after_a_reload() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let Some(browser) = harness::open(
        &app.base,
        Options {
            language: "en",
            javascript: true,
        },
    )
    .await
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Ten distinct photos large enough to count, a 3-minute recording, a 31-second video of
    // 12 MiB (three 5 MiB parts in tests), and a web page saved under a photo's name.
    let photos: Vec<PathBuf> = (0..10u16)
        .map(|i| {
            write(
                dir.path(),
                &format!("photo-{i}.jpg"),
                &samples::jpeg(600 + i, 800),
            )
        })
        .collect();
    let voice = write(dir.path(), "voice.wav", &samples::wav(181_000, 8_000));
    let video_bytes = samples::mp4(640, 480, 31_000, false, 12 * MIB);
    let video = write(dir.path(), "video.mp4", &video_bytes);
    let fake = write(
        dir.path(),
        "not-a-photo.jpg",
        b"<!doctype html><html><body>hello</body></html>",
    );

    browser.sign_in("customer@example.com").await;
    browser.goto(&format!("/orders/{id}/samples")).await;
    assert!(
        browser
            .text("#sufficiency")
            .await
            .contains("10 more would help")
    );

    let mut first = photos.clone();
    first.push(voice.clone());
    first.push(fake.clone());
    browser.choose_files("#files", &first).await;
    harness::until(&browser, "photos and voice checked", async |b| {
        let rows = states(b).await;
        rows.len() == 12
            && rows
                .iter()
                .all(|(_, s)| s.starts_with("verified") || s.starts_with("rejected"))
    })
    .await;
    let rows = states(&browser).await;
    let fake_row = rows.iter().find(|(n, _)| n == "not-a-photo.jpg").unwrap();
    assert_eq!(
        fake_row.1,
        "rejected|This is not a photo we can read — perhaps a web page or another kind of file saved under a photo's name."
    );
    let photo_row = rows.iter().find(|(n, _)| n == "photo-3.jpg").unwrap();
    assert_eq!(photo_row.1, "verified|Checked: 603 × 800");
    let voice_row = rows.iter().find(|(n, _)| n == "voice.wav").unwrap();
    assert_eq!(voice_row.1, "verified|Checked: 3 min 1 s");
    assert!(
        browser.exists("#queue img.thumb").await,
        "photos show thumbnails"
    );
    if let Some(dir) = std::env::var_os("KEEPSAKE_SCREENSHOTS") {
        let dir = PathBuf::from(dir);
        browser
            .screenshot(&dir, "samples-sent-en-desktop", harness::DESKTOP.0)
            .await;
        browser
            .screenshot(&dir, "samples-sent-en-phone", harness::PHONE.0)
            .await;
    }
    let meter = browser.text("#sufficiency").await;
    assert!(meter.contains("Photos: 10 — enough"), "{meter}");
    assert!(meter.contains("Voice: 3 min — enough"), "{meter}");

    // The video, slowly: reload once its first part is in the store, then choose it again.
    // 1 MiB/s: the first 5 MiB part takes about 5 s, the rest 7 s more — time enough to
    // see the first part stored and reload before the end, even on a loaded machine.
    browser.throttle_uploads(MIB as u64).await;
    browser
        .choose_files("#files", std::slice::from_ref(&video))
        .await;
    harness::until(&browser, "the video's first part stored", async |_| {
        let sample = app.get(&format!("/api/v1/orders/{id}/samples")).await;
        let Some(video) = sample.body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|s| s["file_name"] == "video.mp4"))
        else {
            return false;
        };
        let sid = video["id"].as_str().unwrap_or_default();
        let upload = app
            .get(&format!("/api/v1/orders/{id}/samples/{sid}/upload"))
            .await;
        upload.body["uploaded_parts"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    })
    .await;
    assert!(browser.exists("#queue progress").await, "progress is shown");
    browser.reload().await;
    browser.throttle_uploads(200 * MIB as u64).await;
    browser
        .choose_files("#files", std::slice::from_ref(&video))
        .await;
    harness::until(&browser, "the video checked", async |b| {
        states(b)
            .await
            .iter()
            .any(|(n, s)| n == "video.mp4" && s.starts_with("verified"))
    })
    .await;
    let meter = browser.text("#sufficiency").await;
    assert!(meter.contains("Video: 31 s — enough"), "{meter}");
    assert!(
        !meter.contains("would help"),
        "everything is enough now: {meter}"
    );

    // Exactly one video sample, verified, byte-identical to the file chosen.
    let listed = app.get(&format!("/api/v1/orders/{id}/samples")).await;
    let videos: Vec<_> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["file_name"] == "video.mp4")
        .collect();
    assert_eq!(
        videos.len(),
        1,
        "the reload resumed the same upload: {videos:?}"
    );
    assert_eq!(videos[0]["status"], "verified");
    let sid = videos[0]["id"].as_str().unwrap();
    let link = app
        .get(&format!("/api/v1/orders/{id}/samples/{sid}/download"))
        .await;
    let url = link.body["request"]["url"].as_str().expect("download url");
    let downloaded = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert!(
        downloaded.as_ref() == video_bytes.as_slice(),
        "the stored video is the file chosen"
    );
    browser.close().await;
}
