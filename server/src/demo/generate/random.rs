//! Random draws built on the raw ChaCha8 stream only.
//!
//! `rand`'s distributions may change their algorithms between versions; ChaCha8's output may
//! not. Drawing from `next_u64` directly keeps the demo data set identical across upgrades.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// Independent streams, one per purpose, so that changing how one thing is drawn does not
/// shift everything drawn after it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Regions,
    Sizes,
    Attributes,
    Shapes,
    Placement,
}

pub(crate) fn rng(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}

/// Uniform in [0, 1), with the 53 bits an `f64` holds.
pub(crate) fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Uniform in [0, n) by a widening multiply; its bias, under n/2⁶⁴, does not matter here.
pub(crate) fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

pub(crate) fn chance(rng: &mut ChaCha8Rng, probability: f64) -> bool {
    unit(rng) < probability
}

/// The position of a weight in `weights`, each drawn in proportion to its weight. Weights
/// must not all be zero.
pub(crate) fn weighted_index<W>(rng: &mut ChaCha8Rng, weights: W) -> usize
where
    W: Iterator<Item = u32> + Clone,
{
    let total: u64 = weights.clone().map(u64::from).sum();
    let mut ticket = ((u128::from(rng.next_u64()) * u128::from(total)) >> 64) as u64;
    weights
        .map(u64::from)
        .position(|weight| {
            let drawn = ticket < weight;
            ticket -= weight.min(ticket);
            drawn
        })
        .unwrap_or(0)
}

/// Moves a uniformly chosen sample of `count` items to the front (a partial Fisher–Yates).
pub(crate) fn shuffle_front<T>(rng: &mut ChaCha8Rng, items: &mut [T], count: usize) {
    for i in 0..count.min(items.len()) {
        let j = i + below(rng, items.len() - i);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_and_repeat() {
        let first = |stream| rng(7, stream).next_u64();
        assert_eq!(first(Stream::Sizes), first(Stream::Sizes));
        assert_ne!(first(Stream::Sizes), first(Stream::Shapes));
    }

    #[test]
    fn draws_stay_in_range() {
        let mut r = rng(1, Stream::Regions);
        for _ in 0..10_000 {
            assert!((0.0..1.0).contains(&unit(&mut r)));
            assert!(below(&mut r, 7) < 7);
            assert_eq!(weighted_index(&mut r, [0, 5, 0].into_iter()), 1);
        }
    }

    #[test]
    fn shuffle_front_keeps_every_item() {
        let mut items: Vec<u32> = (0..100).collect();
        shuffle_front(&mut rng(3, Stream::Placement), &mut items, 40);
        items.sort_unstable();
        assert_eq!(items, (0..100).collect::<Vec<_>>());
    }
}
