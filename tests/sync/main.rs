//! The sync protocol end to end: devices push and pull against a real server over HTTP, on
//! SQLite or PostgreSQL.

// Test helpers panic on unexpected values: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod concurrency;
mod conflicts;
mod properties;
mod pull;
mod push;
mod review;
mod scope;
