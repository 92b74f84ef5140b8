//! Gauss-Krüger (transverse Mercator, scale factor 1) on the CGCS2000 ellipsoid.
//!
//! Follows C. F. F. Karney, "Transverse Mercator with an accuracy of a few
//! nanometers", J. Geodesy 85 (2011) 475–485: Krüger's series in the third
//! flattening n, carried to n⁶, map between the conformal sphere and the
//! projection plane, and the conformal latitude is computed in closed form
//! (forward) or by Newton's method (inverse). PROJ's default `tmerc` algorithm
//! (Poder/Engsager) sums the same series to the same order, so the two agree to
//! nanometres within a few degrees of the central meridian.

use std::ops::{Add, Mul, Sub};

use super::ellipsoid::{ECCENTRICITY_SQUARED, SEMI_MAJOR_AXIS_M, THIRD_FLATTENING};

const N: f64 = THIRD_FLATTENING;
const N2: f64 = N * N;
const N3: f64 = N2 * N;
const N4: f64 = N3 * N;
const N5: f64 = N4 * N;
const N6: f64 = N5 * N;

/// Rectifying radius A (Karney 2011, eq. 14): 2πA is the meridian's length.
const RECTIFYING_RADIUS_M: f64 =
    SEMI_MAJOR_AXIS_M / (1.0 + N) * (1.0 + N2 / 4.0 + N4 / 64.0 + N6 / 256.0);

/// α₁…α₆ of Karney 2011, eq. 35: conformal sphere → projection plane.
const ALPHA: [f64; 6] = [
    N * (1.0 / 2.0
        + N * (-2.0 / 3.0
            + N * (5.0 / 16.0
                + N * (41.0 / 180.0 + N * (-127.0 / 288.0 + N * (7891.0 / 37800.0)))))),
    N2 * (13.0 / 48.0
        + N * (-3.0 / 5.0
            + N * (557.0 / 1440.0 + N * (281.0 / 630.0 + N * (-1_983_433.0 / 1_935_360.0))))),
    N3 * (61.0 / 240.0
        + N * (-103.0 / 140.0 + N * (15061.0 / 26880.0 + N * (167_603.0 / 181_440.0)))),
    N4 * (49561.0 / 161_280.0 + N * (-179.0 / 168.0 + N * (6_601_661.0 / 7_257_600.0))),
    N5 * (34729.0 / 80640.0 + N * (-3_418_889.0 / 1_995_840.0)),
    N6 * (212_378_941.0 / 319_334_400.0),
];

/// β₁…β₆ of Karney 2011, eq. 36: projection plane → conformal sphere.
const BETA: [f64; 6] = [
    N * (1.0 / 2.0
        + N * (-2.0 / 3.0
            + N * (37.0 / 96.0
                + N * (-1.0 / 360.0 + N * (-81.0 / 512.0 + N * (96199.0 / 604_800.0)))))),
    N2 * (1.0 / 48.0
        + N * (1.0 / 15.0
            + N * (-437.0 / 1440.0 + N * (46.0 / 105.0 + N * (-1_118_711.0 / 3_870_720.0))))),
    N3 * (17.0 / 480.0 + N * (-37.0 / 840.0 + N * (-209.0 / 4480.0 + N * (5569.0 / 90720.0)))),
    N4 * (4397.0 / 161_280.0 + N * (-11.0 / 504.0 + N * (-830_251.0 / 7_257_600.0))),
    N5 * (4583.0 / 161_280.0 + N * (-108_847.0 / 3_991_680.0)),
    N6 * (20_648_693.0 / 638_668_800.0),
];

/// Projects geographic degrees to metres east of the central meridian and north
/// of the equator (no false easting): the forward half, used to check the inverse
/// and to write projected output.
pub(crate) fn forward(lon_deg: f64, lat_deg: f64, central_meridian_deg: f64) -> (f64, f64) {
    let lambda = normalize_deg(lon_deg - central_meridian_deg).to_radians();
    let (sin_lambda, cos_lambda) = lambda.sin_cos();
    let conformal_tan = conformal_tan_from_geographic(lat_deg.to_radians().tan());
    let sphere = Complex {
        re: conformal_tan.atan2(cos_lambda),
        im: (sin_lambda / conformal_tan.hypot(cos_lambda)).asinh(),
    };
    let plane = sphere + sin_series(&ALPHA, sphere);
    (
        RECTIFYING_RADIUS_M * plane.im,
        RECTIFYING_RADIUS_M * plane.re,
    )
}

/// Converts metres east of the central meridian (false easting already removed)
/// and north of the equator back to geographic (longitude, latitude) degrees.
pub(crate) fn inverse(easting_m: f64, northing_m: f64, central_meridian_deg: f64) -> (f64, f64) {
    let plane = Complex {
        re: northing_m / RECTIFYING_RADIUS_M,
        im: easting_m / RECTIFYING_RADIUS_M,
    };
    let sphere = plane - sin_series(&BETA, plane);
    let (sin_xi, cos_xi) = sphere.re.sin_cos();
    let sinh_eta = sphere.im.sinh();
    let conformal_tan = sin_xi / sinh_eta.hypot(cos_xi);
    let lat = geographic_tan_from_conformal(conformal_tan).atan();
    let lambda = sinh_eta.atan2(cos_xi);
    (central_meridian_deg + lambda.to_degrees(), lat.to_degrees())
}

/// tan χ of the conformal latitude from tan φ (Karney 2011, eqs. 7–9), written
/// with hypot so that it stays accurate near the poles.
fn conformal_tan_from_geographic(tan_phi: f64) -> f64 {
    let e = ECCENTRICITY_SQUARED.sqrt();
    let sigma = (e * (e * tan_phi / tan_phi.hypot(1.0)).atanh()).sinh();
    tan_phi * sigma.hypot(1.0) - sigma * tan_phi.hypot(1.0)
}

/// Inverts [`conformal_tan_from_geographic`] by Newton's method (Karney 2011,
/// eqs. 19–21); the derivative is known exactly, so two or three steps reach
/// machine precision.
fn geographic_tan_from_conformal(conformal_tan: f64) -> f64 {
    const MAX_STEPS: usize = 5;
    let tolerance = f64::EPSILON.sqrt() / 10.0;
    let one_minus_e2 = 1.0 - ECCENTRICITY_SQUARED;
    let mut tan_phi = conformal_tan / one_minus_e2;
    for _ in 0..MAX_STEPS {
        let estimate = conformal_tan_from_geographic(tan_phi);
        let slope = one_minus_e2 * estimate.hypot(1.0) * tan_phi.hypot(1.0)
            / (1.0 + one_minus_e2 * tan_phi * tan_phi);
        let step = (conformal_tan - estimate) / slope;
        tan_phi += step;
        // Convergence is quadratic: a step below √ε/10 leaves an estimate that
        // is already accurate to rounding.
        if step.abs() < tolerance * tan_phi.abs().max(1.0) {
            break;
        }
    }
    tan_phi
}

/// Σ cⱼ sin(2jζ) for complex ζ by Clenshaw summation, which needs only one
/// complex sine and cosine instead of one per term.
fn sin_series(coefficients: &[f64; 6], zeta: Complex) -> Complex {
    let (sin_2xi, cos_2xi) = (2.0 * zeta.re).sin_cos();
    let (sinh_2eta, cosh_2eta) = ((2.0 * zeta.im).sinh(), (2.0 * zeta.im).cosh());
    let sin_2zeta = Complex {
        re: sin_2xi * cosh_2eta,
        im: cos_2xi * sinh_2eta,
    };
    let twice_cos_2zeta = Complex {
        re: 2.0 * cos_2xi * cosh_2eta,
        im: -2.0 * sin_2xi * sinh_2eta,
    };
    let mut next = Complex::ZERO;
    let mut after_next = Complex::ZERO;
    for &c in coefficients.iter().rev() {
        let current = twice_cos_2zeta * next - after_next + Complex { re: c, im: 0.0 };
        after_next = next;
        next = current;
    }
    sin_2zeta * next
}

/// Just enough complex arithmetic for the series: the real part carries the
/// northing-like coordinate ξ and the imaginary part the easting-like η.
#[derive(Clone, Copy)]
struct Complex {
    re: f64,
    im: f64,
}

impl Complex {
    const ZERO: Self = Self { re: 0.0, im: 0.0 };
}

impl Add for Complex {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self {
            re: self.re + other.re,
            im: self.im + other.im,
        }
    }
}

impl Sub for Complex {
    type Output = Self;
    fn sub(self, other: Self) -> Self {
        Self {
            re: self.re - other.re,
            im: self.im - other.im,
        }
    }
}

impl Mul for Complex {
    type Output = Self;
    fn mul(self, other: Self) -> Self {
        Self {
            re: self.re * other.re - self.im * other.im,
            im: self.re * other.im + self.im * other.re,
        }
    }
}

/// Reduces an angle to [-180°, 180°], so that a longitude difference across the antimeridian
/// stays small.
fn normalize_deg(x: f64) -> f64 {
    // `%` keeps the sign of x, so y lies in (-360°, 360°); the corrections are exact.
    let y = x % 360.0;
    if y < -180.0 {
        y + 360.0
    } else if y > 180.0 {
        y - 360.0
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_meridian_maps_to_zero_easting() {
        let (x, _) = forward(117.0, 28.4, 117.0);
        assert_eq!(x, 0.0);
    }

    #[test]
    fn quarter_meridian_matches_known_length() {
        // The CGCS2000/GRS80 quarter meridian is 10 001 965.7293 m.
        let (_, y) = forward(117.0, 90.0, 117.0);
        assert!((y - 10_001_965.729_3).abs() < 1e-4, "{y}");
    }

    #[test]
    fn conformal_latitude_inverts() {
        for tan_phi in [-1e6, -3.0, -0.5, 0.0, 1e-9, 0.54, 1.9, 40.0, 1e8] {
            let back = geographic_tan_from_conformal(conformal_tan_from_geographic(tan_phi));
            assert!(
                (back - tan_phi).abs() <= 4.0 * f64::EPSILON * tan_phi.abs().max(1.0),
                "{tan_phi} -> {back}"
            );
        }
    }
}
