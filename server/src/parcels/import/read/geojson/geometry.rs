//! A feature's `geometry` member and its conversion to polygons.

use serde::Deserialize;

use crate::parcels::import::read::SourcePolygon;
use crate::parcels::import::read::geojson::coordinates::Coordinates;

#[derive(Deserialize)]
pub(crate) struct GeometryDocument {
    #[serde(rename = "type")]
    kind: String,
    coordinates: Option<Coordinates>,
}

/// The polygons of a feature, or why it has none.
pub(crate) fn polygons_of(
    geometry: Option<GeometryDocument>,
) -> Result<Vec<SourcePolygon>, String> {
    let Some(GeometryDocument { kind, coordinates }) = geometry else {
        return Err("the feature has no geometry (null)".into());
    };
    match (kind.as_str(), coordinates) {
        ("Polygon", Some(coordinates)) => polygon(coordinates).map(|polygon| vec![polygon]),
        ("MultiPolygon", Some(Coordinates::Lists(polygons))) if !polygons.is_empty() => {
            polygons.into_iter().map(polygon).collect()
        }
        ("MultiPolygon", Some(_)) => {
            Err("MultiPolygon coordinates must be a non-empty array of polygons".into())
        }
        ("Polygon" | "MultiPolygon", None) => Err(format!("the {kind} has no coordinates")),
        _ => Err(format!(
            "the geometry is a {kind}, not a Polygon or MultiPolygon"
        )),
    }
}

/// An array of rings, the first the exterior.
fn polygon(coordinates: Coordinates) -> Result<SourcePolygon, String> {
    let Coordinates::Lists(rings) = coordinates else {
        return Err("Polygon coordinates must be an array of rings".into());
    };
    let mut rings = rings.into_iter().map(ring);
    let exterior = rings
        .next()
        .ok_or("a Polygon needs at least its exterior ring")??;
    let holes = rings.collect::<Result<_, _>>()?;
    Ok(SourcePolygon { exterior, holes })
}

fn ring(coordinates: Coordinates) -> Result<Vec<(f64, f64)>, String> {
    match coordinates {
        Coordinates::Positions(positions) => Ok(positions),
        Coordinates::Lists(empty) if empty.is_empty() => Ok(Vec::new()),
        _ => Err("a ring must be an array of positions".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polygons(json: &str) -> Result<Vec<SourcePolygon>, String> {
        let geometry: Option<GeometryDocument> =
            serde_json::from_str(json).map_err(|error| error.to_string())?;
        polygons_of(geometry)
    }

    #[test]
    fn polygon_with_a_hole() {
        let result = polygons(
            r#"{"type": "Polygon", "coordinates": [
                [[0, 0], [10, 0], [10, 10], [0, 0]],
                [[1, 1], [2, 1], [2, 2], [1, 1]]]}"#,
        );
        let expected = SourcePolygon {
            exterior: vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 0.0)],
            holes: vec![vec![(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)]],
        };
        assert_eq!(result, Ok(vec![expected]));
    }

    #[test]
    fn type_after_coordinates() {
        let result = polygons(
            r#"{"coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]], "type": "MultiPolygon"}"#,
        );
        assert_eq!(result.map(|polygons| polygons.len()), Ok(1));
    }

    #[test]
    fn non_polygons_and_mismatched_nesting_are_refused() {
        let refused = |json| polygons(json).err().unwrap_or_default();
        assert!(refused("null").contains("no geometry"));
        assert!(refused(r#"{"type": "Point", "coordinates": [1, 2]}"#).contains("Point"));
        assert!(
            refused(r#"{"type": "GeometryCollection", "geometries": []}"#)
                .contains("GeometryCollection")
        );
        assert!(refused(r#"{"type": "Polygon"}"#).contains("no coordinates"));
        assert!(refused(r#"{"type": "Polygon", "coordinates": []}"#).contains("exterior"));
        assert!(
            refused(r#"{"type": "Polygon", "coordinates": [[0, 0], [1, 1]]}"#).contains("ring")
        );
        assert!(
            refused(r#"{"type": "MultiPolygon", "coordinates": [[[0, 0], [1, 1]]]}"#)
                .contains("ring")
        );
        assert!(refused(r#"{"type": "MultiPolygon", "coordinates": []}"#).contains("non-empty"));
    }
}
