//! The HTTP edge of [`AppError`]: the response a service's error becomes — its status, the
//! `application/problem+json` document, `WWW-Authenticate` on a 401 and `Retry-After` where
//! waiting helps — and the log line of a server fault (whose cause never reaches the client).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, STORAGE_RETRY_AFTER_SECS};

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Internal(cause) => tracing::error!(error = %cause, "request failed"),
            AppError::StorageUnavailable(cause) => {
                tracing::warn!(error = %cause, "request failed: the object store is unreachable")
            }
            AppError::StorageFailed(cause) => {
                tracing::error!(error = %cause, "request failed: the object store failed")
            }
            _ => {}
        }
        let problem = self.to_problem();
        let mut response = (self.status(), axum::Json(problem)).into_response();
        if let AppError::Unauthorized(_) = self {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let AppError::TooManyRequests { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        if let AppError::StorageUnavailable(_) = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(STORAGE_RETRY_AFTER_SECS),
            );
        }
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}
