//! The Tianzhang sync protocol: wire types, merge rules and a reference client that a phone
//! app can embed. This crate depends on no server code, no web framework and no database
//! driver of the server's, so that it builds for any client.
//!
//! - [`records`]: what is synchronised;
//! - [`mutation`]: what a device pushes;
//! - [`messages`]: the requests and responses;
//! - [`merge`]: the rules the server applies, as pure functions;
//! - [`validate`]: the checks a record must pass on its own;
//! - [`version`]: protocol version negotiation;
//! - [`client`]: the reference client, with its local store and outbox.

pub mod client;
pub mod merge;
pub mod messages;
pub mod mutation;
pub mod records;
pub mod validate;
pub mod version;
