//! One CGCS2000 Gauss-Krüger zone: its central meridian and false easting.
//!
//! Chinese survey data uses 3-degree zones (numbers 25–45, central meridian
//! 3° × zone) and, for older small-scale work, 6-degree zones (numbers 13–23,
//! central meridian 6° × zone − 3°). Either may write the false easting as a
//! plain 500 000 m or with the zone number in front (39 500 000 m for zone 39),
//! and files are often labelled with the wrong one of the two; the type keeps
//! the pair consistent and can re-read the convention from the data itself.

use super::error::CrsError;
use super::transverse_mercator;

/// False easting of the "CM nnnE" zones, which carry no zone number.
const UNPREFIXED_FALSE_EASTING_M: f64 = 500_000.0;

/// The zone number sits in the millions of a prefixed easting.
const ZONE_PREFIX_UNIT_M: f64 = 1_000_000.0;

/// Parameters read from text may carry rounding noise this small.
const PARAMETER_TOLERANCE: f64 = 1e-6;

/// A validated CGCS2000 Gauss-Krüger zone (scale factor 1, no false northing),
/// as used by EPSG:4491–4554.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussKrugerZone {
    central_meridian_deg: f64,
    false_easting_m: f64,
}

impl GaussKrugerZone {
    /// Accepts the central meridian and false easting of an EPSG-registered
    /// CGCS2000 zone, so that a typo or a foreign grid cannot slip through as a
    /// plausible-looking one.
    pub fn new(central_meridian_deg: f64, false_easting_m: f64) -> Result<Self, CrsError> {
        let central_meridian_deg = zone_central_meridian_near(central_meridian_deg).ok_or(
            CrsError::UnsupportedCentralMeridian {
                found: central_meridian_deg,
            },
        )?;
        let misfit = || CrsError::UnsupportedFalseEasting {
            found: false_easting_m,
            central_meridian_deg,
        };
        if (false_easting_m - UNPREFIXED_FALSE_EASTING_M).abs() <= PARAMETER_TOLERANCE {
            return Ok(Self::unprefixed(central_meridian_deg));
        }
        let zone = zone_of_prefixed_false_easting(false_easting_m).ok_or_else(misfit)?;
        match zone_central_meridian(zone) {
            Some(cm) if cm == central_meridian_deg => Ok(Self::prefixed(zone, cm)),
            _ => Err(misfit()),
        }
    }

    /// The zone whose eastings start with `zone` (13–23 for 6-degree, 25–45
    /// for 3-degree zones), or `None` for any other number.
    pub fn from_zone_number(zone: u32) -> Option<Self> {
        zone_central_meridian(zone).map(|cm| Self::prefixed(zone, cm))
    }

    /// The plain-easting (500 000 m) zone on a central meridian from 75°E to
    /// 135°E in steps of 3°, or `None` for any other meridian.
    pub fn from_central_meridian(central_meridian_deg: f64) -> Option<Self> {
        zone_central_meridian_near(central_meridian_deg).map(Self::unprefixed)
    }

    /// Central meridian in degrees east.
    pub fn central_meridian_deg(&self) -> f64 {
        self.central_meridian_deg
    }

    /// False easting in metres, zone number included when there is one.
    pub fn false_easting_m(&self) -> f64 {
        self.false_easting_m
    }

    /// The zone number written in front of the eastings, if this convention uses one.
    pub fn zone_prefix(&self) -> Option<u32> {
        zone_of_prefixed_false_easting(self.false_easting_m)
    }

    /// Projected metres to (longitude, latitude) in degrees.
    pub fn to_lon_lat(&self, easting_m: f64, northing_m: f64) -> (f64, f64) {
        transverse_mercator::inverse(
            easting_m - self.false_easting_m,
            northing_m,
            self.central_meridian_deg,
        )
    }

    /// (longitude, latitude) in degrees to projected metres; the inverse of
    /// [`Self::to_lon_lat`], for writing data back out in the source's grid.
    pub fn to_xy(&self, lon_deg: f64, lat_deg: f64) -> (f64, f64) {
        let (x, y) = transverse_mercator::forward(lon_deg, lat_deg, self.central_meridian_deg);
        (x + self.false_easting_m, y)
    }

    /// The same zone with the false-easting convention that a sample easting
    /// from the data actually follows: above 1 000 000 m the leading digits are
    /// the zone number, below it there is none. Data wins over a mislabelled
    /// `.prj`, but only if the zone number agrees with the central meridian.
    pub fn matching_sample_easting(&self, sample_x: f64) -> Result<Self, CrsError> {
        const EXPECTED: &str = "a Gauss-Kruger easting: 0 to 1000000 m, or a 3-degree (25-45) \
                                or 6-degree (13-23) zone number followed by six digits";
        let implausible = CrsError::ImplausibleSampleX {
            x: sample_x,
            expected: EXPECTED,
        };
        if !(sample_x > 0.0 && sample_x.is_finite()) {
            return Err(implausible);
        }
        if sample_x < ZONE_PREFIX_UNIT_M {
            return Ok(Self::unprefixed(self.central_meridian_deg));
        }
        // The zone is the integer part in millions.
        let zone = (sample_x / ZONE_PREFIX_UNIT_M).floor() as u32;
        let zone_central_meridian_deg = zone_central_meridian(zone).ok_or(implausible)?;
        if zone_central_meridian_deg != self.central_meridian_deg {
            return Err(CrsError::ZoneMismatch {
                x: sample_x,
                zone,
                zone_central_meridian_deg,
                declared_central_meridian_deg: self.central_meridian_deg,
            });
        }
        Ok(Self::prefixed(zone, zone_central_meridian_deg))
    }

    fn unprefixed(central_meridian_deg: f64) -> Self {
        Self {
            central_meridian_deg,
            false_easting_m: UNPREFIXED_FALSE_EASTING_M,
        }
    }

    fn prefixed(zone: u32, central_meridian_deg: f64) -> Self {
        let false_easting_m = f64::from(zone) * ZONE_PREFIX_UNIT_M + UNPREFIXED_FALSE_EASTING_M;
        Self {
            central_meridian_deg,
            false_easting_m,
        }
    }
}

/// Central meridian of a zone number: 3-degree zones 25–45 lie at 3° × zone,
/// 6-degree zones 13–23 at 6° × zone − 3°; the two ranges never overlap.
fn zone_central_meridian(zone: u32) -> Option<f64> {
    match zone {
        13..=23 => Some(f64::from(6 * zone - 3)),
        25..=45 => Some(f64::from(3 * zone)),
        _ => None,
    }
}

/// The exact zone central meridian (75°E, 78°E … 135°E) within rounding of `deg`.
fn zone_central_meridian_near(deg: f64) -> Option<f64> {
    let multiple_of_three = (deg / 3.0).round() * 3.0;
    let is_close = (deg - multiple_of_three).abs() <= PARAMETER_TOLERANCE;
    (is_close && (75.0..=135.0).contains(&multiple_of_three)).then_some(multiple_of_three)
}

/// The zone number of a false easting of the form zone × 10⁶ + 500 000 m.
fn zone_of_prefixed_false_easting(false_easting_m: f64) -> Option<u32> {
    let zone = ((false_easting_m - UNPREFIXED_FALSE_EASTING_M) / ZONE_PREFIX_UNIT_M).round();
    let rebuilt = zone * ZONE_PREFIX_UNIT_M + UNPREFIXED_FALSE_EASTING_M;
    let is_prefixed = zone >= 1.0
        && zone <= f64::from(u8::MAX)
        && (false_easting_m - rebuilt).abs() <= PARAMETER_TOLERANCE;
    // The range check makes the conversion exact.
    is_prefixed.then_some(zone as u32)
}
