//! The CGCS2000 reference ellipsoid, shared by the projection and the area code.
//!
//! CGCS2000 uses a = 6 378 137 m and 1/f = 298.257 222 101, the GRS80 figures as
//! PROJ rounds them, so "GRS80" and "CGCS2000" are the same ellipsoid here.

/// Equatorial radius in metres.
pub(crate) const SEMI_MAJOR_AXIS_M: f64 = 6_378_137.0;

/// Flattening f = (a - b) / a.
pub(crate) const FLATTENING: f64 = 1.0 / 298.257_222_101;

/// Third flattening n = (a - b) / (a + b); both series below are expanded in it.
pub(crate) const THIRD_FLATTENING: f64 = FLATTENING / (2.0 - FLATTENING);

/// First eccentricity squared e² = f (2 - f).
pub(crate) const ECCENTRICITY_SQUARED: f64 = FLATTENING * (2.0 - FLATTENING);
