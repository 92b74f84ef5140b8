//! Parcels (图斑): what every photo, confirmation and review hangs on. Imported from the
//! county's lists, found by point through an in-memory spatial index, listed by scope.

pub mod geodesy;
pub mod geometry;
pub mod handlers;
pub mod import;
pub mod index;
pub mod model;
pub mod repo;
