use tianzhang_server::parcels::import::read::{
    AttributeValue, CrsHint, ReadError, SourceFormat, SourcePolygon, TextEncodingSource,
    read_geojson_bytes,
};

use tianzhang_tests::shapefile::read;

fn read_json(
    json: &str,
) -> Result<tianzhang_server::parcels::import::read::SourceDataset, ReadError> {
    read_geojson_bytes(json.as_bytes(), &mut |_, _| {})
}

const PARCELS: &str = r#"{
  "type": "FeatureCollection",
  "name": "图斑",
  "crs": { "type": "name", "properties": { "name": "EPSG:4527" } },
  "features": [
    { "type": "Feature",
      "properties": { "图斑编号": "360124-0001", "村名": "民和村", "面积": 1234.5, "地块数": 3 },
      "geometry": { "type": "Polygon", "coordinates": [
        [[39500000.0, 3300000.0], [39500100.0, 3300000.0], [39500100.0, 3300100.0], [39500000.0, 3300000.0]],
        [[39500010.0, 3300005.0], [39500020.0, 3300005.0], [39500020.0, 3300015.0], [39500010.0, 3300005.0]]
      ] } },
    { "type": "Feature",
      "properties": { "图斑编号": "360124-0002", "村名": "民和村", "面积": null, "地块数": 2 },
      "geometry": { "type": "MultiPolygon", "coordinates": [
        [[[0, 0, 12.5], [1, 0, 12.5], [1, 1, 12.5], [0, 0, 12.5]]],
        [[[5, 5], [6, 5], [6, 6], [5, 5]]]
      ] } }
  ]
}"#;

#[test]
fn feature_collection_with_crs_polygon_and_multipolygon() {
    let dataset = read_json(PARCELS).expect("read");
    assert_eq!(dataset.format, SourceFormat::GeoJson);
    assert_eq!(dataset.crs, CrsHint::GeoJsonName("EPSG:4527".into()));
    assert_eq!(dataset.text_encoding, "UTF-8");
    assert_eq!(
        dataset.text_encoding_source,
        TextEncodingSource::JsonStandard
    );
    assert_eq!(dataset.features.len(), 2);

    let first = &dataset.features[0];
    assert_eq!(first.number, 1);
    assert_eq!(
        first.attributes,
        vec![
            (
                "图斑编号".to_owned(),
                AttributeValue::Text("360124-0001".into())
            ),
            ("村名".to_owned(), AttributeValue::Text("民和村".into())),
            ("面积".to_owned(), AttributeValue::Number(1234.5)),
            ("地块数".to_owned(), AttributeValue::Integer(3)),
        ]
    );
    let polygons = first.geometry.as_ref().expect("polygon");
    assert_eq!(polygons.len(), 1);
    assert_eq!(polygons[0].exterior[1], (39_500_100.0, 3_300_000.0));
    assert_eq!(polygons[0].holes.len(), 1);

    let second = &dataset.features[1];
    assert_eq!(second.attributes[2].1, AttributeValue::Null);
    assert_eq!(
        second.geometry,
        Ok(vec![
            SourcePolygon {
                exterior: vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)],
                holes: Vec::new(),
            },
            SourcePolygon {
                exterior: vec![(5.0, 5.0), (6.0, 5.0), (6.0, 6.0), (5.0, 5.0)],
                holes: Vec::new(),
            },
        ])
    );
}

#[test]
fn no_crs_member_is_unspecified() {
    let dataset = read_json(r#"{"type": "FeatureCollection", "features": []}"#).expect("read");
    assert_eq!(dataset.crs, CrsHint::Unspecified);
    assert!(dataset.features.is_empty());
}

#[test]
fn malformed_json_gives_line_and_column() {
    let json = "{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": \"Feature\" \"geometry\": null}\n ]}";
    let error = read_json(json).err();
    assert!(
        matches!(
            &error,
            Some(ReadError::InvalidGeoJson {
                line: 3,
                column: 22,
                ..
            })
        ),
        "{error:?}"
    );
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert_eq!(
        message,
        "malformed GeoJSON: expected `,` or `}` at line 3 column 22"
    );
}

#[test]
fn truncated_json_is_malformed() {
    let error = read_json(&PARCELS[..PARCELS.len() / 2]).err();
    assert!(
        matches!(error, Some(ReadError::InvalidGeoJson { .. })),
        "{error:?}"
    );
}

#[test]
fn other_geojson_objects_are_refused() {
    let error = read_json(r#"{"type": "Feature", "geometry": null, "properties": {}}"#).err();
    assert!(
        matches!(&error, Some(ReadError::NotFeatureCollection { found }) if found == "Feature")
    );
}

#[test]
fn features_without_polygons_fail_alone() {
    let json = r#"{"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": null, "geometry": null},
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}
    ]}"#;
    let dataset = read_json(json).expect("read");
    let geometries: Vec<_> = dataset
        .features
        .iter()
        .map(|feature| &feature.geometry)
        .collect();
    assert!(matches!(geometries[0], Err(reason) if reason.contains("no geometry")));
    assert!(matches!(geometries[1], Err(reason) if reason.contains("LineString")));
    assert!(geometries[2].is_ok());
    assert!(
        dataset
            .features
            .iter()
            .all(|feature| feature.attributes.is_empty())
    );
}

#[test]
fn byte_order_mark_is_accepted() {
    let json = format!("\u{feff}{PARCELS}");
    assert_eq!(
        read_json(&json).map(|dataset| dataset.features.len()).ok(),
        Some(2)
    );
}

#[test]
fn geojson_and_json_files_on_disk() {
    let folder = tempfile::tempdir().expect("temp dir");
    for name in ["图斑.geojson", "parcels.JSON"] {
        let path = folder.path().join(name);
        std::fs::write(&path, PARCELS).expect("write");
        assert_eq!(
            read(&path).map(|dataset| dataset.features.len()).ok(),
            Some(2),
            "{name}"
        );
    }
}

#[test]
fn text_that_is_not_utf8_is_malformed() {
    let (gbk, _, _) = encoding_rs::GBK.encode(PARCELS);
    assert!(matches!(
        read_geojson_bytes(&gbk, &mut |_, _| {}),
        Err(ReadError::InvalidGeoJson { .. })
    ));
}
