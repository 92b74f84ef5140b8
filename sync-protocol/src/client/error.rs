//! The client's one error type.

use super::transport::TransportError;
use crate::version::Unsupported;

/// Why a client operation failed. Nothing that fails loses local data: the outbox and the
/// synced store are changed only in transactions that commit whole.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The local SQLite store failed, or holds a value this build cannot read.
    #[error("local store: {0}")]
    Store(#[from] rusqlite::Error),
    /// The local store was written by a newer build (its schema version is unknown here).
    #[error("the local store has schema version {0}, which this build does not know")]
    StoreVersion(i64),
    /// The server could not be reached or answered with an error. See
    /// [`TransportError::is_transient`] for whether to try again later.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The server and this build share no protocol version.
    #[error(transparent)]
    Version(#[from] Unsupported),
    /// The server expects mutations the outbox no longer holds (they were acknowledged and
    /// then lost on the server, or lost locally). Pushing cannot continue under this device
    /// registration; [`Client::reregister`](super::Client::reregister) starts a new one with
    /// what the outbox still holds.
    #[error("the server expects device_seq {expected_seq}, which the outbox no longer holds")]
    SequenceGap { expected_seq: u64 },
    /// A photo file could not be read.
    #[error("photo file {}: {source}", path.display())]
    File {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The server answered in a way the protocol does not allow.
    #[error("protocol violation by the server: {0}")]
    Protocol(String),
}

impl ClientError {
    /// Trying again later may succeed (the network, rate limiting, a server fault).
    pub fn is_transient(&self) -> bool {
        matches!(self, ClientError::Transport(e) if e.is_transient())
    }
}
