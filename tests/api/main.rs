//! The HTTP API, black box: a real server on a loopback port, on SQLite or PostgreSQL.

// Test helpers panic on unexpected values: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authorization;
mod errors;
mod imports;
mod openapi;
mod operations;
mod parcels;
mod regions;
mod sessions;
mod tokens;
mod users;
