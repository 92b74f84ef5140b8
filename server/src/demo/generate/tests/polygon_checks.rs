//! Geometric properties that every parcel outline must have.

/// Whether two segments share any point, touching included.
fn segments_meet(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let side = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        let cross = (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0);
        cross.partial_cmp(&0.0).map_or(0, |ordering| ordering as i8)
    };
    let within = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        r.0 >= p.0.min(q.0) && r.0 <= p.0.max(q.0) && r.1 >= p.1.min(q.1) && r.1 <= p.1.max(q.1)
    };
    let (d1, d2) = (side(a, b, c), side(a, b, d));
    let (d3, d4) = (side(c, d, a), side(c, d, b));
    (d1 * d2 < 0 && d3 * d4 < 0)
        || (d1 == 0 && within(a, b, c))
        || (d2 == 0 && within(a, b, d))
        || (d3 == 0 && within(c, d, a))
        || (d4 == 0 && within(c, d, b))
}

/// A closed ring's vertices, relative to its first so that the arithmetic keeps its digits.
fn local(ring: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let (lon0, lat0) = ring[0];
    ring[..ring.len() - 1]
        .iter()
        .map(|&(lon, lat)| (lon - lon0, lat - lat0))
        .collect()
}

/// No two edges of a closed ring meet, except neighbours at their shared vertex.
pub(crate) fn is_simple(ring: &[(f64, f64)]) -> bool {
    let points = local(ring);
    let n = points.len();
    let edge = |i: usize| (points[i], points[(i + 1) % n]);
    (0..n).all(|i| {
        (i + 2..n).filter(|&j| !(i == 0 && j == n - 1)).all(|j| {
            let ((a, b), (c, d)) = (edge(i), edge(j));
            !segments_meet(a, b, c, d)
        })
    })
}

pub(crate) fn is_counter_clockwise(ring: &[(f64, f64)]) -> bool {
    let points = local(ring);
    let doubled_area: f64 = points
        .iter()
        .zip(points.iter().cycle().skip(1))
        .map(|(&(x0, y0), &(x1, y1))| x0 * y1 - x1 * y0)
        .sum();
    doubled_area > 0.0
}

/// (min lon, min lat, max lon, max lat).
pub(crate) fn bounding_box(ring: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    ring.iter().fold(
        (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
        |(w, s, e, n), &(lon, lat)| (w.min(lon), s.min(lat), e.max(lon), n.max(lat)),
    )
}

/// Whether any two rings' bounding boxes meet, by a sweep from west to east. Disjoint boxes
/// are enough to prove the polygons disjoint.
pub(crate) fn any_boxes_meet(rings: &[&[(f64, f64)]]) -> bool {
    let mut boxes: Vec<_> = rings.iter().map(|ring| bounding_box(ring)).collect();
    boxes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut open: Vec<(f64, f64, f64, f64)> = Vec::new();
    boxes.into_iter().any(|current| {
        open.retain(|other| other.2 >= current.0);
        let meets = open
            .iter()
            .any(|other| other.1 <= current.3 && current.1 <= other.3);
        open.push(current);
        meets
    })
}

mod tests {
    use super::*;

    fn closed(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let mut ring = points.to_vec();
        ring.push(points[0]);
        ring
    }

    #[test]
    fn tells_a_square_from_a_bow_tie() {
        let square = closed(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]);
        let bow_tie = closed(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)]);
        assert!(is_simple(&square) && is_counter_clockwise(&square));
        assert!(!is_simple(&bow_tie));
        let clockwise: Vec<_> = square.iter().rev().copied().collect();
        assert!(!is_counter_clockwise(&clockwise));
    }

    #[test]
    fn finds_meeting_boxes() {
        let a = closed(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]);
        let b = closed(&[(2.0, 0.0), (3.0, 0.0), (3.0, 1.0)]);
        let c = closed(&[(0.5, 0.5), (1.5, 0.5), (1.5, 1.5)]);
        assert!(!any_boxes_meet(&[&a, &b]));
        assert!(any_boxes_meet(&[&a, &b, &c]));
    }
}
