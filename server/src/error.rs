//! The one error type at the HTTP boundary and its mapping to RFC 9457 problem responses.
//!
//! Policy (which error goes where):
//! - Query code returns `diesel::QueryResult`; the pool and blocking layer return
//!   [`DbError`](crate::db::DbError). Both convert into [`ApiError::Internal`] unless a feature
//!   maps a specific case (a unique violation into a `Conflict` with its own code) first.
//! - Handlers and extractors return [`ApiError`]. Each variant has a stable, snake_case
//!   `code` that clients branch on; the human text in `detail` may change.
//! - An internal error is logged with the request id and answered with a generic 500 that
//!   never carries its cause.
//! - `anyhow` is for start-up and the command line only.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbError;
use crate::http::request_id;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// tus's `Upload-Offset` header, sent with an upload refused at the wrong offset.
static UPLOAD_OFFSET: header::HeaderName = header::HeaderName::from_static("upload-offset");

/// All a client learns of an internal error; the log has the rest under the same request id.
const INTERNAL_DETAIL: &str =
    "an unexpected error occurred; quote the request id when reporting it";

/// One invalid field of a request body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request body does not match the expected shape: {0}")]
    InvalidBody(String),
    #[error("invalid query parameters: {0}")]
    InvalidQuery(String),
    #[error("invalid path parameter: {0}")]
    InvalidPath(String),
    /// A request the protocol cannot serve as sent (an unknown version, a foreign cursor).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported content type: expected {expected}")]
    UnsupportedMediaType { expected: &'static str },
    #[error("authentication required: {0}")]
    Unauthenticated(&'static str),
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("the refresh token is invalid, expired or revoked")]
    InvalidRefreshToken,
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("your role or region does not allow this")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no route matches this path")]
    RouteNotFound,
    #[error("this method is not allowed on this path")]
    MethodNotAllowed,
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the parcel list has problems; nothing was imported")]
    ImportRefused(Box<crate::parcels::import::ImportReport>),
    /// A resumable upload refused (see docs/uploads.md). `offset`, when set, is the upload's
    /// offset on the server, sent as `Upload-Offset` so that the client resumes from there.
    #[error("{detail}")]
    Upload {
        status: StatusCode,
        code: &'static str,
        detail: String,
        offset: Option<u64>,
    },
    #[error("too many attempts; retry in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the service is temporarily unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// The stable, machine-readable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::InvalidBody(_) => "invalid_body",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::InvalidPath(_) => "invalid_path",
            ApiError::BadRequest { code, .. } => code,
            ApiError::Validation(_) => "validation_failed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::InvalidRefreshToken => "invalid_refresh_token",
            ApiError::AccountDisabled => "account_disabled",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::RouteNotFound => "route_not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict { code, .. } => code,
            ApiError::ImportRefused(_) => "import_refused",
            ApiError::Upload { code, .. } => code,
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Unavailable => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    /// The text shown to the client. Internal errors show nothing of their cause.
    fn detail(&self) -> String {
        match self {
            ApiError::Internal(_) => INTERNAL_DETAIL.to_owned(),
            other => other.to_string(),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as Diesel};
        match error {
            DbError::Pool(_) | DbError::Connect(_) => {
                tracing::error!(%error, "database unavailable");
                ApiError::Unavailable
            }
            // Features check uniqueness first and answer with their own code; this catches
            // the race where a concurrent request inserted the same key in between.
            DbError::Query(Diesel::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                ApiError::conflict("conflict", "a record with the same key was just created")
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        ApiError::from(DbError::from(error))
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:tianzhang:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The HTTP reason phrase.
    pub title: String,
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// The stable machine-readable code (see docs/errors.md).
    pub code: String,
    /// Quote this when reporting a problem; the server logs carry the same id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Per-field messages for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `import_refused`: the import report, with every problem by feature.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
}

impl Problem {
    fn new(status: StatusCode, code: &str, detail: String) -> Self {
        Self {
            problem_type: format!("urn:tianzhang:problem:{code}"),
            title: reason_phrase(status).to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            request_id: request_id::current(),
            errors: Vec::new(),
            report: None,
        }
    }

    /// Renders the problem as a response with the problem+json content type.
    pub fn into_response(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status)
            .content_type(PROBLEM_JSON)
            .json(self)
    }
}

/// The reason phrase of a status, including tus's `460 Checksum Mismatch`.
fn reason_phrase(status: StatusCode) -> &'static str {
    match status.as_u16() {
        460 => "Checksum Mismatch",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// A problem for a status that did not come from an [`ApiError`] (see `http::errors`).
pub fn problem_for_status(status: StatusCode) -> Problem {
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => ("route_not_found", ApiError::RouteNotFound.to_string()),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", ApiError::MethodNotAllowed.to_string())
        }
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "the request body is larger than this endpoint accepts".to_owned(),
        ),
        s if s.is_server_error() => ("internal_error", INTERNAL_DETAIL.to_owned()),
        s => (
            "bad_request",
            s.canonical_reason().unwrap_or("bad request").to_owned(),
        ),
    };
    Problem::new(status, code, detail)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_)
            | ApiError::InvalidQuery(_)
            | ApiError::InvalidPath(_)
            | ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::InvalidBody(_) | ApiError::Validation(_) | ApiError::ImportRefused(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unauthenticated(_)
            | ApiError::InvalidCredentials
            | ApiError::InvalidRefreshToken => StatusCode::UNAUTHORIZED,
            ApiError::AccountDisabled | ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Upload { status, .. } => *status,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = ?cause, "internal error");
        }
        let mut problem = Problem::new(self.status_code(), self.code(), self.detail());
        match self {
            ApiError::Validation(errors) => problem.errors.clone_from(errors),
            ApiError::ImportRefused(report) => problem.report = serde_json::to_value(report).ok(),
            _ => {}
        }
        let mut response = problem.into_response();
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthenticated(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Upload {
                offset: Some(offset),
                ..
            } => {
                headers.insert(UPLOAD_OFFSET.clone(), HeaderValue::from(*offset));
            }
            _ => {}
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
