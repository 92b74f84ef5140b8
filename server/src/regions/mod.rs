//! Regions: the county → township → village hierarchy that scopes users and parcels.

pub mod handlers;
pub mod model;
pub mod repo;

pub use model::{Level, NewRegion, Region};
