//! Parcel areas against GeographicLib 2.1 on the CGCS2000 ellipsoid.

use tianzhang_server::parcels::geodesy::SourceCrs;
use tianzhang_server::parcels::geometry::{footprint, geodesic_area_m2, square_metres_to_mu};

const POLYGONS: &str = include_str!("../fixtures/geodesy/polygons.txt");

/// What a parcel needs: 0.01 m² or one part in 10⁹, whichever is larger.
const REQUIRED_ABSOLUTE_M2: f64 = 0.01;
const REQUIRED_RELATIVE: f64 = 1e-9;

struct Reference {
    name: String,
    area_m2: f64,
    rings: Vec<Vec<(f64, f64)>>,
}

fn references() -> Vec<Reference> {
    let mut polygons: Vec<Reference> = Vec::new();
    for line in POLYGONS.lines().filter(|line| !line.starts_with('#')) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["polygon", name, area] => polygons.push(Reference {
                name: (*name).to_owned(),
                area_m2: area.parse().unwrap(),
                rings: vec![],
            }),
            ["ring"] => polygons.last_mut().unwrap().rings.push(vec![]),
            [lon, lat] => {
                let ring = polygons.last_mut().unwrap().rings.last_mut().unwrap();
                ring.push((lon.parse().unwrap(), lat.parse().unwrap()));
            }
            _ => panic!("unexpected fixture line {line:?}"),
        }
    }
    polygons
}

fn closed(mut ring: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if ring.first() != ring.last() {
        ring.push(ring[0]);
    }
    ring
}

/// Parcels are at most a few square kilometres and never circle a pole: the references that
/// are (province-sized boxes, a ring around the North Pole) test other software, not ours.
fn parcel_sized(reference: &Reference) -> bool {
    reference.area_m2 < 1e8
}

#[test]
fn parcel_areas_match_geographiclib() {
    let references: Vec<Reference> = references().into_iter().filter(parcel_sized).collect();
    assert!(
        references.len() >= 8,
        "{} parcel-sized references",
        references.len()
    );
    for reference in &references {
        let mut rings = reference.rings.iter().cloned().map(closed);
        let exterior = rings.next().unwrap();
        let shape = footprint(vec![(exterior, rings.collect())]);
        let area = geodesic_area_m2(&shape);
        let allowed = REQUIRED_ABSOLUTE_M2.max(REQUIRED_RELATIVE * reference.area_m2);
        assert!(
            (area - reference.area_m2).abs() <= allowed,
            "{}: {area} m² vs {} m²",
            reference.name,
            reference.area_m2
        );
    }
}

#[test]
fn a_parcel_surveyed_in_gauss_kruger_is_measured_on_the_ellipsoid() {
    // A 100 m × 100 m square staked out in zone 39 near Jinxian.
    let zone = SourceCrs::from_epsg(4527).unwrap();
    let corners = [
        (39_431_400.0, 3_142_970.0),
        (39_431_500.0, 3_142_970.0),
        (39_431_500.0, 3_143_070.0),
        (39_431_400.0, 3_143_070.0),
        (39_431_400.0, 3_142_970.0),
    ];
    let ring: Vec<(f64, f64)> = corners
        .iter()
        .map(|&(x, y)| zone.to_lon_lat(x, y))
        .collect();
    let area = geodesic_area_m2(&footprint(vec![(ring, vec![])]));
    // Gauss-Krüger scale (1 on the central meridian) grows as 1 + x²/2R²: 68.6 km out it is
    // 1.00006 in length, so the ground area is 0.99988 of the grid's.
    assert!((area / 10_000.0 - 0.999_884).abs() < 2e-6, "{area}");
    assert!((square_metres_to_mu(area) - 14.998).abs() < 1e-3);
}
