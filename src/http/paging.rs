//! Keyset paging shared by the lists: the page size a client may ask for, and the opaque
//! cursor that names the last item of a page (never an offset).

use base64::Engine;
use uuid::Uuid;

use crate::error::{AppError, AppResult, Code};

/// The page size: `asked` when it is 1..=`max`, `default` when not asked; anything else is
/// refused (`422 invalid_limit`), as the OpenAPI document's bounds say. A page silently cut
/// to another size than the one asked would be a second, undocumented contract.
pub fn limit(asked: Option<u32>, default: u32, max: u32) -> AppResult<u32> {
    match asked {
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(AppError::unprocessable(
            Code::InvalidLimit,
            format!("limit must be 1–{max}"),
        )),
        None => Ok(default),
    }
}

/// The cursor for a page that ended at `id`.
pub fn encode_cursor(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// The id a cursor names; `400 invalid_cursor` for anything this API did not issue.
pub fn decode_cursor(text: &str) -> AppResult<Uuid> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| {
            AppError::bad_request(
                Code::InvalidCursor,
                "the `after` cursor is not one this API issued",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_the_bounds_are_refused() {
        assert_eq!(limit(None, 20, 100).ok(), Some(20));
        assert_eq!(limit(Some(1), 20, 100).ok(), Some(1));
        assert_eq!(limit(Some(100), 20, 100).ok(), Some(100));
        assert!(limit(Some(101), 20, 100).is_err());
        assert!(limit(Some(0), 20, 100).is_err());
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)).ok(), Some(id));
        assert!(decode_cursor("not-a-cursor").is_err());
    }
}
