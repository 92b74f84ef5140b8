//! Which coordinate reference system a parcel list is in, and conversion of its coordinates to
//! CGCS2000 longitude/latitude.
//!
//! Accepted: CGCS2000 geographic (EPSG:4490), WGS 84 geographic (EPSG:4326, taken as CGCS2000:
//! they differ by centimetres) and the CGCS2000 Gauss-Krüger zones (EPSG:4491–4554), given by
//! EPSG code, `.prj` WKT or a GeoJSON `crs` name. Pure Rust, no PROJ at run time; the tests
//! (`server/tests/geodesy_*.rs`) compare with PROJ output stored under `tests/fixtures/geodesy`.

mod crs;
mod ellipsoid;
mod epsg;
mod error;
mod gauss_kruger;
pub mod gcj02;
mod geojson;
mod transverse_mercator;
mod wkt;
mod wkt_syntax;

pub use crs::{Datum, SourceCrs};
pub use error::CrsError;
pub use gauss_kruger::GaussKrugerZone;
