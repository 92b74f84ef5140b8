//! GCJ-02, the obfuscated datum of Chinese map SDKs (Amap/Gaode, Tencent, the map layer of
//! most phone apps), and its conversion to and from WGS-84 (≈ CGCS2000 for our parcels).
//!
//! GCJ-02 shifts positions by a few hundred metres in a deliberately irregular way. The
//! forward transform is the one published in open implementations such as eviltransform
//! (github.com/googollee/eviltransform) and coordtransform (github.com/wandergis/coordtransform):
//! polynomial-plus-sine offsets in metres, turned into degrees on the Krasovsky ellipsoid.
//! There is no closed-form inverse, so GCJ-02 → WGS-84 iterates the forward transform.

use std::f64::consts::PI;

/// Krasovsky 1940 equatorial radius, as the published algorithm uses it.
const SEMI_MAJOR_AXIS_M: f64 = 6_378_245.0;

/// Krasovsky 1940 first eccentricity squared, as the published algorithm writes it.
#[allow(clippy::excessive_precision)]
const ECCENTRICITY_SQUARED: f64 = 0.006_693_421_622_965_943_23;

/// The inverse stops once the forward transform of its answer is this close (about 0.1 mm).
const INVERSE_TOLERANCE_DEG: f64 = 1e-9;

/// Each step shrinks the error several hundred-fold: three or four steps reach the tolerance.
const INVERSE_MAX_STEPS: usize = 10;

/// WGS-84 → GCJ-02, in degrees (longitude, latitude). Identity outside mainland China's rough
/// bounding box, as the usual implementations do.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china(lon, lat) {
        return (lon, lat);
    }
    let (d_lon, d_lat) = shift_deg(lon, lat);
    (lon + d_lon, lat + d_lat)
}

/// GCJ-02 → WGS-84, in degrees (longitude, latitude): the point whose forward transform is
/// within 1e-9 degrees of the given one. Identity outside mainland China's rough bounding box.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china(lon, lat) {
        return (lon, lat);
    }
    let (mut wgs_lon, mut wgs_lat) = (lon, lat);
    for _ in 0..INVERSE_MAX_STEPS {
        let (gcj_lon, gcj_lat) = wgs84_to_gcj02(wgs_lon, wgs_lat);
        let (err_lon, err_lat) = (gcj_lon - lon, gcj_lat - lat);
        wgs_lon -= err_lon;
        wgs_lat -= err_lat;
        if err_lon.abs() < INVERSE_TOLERANCE_DEG && err_lat.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
    }
    (wgs_lon, wgs_lat)
}

/// The rough box the published implementations shift inside (it also covers neighbours'
/// territory; that is what GCJ-02 data from those SDKs assumes).
fn in_china(lon: f64, lat: f64) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

/// The GCJ-02 shift at a WGS-84 point, in degrees (longitude, latitude).
fn shift_deg(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 105.0, lat - 35.0);
    let sin_lat = lat.to_radians().sin();
    let w = 1.0 - ECCENTRICITY_SQUARED * sin_lat * sin_lat;
    // Metres per degree along the meridian and the parallel, times 180/π.
    let meridian = SEMI_MAJOR_AXIS_M * (1.0 - ECCENTRICITY_SQUARED) / (w * w.sqrt()) * PI;
    let parallel = SEMI_MAJOR_AXIS_M / w.sqrt() * lat.to_radians().cos() * PI;
    (
        shift_lon_m(x, y) * 180.0 / parallel,
        shift_lat_m(x, y) * 180.0 / meridian,
    )
}

/// The east-west shift in metres, x and y in degrees from 105°E 35°N.
fn shift_lon_m(x: f64, y: f64) -> f64 {
    300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * x.abs().sqrt()
        + common_wave(x)
        + (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0
        + (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0
}

/// The north-south shift in metres, x and y in degrees from 105°E 35°N.
fn shift_lat_m(x: f64, y: f64) -> f64 {
    -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * x.abs().sqrt()
        + common_wave(x)
        + (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0
        + (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y / 30.0 * PI).sin()) * 2.0 / 3.0
}

/// The short-wavelength term both shifts share.
fn common_wave(x: f64) -> f64 {
    (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metres between two nearby points (equirectangular: exact enough below a kilometre).
    fn distance_m((lon_a, lat_a): (f64, f64), (lon_b, lat_b): (f64, f64)) -> f64 {
        let metres_per_deg = 6_371_000.0 * PI / 180.0;
        let d_lat = (lat_a - lat_b) * metres_per_deg;
        let d_lon = (lon_a - lon_b) * metres_per_deg * lat_a.to_radians().cos();
        d_lat.hypot(d_lon)
    }

    /// Points every 0.05° over ±0.5° around a centre.
    fn grid(lon: f64, lat: f64) -> impl Iterator<Item = (f64, f64)> {
        (-10..=10).flat_map(move |i| {
            (-10..=10).map(move |j| (lon + f64::from(i) * 0.05, lat + f64::from(j) * 0.05))
        })
    }

    const JINXIAN: (f64, f64) = (116.3, 28.4);
    const BEIJING: (f64, f64) = (116.4, 39.9);

    #[test]
    fn round_trip_is_within_a_centimetre_around_jinxian_and_beijing() {
        for (lon, lat) in grid(JINXIAN.0, JINXIAN.1).chain(grid(BEIJING.0, BEIJING.1)) {
            let gcj = wgs84_to_gcj02(lon, lat);
            let back = gcj02_to_wgs84(gcj.0, gcj.1);
            let error = distance_m((lon, lat), back);
            assert!(error < 0.01, "WGS-84 {lon} {lat} comes back {error} m off");
            // And the other way: a position an SDK reported.
            let wgs = gcj02_to_wgs84(lon, lat);
            let again = wgs84_to_gcj02(wgs.0, wgs.1);
            let error = distance_m((lon, lat), again);
            assert!(error < 0.01, "GCJ-02 {lon} {lat} comes back {error} m off");
        }
    }

    #[test]
    fn shift_near_jinxian_is_hundreds_of_metres() {
        for (lon, lat) in grid(JINXIAN.0, JINXIAN.1) {
            let shift = distance_m((lon, lat), wgs84_to_gcj02(lon, lat));
            assert!(
                (100.0..700.0).contains(&shift),
                "shift {shift} m at {lon} {lat}"
            );
        }
    }

    #[test]
    fn identity_outside_china() {
        // Paris, San Francisco, Tokyo (east of the box), Singapore (south of it).
        for (lon, lat) in [
            (2.3522, 48.8566),
            (-122.4194, 37.7749),
            (139.6917, 35.6895),
            (103.8198, 0.3521),
        ] {
            assert_eq!(wgs84_to_gcj02(lon, lat), (lon, lat));
            assert_eq!(gcj02_to_wgs84(lon, lat), (lon, lat));
        }
    }

    /// (WGS-84 lon, lat, GCJ-02 lon, lat) from published test suites:
    /// - googollee/eviltransform, `python/test.py` (and `go/transform_test.go`): Shanghai,
    ///   Shenzhen, Beijing;
    /// - wandergis/coordtransform, `test/app.js`: `wgs84togcj02(116.404, 39.915)`.
    const REFERENCE: [(f64, f64, f64, f64); 4] = [
        (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
        (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
        (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
        (116.404, 39.915, 116.41024449916938, 39.91640428150164),
    ];

    #[test]
    fn matches_published_reference_pairs() {
        for (wgs_lon, wgs_lat, gcj_lon, gcj_lat) in REFERENCE {
            let (lon, lat) = wgs84_to_gcj02(wgs_lon, wgs_lat);
            assert!(
                (lon - gcj_lon).abs() < 1e-6 && (lat - gcj_lat).abs() < 1e-6,
                "forward {wgs_lon} {wgs_lat}: got {lon} {lat}, expected {gcj_lon} {gcj_lat}"
            );
            let (lon, lat) = gcj02_to_wgs84(gcj_lon, gcj_lat);
            assert!(
                (lon - wgs_lon).abs() < 1e-6 && (lat - wgs_lat).abs() < 1e-6,
                "inverse {gcj_lon} {gcj_lat}: got {lon} {lat}, expected {wgs_lon} {wgs_lat}"
            );
        }
    }
}
