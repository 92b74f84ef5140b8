//! Builds small Shapefiles and zips byte by byte, so each test controls exactly the
//! bytes that matter to it: encodings, language driver, deletion flags, ring order.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use encoding_rs::Encoding;
use tianzhang_server::parcels::import::read::{ReadError, ReadOptions, SourceDataset};

pub type Ring = Vec<(f64, f64)>;

/// An axis-aligned square; clockwise is the Shapefile orientation of exteriors.
pub fn square(x: f64, y: f64, size: f64, clockwise: bool) -> Ring {
    let mut ring = vec![
        (x, y),
        (x, y + size),
        (x + size, y + size),
        (x + size, y),
        (x, y),
    ];
    if !clockwise {
        ring.reverse();
    }
    ring
}

pub enum Shape {
    Null,
    Point(f64, f64),
    Polygon(Vec<Ring>),
    PolygonZ(Vec<Ring>),
    MultiPatch(Vec<Ring>),
}

pub struct Field {
    name: &'static str,
    kind: u8,
    length: u16,
    decimals: u8,
}

pub fn field(name: &'static str, kind: u8, length: u16, decimals: u8) -> Field {
    Field {
        name,
        kind,
        length,
        decimals,
    }
}

struct Record {
    shape: Shape,
    values: Vec<String>,
    deleted: bool,
}

/// One Shapefile: geometry, attributes and the sidecar files.
pub struct Layer {
    encoding: &'static Encoding,
    language_driver: u8,
    cpg: Option<&'static str>,
    prj: Option<&'static str>,
    fields: Vec<Field>,
    records: Vec<Record>,
}

impl Layer {
    /// Names and text are written in `encoding`; no language driver, .cpg or .prj.
    pub fn new(encoding: &'static Encoding, fields: Vec<Field>) -> Self {
        Self {
            encoding,
            language_driver: 0,
            cpg: None,
            prj: None,
            fields,
            records: Vec::new(),
        }
    }

    pub fn language_driver(mut self, id: u8) -> Self {
        self.language_driver = id;
        self
    }

    pub fn cpg(mut self, label: &'static str) -> Self {
        self.cpg = Some(label);
        self
    }

    pub fn prj(mut self, wkt: &'static str) -> Self {
        self.prj = Some(wkt);
        self
    }

    pub fn record(mut self, shape: Shape, values: &[&str]) -> Self {
        self.push(shape, values, false);
        self
    }

    pub fn deleted_record(mut self, shape: Shape, values: &[&str]) -> Self {
        self.push(shape, values, true);
        self
    }

    fn push(&mut self, shape: Shape, values: &[&str], deleted: bool) {
        assert_eq!(values.len(), self.fields.len(), "one value per field");
        let values = values.iter().map(|&value| value.to_owned()).collect();
        self.records.push(Record {
            shape,
            values,
            deleted,
        });
    }

    /// The files as they would be named beside each other: `stem.shp`, `stem.dbf`, ...
    pub fn files(&self, stem: &str) -> Vec<(String, Vec<u8>)> {
        let mut files = vec![
            (format!("{stem}.shp"), self.shp_bytes()),
            (format!("{stem}.dbf"), self.dbf_bytes()),
        ];
        if let Some(cpg) = self.cpg {
            files.push((format!("{stem}.cpg"), cpg.as_bytes().to_vec()));
        }
        if let Some(prj) = self.prj {
            files.push((format!("{stem}.prj"), prj.as_bytes().to_vec()));
        }
        files
    }

    /// Writes the files into `folder` and returns the path of the .shp.
    pub fn write(&self, folder: &Path, stem: &str) -> PathBuf {
        for (name, bytes) in self.files(stem) {
            std::fs::write(folder.join(name), bytes).expect("write test file");
        }
        folder.join(format!("{stem}.shp"))
    }

    pub fn shp_bytes(&self) -> Vec<u8> {
        let contents: Vec<Vec<u8>> = self
            .records
            .iter()
            .map(|record| shape_content(&record.shape))
            .collect();
        let length: usize = 100
            + contents
                .iter()
                .map(|content| 8 + content.len())
                .sum::<usize>();
        let mut shp = Vec::with_capacity(length);
        shp.extend(9994_i32.to_be_bytes());
        shp.extend([0; 20]);
        shp.extend(words(length).to_be_bytes());
        shp.extend(1000_i32.to_le_bytes());
        shp.extend(5_i32.to_le_bytes());
        // The reader ignores the header's bounding box.
        shp.extend([0; 64]);
        for (index, content) in contents.iter().enumerate() {
            shp.extend(
                i32::try_from(index + 1)
                    .expect("record number")
                    .to_be_bytes(),
            );
            shp.extend(words(content.len()).to_be_bytes());
            shp.extend(content);
        }
        shp
    }

    pub fn dbf_bytes(&self) -> Vec<u8> {
        let header_len = 32 + 32 * self.fields.len() + 1;
        let record_len = 1 + self
            .fields
            .iter()
            .map(|field| usize::from(field.length))
            .sum::<usize>();
        let mut dbf = vec![0x03, 124, 1, 31];
        dbf.extend(
            u32::try_from(self.records.len())
                .expect("count")
                .to_le_bytes(),
        );
        dbf.extend(u16::try_from(header_len).expect("header").to_le_bytes());
        dbf.extend(u16::try_from(record_len).expect("record").to_le_bytes());
        dbf.extend([0; 17]);
        dbf.push(self.language_driver);
        dbf.extend([0; 2]);
        for field in &self.fields {
            let mut name = self.encode(field.name);
            assert!(
                name.len() <= 10,
                "{} is too long for a dBASE name",
                field.name
            );
            name.resize(11, 0);
            dbf.extend(name);
            dbf.push(field.kind);
            dbf.extend([0; 4]);
            let [low, high] = field.length.to_le_bytes();
            if field.kind == b'C' {
                dbf.extend([low, high]);
            } else {
                assert_eq!(high, 0, "only character fields may exceed 255 bytes");
                dbf.extend([low, field.decimals]);
            }
            dbf.extend([0; 14]);
        }
        dbf.push(0x0D);
        for record in &self.records {
            dbf.push(if record.deleted { b'*' } else { b' ' });
            for (field, value) in self.fields.iter().zip(&record.values) {
                dbf.extend(self.pad(field, value));
            }
        }
        dbf.push(0x1A);
        dbf
    }

    fn encode(&self, text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = self.encoding.encode(text);
        assert!(
            !unmappable,
            "{text} cannot be written in {}",
            self.encoding.name()
        );
        bytes.into_owned()
    }

    /// Text left-aligned, numbers right-aligned, both padded with spaces.
    fn pad(&self, field: &Field, value: &str) -> Vec<u8> {
        let length = usize::from(field.length);
        let mut bytes = self.encode(value);
        assert!(
            bytes.len() <= length,
            "{value} does not fit field {}",
            field.name
        );
        let padding = vec![b' '; length - bytes.len()];
        if matches!(field.kind, b'N' | b'F') {
            [padding, bytes].concat()
        } else {
            bytes.extend(padding);
            bytes
        }
    }
}

fn words(bytes: usize) -> i32 {
    i32::try_from(bytes / 2).expect("length in words")
}

fn shape_content(shape: &Shape) -> Vec<u8> {
    let mut content = Vec::new();
    match shape {
        Shape::Null => content.extend(0_i32.to_le_bytes()),
        Shape::Point(x, y) => {
            content.extend(1_i32.to_le_bytes());
            content.extend(x.to_le_bytes());
            content.extend(y.to_le_bytes());
        }
        Shape::Polygon(rings) => {
            content.extend(5_i32.to_le_bytes());
            push_parts_and_points(&mut content, rings, None);
        }
        Shape::PolygonZ(rings) => {
            content.extend(15_i32.to_le_bytes());
            push_parts_and_points(&mut content, rings, None);
            let points: usize = rings.iter().map(Vec::len).sum();
            // Z range and values, then M range and values: all to be ignored.
            for _ in 0..2 {
                content.extend([0; 16]);
                content.extend((0..points).flat_map(|_| 100.0_f64.to_le_bytes()));
            }
        }
        Shape::MultiPatch(rings) => {
            content.extend(31_i32.to_le_bytes());
            // Part type 5 is a plain ring.
            push_parts_and_points(&mut content, rings, Some(5));
            let points: usize = rings.iter().map(Vec::len).sum();
            content.extend([0; 16]);
            content.extend(vec![0; 8 * points]);
        }
    }
    content
}

/// Bounding box, ring count, point count, ring starts, [part types,] points.
fn push_parts_and_points(content: &mut Vec<u8>, rings: &[Ring], part_type: Option<i32>) {
    let points: Vec<(f64, f64)> = rings.iter().flatten().copied().collect();
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in &points {
        (min_x, min_y, max_x, max_y) = (min_x.min(x), min_y.min(y), max_x.max(x), max_y.max(y));
    }
    for value in [min_x, min_y, max_x, max_y] {
        content.extend(value.to_le_bytes());
    }
    content.extend(count(rings.len()).to_le_bytes());
    content.extend(count(points.len()).to_le_bytes());
    let mut start = 0;
    for ring in rings {
        content.extend(count(start).to_le_bytes());
        start += ring.len();
    }
    if let Some(part_type) = part_type {
        for _ in rings {
            content.extend(part_type.to_le_bytes());
        }
    }
    for (x, y) in points {
        content.extend(x.to_le_bytes());
        content.extend(y.to_le_bytes());
    }
}

fn count(value: usize) -> i32 {
    i32::try_from(value).expect("count fits i32")
}

/// A deflated zip of `(raw entry name, data)`; names are stored as given, so a test can
/// store GBK bytes without the UTF-8 flag, as Chinese Windows tools do.
pub fn zip(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .name(name);
        writer
            .start_file_with_options(options)
            .expect("start zip entry");
        writer.write_all(data).expect("write zip entry");
    }
    writer.finish().expect("finish zip").into_inner()
}

/// The layer's files as zip entries under `folder` ("" for the root), names in UTF-8.
pub fn zip_entries(layer: &Layer, folder: &str, stem: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    layer
        .files(stem)
        .into_iter()
        .map(|(name, data)| (format!("{folder}{name}").into_bytes(), data))
        .collect()
}

pub fn read_shapefile_in_zip(bytes: &[u8]) -> Result<SourceDataset, ReadError> {
    tianzhang_server::parcels::import::read::read_bytes_zip(
        bytes,
        &ReadOptions::default(),
        &mut |_, _| {},
    )
}

pub fn read(path: &Path) -> Result<SourceDataset, ReadError> {
    tianzhang_server::parcels::import::read::read_path(
        path,
        &ReadOptions::default(),
        &mut |_, _| {},
    )
}

/// Writes the layer into a fresh temporary folder and reads it back.
pub fn write_and_read(layer: &Layer) -> SourceDataset {
    let folder = tempfile::tempdir().expect("temp dir");
    let shp = layer.write(folder.path(), "tb");
    read(&shp).expect("read back")
}
