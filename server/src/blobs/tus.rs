//! The tus 1.0.0 protocol's side of the HTTP exchange: its headers, the version check every
//! request but `OPTIONS` goes through, `Upload-Metadata` and `Upload-Checksum`.

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpRequest};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use chrono::{DateTime, Utc};

use super::digest::ChecksumAlgorithm;
use super::error::UploadError;
use crate::error::ApiError;

/// The one protocol version spoken.
pub const VERSION: &str = "1.0.0";
/// The extensions implemented (advertised by `OPTIONS`).
pub const EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration,checksum";
/// The content type of every chunk.
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
/// The longest `Upload-Metadata` header accepted.
const MAX_METADATA_BYTES: usize = 4096;

pub static TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
pub static TUS_VERSION: HeaderName = HeaderName::from_static("tus-version");
pub static TUS_EXTENSION: HeaderName = HeaderName::from_static("tus-extension");
pub static TUS_MAX_SIZE: HeaderName = HeaderName::from_static("tus-max-size");
pub static TUS_CHECKSUM_ALGORITHM: HeaderName = HeaderName::from_static("tus-checksum-algorithm");
pub static UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
pub static UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
pub static UPLOAD_DEFER_LENGTH: HeaderName = HeaderName::from_static("upload-defer-length");
pub static UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
pub static UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");
pub static UPLOAD_CHECKSUM: HeaderName = HeaderName::from_static("upload-checksum");

/// Extractor that refuses (412) a request without `Tus-Resumable: 1.0.0`. Listed first in a
/// handler's arguments, so that a client of another version learns it before anything else.
pub struct TusResumable;

impl FromRequest for TusResumable {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let speaks = req
            .headers()
            .get(&TUS_RESUMABLE)
            .is_some_and(|v| v.as_bytes() == VERSION.as_bytes());
        ready(if speaks {
            Ok(TusResumable)
        } else {
            Err(UploadError::VersionUnsupported.into())
        })
    }
}

/// Middleware of the uploads scope: `Tus-Resumable` on every response, and `Tus-Version`
/// on a `412`, as the protocol requires.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut response = next.call(req).await?;
    let precondition_failed = response.status() == StatusCode::PRECONDITION_FAILED;
    let headers = response.headers_mut();
    headers.insert(TUS_RESUMABLE.clone(), HeaderValue::from_static(VERSION));
    if precondition_failed {
        headers.insert(TUS_VERSION.clone(), HeaderValue::from_static(VERSION));
    }
    Ok(response)
}

/// A non-negative integer header (`Upload-Length`, `Upload-Offset`), if present.
pub fn header_u64(headers: &HeaderMap, name: &HeaderName) -> Result<Option<u64>, UploadError> {
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| UploadError::InvalidHeader(format!("{name} must be a non-negative integer")))
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pairs: Vec<(String, Vec<u8>)>,
}

impl Metadata {
    pub fn parse(raw: &str) -> Result<Self, UploadError> {
        let invalid = |why: String| UploadError::InvalidMetadata(format!("Upload-Metadata: {why}"));
        if raw.len() > MAX_METADATA_BYTES {
            return Err(invalid(format!("longer than {MAX_METADATA_BYTES} bytes")));
        }
        let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
        for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut parts = pair.split(' ').filter(|p| !p.is_empty());
            let key = parts.next().unwrap_or_default();
            let value = parts.next().unwrap_or_default();
            if parts.next().is_some() {
                return Err(invalid(format!("{pair:?} is not \"key base64value\"")));
            }
            if !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(invalid(format!("key {key:?} is not plain ASCII")));
            }
            let value = STANDARD
                .decode(value)
                .or_else(|_| STANDARD_NO_PAD.decode(value))
                .map_err(|_| invalid(format!("the value of {key} is not base64")))?;
            if pairs.iter().any(|(k, _)| k == key) {
                return Err(invalid(format!("key {key} appears twice")));
            }
            pairs.push((key.to_owned(), value));
        }
        Ok(Self { pairs })
    }

    /// The value of `key` as UTF-8 text, if present (an error if it is not text).
    pub fn text(&self, key: &str) -> Result<Option<&str>, UploadError> {
        match self.pairs.iter().find(|(k, _)| k == key) {
            None => Ok(None),
            Some((_, value)) => std::str::from_utf8(value).map(Some).map_err(|_| {
                UploadError::InvalidMetadata(format!("Upload-Metadata: {key} is not UTF-8 text"))
            }),
        }
    }
}

/// `Upload-Checksum: <algorithm> <base64 digest>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkChecksum {
    pub algorithm: ChecksumAlgorithm,
    pub digest: Vec<u8>,
}

impl ChunkChecksum {
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<Self>, UploadError> {
        let Some(value) = headers.get(&UPLOAD_CHECKSUM) else {
            return Ok(None);
        };
        let invalid = || {
            UploadError::InvalidHeader("Upload-Checksum must be \"<algorithm> <base64>\"".into())
        };
        let value = value.to_str().map_err(|_| invalid())?;
        let (name, digest) = value.trim().split_once(' ').ok_or_else(invalid)?;
        let algorithm = ChecksumAlgorithm::from_name(name)
            .ok_or_else(|| UploadError::ChecksumAlgorithmUnsupported(name.to_owned()))?;
        let digest = STANDARD.decode(digest.trim()).map_err(|_| invalid())?;
        Ok(Some(Self { algorithm, digest }))
    }
}

/// The `Tus-Checksum-Algorithm` list.
pub fn checksum_algorithms() -> String {
    ChecksumAlgorithm::ALL
        .map(ChecksumAlgorithm::name)
        .join(",")
}

/// An HTTP date (RFC 9110 IMF-fixdate), as `Upload-Expires` carries it.
pub fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Whether the request's content type is tus's chunk type.
pub fn is_chunk(headers: &HeaderMap) -> bool {
    headers
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OFFSET_OCTET_STREAM))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn metadata_pairs_with_and_without_values() {
        let m = Metadata::parse(
            "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential, sha256 YWJj",
        )
        .unwrap();
        assert_eq!(
            m.text("filename").unwrap(),
            Some("world_domination_plan.pdf")
        );
        assert_eq!(m.text("is_confidential").unwrap(), Some(""));
        assert_eq!(m.text("sha256").unwrap(), Some("abc"));
        assert_eq!(m.text("missing").unwrap(), None);
        assert!(Metadata::parse("a YWJj,a YWJj").is_err());
        assert!(Metadata::parse("a !!!").is_err());
        assert!(Metadata::parse("a YWJj YWJj").is_err());
        assert!(Metadata::parse(&"a YWJj,".repeat(1000)).is_err());
        assert_eq!(Metadata::parse("").unwrap(), Metadata::default());
    }

    #[test]
    fn checksum_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(ChunkChecksum::from_headers(&headers).unwrap(), None);
        headers.insert(
            UPLOAD_CHECKSUM.clone(),
            HeaderValue::from_static("sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0="),
        );
        let c = ChunkChecksum::from_headers(&headers).unwrap().unwrap();
        assert_eq!(c.algorithm, ChecksumAlgorithm::Sha1);
        assert_eq!(c.digest.len(), 20);
        headers.insert(
            UPLOAD_CHECKSUM.clone(),
            HeaderValue::from_static("md5 AAAA"),
        );
        assert!(matches!(
            ChunkChecksum::from_headers(&headers),
            Err(UploadError::ChecksumAlgorithmUnsupported(_))
        ));
        headers.insert(UPLOAD_CHECKSUM.clone(), HeaderValue::from_static("sha1"));
        assert!(ChunkChecksum::from_headers(&headers).is_err());
    }

    #[test]
    fn integers_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(UPLOAD_LENGTH.clone(), HeaderValue::from_static("100"));
        assert_eq!(header_u64(&headers, &UPLOAD_LENGTH).unwrap(), Some(100));
        headers.insert(UPLOAD_LENGTH.clone(), HeaderValue::from_static("-1"));
        assert!(header_u64(&headers, &UPLOAD_LENGTH).is_err());
        headers.insert(UPLOAD_LENGTH.clone(), HeaderValue::from_static("+1"));
        assert!(header_u64(&headers, &UPLOAD_LENGTH).is_err());
        assert_eq!(header_u64(&headers, &UPLOAD_OFFSET).unwrap(), None);
        let at = Utc.with_ymd_and_hms(2014, 6, 25, 16, 0, 0).unwrap();
        assert_eq!(http_date(at), "Wed, 25 Jun 2014 16:00:00 GMT");
    }
}
