//! The Tianzhang sync protocol: wire types, merge rules and a reference client that a phone
//! app can embed. This crate depends on no server code, no web framework and no database
//! driver of the server's, so that it builds for any client.

pub mod version;
