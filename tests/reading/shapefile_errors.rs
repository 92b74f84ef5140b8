use encoding_rs::GBK;
use tianzhang_server::parcels::import::read::ReadError;

use tianzhang_tests::shapefile::{Layer, Shape, field, read, square};

fn layer(records: usize) -> Layer {
    (0..records).fold(
        Layer::new(
            GBK,
            vec![field("村名", b'C', 10, 0), field("面积", b'N', 10, 1)],
        ),
        |layer, index| {
            let rings = vec![square(0.0, 0.0, 1.0, true), square(5.0, 5.0, 1.0, true)];
            layer.record(Shape::Polygon(rings), &["民和村", &format!("{index}.5")])
        },
    )
}

#[test]
fn missing_dbf() {
    let folder = tempfile::tempdir().expect("temp dir");
    let shp = layer(1).write(folder.path(), "tb");
    std::fs::remove_file(folder.path().join("tb.dbf")).expect("remove dbf");
    let error = read(&shp).err().map(|error| error.to_string());
    assert_eq!(
        error.as_deref(),
        Some(
            "tb.shp: the .dbf attribute file is missing; it must sit beside the .shp with the same name"
        )
    );
}

#[test]
fn parts_are_found_whatever_their_case() {
    let folder = tempfile::tempdir().expect("temp dir");
    let layer = layer(1).cpg("GBK").prj("GEOGCS[\"CGCS2000\"]");
    for (name, bytes) in layer.files("tb") {
        let name = match name.as_str() {
            "tb.shp" => "TB.SHP".to_owned(),
            "tb.prj" => "Tb.Prj".to_owned(),
            "tb.cpg" => "tb.CPG".to_owned(),
            _ => name,
        };
        std::fs::write(folder.path().join(name), bytes).expect("write");
    }
    let dataset = read(&folder.path().join("TB.SHP")).expect("read");
    assert_eq!(dataset.text_encoding, "GBK");
    assert_eq!(
        dataset.crs,
        tianzhang_server::parcels::import::read::CrsHint::Wkt("GEOGCS[\"CGCS2000\"]".into())
    );
}

#[test]
fn two_candidate_dbfs_are_an_error() {
    let folder = tempfile::tempdir().expect("temp dir");
    let layer = layer(1);
    let shp = layer.write(folder.path(), "tb");
    std::fs::write(folder.path().join("TB.DBF"), layer.dbf_bytes()).expect("write");
    let result = read(&shp);
    assert!(
        matches!(&result, Err(ReadError::AmbiguousCompanion { names, .. }) if names == &["TB.DBF", "tb.dbf"]),
        "{result:?}"
    );
}

#[test]
fn truncated_shp_is_reported() {
    let folder = tempfile::tempdir().expect("temp dir");
    let layer = layer(3);
    let shp = layer.write(folder.path(), "tb");
    let bytes = layer.shp_bytes();
    std::fs::write(&shp, &bytes[..bytes.len() - 10]).expect("truncate");
    let error = read(&shp).err();
    assert!(
        matches!(&error, Some(ReadError::Truncated { file, .. }) if file == "tb.shp"),
        "{error:?}"
    );
}

#[test]
fn truncated_dbf_is_reported() {
    let folder = tempfile::tempdir().expect("temp dir");
    let layer = layer(3);
    let shp = layer.write(folder.path(), "tb");
    let bytes = layer.dbf_bytes();
    std::fs::write(folder.path().join("tb.dbf"), &bytes[..bytes.len() - 10]).expect("truncate");
    let error = read(&shp).err().map(|error| error.to_string());
    assert_eq!(
        error.as_deref(),
        Some("tb.dbf is truncated: the header announces 3 records but only 2 are complete")
    );
}

/// Every possible cut of either file gives an error, never a panic or a partial read.
#[test]
fn every_truncation_is_an_error() {
    let folder = tempfile::tempdir().expect("temp dir");
    let layer = layer(2);
    let shp = layer.write(folder.path(), "tb");
    let dbf = folder.path().join("tb.dbf");
    let (shp_bytes, dbf_bytes) = (layer.shp_bytes(), layer.dbf_bytes());
    for cut in 0..shp_bytes.len() {
        std::fs::write(&shp, &shp_bytes[..cut]).expect("write");
        assert!(read(&shp).is_err(), "shp cut at {cut}");
    }
    std::fs::write(&shp, &shp_bytes).expect("write");
    // The last byte is the optional end-of-file marker.
    for cut in 0..dbf_bytes.len() - 1 {
        std::fs::write(&dbf, &dbf_bytes[..cut]).expect("write");
        assert!(read(&shp).is_err(), "dbf cut at {cut}");
    }
}

#[test]
fn shp_and_dbf_must_have_the_same_record_count() {
    let folder = tempfile::tempdir().expect("temp dir");
    let shp = layer(2).write(folder.path(), "tb");
    std::fs::write(folder.path().join("tb.dbf"), layer(3).dbf_bytes()).expect("write");
    let error = read(&shp).err().map(|error| error.to_string());
    assert_eq!(
        error.as_deref(),
        Some("tb.shp has 2 shapes but tb.dbf has 3 records; they must match one to one")
    );
}

#[test]
fn a_shp_that_is_not_a_shapefile() {
    let folder = tempfile::tempdir().expect("temp dir");
    let shp = layer(1).write(folder.path(), "tb");
    std::fs::write(&shp, vec![b'x'; 200]).expect("write");
    assert!(matches!(read(&shp), Err(ReadError::InvalidShp { .. })));
}

#[test]
fn corrupt_ring_counts_fail_only_their_feature() {
    let folder = tempfile::tempdir().expect("temp dir");
    let layer = layer(2);
    let shp = layer.write(folder.path(), "tb");
    let mut bytes = layer.shp_bytes();
    // Record 1 content starts at 108; its point count sits 40 bytes in.
    bytes[148..152].copy_from_slice(&1000_i32.to_le_bytes());
    std::fs::write(&shp, bytes).expect("write");
    let dataset = read(&shp).expect("read");
    assert!(matches!(&dataset.features[0].geometry, Err(reason) if reason.contains("too short")));
    assert!(dataset.features[1].geometry.is_ok());
}
