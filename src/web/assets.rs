//! Static assets (the stylesheet, the few ES modules), compiled into the binary and served
//! under names that carry their content hash (`site.3f9a1c2b.css`), so they can be cached for a
//! year: a changed file is a new name. Pages ask `assets::href("site.css")` for the current one.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    /// The file's own name (`site.css`).
    name: &'static str,
    /// The name it is served under (`site.<hash>.css`).
    hashed: String,
    content_type: &'static str,
    body: &'static [u8],
}

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "site.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/site.css"),
    ),
    ("upload.js", JS, include_bytes!("../../assets/upload.js")),
    ("desk.js", JS, include_bytes!("../../assets/desk.js")),
    ("check.js", JS, include_bytes!("../../assets/check.js")),
    (
        "hash-worker.js",
        JS,
        include_bytes!("../../assets/hash-worker.js"),
    ),
];

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(name, content_type, body)| Asset {
            name,
            hashed: hashed_name(name, body),
            content_type,
            body,
        })
        .collect()
});

fn hashed_name(name: &str, body: &[u8]) -> String {
    let digest = hex::encode(&Sha256::digest(body)[..6]);
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{digest}.{ext}"),
        None => format!("{name}.{digest}"),
    }
}

/// The URL path of asset `name` as served now (`/assets/site.<hash>.css`).
pub fn href(name: &str) -> String {
    ASSETS.iter().find(|a| a.name == name).map_or_else(
        || format!("/assets/{name}"),
        |a| format!("/assets/{}", a.hashed),
    )
}

/// Every asset's bytes, for page weights.
pub fn size(name: &str) -> usize {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map_or(0, |a| a.body.len())
}

/// `GET /assets/{hashed name}`: the file, cacheable for a year; an old or unknown name is 404.
pub async fn serve(Path(requested): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.hashed == requested) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash() {
        assert_eq!(
            hashed_name("site.css", b"a").len(),
            "site.".len() + 12 + ".css".len()
        );
        assert_ne!(hashed_name("site.css", b"a"), hashed_name("site.css", b"b"));
        assert!(href("site.css").starts_with("/assets/site."));
        assert!(size("site.css") > 0);
    }
}
