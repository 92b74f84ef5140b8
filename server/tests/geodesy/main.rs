//! Coordinate systems, reprojection and areas against PROJ and GeographicLib output stored in
//! `tests/fixtures/geodesy` (its README says how each file was made).

// Fixture helpers outside #[test] functions unwrap too; a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod area;
mod crs;
mod projection;
