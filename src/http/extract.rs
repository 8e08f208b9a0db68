//! Request extractors that turn every malformed input into a problem+json error with a stable
//! code: JSON bodies (unknown fields refused, size-limited), path ids, query strings, and the
//! `If-Match`, `Idempotency-Key` and `X-Request-Id` headers.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// `Json<T>` whose failures are problem documents.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

fn json_error(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            AppError::UnsupportedMediaType("send the body as application/json".into())
        }
        JsonRejection::JsonDataError(e) => AppError::unprocessable("invalid_body", e.body_text()),
        JsonRejection::JsonSyntaxError(e) => AppError::bad_request("malformed_json", e.body_text()),
        JsonRejection::BytesRejection(e)
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            AppError::PayloadTooLarge
        }
        other => AppError::bad_request("unreadable_body", other.body_text()),
    }
}

/// An optional JSON body: an empty body is `None`; anything else must be JSON of `T`.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let declared_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.starts_with("application/json"));
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::bad_request("unreadable_body", e.body_text())
                }
            })?;
        if bytes.is_empty() {
            return Ok(Self(None));
        }
        if !declared_json {
            return Err(AppError::UnsupportedMediaType(
                "send the body as application/json".into(),
            ));
        }
        serde_json::from_slice(&bytes)
            .map(|v| Self(Some(v)))
            .map_err(|e| {
                if e.classify() == serde_json::error::Category::Data {
                    AppError::unprocessable("invalid_body", e.to_string())
                } else {
                    AppError::bad_request("malformed_json", e.to_string())
                }
            })
    }
}

/// `Path<T>` whose failures are problem documents (a malformed id is a 404: no such thing).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => {
                Err(AppError::not_found("not_found", "no such resource"))
            }
            Err(other) => Err(AppError::internal(other.body_text())),
        }
    }
}

/// `Query<T>` whose failures are problem documents.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Self(v))
            .map_err(|e: QueryRejection| AppError::bad_request("invalid_query", e.body_text()))
    }
}

/// The version a client read, from `If-Match: "v{n}"`; `None` when the header is absent.
pub struct IfMatch(pub Option<i32>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let Some(value) = parts.headers.get(axum::http::header::IF_MATCH) else {
            return Ok(Self(None));
        };
        value
            .to_str()
            .ok()
            .and_then(parse_etag)
            .map(|v| Self(Some(v)))
            .ok_or_else(|| {
                AppError::bad_request("invalid_if_match", "If-Match must be an ETag like \"v3\"")
            })
    }
}

impl IfMatch {
    /// The version, or 428 when the client did not say which version it changes.
    pub fn required(self) -> Result<i32, AppError> {
        self.0.ok_or(AppError::PreconditionRequired)
    }
}

pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// Exactly `"v"` and 1 to 9 digits (the pattern the OpenAPI document gives for `If-Match`).
fn parse_etag(text: &str) -> Option<i32> {
    let digits = text.strip_prefix("\"v")?.strip_suffix('"')?;
    let plain = (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    plain.then(|| digits.parse().ok()).flatten()
}

/// The `Idempotency-Key` header, required on creating writes.
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let value = parts.headers.get("idempotency-key").ok_or_else(|| {
            AppError::bad_request(
                "idempotency_key_required",
                "send an Idempotency-Key header with this request",
            )
        })?;
        let key = value.to_str().unwrap_or_default();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AppError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(Self(key.to_owned()))
    }
}

/// The request id set by the request-id layer (echoed as `X-Request-Id`).
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ))
    }
}

impl RequestId {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn etags_round_trip() {
        assert_eq!(super::parse_etag(&super::etag(12)), Some(12));
        assert_eq!(super::parse_etag("W/\"v1\""), None);
        assert_eq!(super::parse_etag("\"1\""), None);
        assert_eq!(super::parse_etag("\"v+1\""), None);
        assert_eq!(super::parse_etag("\"v1234567890\""), None);
    }
}
