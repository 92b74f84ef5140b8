//! How the client reaches the server. The client only needs four sync calls and four upload
//! calls; keeping them behind traits lets a phone app bring its own HTTP stack and lets tests
//! put a flaky network (or a fake server) in between.

use uuid::Uuid;

use crate::messages::{
    DeviceState, PullResponse, PushRequest, PushResponse, RegisterDevice, SyncInfo,
};

/// The four sync endpoints. Implementations do no retrying of their own: the client decides
/// what a failure means (every call is safe to repeat).
pub trait Transport {
    /// `GET /api/v1/sync/info`.
    fn info(&mut self) -> Result<SyncInfo, TransportError>;
    /// `POST /api/v1/sync/devices`.
    fn register(&mut self, req: &RegisterDevice) -> Result<DeviceState, TransportError>;
    /// `POST /api/v1/sync/push`.
    fn push(&mut self, req: &PushRequest) -> Result<PushResponse, TransportError>;
    /// `GET /api/v1/sync/pull`; `cursor` is `None` on the first pull.
    fn pull(
        &mut self,
        cursor: Option<&str>,
        limit: u32,
        device_id: Option<Uuid>,
    ) -> Result<PullResponse, TransportError>;
}

/// The calls of photo uploads: which files the server lacks, and the tus 1.0 requests that
/// send one (docs/uploads.md). Apart from [`Transport`] so that an app that uploads through a
/// stack of its own (a platform upload service, a stock tus client) need not implement them,
/// and so that existing implementations of [`Transport`] keep compiling. Implementations do no
/// retrying of their own, and send `Tus-Resumable: 1.0.0` with every tus request.
pub trait UploadTransport {
    /// `POST /api/v1/uploads/missing`: the hashes of `hashes` the server has not stored.
    fn missing(&mut self, hashes: &[String]) -> Result<Vec<String>, TransportError>;
    /// `POST /api/v1/uploads` without a body (tus creation).
    fn create_upload(&mut self, upload: &NewUpload<'_>) -> Result<CreatedUpload, TransportError>;
    /// `HEAD <url>`: the server's offset, to resume from.
    fn upload_offset(&mut self, url: &str) -> Result<u64, TransportError>;
    /// `PATCH <url>`: `chunk` at `offset`, with `Upload-Checksum: sha256 <base64 of sha256>`.
    fn upload_chunk(
        &mut self,
        url: &str,
        offset: u64,
        chunk: &[u8],
        sha256: &[u8; 32],
    ) -> Result<ChunkAnswer, TransportError>;
}

/// A tus upload to create: `Upload-Length` and the `Upload-Metadata` the server reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewUpload<'a> {
    /// The whole file's hash, `sha256:<64 lowercase hex>`.
    pub sha256: &'a str,
    pub length: u64,
    /// The media type (`filetype`).
    pub filetype: &'a str,
    /// The file's name on the phone (`filename`), for people.
    pub filename: Option<&'a str>,
}

/// A created upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedUpload {
    /// Absolute: a relative `Location` is resolved against the request's URL.
    pub url: String,
    /// Bytes the server has: the length if it holds the file already.
    pub offset: u64,
}

/// What the server made of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkAnswer {
    /// Stored: the server's offset now.
    Accepted { offset: u64 },
    /// `409 upload_offset_mismatch`: the server is at `offset` (from its `Upload-Offset`
    /// header), not where the chunk started; nothing of the chunk was kept.
    OffsetMismatch { offset: u64 },
}

/// Why a call did not return the expected answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The request or its response was lost: the server may or may not have acted on it.
    /// Every sync call is safe to repeat, so the answer is to try again later.
    #[error("network error: {0}")]
    Network(String),
    /// The server answered with an error. `code` is the problem document's stable code; it is
    /// empty when the body was not a problem document (a proxy's error page, say).
    #[error("the server answered {status} {code}: {detail}")]
    Problem {
        status: u16,
        code: String,
        detail: String,
    },
    /// The server answered with success, but not with the expected document.
    #[error("unexpected response: {0}")]
    InvalidResponse(String),
    /// The request could not be made at all (a malformed base URL): retrying will not help.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl TransportError {
    /// The problem code, if the server answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            TransportError::Problem { code, .. } if !code.is_empty() => Some(code),
            _ => None,
        }
    }

    /// The server does not know this device for the signed-in user: its registration was lost
    /// (a restore from backup) or another user signed in on the phone.
    pub fn is_device_unknown(&self) -> bool {
        self.code() == Some("device_unknown")
    }

    /// Trying again later may succeed: the network, rate limiting (429) or a server fault (5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            TransportError::Network(_) => true,
            TransportError::Problem { status, .. } => *status == 429 || *status >= 500,
            TransportError::InvalidResponse(_) | TransportError::InvalidRequest(_) => false,
        }
    }
}
