//! EPSG codes of the coordinate reference systems we accept, in both directions.
//!
//! The CGCS2000 Gauss-Krüger codes are four consecutive blocks, so arithmetic
//! on the code replaces a 64-row table.

use std::ops::RangeInclusive;

use super::crs::{Datum, SourceCrs};
use super::error::CrsError;
use super::gauss_kruger::GaussKrugerZone;

const CGCS2000_GEOGRAPHIC: u32 = 4490;
const WGS84_GEOGRAPHIC: u32 = 4326;

/// CGCS2000 / Gauss-Kruger zone 13 … 23 (6-degree, zone-prefixed eastings).
const SIX_DEGREE_PREFIXED: RangeInclusive<u32> = 4491..=4501;
const FIRST_SIX_DEGREE_ZONE: u32 = 13;
/// CGCS2000 / Gauss-Kruger CM 75E … 135E (6-degree, plain eastings).
const SIX_DEGREE_BY_MERIDIAN: RangeInclusive<u32> = 4502..=4512;
/// CGCS2000 / 3-degree Gauss-Kruger zone 25 … 45 (zone-prefixed eastings).
const THREE_DEGREE_PREFIXED: RangeInclusive<u32> = 4513..=4533;
const FIRST_THREE_DEGREE_ZONE: u32 = 25;
/// CGCS2000 / 3-degree Gauss-Kruger CM 75E … 135E (plain eastings).
const THREE_DEGREE_BY_MERIDIAN: RangeInclusive<u32> = 4534..=4554;

const WESTERNMOST_CENTRAL_MERIDIAN_DEG: u32 = 75;

/// The CRS registered under `code`, if it is one we accept.
pub(crate) fn crs_for_code(code: u32) -> Result<SourceCrs, CrsError> {
    let zone = match code {
        CGCS2000_GEOGRAPHIC => {
            return Ok(SourceCrs::Geographic {
                datum: Datum::Cgcs2000,
            });
        }
        WGS84_GEOGRAPHIC => {
            return Ok(SourceCrs::Geographic {
                datum: Datum::Wgs84,
            });
        }
        _ if SIX_DEGREE_PREFIXED.contains(&code) => GaussKrugerZone::from_zone_number(
            FIRST_SIX_DEGREE_ZONE + code - SIX_DEGREE_PREFIXED.start(),
        ),
        _ if SIX_DEGREE_BY_MERIDIAN.contains(&code) => {
            by_meridian(6 * (code - SIX_DEGREE_BY_MERIDIAN.start()))
        }
        _ if THREE_DEGREE_PREFIXED.contains(&code) => GaussKrugerZone::from_zone_number(
            FIRST_THREE_DEGREE_ZONE + code - THREE_DEGREE_PREFIXED.start(),
        ),
        _ if THREE_DEGREE_BY_MERIDIAN.contains(&code) => {
            by_meridian(3 * (code - THREE_DEGREE_BY_MERIDIAN.start()))
        }
        _ => None,
    };
    zone.map(SourceCrs::GaussKruger)
        .ok_or(CrsError::UnsupportedEpsg { code })
}

/// The EPSG code of `crs`. A plain-easting 6-degree zone is the same
/// projection as the 3-degree zone on its meridian, so both get the 3-degree code.
pub(crate) fn code_for_crs(crs: &SourceCrs) -> u32 {
    match crs {
        SourceCrs::Geographic {
            datum: Datum::Cgcs2000,
        } => CGCS2000_GEOGRAPHIC,
        SourceCrs::Geographic {
            datum: Datum::Wgs84,
        } => WGS84_GEOGRAPHIC,
        SourceCrs::GaussKruger(zone) => match zone.zone_prefix() {
            Some(number) if number < FIRST_THREE_DEGREE_ZONE => {
                SIX_DEGREE_PREFIXED.start() + number - FIRST_SIX_DEGREE_ZONE
            }
            Some(number) => THREE_DEGREE_PREFIXED.start() + number - FIRST_THREE_DEGREE_ZONE,
            None => THREE_DEGREE_BY_MERIDIAN.start() + offset_from_westernmost_meridian(zone) / 3,
        },
    }
}

fn by_meridian(offset_deg: u32) -> Option<GaussKrugerZone> {
    GaussKrugerZone::from_central_meridian(f64::from(WESTERNMOST_CENTRAL_MERIDIAN_DEG + offset_deg))
}

/// Whole degrees east of 75°E; zones are validated to lie on 75°E … 135°E.
fn offset_from_westernmost_meridian(zone: &GaussKrugerZone) -> u32 {
    (zone.central_meridian_deg() - f64::from(WESTERNMOST_CENTRAL_MERIDIAN_DEG)).round() as u32
}
