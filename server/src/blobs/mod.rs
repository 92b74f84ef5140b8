//! Photo blobs: resumable, verified uploads (tus 1.0 at `/api/v1/uploads`) into storage
//! addressed by content (the local disk, or S3-compatible object storage). See docs/uploads.md.
//!
//! - [`digest`]: `sha256:<hex>` references and the per-chunk checksums of tus.
//! - [`tus`]: the protocol's headers, its version check and `Upload-Metadata`.
//! - [`jpeg`]: the file checks: magic bytes, structure, dimensions from the header.
//! - [`store`]: the object store and where things live in it.
//! - [`repo`]: the `blobs`, `uploads` and `upload_parts` tables; [`repo::stored`] tells other
//!   features which photos the server has.
//! - `upload`: receiving a chunk, completing an upload, terminating, expiring.
//! - [`handlers`]: the HTTP endpoints.
//!
//! Nothing of an upload lives in an instance's memory between requests: the offset and the
//! parts are in the database and the bytes in the object store, so any instance takes any
//! request of an upload.

pub mod digest;
pub mod error;
pub mod handlers;
pub mod jpeg;
pub mod repo;
pub mod store;
pub mod tus;
mod upload;

pub use upload::sweep_expired;

pub use digest::Sha256Ref;
pub use store::BlobStore;
