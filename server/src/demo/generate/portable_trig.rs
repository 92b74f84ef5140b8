//! Sine and cosine from additions and multiplications only.
//!
//! `f64::sin` and `f64::cos` call the platform's maths library, whose last bit may differ
//! between systems and Rust versions. IEEE 754 rounds +, −, × and ÷ exactly, and Rust never
//! fuses them behind our back, so these series give the same bits everywhere, which keeps
//! the demo data set byte-identical on every machine.

use std::f64::consts::FRAC_PI_2;

/// 1/(2k+1)! for k = 1.., the odd Taylor terms of sine past the first.
const SINE_TERMS: [f64; 8] = [
    -1.0 / 6.0,
    1.0 / 120.0,
    -1.0 / 5_040.0,
    1.0 / 362_880.0,
    -1.0 / 39_916_800.0,
    1.0 / 6_227_020_800.0,
    -1.0 / 1_307_674_368_000.0,
    1.0 / 355_687_428_096_000.0,
];

/// 1/(2k)! for k = 1.., the even Taylor terms of cosine past the first.
const COSINE_TERMS: [f64; 8] = [
    -1.0 / 2.0,
    1.0 / 24.0,
    -1.0 / 720.0,
    1.0 / 40_320.0,
    -1.0 / 3_628_800.0,
    1.0 / 479_001_600.0,
    -1.0 / 87_178_291_200.0,
    1.0 / 20_922_789_888_000.0,
];

/// (sin x, cos x) to within a few units in the last place for |x| up to a few turns.
pub(crate) fn sin_cos(x: f64) -> (f64, f64) {
    // Reduce to |r| ≤ π/4, where the truncated series err by less than 1e-18.
    let quadrant = (x / FRAC_PI_2).round();
    let r = x - quadrant * FRAC_PI_2;
    let r2 = r * r;
    let sin = r * (1.0 + r2 * horner(&SINE_TERMS, r2));
    let cos = 1.0 + r2 * horner(&COSINE_TERMS, r2);
    match (quadrant as i64).rem_euclid(4) {
        0 => (sin, cos),
        1 => (cos, -sin),
        2 => (-sin, -cos),
        _ => (-cos, sin),
    }
}

/// c₀ + t·(c₁ + t·(c₂ + …)).
fn horner(coefficients: &[f64], t: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, &c| c + t * acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_platform_library() {
        for step in -2_000..=2_000 {
            let x = f64::from(step) * 0.004_567;
            let (sin, cos) = sin_cos(x);
            assert!((sin - x.sin()).abs() < 1e-15, "sin {x}");
            assert!((cos - x.cos()).abs() < 1e-15, "cos {x}");
        }
    }
}
