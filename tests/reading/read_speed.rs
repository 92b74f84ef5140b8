//! Reading speed on a county-sized file. Run with:
//! `cargo test --release --test reading -- --ignored --nocapture read_speed`

use std::time::Instant;

use encoding_rs::GBK;

use tianzhang_tests::shapefile::{Layer, Shape, field, read};

const PARCELS: usize = 100_000;
const VERTICES: usize = 30;

/// A closed, clockwise ring of `VERTICES` points around a parcel centre.
fn parcel_ring(index: usize) -> Vec<(f64, f64)> {
    let centre_x = 39_500_000.0 + (index % 300) as f64 * 200.0;
    let centre_y = 3_300_000.0 + (index / 300) as f64 * 200.0;
    let mut ring: Vec<(f64, f64)> = (0..VERTICES - 1)
        .map(|step| {
            let angle = -(step as f64) * std::f64::consts::TAU / (VERTICES - 1) as f64;
            (centre_x + 80.0 * angle.cos(), centre_y + 80.0 * angle.sin())
        })
        .collect();
    ring.push(ring[0]);
    ring
}

#[test]
#[ignore = "timing; run in release"]
fn read_speed_of_100k_parcels() {
    let mut layer = Layer::new(
        GBK,
        vec![
            field("图斑编号", b'C', 20, 0),
            field("村名", b'C', 30, 0),
            field("地类", b'C', 10, 0),
            field("面积", b'N', 15, 2),
            field("地块数", b'N', 6, 0),
        ],
    )
    .cpg("GBK");
    for index in 0..PARCELS {
        let code = format!("360124-{index:06}");
        let area = format!("{:.2}", 20_000.0 + index as f64 / 7.0);
        layer = layer.record(
            Shape::Polygon(vec![parcel_ring(index)]),
            &[&code, "民和村", "水田", &area, "3"],
        );
    }
    let folder = tempfile::tempdir().expect("temp dir");
    let shp = layer.write(folder.path(), "tb");
    let size = std::fs::metadata(&shp)
        .map(|metadata| metadata.len())
        .unwrap_or(0);

    let started = Instant::now();
    let dataset = read(&shp).expect("read");
    let elapsed = started.elapsed();

    assert_eq!(dataset.features.len(), PARCELS);
    assert!(
        dataset
            .features
            .iter()
            .all(|feature| feature.geometry.is_ok())
    );
    eprintln!(
        "read {PARCELS} parcels of {VERTICES} vertices ({:.1} MB .shp) in {:.0} ms",
        size as f64 / 1e6,
        elapsed.as_secs_f64() * 1e3
    );
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_secs_f64() < 2.0, "took {elapsed:?}");
    }
}

#[test]
#[ignore = "timing; run in release"]
fn read_speed_of_100k_parcels_geojson() {
    let mut json = String::from(
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4527"}},"features":["#,
    );
    for index in 0..PARCELS {
        if index > 0 {
            json.push(',');
        }
        let ring: Vec<String> = parcel_ring(index)
            .iter()
            .map(|(x, y)| format!("[{x:.3},{y:.3}]"))
            .collect();
        json.push_str(&format!(
            r#"{{"type":"Feature","properties":{{"图斑编号":"360124-{index:06}","村名":"民和村","地类":"水田","面积":{:.2},"地块数":3}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
            20_000.0 + index as f64 / 7.0,
            ring.join(",")
        ));
    }
    json.push_str("]}");

    let started = Instant::now();
    let dataset = tianzhang_server::parcels::import::read::read_geojson_bytes(
        json.as_bytes(),
        &mut |_, _| {},
    )
    .expect("read");
    let elapsed = started.elapsed();

    assert_eq!(dataset.features.len(), PARCELS);
    eprintln!(
        "read {PARCELS} GeoJSON parcels of {VERTICES} vertices ({:.1} MB) in {:.0} ms",
        json.len() as f64 / 1e6,
        elapsed.as_secs_f64() * 1e3
    );
}
