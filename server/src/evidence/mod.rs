//! Field evidence: visits, photos, restoration submissions and withdrawals, written on devices
//! and never changed in place, and the few parcel attributes field chiefs edit.
//!
//! [`apply`] takes one mutation a device pushed, checks it against what is stored, and writes
//! its effects and their change-feed rows, or rejects it with a reason and writes nothing.

pub mod apply;
pub mod attributes;
pub mod files;
pub mod handlers;
pub mod records;

pub use apply::{Applied, ApplyError, Author, apply};
