//! Parcel footprints: longitude/latitude multipolygons on CGCS2000, their ellipsoidal area,
//! their validity, and their storage as WKB.

use geo::orient::{Direction, Orient};
use geo::{BoundingRect, GeodesicArea, LineString, MultiPolygon, Polygon, Rect, Validation};
use serde_json::{Value, json};

/// 1 mu (亩) = 10,000 / 15 m² ≈ 666.67 m².
pub const SQUARE_METRES_PER_MU: f64 = 10_000.0 / 15.0;

pub fn square_metres_to_mu(square_metres: f64) -> f64 {
    square_metres / SQUARE_METRES_PER_MU
}

/// The ellipsoidal (geodesic) area in m², as the official figures are computed (ArcGIS
/// `AREA_GEODESIC`, PostGIS `geography`). Karney's algorithm on the WGS 84 ellipsoid, whose
/// flattening differs from CGCS2000's by one part in 10¹¹: far below a square millimetre on a
/// parcel.
pub fn geodesic_area_m2(footprint: &MultiPolygon) -> f64 {
    footprint.geodesic_area_unsigned()
}

/// Why a footprint is not a valid polygon (self-intersecting rings, too few points, holes
/// outside the exterior, overlapping parts), or `None` when it is valid.
pub fn invalidity(footprint: &MultiPolygon) -> Option<String> {
    if footprint.0.is_empty() {
        return Some("the geometry has no polygon".to_owned());
    }
    let problems: Vec<String> = footprint
        .validation_errors()
        .iter()
        .map(ToString::to_string)
        .collect();
    (!problems.is_empty()).then(|| problems.join("; "))
}

pub fn bounds(footprint: &MultiPolygon) -> Option<Rect> {
    footprint.bounding_rect()
}

/// A ring of (longitude, latitude) points.
pub type Ring = Vec<(f64, f64)>;

/// Builds a footprint from rings of (longitude, latitude): each polygon is its exterior then
/// its holes. Rings are re-oriented the GeoJSON way (exteriors counter-clockwise, holes
/// clockwise): Shapefiles store them the other way round, and the ellipsoidal area of a
/// clockwise exterior is the rest of the Earth.
pub fn footprint(polygons: Vec<(Ring, Vec<Ring>)>) -> MultiPolygon {
    let shape = MultiPolygon(
        polygons
            .into_iter()
            .map(|(exterior, holes)| {
                Polygon::new(
                    LineString::from(exterior),
                    holes.into_iter().map(LineString::from).collect(),
                )
            })
            .collect(),
    );
    shape.orient(Direction::Default)
}

/// The GeoJSON geometry object of a footprint.
pub fn to_geojson(footprint: &MultiPolygon) -> Value {
    let ring = |line: &LineString| -> Vec<[f64; 2]> { line.coords().map(|c| [c.x, c.y]).collect() };
    let polygons: Vec<Vec<Vec<[f64; 2]>>> = footprint
        .0
        .iter()
        .map(|polygon| {
            std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .map(ring)
                .collect()
        })
        .collect();
    json!({"type": "MultiPolygon", "coordinates": polygons})
}

const WKB_LITTLE_ENDIAN: u8 = 1;
const WKB_POLYGON: u32 = 3;
const WKB_MULTIPOLYGON: u32 = 6;

#[derive(Debug, thiserror::Error)]
#[error("stored geometry is not a WKB multipolygon: {0}")]
pub struct WkbError(&'static str);

impl WkbError {
    pub fn empty() -> Self {
        WkbError("no coordinates")
    }
}

/// Encodes as little-endian OGC WKB, readable by PostGIS (`ST_GeomFromWKB`) and GDAL.
pub fn to_wkb(footprint: &MultiPolygon) -> Vec<u8> {
    let points: usize = footprint
        .0
        .iter()
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum();
    let mut out = Vec::with_capacity(9 + footprint.0.len() * 13 + points * 16);
    out.push(WKB_LITTLE_ENDIAN);
    out.extend_from_slice(&WKB_MULTIPOLYGON.to_le_bytes());
    push_len(&mut out, footprint.0.len());
    for polygon in &footprint.0 {
        out.push(WKB_LITTLE_ENDIAN);
        out.extend_from_slice(&WKB_POLYGON.to_le_bytes());
        push_len(&mut out, 1 + polygon.interiors().len());
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            push_len(&mut out, ring.0.len());
            for c in &ring.0 {
                out.extend_from_slice(&c.x.to_le_bytes());
                out.extend_from_slice(&c.y.to_le_bytes());
            }
        }
    }
    out
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
}

/// Decodes what [`to_wkb`] wrote.
pub fn from_wkb(bytes: &[u8]) -> Result<MultiPolygon, WkbError> {
    let mut reader = WkbReader { bytes, at: 0 };
    reader.header(WKB_MULTIPOLYGON)?;
    let polygons = reader.count()?;
    let mut out = Vec::with_capacity(polygons);
    for _ in 0..polygons {
        reader.header(WKB_POLYGON)?;
        let rings = reader.count()?;
        let mut lines = Vec::with_capacity(rings);
        for _ in 0..rings {
            let points = reader.count()?;
            let mut coords = Vec::with_capacity(points);
            for _ in 0..points {
                coords.push((reader.f64()?, reader.f64()?));
            }
            lines.push(LineString::from(coords));
        }
        let mut lines = lines.into_iter();
        let exterior = lines.next().ok_or(WkbError("a polygon without rings"))?;
        out.push(Polygon::new(exterior, lines.collect()));
    }
    if reader.at != bytes.len() {
        return Err(WkbError("trailing bytes"));
    }
    Ok(MultiPolygon(out))
}

struct WkbReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl WkbReader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], WkbError> {
        let end = self.at.checked_add(N).ok_or(WkbError("truncated"))?;
        let slice = self.bytes.get(self.at..end).ok_or(WkbError("truncated"))?;
        self.at = end;
        slice.try_into().map_err(|_| WkbError("truncated"))
    }

    fn header(&mut self, expected: u32) -> Result<(), WkbError> {
        if self.take::<1>()? != [WKB_LITTLE_ENDIAN] {
            return Err(WkbError("not little-endian"));
        }
        if u32::from_le_bytes(self.take()?) != expected {
            return Err(WkbError("unexpected geometry type"));
        }
        Ok(())
    }

    fn count(&mut self) -> Result<usize, WkbError> {
        let n = u32::from_le_bytes(self.take()?);
        let n = usize::try_from(n).map_err(|_| WkbError("count too large"))?;
        // Every element takes at least 4 bytes: a count larger than what is left is corrupt,
        // and must not reserve memory for it.
        if n > (self.bytes.len() - self.at) / 4 {
            return Err(WkbError("count larger than the data"));
        }
        Ok(n)
    }

    fn f64(&mut self) -> Result<f64, WkbError> {
        Ok(f64::from_le_bytes(self.take()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square_with_hole() -> MultiPolygon {
        footprint(vec![(
            vec![
                (116.3, 28.4),
                (116.301, 28.4),
                (116.301, 28.401),
                (116.3, 28.401),
                (116.3, 28.4),
            ],
            vec![vec![
                (116.3004, 28.4004),
                (116.3004, 28.4006),
                (116.3006, 28.4006),
                (116.3006, 28.4004),
                (116.3004, 28.4004),
            ]],
        )])
    }

    #[test]
    fn wkb_round_trips_and_refuses_corruption() {
        let shape = square_with_hole();
        let bytes = to_wkb(&shape);
        assert_eq!(from_wkb(&bytes).unwrap(), shape);
        assert!(from_wkb(&bytes[..bytes.len() - 1]).is_err());
        let mut huge_count = bytes;
        huge_count[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(from_wkb(&huge_count).is_err());
    }

    #[test]
    fn a_bow_tie_is_invalid_and_a_square_is_not() {
        assert!(invalidity(&square_with_hole()).is_none());
        let bow_tie = footprint(vec![(
            vec![(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)],
            vec![],
        )]);
        assert!(invalidity(&bow_tie).is_some());
        assert!(invalidity(&MultiPolygon(vec![])).is_some());
    }

    #[test]
    fn a_hectare_is_fifteen_mu() {
        assert!((square_metres_to_mu(10_000.0) - 15.0).abs() < 1e-12);
        let area = geodesic_area_m2(&square_with_hole());
        // ~97.9 m × 111 m less a 19.6 m × 22 m hole.
        assert!((area - 10_435.0).abs() < 50.0, "{area}");
    }
}
