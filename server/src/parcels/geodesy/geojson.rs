//! The legacy GeoJSON `crs` member (GeoJSON 2008), still written by many GIS
//! exports from China to label CGCS2000 data.
//!
//! RFC 7946 dropped the member and fixed WGS 84 longitude/latitude, which is
//! what a missing member means. Coordinates stay in x = easting/longitude order
//! whatever the EPSG axis order, as GeoJSON writers always did.

use super::crs::{Datum, SourceCrs};
use super::error::CrsError;

/// Names for WGS 84 with longitude first.
const CRS84_NAMES: [&str; 3] = [
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "urn:ogc:def:crs:ogc::crs84",
    "crs84",
];

/// Prefixes after which an EPSG code follows (compared in lower case); the
/// URN may carry a version between the two colons.
const EPSG_PREFIXES: [&str; 3] = [
    "epsg:",
    "urn:ogc:def:crs:epsg:",
    "http://www.opengis.net/def/crs/epsg/",
];

/// Reads `crs.properties.name`; `None` (no `crs` member) means WGS 84.
pub(crate) fn crs_from_name(name: Option<&str>) -> Result<SourceCrs, CrsError> {
    let Some(name) = name else {
        return Ok(SourceCrs::Geographic {
            datum: Datum::Wgs84,
        });
    };
    let unsupported = || CrsError::UnsupportedCrsName {
        found: name.to_owned(),
    };
    let lower = name.trim().to_ascii_lowercase();
    if CRS84_NAMES.contains(&lower.as_str()) {
        return Ok(SourceCrs::Geographic {
            datum: Datum::Wgs84,
        });
    }
    let code = epsg_code_in(&lower).ok_or_else(unsupported)?;
    SourceCrs::from_epsg(code).map_err(|_| unsupported())
}

/// The EPSG code at the end of an `EPSG:4490`-style name, skipping a version
/// field such as the `6.6` of `urn:ogc:def:crs:EPSG:6.6:4527` or the `0` of
/// `http://www.opengis.net/def/crs/EPSG/0/4527`.
fn epsg_code_in(lower_name: &str) -> Option<u32> {
    let rest = EPSG_PREFIXES
        .iter()
        .find_map(|prefix| lower_name.strip_prefix(prefix))?;
    let code = rest.rsplit([':', '/']).next()?;
    let version = &rest[..rest.len() - code.len()];
    let version_is_plausible = version
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | '/'));
    if !version_is_plausible {
        return None;
    }
    code.parse().ok()
}
