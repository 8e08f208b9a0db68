//! The samples page: the photos, recordings and videos sent so far (each verified with its
//! picture size or running time, or rejected with the reason in words), the sufficiency meter,
//! and the uploader. Uploading is the one thing a browser must do itself: `assets/upload.js`
//! hashes each file (whole-file SHA-256 in a worker, each part with Web Crypto), sends it
//! straight to the object store through the JSON API's presigned URLs, shows progress, speed
//! and what is left, pauses and resumes, and — after a reload — resumes a file chosen again
//! where it stopped. Without JavaScript the page says so and still lists what was sent.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use crate::db::samples::SampleRow;
use crate::domain::sample::{SampleKind, SampleStatus, shown_status};
use crate::orders;
use crate::state::AppState;
use crate::uploads;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::Member;

use super::draft::Steps;
use crate::web::words::samples_in_words;

/// One file sent, in words.
struct Sent {
    name: String,
    kind: String,
    /// Where it stands, with its size or running time once verified.
    state: String,
    rejected: bool,
}

#[derive(Template)]
#[template(path = "portal/samples.html")]
struct SamplesPage {
    page: Page,
    id: Uuid,
    accepts: bool,
    sufficiency: Vec<String>,
    sent: Vec<Sent>,
    /// The words the uploader needs, as a JSON data block (not executed).
    words_json: String,
    steps: Steps,
}

/// `1920 × 1080` / `3 min 12 s`.
fn measure(lang: Lang, row: &SampleRow) -> Option<String> {
    match (row.kind, row.width, row.height, row.duration_ms) {
        (SampleKind::Photo | SampleKind::Document, Some(w), Some(h), _) => {
            Some(format!("{w} × {h}"))
        }
        (SampleKind::Voice | SampleKind::Video, _, _, Some(ms)) => {
            let secs = (ms + 500) / 1000;
            Some(lang.fill(
                "samples.duration",
                &[
                    ("min", &(secs / 60).to_string()),
                    ("sec", &(secs % 60).to_string()),
                ],
            ))
        }
        _ => None,
    }
}

fn sent_in_words(lang: Lang, row: &SampleRow) -> Sent {
    let status = shown_status(row.status, row.purged_at.is_some());
    let state = match status {
        SampleStatus::Verified => match measure(lang, row) {
            Some(size) => lang.fill("samples.verified_with", &[("size", &size)]),
            None => lang.text("samples.verified"),
        },
        SampleStatus::Rejected => {
            let code = row.rejection_code.as_deref().unwrap_or("other");
            lang.lookup(&format!("upload.rejected.{code}.{}", row.kind.as_str()))
                .or_else(|| lang.lookup(&format!("upload.rejected.{code}")))
                .unwrap_or_else(|| lang.t("upload.rejected.other"))
                .to_owned()
        }
        other => lang.text(&format!("samples.status.{}", other.as_str())),
    };
    Sent {
        name: row.file_name.clone(),
        kind: lang.text(&format!("samples.kind.{}", row.kind.as_str())),
        state,
        rejected: status == SampleStatus::Rejected,
    }
}

/// Every catalog text the uploader script shows, by key.
pub fn uploader_words(lang: Lang) -> String {
    const KEYS: &[&str] = &[
        "upload.hashing",
        "upload.starting",
        "upload.sending",
        "upload.paused",
        "upload.resuming",
        "upload.checking",
        "upload.verified",
        "upload.verified_with",
        "upload.failed",
        "upload.pause",
        "upload.resume",
        "upload.speed",
        "upload.left",
        "upload.minutes_left",
        "upload.seconds_left",
        "upload.not_accepted",
        "upload.rejected.other",
        "upload.rejected.unrecognized_type",
        "upload.rejected.unrecognized_type.photo",
        "upload.rejected.type_mismatch",
        "upload.rejected.wrong_kind",
        "upload.rejected.unreadable_media",
        "upload.rejected.empty_file",
        "upload.rejected.checksum_mismatch",
        "upload.rejected.size_mismatch",
        "upload.rejected.no_video_track",
        "upload.rejected.file_too_large",
        "upload.rejected.content_type_not_allowed",
        "upload.offline",
        "samples.duration",
        "sufficiency.photos_met",
        "sufficiency.photos_more",
        "sufficiency.voice_met",
        "sufficiency.voice_more",
        "sufficiency.video_met",
        "sufficiency.video_more",
        "sufficiency.seconds",
        "sufficiency.minutes",
    ];
    let map: serde_json::Map<String, serde_json::Value> = KEYS
        .iter()
        .map(|k| ((*k).to_owned(), lang.t(k).into()))
        .collect();
    // Inside <script type="application/json">: `</` would end the element.
    serde_json::Value::Object(map)
        .to_string()
        .replace("</", "<\\/")
}

/// `GET /orders/{id}/samples`.
pub async fn show(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Path(id): Path<Uuid>,
) -> Response {
    let order = match orders::load_own(&state.db, &actor, id).await {
        Ok(order) => order,
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let (rows, report) = match tokio::try_join!(
        uploads::files::samples(&state.db, &actor, id),
        orders::sufficiency(&state, &order)
    ) {
        Ok(found) => found,
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let lang = visitor.lang;
    let template = SamplesPage {
        page: Page::new(&state, &visitor, "samples.title"),
        id,
        accepts: order.status.accepts_samples(),
        sufficiency: samples_in_words(lang, &report),
        sent: rows.iter().rev().map(|r| sent_in_words(lang, r)).collect(),
        words_json: uploader_words(lang),
        steps: Steps {
            order_id: Some(id),
            current: 3,
            about_done: true,
            questions_done: false,
        },
    };
    page::render(
        &state,
        &visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uploader_has_every_word_it_asks_for() {
        for lang in Lang::ALL {
            let words: serde_json::Value = serde_json::from_str(&uploader_words(lang)).unwrap();
            for (key, text) in words.as_object().unwrap() {
                assert_ne!(
                    text.as_str(),
                    Some(key.as_str()),
                    "{} lacks {key}",
                    lang.tag()
                );
            }
        }
    }
}
