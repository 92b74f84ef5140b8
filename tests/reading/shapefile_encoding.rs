use encoding_rs::{GB18030, GBK, UTF_8};
use tianzhang_server::parcels::import::read::{
    AttributeValue, ReadError, ReadOptions, TextEncodingSource,
};

use tianzhang_tests::shapefile::{Layer, Shape, field, read, square, write_and_read};

fn text(value: &str) -> AttributeValue {
    AttributeValue::Text(value.to_owned())
}

fn parcel() -> Shape {
    Shape::Polygon(vec![square(0.0, 0.0, 10.0, true)])
}

/// Chinese field names and values, the way county land offices send them.
fn chinese_layer(encoding: &'static encoding_rs::Encoding) -> Layer {
    Layer::new(
        encoding,
        vec![field("图斑编号", b'C', 20, 0), field("村名", b'C', 20, 0)],
    )
    .record(parcel(), &["360124-0001", "民和村"])
}

fn chinese_attributes() -> Vec<(String, AttributeValue)> {
    vec![
        ("图斑编号".to_owned(), text("360124-0001")),
        ("村名".to_owned(), text("民和村")),
    ]
}

#[test]
fn gbk_named_by_the_cpg() {
    let dataset = write_and_read(&chinese_layer(GBK).cpg("GBK"));
    assert_eq!(dataset.text_encoding, "GBK");
    assert_eq!(
        dataset.text_encoding_source,
        TextEncodingSource::CodePageFile
    );
    assert_eq!(dataset.undecodable_texts, 0);
    assert_eq!(dataset.features[0].attributes, chinese_attributes());
}

#[test]
fn gbk_named_by_the_language_driver_without_cpg() {
    let dataset = write_and_read(&chinese_layer(GBK).language_driver(0x4D));
    assert_eq!(dataset.text_encoding, "GBK");
    assert_eq!(
        dataset.text_encoding_source,
        TextEncodingSource::LanguageDriver
    );
    assert_eq!(dataset.features[0].attributes, chinese_attributes());
}

#[test]
fn gbk_assumed_when_nothing_names_an_encoding() {
    for language_driver in [0x00, 0x57] {
        let dataset = write_and_read(&chinese_layer(GBK).language_driver(language_driver));
        assert_eq!(dataset.text_encoding, "GBK");
        assert_eq!(dataset.text_encoding_source, TextEncodingSource::AssumedGbk);
        assert_eq!(dataset.features[0].attributes, chinese_attributes());
    }
}

#[test]
fn utf8_named_by_the_cpg() {
    // UTF-8 takes 3 bytes a character, so names must stay within 3 characters.
    let layer = Layer::new(
        UTF_8,
        vec![field("村名", b'C', 20, 0), field("地类", b'C', 10, 0)],
    )
    .cpg("UTF-8")
    .language_driver(0x4D)
    .record(parcel(), &["民和村", "水田"]);
    let dataset = write_and_read(&layer);
    assert_eq!(dataset.text_encoding, "UTF-8");
    assert_eq!(
        dataset.text_encoding_source,
        TextEncodingSource::CodePageFile
    );
    assert_eq!(
        dataset.features[0].attributes,
        vec![
            ("村名".to_owned(), text("民和村")),
            ("地类".to_owned(), text("水田"))
        ]
    );
}

#[test]
fn utf8_detected_when_nothing_names_an_encoding() {
    let layer = Layer::new(UTF_8, vec![field("村名", b'C', 20, 0)]).record(parcel(), &["民和村"]);
    let dataset = write_and_read(&layer);
    assert_eq!(dataset.text_encoding, "UTF-8");
    assert_eq!(
        dataset.text_encoding_source,
        TextEncodingSource::DetectedUtf8
    );
    assert_eq!(
        dataset.features[0].attributes,
        vec![("村名".to_owned(), text("民和村"))]
    );
}

#[test]
fn cpg_spellings_of_chinese_code_pages() {
    for label in ["CP936", "936", "ANSI 936", "gb2312", "gbk\r\n"] {
        let dataset = write_and_read(&chinese_layer(GBK).cpg(label));
        assert_eq!(dataset.text_encoding, "GBK", "{label:?}");
        assert_eq!(
            dataset.features[0].attributes,
            chinese_attributes(),
            "{label:?}"
        );
    }
    let dataset = write_and_read(&chinese_layer(GB18030).cpg("GB18030"));
    assert_eq!(dataset.text_encoding, "gb18030");
    assert_eq!(dataset.features[0].attributes, chinese_attributes());
}

#[test]
fn a_wrong_cpg_shows_as_undecodable_text_and_can_be_overridden() {
    let folder = tempfile::tempdir().expect("temp dir");
    let shp = chinese_layer(GBK).cpg("UTF-8").write(folder.path(), "tb");

    let misread = read(&shp).expect("read");
    assert_eq!(misread.text_encoding, "UTF-8");
    assert_eq!(
        misread.undecodable_texts, 3,
        "two names and the village name"
    );

    let options = ReadOptions {
        dbf_encoding: Some("GBK".to_owned()),
        ..ReadOptions::default()
    };
    let dataset =
        tianzhang_server::parcels::import::read::read_path(&shp, &options, &mut |_, _| {})
            .expect("read");
    assert_eq!(dataset.text_encoding_source, TextEncodingSource::Requested);
    assert_eq!(dataset.undecodable_texts, 0);
    assert_eq!(dataset.features[0].attributes, chinese_attributes());
}

#[test]
fn an_unknown_requested_encoding_is_an_error() {
    let folder = tempfile::tempdir().expect("temp dir");
    let shp = chinese_layer(GBK).write(folder.path(), "tb");
    let options = ReadOptions {
        dbf_encoding: Some("klingon".to_owned()),
        ..ReadOptions::default()
    };
    let result = tianzhang_server::parcels::import::read::read_path(&shp, &options, &mut |_, _| {});
    assert!(matches!(result, Err(ReadError::UnknownEncoding { label }) if label == "klingon"));
}

#[test]
fn attribute_types() {
    let layer = Layer::new(
        GBK,
        vec![
            field("编号", b'N', 10, 0),
            field("面积", b'N', 12, 3),
            field("系数", b'F', 12, 4),
            field("日期", b'D', 8, 0),
            field("确权", b'L', 1, 0),
        ],
    )
    .record(parcel(), &["42", "1234.500", "0.5000", "20240131", "T"])
    .record(parcel(), &["", "", "", "", "?"]);
    let dataset = write_and_read(&layer);
    let values = |index: usize| -> Vec<AttributeValue> {
        dataset.features[index]
            .attributes
            .iter()
            .map(|(_, value)| value.clone())
            .collect()
    };
    let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 31).expect("date");
    assert_eq!(
        values(0),
        vec![
            AttributeValue::Integer(42),
            AttributeValue::Number(1234.5),
            AttributeValue::Number(0.5),
            AttributeValue::Date(date),
            AttributeValue::Bool(true),
        ]
    );
    assert_eq!(values(1), vec![AttributeValue::Null; 5]);
}

#[test]
fn character_fields_longer_than_255_bytes() {
    let remark = "备注".repeat(100);
    let layer = Layer::new(
        GBK,
        vec![field("备注", b'C', 400, 0), field("村名", b'C', 20, 0)],
    )
    .cpg("GBK")
    .record(parcel(), &[&remark, "民和村"]);
    let dataset = write_and_read(&layer);
    assert_eq!(
        dataset.features[0].attributes,
        vec![
            ("备注".to_owned(), text(&remark)),
            ("村名".to_owned(), text("民和村"))
        ]
    );
}
