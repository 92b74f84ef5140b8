//! The sync endpoints over HTTP, with reqwest's blocking client. The blocking client runs its
//! own small runtime: call it from a plain thread, never from inside an async runtime.

use reqwest::blocking::{Client as HttpClient, RequestBuilder};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::transport::{Transport, TransportError};
use crate::messages::{
    DeviceState, PullResponse, PushRequest, PushResponse, RegisterDevice, SyncInfo,
};

/// A [`Transport`] to a Tianzhang server.
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

    fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, TransportError> {
        let response = request
            .bearer_auth(&self.access_token)
            .send()
            .map_err(request_error)?;
        let status = response.status();
        let body = response.bytes().map_err(request_error)?;
        if status.is_success() {
            serde_json::from_slice(&body)
                .map_err(|e| TransportError::InvalidResponse(format!("{status}: {e}")))
        } else {
            Err(problem(status.as_u16(), &body))
        }
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
}
