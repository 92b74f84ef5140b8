//! Gauss-Krüger conversions against PROJ 9.1.1 (`cs2cs`) reference values.

use tianzhang_server::parcels::geodesy::SourceCrs;

const POINTS: &str = include_str!("../fixtures/geodesy/tm_points.csv");

/// Required agreement with PROJ, in metres.
const MAX_ERROR_M: f64 = 1e-3;
/// What the implementation actually achieves, so that a regression shows up
/// long before it reaches the requirement.
const ACHIEVED_ERROR_M: f64 = 2e-8;

struct Point {
    crs: SourceCrs,
    lon: f64,
    lat: f64,
    easting: f64,
    northing: f64,
    /// PROJ computed easting/northing from lon/lat (true) or the reverse.
    projected_by_proj: bool,
}

fn points() -> Vec<Point> {
    POINTS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("epsg"))
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let number = |i: usize| fields[i].parse::<f64>().unwrap();
            Point {
                crs: SourceCrs::from_epsg(fields[0].parse().unwrap()).unwrap(),
                lon: number(1),
                lat: number(2),
                easting: number(3),
                northing: number(4),
                projected_by_proj: fields[5] == "forward",
            }
        })
        .collect()
}

/// Ground distance between two nearby geographic points, in metres.
fn ground_distance_m((lon1, lat1): (f64, f64), (lon2, lat2): (f64, f64)) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_378_137.0;
    let north = (lat2 - lat1).to_radians() * EARTH_RADIUS_M;
    let east = (lon2 - lon1).to_radians() * EARTH_RADIUS_M * lat1.to_radians().cos();
    north.hypot(east)
}

#[test]
fn fixture_covers_both_families_and_directions() {
    let points = points();
    assert!(points.len() > 300);
    let codes: Vec<&str> = POINTS
        .lines()
        .filter_map(|line| line.split(',').next())
        .collect();
    for code in [
        4527, 4548, 4513, 4533, 4534, 4554, 4491, 4498, 4501, 4502, 4509, 4512,
    ] {
        assert!(
            codes.contains(&code.to_string().as_str()),
            "EPSG:{code} missing"
        );
    }
    assert!(
        points.iter().any(|p| p.projected_by_proj) && points.iter().any(|p| !p.projected_by_proj)
    );
}

#[test]
fn forward_matches_proj() {
    let worst = points()
        .iter()
        .filter(|p| p.projected_by_proj)
        .map(|p| {
            let (x, y) = p.crs.to_xy(p.lon, p.lat);
            (x - p.easting).hypot(y - p.northing)
        })
        .fold(0.0, f64::max);
    assert!(worst < MAX_ERROR_M, "worst forward error {worst} m");
    assert!(worst < ACHIEVED_ERROR_M, "worst forward error {worst} m");
}

#[test]
fn inverse_matches_proj() {
    let worst = points()
        .iter()
        .filter(|p| !p.projected_by_proj)
        .map(|p| ground_distance_m(p.crs.to_lon_lat(p.easting, p.northing), (p.lon, p.lat)))
        .fold(0.0, f64::max);
    assert!(worst < MAX_ERROR_M, "worst inverse error {worst} m");
    assert!(worst < ACHIEVED_ERROR_M, "worst inverse error {worst} m");
}

#[test]
fn forward_then_inverse_returns_to_start() {
    let worst = points()
        .iter()
        .map(|p| {
            let (x, y) = p.crs.to_xy(p.lon, p.lat);
            ground_distance_m(p.crs.to_lon_lat(x, y), (p.lon, p.lat))
        })
        .fold(0.0, f64::max);
    assert!(worst < 1e-8, "worst round trip {worst} m");
}

#[test]
fn inverse_then_forward_returns_to_start() {
    let worst = points()
        .iter()
        .map(|p| {
            let (lon, lat) = p.crs.to_lon_lat(p.easting, p.northing);
            let (x, y) = p.crs.to_xy(lon, lat);
            (x - p.easting).hypot(y - p.northing)
        })
        .fold(0.0, f64::max);
    assert!(worst < 1e-8, "worst round trip {worst} m");
}

#[test]
fn prefixed_and_plain_zones_differ_only_by_the_prefix() {
    let prefixed = SourceCrs::from_epsg(4527).unwrap();
    let plain = SourceCrs::from_epsg(4548).unwrap();
    let (x, y) = plain.to_xy(116.3, 28.4);
    assert_eq!(prefixed.to_xy(116.3, 28.4), (x + 39_000_000.0, y));
    let (lon_prefixed, lat_prefixed) = prefixed.to_lon_lat(x + 39_000_000.0, y);
    let (lon_plain, lat_plain) = plain.to_lon_lat(x, y);
    // Only the rounding of the false-easting subtraction differs.
    assert!((lon_prefixed - lon_plain).abs() < 1e-12 && (lat_prefixed - lat_plain).abs() < 1e-12);
}

#[test]
fn geographic_coordinates_pass_through() {
    for code in [4490, 4326] {
        let crs = SourceCrs::from_epsg(code).unwrap();
        assert_eq!(crs.to_lon_lat(116.3, 28.4), (116.3, 28.4));
        assert_eq!(crs.to_xy(116.3, 28.4), (116.3, 28.4));
    }
}

#[test]
fn every_zone_round_trips_across_china() {
    let mut worst: f64 = 0.0;
    for code in 4534..=4554 {
        let crs = SourceCrs::from_epsg(code).unwrap();
        let SourceCrs::GaussKruger(zone) = crs else {
            panic!("EPSG:{code} should be projected");
        };
        let central_meridian = zone.central_meridian_deg();
        for lat_step in 0..=36 {
            for lon_step in -12..=12 {
                let lon = central_meridian + f64::from(lon_step) * 0.25;
                let lat = 18.0 + f64::from(lat_step);
                let (x, y) = crs.to_xy(lon, lat);
                worst = worst.max(ground_distance_m(crs.to_lon_lat(x, y), (lon, lat)));
            }
        }
    }
    assert!(worst < 1e-8, "worst round trip {worst} m");
}
