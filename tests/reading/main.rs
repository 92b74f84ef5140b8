//! Reading real-shaped files end to end: written byte by byte in the tests, read back
//! through the public API.

// Fixture helpers outside #[test] functions use expect too; a panic is the failure report.
#![allow(clippy::expect_used)]

mod folders;
mod geojson;
mod shapefile_encoding;
mod shapefile_errors;
mod shapefile_geometry;
mod zip_upload;
