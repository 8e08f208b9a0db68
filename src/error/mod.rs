//! One error type for every service, with what the JSON API renders from it: an RFC 9457
//! problem document ([`AppError::to_problem`]) and its status. The response itself (headers,
//! logging of server faults) is made at the HTTP edge, `http::problem_response`.
//!
//! Every error carries a stable snake_case `code` that clients can match on; the wording of
//! `detail` may change. Server faults are logged with their cause and answered with a generic
//! 500: the cause (SQL, S3 messages, paths) never reaches the client. A failure of the object
//! store is not ours: it is `503 storage_unavailable` (with `Retry-After`) when the store cannot
//! be reached, `502 storage_error` when it answered with a failure or a reply we cannot use —
//! logged with the store's message, which the client never sees either.

pub use crate::problem::Code;

use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// The problem document every error response carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:keepsake:problem:{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// Extra facts for some codes: the current version on a 412 (`current_etag`); the body
    /// field or query parameter at fault on `invalid_body` / `invalid_query` (`field`, e.g.
    /// `roles[0]`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{detail}")]
    BadRequest {
        code: Code,
        detail: String,
        /// Extra members of the problem document (e.g. the query parameter at fault).
        extra: Option<serde_json::Map<String, serde_json::Value>>,
    },
    #[error("{detail}")]
    NotFound { code: Code, detail: String },
    #[error("{detail}")]
    Conflict { code: Code, detail: String },
    /// The thing existed and is no longer usable (a used or expired invitation link).
    #[error("{detail}")]
    Gone { code: Code, detail: String },
    #[error("{detail}")]
    Unprocessable {
        code: Code,
        detail: String,
        extra: Option<serde_json::Map<String, serde_json::Value>>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{detail}")]
    Forbidden { code: Code, detail: String },
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("this change needs an If-Match header with the resource's current ETag")]
    PreconditionRequired,
    #[error("the resource changed since it was read (current ETag {})", etag(*current_version))]
    PreconditionFailed { current_version: i32 },
    #[error("the request body is larger than this endpoint accepts")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("this route does not take that method")]
    MethodNotAllowed,
    #[error("{0}")]
    Unavailable(String),
    /// The object store cannot be reached just now (the cause is for the log only).
    #[error("the file store cannot be reached just now; try again shortly")]
    StorageUnavailable(String),
    /// The object store failed, or answered in a way we cannot use (the cause is for the log).
    #[error("the file store could not handle this request; try again later")]
    StorageFailed(String),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

/// The entity tag of a versioned resource: `"v{version}"` (what `If-Match` must carry).
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

impl AppError {
    pub fn bad_request(code: Code, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
            extra: None,
        }
    }
    pub fn not_found(code: Code, detail: impl Into<String>) -> Self {
        Self::NotFound {
            code,
            detail: detail.into(),
        }
    }
    pub fn conflict(code: Code, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }
    pub fn unprocessable(code: Code, detail: impl Into<String>) -> Self {
        Self::Unprocessable {
            code,
            detail: detail.into(),
            extra: None,
        }
    }
    /// A server fault: keep the cause for the log, never for the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Gone { .. } => StatusCode::GONE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable(_) | Self::StorageUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::StorageFailed(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> Code {
        match self {
            Self::BadRequest { code, .. }
            | Self::NotFound { code, .. }
            | Self::Conflict { code, .. }
            | Self::Gone { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::Forbidden { code, .. } => *code,
            Self::Unauthorized(_) => Code::Unauthenticated,
            Self::TooManyRequests { .. } => Code::TooManyAttempts,
            Self::PreconditionRequired => Code::IfMatchRequired,
            Self::PreconditionFailed { .. } => Code::StaleVersion,
            Self::PayloadTooLarge => Code::BodyTooLarge,
            Self::UnsupportedMediaType(_) => Code::UnsupportedMediaType,
            Self::MethodNotAllowed => Code::MethodNotAllowed,
            Self::Unavailable(_) => Code::Unavailable,
            Self::StorageUnavailable(_) => Code::StorageUnavailable,
            Self::StorageFailed(_) => Code::StorageError,
            Self::Internal(_) => Code::InternalError,
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            Self::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        };
        let extra = match self {
            Self::Unprocessable { extra, .. } | Self::BadRequest { extra, .. } => extra.clone(),
            Self::PreconditionFailed { current_version } => {
                let mut map = serde_json::Map::new();
                map.insert("current_etag".into(), etag(*current_version).into());
                Some(map)
            }
            _ => None,
        };
        Problem {
            kind: format!("urn:keepsake:problem:{}", self.code().as_str()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: self.code().as_str().to_owned(),
            extra,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    /// A database that does not answer is a temporary outage (503, try again), not a fault of
    /// this server (500).
    fn from(err: sea_orm::DbErr) -> Self {
        if crate::db::is_unreachable(&err) {
            tracing::warn!(error = %err, "database unreachable");
            return Self::Unavailable("the database is unreachable; try again shortly".into());
        }
        Self::internal(format!("database: {err}"))
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

/// What `503 storage_unavailable` tells clients to wait before trying again (seconds).
pub const STORAGE_RETRY_AFTER_SECS: u64 = 5;

impl From<crate::storage::StorageError> for AppError {
    fn from(err: crate::storage::StorageError) -> Self {
        use crate::storage::StorageErrorKind;
        let cause = format!("object store: {err}");
        match err.kind {
            StorageErrorKind::Unavailable => Self::StorageUnavailable(cause),
            StorageErrorKind::Failed => Self::StorageFailed(cause),
            StorageErrorKind::Local => Self::Internal(cause),
        }
    }
}
