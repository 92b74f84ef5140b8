//! Grouping the rings of one Shapefile polygon record into polygons with holes.
//!
//! The record lists rings with no grouping; orientation tells them apart: clockwise rings
//! are exteriors, counter-clockwise ones holes. As GDAL does (hence what users see in
//! QGIS), each hole goes to the smallest exterior that contains it, and a hole inside no
//! exterior becomes an exterior itself, so files whose writer got orientation wrong still
//! keep all their area.

use crate::parcels::import::read::SourcePolygon;

type Ring = Vec<(f64, f64)>;

pub(crate) fn assemble_polygons(mut rings: Vec<Ring>) -> Vec<SourcePolygon> {
    if rings.len() == 1 {
        // The common case; orientation does not matter for a lone ring.
        return vec![SourcePolygon {
            exterior: rings.swap_remove(0),
            holes: Vec::new(),
        }];
    }

    let outlines: Vec<Outline> = rings.iter().map(|ring| Outline::of(ring)).collect();
    let exteriors: Vec<usize> = (0..rings.len())
        .filter(|&index| outlines[index].is_exterior())
        .collect();
    let parents: Vec<Option<usize>> = (0..rings.len())
        .map(|index| {
            if outlines[index].is_exterior() {
                return None;
            }
            exteriors
                .iter()
                .copied()
                .filter(|&exterior| {
                    outlines[exterior].encloses(&outlines[index])
                        && ring_lies_within(&rings[index], &rings[exterior])
                })
                .min_by(|&a, &b| outlines[a].area().total_cmp(&outlines[b].area()))
        })
        .collect();

    let mut polygon_of_ring = vec![0; rings.len()];
    let mut polygons = Vec::new();
    for (index, parent) in parents.iter().enumerate() {
        if parent.is_none() {
            polygon_of_ring[index] = polygons.len();
            polygons.push(SourcePolygon {
                exterior: Vec::new(),
                holes: Vec::new(),
            });
        }
    }
    for (index, ring) in rings.into_iter().enumerate() {
        match parents[index] {
            None => polygons[polygon_of_ring[index]].exterior = ring,
            Some(exterior) => polygons[polygon_of_ring[exterior]].holes.push(ring),
        }
    }
    polygons
}

/// Signed area and bounding box of a ring.
struct Outline {
    signed_area: f64,
    min: (f64, f64),
    max: (f64, f64),
}

impl Outline {
    fn of(ring: &[(f64, f64)]) -> Self {
        let mut min = (f64::INFINITY, f64::INFINITY);
        let mut max = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for &(x, y) in ring {
            min = (min.0.min(x), min.1.min(y));
            max = (max.0.max(x), max.1.max(y));
        }
        Self {
            signed_area: signed_area(ring),
            min,
            max,
        }
    }

    /// Clockwise with y up, as the specification has exteriors. Flat rings have no
    /// orientation; like GDAL, they are not treated as holes.
    fn is_exterior(&self) -> bool {
        self.signed_area <= 0.0
    }

    fn area(&self) -> f64 {
        self.signed_area.abs()
    }

    fn encloses(&self, other: &Self) -> bool {
        self.min.0 <= other.min.0
            && self.min.1 <= other.min.1
            && self.max.0 >= other.max.0
            && self.max.1 >= other.max.1
    }
}

/// Shoelace formula, positive for counter-clockwise. Coordinates are taken relative to
/// the first vertex: projected coordinates with zone prefixes reach 10^7, and their
/// products would otherwise swamp the area of a small parcel.
fn signed_area(ring: &[(f64, f64)]) -> f64 {
    let Some(&(origin_x, origin_y)) = ring.first() else {
        return 0.0;
    };
    let twice_area: f64 = ring
        .windows(2)
        .map(|edge| {
            let (x1, y1) = (edge[0].0 - origin_x, edge[0].1 - origin_y);
            let (x2, y2) = (edge[1].0 - origin_x, edge[1].1 - origin_y);
            x1 * y2 - x2 * y1
        })
        .sum();
    twice_area / 2.0
}

/// Whether `inner` lies within `outer`, judged by its first vertex not on `outer`'s
/// boundary: holes may touch their exterior at a vertex. A ring lying wholly on the
/// boundary counts as within.
fn ring_lies_within(inner: &[(f64, f64)], outer: &[(f64, f64)]) -> bool {
    inner
        .iter()
        .find_map(|&point| match locate(point, outer) {
            Location::Boundary => None,
            Location::Inside => Some(true),
            Location::Outside => Some(false),
        })
        .unwrap_or(true)
}

enum Location {
    Inside,
    Outside,
    Boundary,
}

/// Ray casting to the right of `point`; edges include the closing one.
fn locate(point: (f64, f64), ring: &[(f64, f64)]) -> Location {
    let (px, py) = point;
    let mut inside = false;
    let closing = ring.last().copied().zip(ring.first().copied());
    for ((ax, ay), (bx, by)) in ring
        .windows(2)
        .map(|edge| (edge[0], edge[1]))
        .chain(closing)
    {
        let cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
        let within_edge_box =
            px >= ax.min(bx) && px <= ax.max(bx) && py >= ay.min(by) && py <= ay.max(by);
        if cross == 0.0 && within_edge_box {
            return Location::Boundary;
        }
        if (ay > py) != (by > py) && px < ax + (py - ay) * (bx - ax) / (by - ay) {
            inside = !inside;
        }
    }
    if inside {
        Location::Inside
    } else {
        Location::Outside
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Axis-aligned square, clockwise (an exterior) unless `counter_clockwise`.
    fn square(x: f64, y: f64, size: f64, counter_clockwise: bool) -> Ring {
        let mut ring = vec![
            (x, y),
            (x, y + size),
            (x + size, y + size),
            (x + size, y),
            (x, y),
        ];
        if counter_clockwise {
            ring.reverse();
        }
        ring
    }

    #[test]
    fn orientation_of_squares() {
        assert!(signed_area(&square(0.0, 0.0, 2.0, false)) < 0.0);
        assert_eq!(signed_area(&square(0.0, 0.0, 2.0, true)), 4.0);
    }

    #[test]
    fn holes_go_to_the_exterior_containing_them() {
        let rings = vec![
            square(0.0, 0.0, 10.0, false),
            square(20.0, 0.0, 10.0, false),
            square(22.0, 2.0, 2.0, true),
            square(2.0, 2.0, 2.0, true),
        ];
        let polygons = assemble_polygons(rings.clone());
        assert_eq!(polygons.len(), 2);
        assert_eq!(polygons[0].exterior, rings[0]);
        assert_eq!(polygons[0].holes, vec![rings[3].clone()]);
        assert_eq!(polygons[1].exterior, rings[1]);
        assert_eq!(polygons[1].holes, vec![rings[2].clone()]);
    }

    #[test]
    fn island_in_a_lake_gets_the_innermost_exterior() {
        let rings = vec![
            square(0.0, 0.0, 100.0, false),
            square(10.0, 10.0, 80.0, true),
            square(20.0, 20.0, 60.0, false),
            square(30.0, 30.0, 10.0, true),
        ];
        let polygons = assemble_polygons(rings.clone());
        assert_eq!(polygons.len(), 2);
        assert_eq!(polygons[0].holes, vec![rings[1].clone()]);
        assert_eq!(polygons[1].exterior, rings[2]);
        assert_eq!(polygons[1].holes, vec![rings[3].clone()]);
    }

    #[test]
    fn hole_touching_its_exterior_at_a_corner() {
        let exterior = square(0.0, 0.0, 10.0, false);
        let hole = vec![(0.0, 0.0), (5.0, 2.0), (2.0, 5.0), (0.0, 0.0)];
        assert!(signed_area(&hole) > 0.0);
        let polygons = assemble_polygons(vec![exterior, hole.clone()]);
        assert_eq!(polygons.len(), 1);
        assert_eq!(polygons[0].holes, vec![hole]);
    }

    #[test]
    fn counter_clockwise_ring_outside_every_exterior_becomes_an_exterior() {
        let rings = vec![square(0.0, 0.0, 1.0, false), square(5.0, 5.0, 1.0, true)];
        let polygons = assemble_polygons(rings.clone());
        assert_eq!(polygons.len(), 2);
        assert_eq!(polygons[1].exterior, rings[1]);
        assert!(polygons.iter().all(|polygon| polygon.holes.is_empty()));
    }

    #[test]
    fn a_hole_listed_before_its_exterior_still_finds_it() {
        let rings = vec![square(2.0, 2.0, 2.0, true), square(0.0, 0.0, 10.0, false)];
        let polygons = assemble_polygons(rings.clone());
        assert_eq!(polygons.len(), 1);
        assert_eq!(polygons[0].exterior, rings[1]);
        assert_eq!(polygons[0].holes, vec![rings[0].clone()]);
    }

    #[test]
    fn large_projected_coordinates_keep_small_areas() {
        // A 1 m² parcel at a Gauss-Krüger easting with zone prefix.
        let ring = square(39_500_000.25, 3_300_000.5, 1.0, true);
        assert_eq!(signed_area(&ring), 1.0);
    }
}
