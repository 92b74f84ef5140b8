//! Parcel sizes: drawn from a mix of size bands, and, where the plan fixes a list's total,
//! shared out so that they add up to it exactly.

use rand_chacha::ChaCha8Rng;

use crate::demo::generate::area::AreaMu;
use crate::demo::generate::random::{unit, weighted_index};

/// No parcel is declared smaller than 0.10 mu (about 67 m²).
pub(crate) const SMALLEST_PARCEL: AreaMu = AreaMu::from_hundredths(10);

/// Sizes between `from_mu` and `to_mu`, drawn with weight `share` among a list's bands.
/// `skew` 1 is uniform; each step above crowds the sizes further towards `from_mu`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SizeBand {
    pub(crate) share: u32,
    pub(crate) from_mu: f64,
    pub(crate) to_mu: f64,
    pub(crate) skew: u32,
}

pub(crate) fn draw_size(rng: &mut ChaCha8Rng, bands: &[SizeBand]) -> AreaMu {
    let Some(band) = bands.get(weighted_index(rng, bands.iter().map(|band| band.share))) else {
        return SMALLEST_PARCEL;
    };
    let u = unit(rng);
    let skewed = (1..band.skew).fold(u, |acc, _| acc * u);
    let mu = band.from_mu + (band.to_mu - band.from_mu) * skewed;
    AreaMu::from_hundredths((mu * 100.0).round() as u64).max(SMALLEST_PARCEL)
}

/// `count` sizes shaped like draws from `bands` that add up to exactly `total`, each at least
/// [`SMALLEST_PARCEL`]. `total` must allow that minimum for every parcel.
pub(crate) fn sizes_summing_to(
    rng: &mut ChaCha8Rng,
    bands: &[SizeBand],
    count: usize,
    total: AreaMu,
) -> Vec<AreaMu> {
    let floor = SMALLEST_PARCEL.hundredths();
    // What each draw exceeds the minimum by; the +1 keeps every weight positive.
    let weights: Vec<u64> = (0..count)
        .map(|_| draw_size(rng, bands).hundredths() - floor + 1)
        .collect();
    let to_share = total.hundredths().saturating_sub(floor * count as u64);
    apportion(to_share, &weights)
        .into_iter()
        .map(|share| AreaMu::from_hundredths(floor + share))
        .collect()
}

/// Splits `total` units in proportion to `weights` by the largest-remainder method, in
/// integers so that the parts always add up to `total`. `weights` must not all be zero.
fn apportion(total: u64, weights: &[u64]) -> Vec<u64> {
    let weight_sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    let exact = |w: u64| u128::from(total) * u128::from(w);
    let mut parts: Vec<u64> = weights
        .iter()
        .map(|&w| (exact(w) / weight_sum) as u64)
        .collect();
    let left_over = total - parts.iter().sum::<u64>();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by_key(|&i| std::cmp::Reverse(exact(weights[i]) % weight_sum));
    for &i in by_remainder.iter().take(left_over as usize) {
        parts[i] += 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::generate::random::{Stream, rng};

    const BANDS: [SizeBand; 2] = [
        SizeBand {
            share: 9,
            from_mu: 0.5,
            to_mu: 3.0,
            skew: 2,
        },
        SizeBand {
            share: 1,
            from_mu: 3.0,
            to_mu: 20.0,
            skew: 1,
        },
    ];

    #[test]
    fn apportioned_parts_add_up_and_follow_the_weights() {
        assert_eq!(apportion(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[0, 5, 2]), vec![0, 5, 2]);
        assert_eq!(apportion(0, &[3, 4]), vec![0, 0]);
    }

    #[test]
    fn sizes_hit_the_total_and_the_minimum() {
        let total = AreaMu::from_hundredths(123_456);
        let sizes = sizes_summing_to(&mut rng(5, Stream::Sizes), &BANDS, 500, total);
        assert_eq!(sizes.len(), 500);
        assert_eq!(sizes.iter().copied().sum::<AreaMu>(), total);
        assert!(sizes.iter().all(|&size| size >= SMALLEST_PARCEL));
    }

    #[test]
    fn draws_stay_within_their_bands() {
        let mut r = rng(6, Stream::Sizes);
        for _ in 0..1_000 {
            let mu = draw_size(&mut r, &BANDS).mu();
            assert!((0.5..=20.0).contains(&mu), "{mu}");
        }
    }
}
