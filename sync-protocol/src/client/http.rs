//! The sync and upload endpoints over HTTP, with reqwest's blocking client. The blocking
//! client runs its own small runtime: call it from a plain thread, never from inside an async
//! runtime.

use reqwest::Url;
use reqwest::blocking::{Client as HttpClient, RequestBuilder};
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use uuid::Uuid;

use super::transport::{
    ChunkAnswer, CreatedUpload, NewUpload, Transport, TransportError, UploadTransport,
};
use crate::messages::{
    DeviceState, PullResponse, PushRequest, PushResponse, RegisterDevice, SyncInfo,
};

/// Sent with every tus request.
const TUS_RESUMABLE: (&str, &str) = ("tus-resumable", "1.0.0");
const UPLOAD_OFFSET: &str = "upload-offset";
/// The content type of a chunk.
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// A [`Transport`] and [`UploadTransport`] to a Tianzhang server.
pub struct HttpTransport {
    base_url: String,
    access_token: String,
    client: HttpClient,
}

impl HttpTransport {
    /// `base_url` is the server's root (`https://tianzhang.example`), without `/api/v1`. The
    /// app builds `client` with its own timeouts and proxy settings.
    pub fn new(
        base_url: impl Into<String>,
        access_token: impl Into<String>,
        client: HttpClient,
    ) -> HttpTransport {
        let mut base_url = base_url.into();
        base_url.truncate(base_url.trim_end_matches('/').len());
        HttpTransport {
            base_url,
            access_token: access_token.into(),
            client,
        }
    }

    /// Replaces the access token, after the app refreshed it (a call answered 401
    /// `unauthenticated` when the old one expired).
    pub fn set_access_token(&mut self, access_token: impl Into<String>) {
        self.access_token = access_token.into();
    }

    fn url(&self, endpoint: &str) -> String {
        format!("{}/api/v1/sync/{endpoint}", self.base_url)
    }

    fn uploads_url(&self) -> String {
        format!("{}/api/v1/uploads", self.base_url)
    }

    /// Sends the request with the access token and reads the whole answer.
    fn exchange(&self, request: RequestBuilder) -> Result<Answer, TransportError> {
        let response = request
            .bearer_auth(&self.access_token)
            .send()
            .map_err(request_error)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let url = response.url().clone();
        let body = response.bytes().map_err(request_error)?.into();
        Ok(Answer {
            status,
            headers,
            url,
            body,
        })
    }

    /// A request's answer if it succeeded; its problem otherwise.
    fn call(&self, request: RequestBuilder) -> Result<Answer, TransportError> {
        let answer = self.exchange(request)?;
        if (200..300).contains(&answer.status) {
            Ok(answer)
        } else {
            Err(answer.problem())
        }
    }

    fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, TransportError> {
        let answer = self.call(request)?;
        serde_json::from_slice(&answer.body)
            .map_err(|e| TransportError::InvalidResponse(format!("{}: {e}", answer.status)))
    }
}

/// A whole HTTP answer.
struct Answer {
    status: u16,
    headers: HeaderMap,
    /// Where the request went (after redirects): relative locations are resolved against it.
    url: Url,
    body: Vec<u8>,
}

impl Answer {
    fn problem(&self) -> TransportError {
        problem(self.status, &self.body)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Upload-Offset`, required.
    fn offset(&self) -> Result<u64, TransportError> {
        self.header(UPLOAD_OFFSET)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| {
                TransportError::InvalidResponse(format!(
                    "{} without a valid Upload-Offset",
                    self.status
                ))
            })
    }
}

impl Transport for HttpTransport {
    fn info(&mut self) -> Result<SyncInfo, TransportError> {
        self.send(self.client.get(self.url("info")))
    }

    fn register(&mut self, req: &RegisterDevice) -> Result<DeviceState, TransportError> {
        self.send(self.client.post(self.url("devices")).json(req))
    }

    fn push(&mut self, req: &PushRequest) -> Result<PushResponse, TransportError> {
        self.send(self.client.post(self.url("push")).json(req))
    }

    fn pull(
        &mut self,
        cursor: Option<&str>,
        limit: u32,
        device_id: Option<Uuid>,
    ) -> Result<PullResponse, TransportError> {
        let mut query = vec![("limit", limit.to_string())];
        query.extend(cursor.map(|c| ("cursor", c.to_owned())));
        query.extend(device_id.map(|id| ("device_id", id.to_string())));
        self.send(self.client.get(self.url("pull")).query(&query))
    }
}

impl UploadTransport for HttpTransport {
    fn missing(&mut self, hashes: &[String]) -> Result<Vec<String>, TransportError> {
        #[derive(Deserialize)]
        struct Missing {
            missing: Vec<String>,
        }
        let url = format!("{}/missing", self.uploads_url());
        let request = self.client.post(url).json(&json!({ "hashes": hashes }));
        Ok(self.send::<Missing>(request)?.missing)
    }

    fn create_upload(&mut self, upload: &NewUpload<'_>) -> Result<CreatedUpload, TransportError> {
        let request = self
            .client
            .post(self.uploads_url())
            .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
            .header("upload-length", upload.length)
            .header("upload-metadata", metadata(upload));
        let answer = self.call(request)?;
        let location = answer.header("location").ok_or_else(|| {
            TransportError::InvalidResponse(format!("{} without a Location", answer.status))
        })?;
        let url = answer
            .url
            .join(location)
            .map_err(|e| TransportError::InvalidResponse(format!("Location {location:?}: {e}")))?;
        // A server that took no first chunk may leave Upload-Offset out: it is 0.
        let offset = match answer.header(UPLOAD_OFFSET) {
            None => 0,
            Some(_) => answer.offset()?,
        };
        Ok(CreatedUpload {
            url: url.into(),
            offset,
        })
    }

    fn upload_offset(&mut self, url: &str) -> Result<u64, TransportError> {
        let request = self
            .client
            .head(url)
            .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1);
        let answer = self.exchange(request)?;
        match answer.status {
            200..300 => answer.offset(),
            status => Err(head_problem(status)),
        }
    }

    fn upload_chunk(
        &mut self,
        url: &str,
        offset: u64,
        chunk: &[u8],
        sha256: &[u8; 32],
    ) -> Result<ChunkAnswer, TransportError> {
        let request = self
            .client
            .patch(url)
            .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
            .header(UPLOAD_OFFSET, offset)
            .header("upload-checksum", format!("sha256 {}", base64(sha256)))
            .header(reqwest::header::CONTENT_TYPE, OFFSET_OCTET_STREAM)
            .body(chunk.to_vec());
        let answer = self.exchange(request)?;
        if (200..300).contains(&answer.status) {
            return Ok(ChunkAnswer::Accepted {
                offset: answer.offset()?,
            });
        }
        let problem = answer.problem();
        match answer.offset() {
            Ok(offset) if problem.code() == Some("upload_offset_mismatch") => {
                Ok(ChunkAnswer::OffsetMismatch { offset })
            }
            _ => Err(problem),
        }
    }
}

/// `Upload-Metadata`: the keys the server reads, as `key base64(value)` pairs.
fn metadata(upload: &NewUpload<'_>) -> String {
    let mut pairs = vec![
        format!("sha256 {}", base64(upload.sha256.as_bytes())),
        format!("filetype {}", base64(upload.filetype.as_bytes())),
    ];
    pairs.extend(
        upload
            .filename
            .map(|name| format!("filename {}", base64(name.as_bytes()))),
    );
    pairs.join(",")
}

/// The answer to a `HEAD` has no body: its problem code is the one the uploads API gives
/// that status.
fn head_problem(status: u16) -> TransportError {
    let code = match status {
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        410 => "upload_expired",
        412 => "tus_version_unsupported",
        _ => "",
    };
    TransportError::Problem {
        status,
        code: code.to_owned(),
        detail: format!("HEAD answered {status}"),
    }
}

/// Standard base64 with padding (RFC 4648 §4), as tus headers carry values.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let byte = |i: usize| u32::from(group.get(i).copied().unwrap_or(0));
        let bits = byte(0) << 16 | byte(1) << 8 | byte(2);
        for i in 0..4 {
            if i <= group.len() {
                let sextet = (bits >> (18 - 6 * i)) & 63;
                text.push(char::from(ALPHABET[sextet as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

/// The fields of a problem document the client uses.
#[derive(Deserialize)]
struct ProblemDocument {
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: String,
}

/// An error response. Proxies and load balancers answer with pages of their own: those keep
/// the status (a 502 is still transient) with an empty code.
fn problem(status: u16, body: &[u8]) -> TransportError {
    match serde_json::from_slice::<ProblemDocument>(body) {
        Ok(doc) => TransportError::Problem {
            status,
            code: doc.code,
            detail: if doc.detail.is_empty() {
                doc.title
            } else {
                doc.detail
            },
        },
        Err(_) => TransportError::Problem {
            status,
            code: String::new(),
            detail: String::from_utf8_lossy(body).chars().take(200).collect(),
        },
    }
}

/// A request that failed without an answer. reqwest's own message is terse ("error sending
/// request"); its sources say what failed (DNS, TLS, a timeout).
fn request_error(error: reqwest::Error) -> TransportError {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    if error.is_builder() {
        TransportError::InvalidRequest(message)
    } else {
        TransportError::Network(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_documents_and_foreign_error_pages_are_told_apart() {
        let body = br#"{"type":"urn:tianzhang:problem:device_unknown","title":"Conflict",
            "status":409,"detail":"this device is not registered","code":"device_unknown"}"#;
        let error = problem(409, body);
        assert!(error.is_device_unknown());
        assert!(!error.is_transient());
        assert!(error.to_string().contains("not registered"));

        let error = problem(502, b"<html>Bad Gateway</html>");
        assert_eq!(error.code(), None);
        assert!(error.is_transient());
    }

    #[test]
    fn base64_as_rfc_4648_writes_it() {
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
            (&[0xfb, 0xff, 0xbf], "+/+/"),
        ] {
            assert_eq!(base64(bytes), text);
        }
    }

    #[test]
    fn upload_metadata_carries_the_keys_the_server_reads() {
        let mut upload = NewUpload {
            sha256: "sha256:ab",
            length: 10,
            filetype: "image/jpeg",
            filename: Some("地块.jpg"),
        };
        assert_eq!(
            metadata(&upload),
            "sha256 c2hhMjU2OmFi,filetype aW1hZ2UvanBlZw==,filename 5Zyw5Z2XLmpwZw=="
        );
        upload.filename = None;
        assert_eq!(
            metadata(&upload),
            "sha256 c2hhMjU2OmFi,filetype aW1hZ2UvanBlZw=="
        );
        assert_eq!(head_problem(410).code(), Some("upload_expired"));
    }
}
