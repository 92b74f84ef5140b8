//! Why an upload request is refused, and the one mapping of each case to a problem document
//! (codes in docs/errors.md).

use actix_web::http::StatusCode;

use crate::db::DbError;
use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("this server speaks tus 1.0.0: send Tus-Resumable: 1.0.0")]
    VersionUnsupported,
    #[error("{0}")]
    InvalidHeader(String),
    #[error("{0}")]
    InvalidMetadata(String),
    #[error("checksum algorithm {0:?} is not supported; use sha1 or sha256")]
    ChecksumAlgorithmUnsupported(String),
    #[error("a chunk must be sent as application/offset+octet-stream")]
    WrongContentType,
    #[error("the file has {length} bytes; the limit is {limit}")]
    TooLarge { length: u64, limit: u64 },
    #[error("the chunk goes past Upload-Length: {remaining} bytes remain")]
    ChunkTooLarge { remaining: u64 },
    #[error("upload not found")]
    NotFound,
    #[error("the upload expired and was removed; create a new one")]
    Expired,
    #[error("the upload is at offset {offset}; resume from there")]
    OffsetMismatch { offset: u64 },
    #[error("the chunk ended before its end; send the rest from the upload's offset")]
    Interrupted,
    #[error("the chunk does not match its Upload-Checksum; it was discarded")]
    ChecksumMismatch,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    HashMismatch(String),
    #[error("the file is not a readable image: {0}")]
    InvalidImage(String),
    #[error("the image has {width}×{height} pixels; the limit is {limit} pixels")]
    ImageTooLarge { width: u64, height: u64, limit: u64 },
    #[error("blob storage failed: {0}")]
    Storage(#[from] object_store::Error),
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for UploadError {
    fn from(error: diesel::result::Error) -> Self {
        UploadError::Database(DbError::from(error))
    }
}

impl UploadError {
    /// Refusals after which the upload can never complete: it is discarded whole.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            UploadError::UnsupportedMediaType(_)
                | UploadError::HashMismatch(_)
                | UploadError::InvalidImage(_)
                | UploadError::ImageTooLarge { .. }
        )
    }
}

impl From<UploadError> for ApiError {
    fn from(error: UploadError) -> Self {
        let error = match error {
            UploadError::NotFound => return ApiError::NotFound("upload"),
            UploadError::Storage(e) => return ApiError::Internal(e.into()),
            UploadError::Database(e) => return ApiError::from(e),
            other => other,
        };
        let (status, code) = match &error {
            UploadError::VersionUnsupported => {
                (StatusCode::PRECONDITION_FAILED, "tus_version_unsupported")
            }
            UploadError::InvalidHeader(_) => (StatusCode::BAD_REQUEST, "invalid_upload_header"),
            UploadError::InvalidMetadata(_) => (StatusCode::BAD_REQUEST, "invalid_upload_metadata"),
            UploadError::ChecksumAlgorithmUnsupported(_) => {
                (StatusCode::BAD_REQUEST, "unsupported_checksum_algorithm")
            }
            UploadError::WrongContentType | UploadError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            UploadError::TooLarge { .. } | UploadError::ChunkTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "upload_too_large")
            }
            UploadError::Expired => (StatusCode::GONE, "upload_expired"),
            UploadError::OffsetMismatch { .. } => (StatusCode::CONFLICT, "upload_offset_mismatch"),
            UploadError::ChecksumMismatch => (checksum_mismatch_status(), "checksum_mismatch"),
            UploadError::Interrupted => (StatusCode::BAD_REQUEST, "upload_interrupted"),
            UploadError::HashMismatch(_) => (StatusCode::UNPROCESSABLE_ENTITY, "hash_mismatch"),
            UploadError::InvalidImage(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_image"),
            UploadError::ImageTooLarge { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "image_too_large")
            }
            UploadError::NotFound | UploadError::Storage(_) | UploadError::Database(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
            }
        };
        let offset = match &error {
            UploadError::OffsetMismatch { offset } => Some(*offset),
            _ => None,
        };
        ApiError::Upload {
            status,
            code,
            detail: error.to_string(),
            offset,
        }
    }
}

/// tus's `460 Checksum Mismatch`.
fn checksum_mismatch_status() -> StatusCode {
    StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST)
}
