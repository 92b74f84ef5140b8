//! The GRS80 ellipsoid of CGCS2000 (WGS-84 differs from it by well under a millimetre here).

use crate::demo::generate::portable_trig::sin_cos;

pub(crate) const SEMI_MAJOR_AXIS_M: f64 = 6_378_137.0;
pub(crate) const FLATTENING: f64 = 1.0 / 298.257_222_101;
pub(crate) const ECCENTRICITY_SQUARED: f64 = FLATTENING * (2.0 - FLATTENING);

/// How many metres one degree spans near a point, east-west and north-south.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LocalScale {
    pub(crate) metres_per_degree_lon: f64,
    pub(crate) metres_per_degree_lat: f64,
}

/// The scale at `latitude` (degrees): the radii of curvature in the prime vertical (N) and the
/// meridian (M). A small shape drawn in metres with this scale keeps its area to about 1e-6,
/// because the area element M·N·cos φ changes by that little across a parcel.
pub(crate) fn local_scale(latitude: f64) -> LocalScale {
    let (sin, cos) = sin_cos(latitude.to_radians());
    let w = 1.0 - ECCENTRICITY_SQUARED * sin * sin;
    let prime_vertical = SEMI_MAJOR_AXIS_M / w.sqrt();
    let meridian = SEMI_MAJOR_AXIS_M * (1.0 - ECCENTRICITY_SQUARED) / (w * w.sqrt());
    let radians_per_degree = 1f64.to_radians();
    LocalScale {
        metres_per_degree_lon: prime_vertical * cos * radians_per_degree,
        metres_per_degree_lat: meridian * radians_per_degree,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_degree_near_jinxian_has_its_known_length() {
        // At 28.4°N one degree of latitude is 110.826 km and of longitude 97.997 km
        // (the usual series 111132.95 − 559.82·cos 2φ + 1.175·cos 4φ and 111412.84·cos φ − 93.5·cos 3φ).
        let scale = local_scale(28.4);
        assert!((scale.metres_per_degree_lat - 110_826.0).abs() < 2.0);
        assert!((scale.metres_per_degree_lon - 97_997.0).abs() < 2.0);
    }
}
