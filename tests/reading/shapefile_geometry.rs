use encoding_rs::GBK;
use tianzhang_server::parcels::import::read::{CrsHint, SourceFormat, SourcePolygon};

use tianzhang_tests::shapefile::{Layer, Ring, Shape, field, read, square, write_and_read};

fn layer_of(shapes: Vec<Shape>) -> Layer {
    shapes.into_iter().enumerate().fold(
        Layer::new(GBK, vec![field("编号", b'N', 10, 0)]),
        |layer, (index, shape)| layer.record(shape, &[&(index + 1).to_string()]),
    )
}

fn polygon(exterior: &Ring, holes: &[&Ring]) -> SourcePolygon {
    SourcePolygon {
        exterior: exterior.clone(),
        holes: holes.iter().map(|&hole| hole.clone()).collect(),
    }
}

#[test]
fn polygon_with_a_hole() {
    let exterior = square(0.0, 0.0, 10.0, true);
    let hole = square(2.0, 2.0, 3.0, false);
    let dataset = write_and_read(&layer_of(vec![Shape::Polygon(vec![
        exterior.clone(),
        hole.clone(),
    ])]));
    assert_eq!(dataset.format, SourceFormat::Shapefile);
    assert_eq!(
        dataset.features[0].geometry,
        Ok(vec![polygon(&exterior, &[&hole])])
    );
}

#[test]
fn multi_polygon_record_assigns_holes_to_their_exteriors() {
    let west = square(0.0, 0.0, 10.0, true);
    let east = square(20.0, 0.0, 10.0, true);
    let east_hole = square(22.0, 2.0, 3.0, false);
    let rings = vec![west.clone(), east.clone(), east_hole.clone()];
    let dataset = write_and_read(&layer_of(vec![Shape::Polygon(rings)]));
    assert_eq!(
        dataset.features[0].geometry,
        Ok(vec![polygon(&west, &[]), polygon(&east, &[&east_hole])])
    );
}

#[test]
fn wrongly_oriented_lone_ring_is_still_a_polygon() {
    let ring = square(0.0, 0.0, 10.0, false);
    let dataset = write_and_read(&layer_of(vec![Shape::Polygon(vec![ring.clone()])]));
    assert_eq!(dataset.features[0].geometry, Ok(vec![polygon(&ring, &[])]));
}

#[test]
fn null_and_non_polygon_shapes_fail_only_their_feature() {
    let parcel = square(0.0, 0.0, 1.0, true);
    let dataset = write_and_read(&layer_of(vec![
        Shape::Null,
        Shape::Point(1.0, 2.0),
        Shape::MultiPatch(vec![parcel.clone()]),
        Shape::Polygon(vec![parcel.clone()]),
    ]));
    let geometries: Vec<_> = dataset
        .features
        .iter()
        .map(|feature| &feature.geometry)
        .collect();
    assert!(matches!(geometries[0], Err(reason) if reason.contains("null shape")));
    assert!(matches!(geometries[1], Err(reason) if reason.contains("point")));
    assert!(matches!(geometries[2], Err(reason) if reason.contains("MultiPatch")));
    assert_eq!(geometries[3], &Ok(vec![polygon(&parcel, &[])]));
    let numbers: Vec<usize> = dataset
        .features
        .iter()
        .map(|feature| feature.number)
        .collect();
    assert_eq!(numbers, vec![1, 2, 3, 4]);
}

#[test]
fn polygon_z_loses_its_z() {
    let ring = square(500_000.0, 3_300_000.0, 25.0, true);
    let dataset = write_and_read(&layer_of(vec![Shape::PolygonZ(vec![ring.clone()])]));
    assert_eq!(dataset.features[0].geometry, Ok(vec![polygon(&ring, &[])]));
}

#[test]
fn deleted_records_are_skipped_and_counted() {
    let parcel = || Shape::Polygon(vec![square(0.0, 0.0, 1.0, true)]);
    let layer = Layer::new(GBK, vec![field("编号", b'C', 4, 0)])
        .record(parcel(), &["a"])
        .deleted_record(parcel(), &["b"])
        .record(parcel(), &["c"]);
    let dataset = write_and_read(&layer);
    assert_eq!(dataset.deleted_records_skipped, 1);
    let numbers: Vec<usize> = dataset
        .features
        .iter()
        .map(|feature| feature.number)
        .collect();
    assert_eq!(numbers, vec![1, 3], "numbers stay those of the file");
}

#[test]
fn prj_is_passed_on_as_wkt() {
    let wkt = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000"]]"#;
    let shape = || Shape::Polygon(vec![square(0.0, 0.0, 1.0, true)]);
    let dataset = write_and_read(&layer_of(vec![shape()]).prj(wkt));
    assert_eq!(dataset.crs, CrsHint::Wkt(wkt.to_owned()));
    let dataset = write_and_read(&layer_of(vec![shape()]));
    assert_eq!(dataset.crs, CrsHint::Unspecified);
}

#[test]
fn progress_reports_start_and_end() {
    let shapes = (0..10)
        .map(|_| Shape::Polygon(vec![square(0.0, 0.0, 1.0, true)]))
        .collect();
    let folder = tempfile::tempdir().expect("temp dir");
    let shp = layer_of(shapes).write(folder.path(), "tb");
    let mut reports = Vec::new();
    let options = tianzhang_server::parcels::import::read::ReadOptions::default();
    tianzhang_server::parcels::import::read::read_path(&shp, &options, &mut |done, total| {
        reports.push((done, total))
    })
    .expect("read");
    assert_eq!(reports.first(), Some(&(0, 10)));
    assert_eq!(reports.last(), Some(&(10, 10)));
}

/// The `shapefile` crate writes the .shp and orients rings itself: an independent
/// reading of the format to check ours against.
#[test]
fn reads_a_shp_written_by_the_shapefile_crate() {
    use shapefile::{Point, Polygon, PolygonRing};
    let points = |ring: &Ring| {
        ring.iter()
            .map(|&(x, y)| Point::new(x, y))
            .collect::<Vec<_>>()
    };
    let west = square(0.0, 0.0, 10.0, true);
    let east = square(20.0, 0.0, 10.0, true);
    let hole = square(22.0, 2.0, 3.0, false);
    let shape = Polygon::with_rings(vec![
        PolygonRing::Outer(points(&west)),
        PolygonRing::Outer(points(&east)),
        PolygonRing::Inner(points(&hole)),
    ]);

    let folder = tempfile::tempdir().expect("temp dir");
    let shp = folder.path().join("tb.shp");
    let mut writer = shapefile::ShapeWriter::from_path(&shp).expect("create shp");
    writer.write_shape(&shape).expect("write shape");
    writer.finalize().expect("finalize shp");
    drop(writer);
    let dbf = layer_of(vec![Shape::Null]).dbf_bytes();
    std::fs::write(folder.path().join("tb.dbf"), dbf).expect("write dbf");

    let dataset = read(&shp).expect("read");
    assert_eq!(
        dataset.features[0].geometry,
        Ok(vec![polygon(&west, &[]), polygon(&east, &[&hole])])
    );
}
