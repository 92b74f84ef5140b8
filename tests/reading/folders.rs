use encoding_rs::GBK;
use tianzhang_server::parcels::import::read::ReadError;

use tianzhang_tests::shapefile::{Layer, Shape, field, read, square};

fn layer() -> Layer {
    Layer::new(GBK, vec![field("村名", b'C', 10, 0)]).record(
        Shape::Polygon(vec![square(0.0, 0.0, 1.0, true)]),
        &["民和村"],
    )
}

#[test]
fn folder_with_one_shapefile() {
    let folder = tempfile::tempdir().expect("temp dir");
    layer().write(folder.path(), "地块");
    std::fs::write(folder.path().join("说明.txt"), "readme").expect("write");
    let dataset = read(folder.path()).expect("read");
    assert_eq!(dataset.features.len(), 1);
}

#[test]
fn folder_with_two_shapefiles() {
    let folder = tempfile::tempdir().expect("temp dir");
    layer().write(folder.path(), "a");
    layer().write(folder.path(), "b");
    let error = read(folder.path()).err();
    assert!(
        matches!(&error, Some(ReadError::SeveralShapefiles { names, .. }) if names == &["a.shp", "b.shp"]),
        "{error:?}"
    );
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(message.ends_with("holds 2 .shp files (a.shp, b.shp); send one Shapefile at a time"));
}

#[test]
fn folder_without_shapefile_lists_what_it_holds() {
    let folder = tempfile::tempdir().expect("temp dir");
    std::fs::write(folder.path().join("tb.dbf"), layer().dbf_bytes()).expect("write");
    let error = read(folder.path()).err();
    assert!(
        matches!(&error, Some(ReadError::NoShapefile { found, .. }) if found == &["tb.dbf"]),
        "{error:?}"
    );
}

#[test]
fn unsupported_and_missing_paths() {
    let folder = tempfile::tempdir().expect("temp dir");
    let doc = folder.path().join("parcels.xlsx");
    std::fs::write(&doc, "x").expect("write");
    assert!(matches!(read(&doc), Err(ReadError::UnsupportedPath { .. })));
    let missing = folder.path().join("missing.shp");
    let error = read(&missing).err();
    assert!(
        matches!(&error, Some(ReadError::Io { path, source })
            if path == &missing && source.kind() == std::io::ErrorKind::NotFound),
        "{error:?}"
    );
}
