//! Areas in mu (亩), held as whole hundredths so that totals add up exactly.

use std::fmt;
use std::iter::Sum;
use std::ops::Add;

/// Square metres in one mu: 1 mu = 10,000/15 m².
pub const SQUARE_METRES_PER_MU: f64 = 10_000.0 / 15.0;

/// An area in hundredths of a mu, the precision at which areas are declared and shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AreaMu(u64);

impl AreaMu {
    pub const fn from_hundredths(hundredths: u64) -> Self {
        AreaMu(hundredths)
    }

    pub const fn hundredths(self) -> u64 {
        self.0
    }

    /// The area in mu; exact to two decimals only as far as `f64` allows.
    pub fn mu(self) -> f64 {
        self.0 as f64 / 100.0
    }

    pub fn square_metres(self) -> f64 {
        self.mu() * SQUARE_METRES_PER_MU
    }
}

impl fmt::Display for AreaMu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl Add for AreaMu {
    type Output = AreaMu;

    fn add(self, other: AreaMu) -> AreaMu {
        AreaMu(self.0 + other.0)
    }
}

impl Sum for AreaMu {
    fn sum<I: Iterator<Item = AreaMu>>(iter: I) -> AreaMu {
        iter.fold(AreaMu::default(), Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_two_decimals_and_sums_exactly() {
        let parts = [
            AreaMu::from_hundredths(398_000),
            AreaMu::from_hundredths(79),
        ];
        assert_eq!(parts.into_iter().sum::<AreaMu>().to_string(), "3980.79");
        assert_eq!(AreaMu::from_hundredths(5).to_string(), "0.05");
        assert!((AreaMu::from_hundredths(150).square_metres() - 1_000.0).abs() < 1e-9);
    }
}
