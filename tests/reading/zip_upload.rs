use encoding_rs::GBK;
use tianzhang_server::parcels::import::read::{AttributeValue, ReadError, ReadOptions};

use tianzhang_tests::shapefile::{
    Layer, Shape, field, read, read_shapefile_in_zip, square, zip, zip_entries,
};

fn layer() -> Layer {
    Layer::new(GBK, vec![field("村名", b'C', 10, 0)])
        .cpg("GBK")
        .record(
            Shape::Polygon(vec![square(0.0, 0.0, 1.0, true)]),
            &["民和村"],
        )
}

fn village(dataset: &tianzhang_server::parcels::import::read::SourceDataset) -> &AttributeValue {
    &dataset.features[0].attributes[0].1
}

fn gbk(text: &str) -> Vec<u8> {
    GBK.encode(text).0.into_owned()
}

#[test]
fn shapefile_at_the_root_of_the_zip() {
    let dataset = read_shapefile_in_zip(&zip(&zip_entries(&layer(), "", "tb"))).expect("read");
    assert_eq!(village(&dataset), &AttributeValue::Text("民和村".into()));
    assert_eq!(dataset.text_encoding, "GBK");
}

#[test]
fn shapefile_in_a_folder_with_gbk_names_and_mac_clutter() {
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = layer()
        .files("地块")
        .into_iter()
        .map(|(name, data)| (gbk(&format!("图斑数据/{name}")), data))
        .collect();
    entries.insert(0, (gbk("图斑数据/"), Vec::new()));
    entries.push((b"__MACOSX/._x.shp".to_vec(), vec![0; 10]));
    entries.push((gbk("图斑数据/._地块.shp"), vec![0; 10]));
    let dataset = read_shapefile_in_zip(&zip(&entries)).expect("read");
    assert_eq!(village(&dataset), &AttributeValue::Text("民和村".into()));
}

#[test]
fn zip_file_on_disk() {
    let folder = tempfile::tempdir().expect("temp dir");
    let path = folder.path().join("upload.ZIP");
    std::fs::write(&path, zip(&zip_entries(&layer(), "tb/", "TB"))).expect("write");
    let dataset = read(&path).expect("read");
    assert_eq!(village(&dataset), &AttributeValue::Text("民和村".into()));
}

#[test]
fn not_a_zip() {
    let result = read_shapefile_in_zip(b"this is a text file, not an archive");
    assert!(matches!(result, Err(ReadError::NotZip { .. })));
}

#[test]
fn two_shapefiles_in_the_zip_are_named() {
    let mut entries = zip_entries(&layer(), "", "tb");
    entries.extend(
        layer()
            .files("村界")
            .into_iter()
            .map(|(name, data)| (gbk(&name), data)),
    );
    let error = read_shapefile_in_zip(&zip(&entries)).err();
    assert!(
        matches!(&error, Some(ReadError::SeveralShapefiles { names, .. }) if names == &["tb.shp", "村界.shp"]),
        "{error:?}"
    );
}

#[test]
fn missing_dbf_in_the_zip() {
    let entries: Vec<_> = zip_entries(&layer(), "data/", "tb")
        .into_iter()
        .filter(|(name, _)| !name.ends_with(b".dbf"))
        .collect();
    let error = read_shapefile_in_zip(&zip(&entries)).err();
    assert!(
        matches!(&error, Some(ReadError::MissingDbf { shp }) if shp == "data/tb.shp"),
        "{error:?}"
    );
}

fn read_with_limit(
    bytes: &[u8],
    limit: u64,
) -> Result<tianzhang_server::parcels::import::read::SourceDataset, ReadError> {
    let options = ReadOptions {
        max_unzipped_bytes: limit,
        ..ReadOptions::default()
    };
    tianzhang_server::parcels::import::read::read_bytes_zip(bytes, &options, &mut |_, _| {})
}

/// A few kilobytes that unpack to 8 MiB, posing as the .dbf.
fn bomb_entries() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut entries = zip_entries(&layer(), "", "tb");
    for (name, data) in &mut entries {
        if name.ends_with(b".dbf") {
            *data = vec![0; 8 << 20];
        }
    }
    entries
}

#[test]
fn entry_declaring_more_than_the_limit_is_refused_unread() {
    let bytes = zip(&bomb_entries());
    assert!(bytes.len() < 64 << 10);
    let error = read_with_limit(&bytes, 1 << 20).err();
    assert!(
        matches!(&error, Some(ReadError::ZipEntryTooLarge { entry, size, limit })
            if entry == "tb.dbf" && *size == 8 << 20 && *limit == 1 << 20),
        "{error:?}"
    );
}

#[test]
fn parts_together_over_the_limit_are_refused() {
    let bytes = zip(&zip_entries(&layer(), "", "tb"));
    let shp_len = layer().shp_bytes().len() as u64;
    let error = read_with_limit(&bytes, shp_len + 10).err();
    assert!(
        matches!(error, Some(ReadError::ZipTooLarge { .. })),
        "{error:?}"
    );
}

/// An entry whose headers understate its size must not unpack past the limit.
#[test]
fn entry_lying_about_its_size_stops_at_the_limit() {
    let mut bytes = zip(&bomb_entries());
    let understated = 1000_u32.to_le_bytes();
    let unpacked = (8_u32 << 20).to_le_bytes();
    // Uncompressed size: offset 22 of local headers, 24 of central directory headers.
    for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        for start in 0..bytes.len() - 30 {
            if &bytes[start..start + 4] == signature
                && bytes[start + offset..start + offset + 4] == unpacked
            {
                bytes[start + offset..start + offset + 4].copy_from_slice(&understated);
            }
        }
    }
    let result = read_with_limit(&bytes, 1 << 20);
    assert!(
        matches!(
            result,
            Err(ReadError::ZipTooLarge { .. } | ReadError::ZipEntry { .. })
        ),
        "{result:?}"
    );
}
