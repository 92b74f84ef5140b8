//! Irregular field outlines that are simple by construction.
//!
//! The vertices go round a centre in increasing angle, with every angular gap under half a
//! turn: such a polygon is star-shaped around its centre, so its edges cannot cross, and it
//! runs counter-clockwise. An area-preserving stretch, east-west or north-south, then makes it
//! longer one way like a field; a linear map keeps it simple and counter-clockwise.

use std::f64::consts::TAU;

use rand_chacha::ChaCha8Rng;

use crate::demo::generate::portable_trig::sin_cos;
use crate::demo::generate::random::{below, chance, unit};

const FEWEST_VERTICES: usize = 5;
const MOST_VERTICES: usize = 12;
/// Each vertex may stray this fraction of its sector from the sector's middle. With 5
/// vertices the widest gap is (1 + 2 × 0.35) / 5 of a turn, well under half.
const ANGLE_JITTER: f64 = 0.35;
/// Vertex distances from the centre vary within ±20 %.
const RADIUS_JITTER: f64 = 0.2;
/// Stretch along one axis, with the inverse along the other, up to this factor.
const MOST_STRETCH: f64 = 1.5;

/// An outline around the origin at an arbitrary scale, counter-clockwise, not closed.
#[derive(Debug, Clone)]
pub(crate) struct StarShape {
    vertices: Vec<(f64, f64)>,
    area: f64,
    /// The farthest any vertex lies from the centre.
    reach: f64,
}

impl StarShape {
    pub(crate) fn random(rng: &mut ChaCha8Rng) -> StarShape {
        let count = FEWEST_VERTICES + below(rng, MOST_VERTICES - FEWEST_VERTICES + 1);
        let sector = TAU / count as f64;
        let turn = unit(rng) * sector;
        let stretch = 1.0 + (MOST_STRETCH - 1.0) * unit(rng);
        let (stretch_x, stretch_y) = if chance(rng, 0.5) {
            (stretch, 1.0 / stretch)
        } else {
            (1.0 / stretch, stretch)
        };
        let vertices: Vec<(f64, f64)> = (0..count)
            .map(|i| {
                let offset = 0.5 + ANGLE_JITTER * (2.0 * unit(rng) - 1.0);
                let (sin, cos) = sin_cos(turn + (i as f64 + offset) * sector);
                let radius = 1.0 + RADIUS_JITTER * (2.0 * unit(rng) - 1.0);
                (radius * cos * stretch_x, radius * sin * stretch_y)
            })
            .collect();
        let reach = vertices
            .iter()
            .map(|&(x, y)| (x * x + y * y).sqrt())
            .fold(0.0, f64::max);
        StarShape {
            area: shoelace_area(&vertices),
            vertices,
            reach,
        }
    }

    /// How far the outline reaches from its centre when scaled to `area`.
    pub(crate) fn reach_at(&self, area: f64) -> f64 {
        self.reach * self.scale_for(area)
    }

    /// The largest area at which the outline stays within `reach` of its centre.
    pub(crate) fn largest_area_within(&self, reach: f64) -> f64 {
        let scale = reach / self.reach;
        self.area * scale * scale
    }

    /// The vertices, scaled so that the outline encloses `area`.
    pub(crate) fn scaled_to(&self, area: f64) -> impl Iterator<Item = (f64, f64)> + '_ {
        let scale = self.scale_for(area);
        self.vertices
            .iter()
            .map(move |&(x, y)| (x * scale, y * scale))
    }

    fn scale_for(&self, area: f64) -> f64 {
        (area / self.area).sqrt()
    }
}

/// The signed area of an open ring: positive when counter-clockwise.
fn shoelace_area(ring: &[(f64, f64)]) -> f64 {
    let next = ring.iter().cycle().skip(1);
    ring.iter()
        .zip(next)
        .map(|(&(x0, y0), &(x1, y1))| x0 * y1 - x1 * y0)
        .sum::<f64>()
        / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::generate::random::{Stream, rng};

    #[test]
    fn shapes_scale_to_their_area_and_reach() {
        let mut r = rng(9, Stream::Shapes);
        for _ in 0..1_000 {
            let shape = StarShape::random(&mut r);
            let n = shape.vertices.len();
            assert!((FEWEST_VERTICES..=MOST_VERTICES).contains(&n));
            let scaled: Vec<_> = shape.scaled_to(2_500.0).collect();
            assert!((shoelace_area(&scaled) - 2_500.0).abs() < 1e-9);
            let farthest = scaled.iter().map(|&(x, y)| x.hypot(y)).fold(0.0, f64::max);
            assert!((farthest - shape.reach_at(2_500.0)).abs() < 1e-9);
            let fitting = shape.largest_area_within(40.0);
            assert!((shape.reach_at(fitting) - 40.0).abs() < 1e-9);
        }
    }

    #[test]
    fn shoelace_is_positive_counter_clockwise() {
        let square = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)];
        assert_eq!(shoelace_area(&square), 4.0);
    }
}
