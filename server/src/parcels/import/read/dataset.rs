//! The plain values a read produces, independent of the source format.

use chrono::NaiveDate;

/// Everything read from one parcel file, before CRS handling and field mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDataset {
    pub format: SourceFormat,
    pub crs: CrsHint,
    /// Encoding used to decode text, as named by `encoding_rs` (`"GBK"`, `"UTF-8"`, ...).
    pub text_encoding: String,
    /// Where `text_encoding` came from, so a user can be shown why text looks the way it does.
    pub text_encoding_source: TextEncodingSource,
    /// Field names and text values that held bytes invalid in `text_encoding`; those bytes
    /// were replaced by U+FFFD. Anything above zero suggests the encoding is wrong.
    pub undecodable_texts: usize,
    /// Shapefile records marked deleted in the .dbf; they are not in `features`.
    pub deleted_records_skipped: usize,
    pub features: Vec<SourceFeature>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Shapefile,
    GeoJson,
}

/// What the file itself says about its coordinate reference system, uninterpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrsHint {
    /// Content of the Shapefile's .prj (ESRI WKT), trimmed.
    Wkt(String),
    /// `crs.properties.name` of a GeoJSON file (legacy member), e.g. `"EPSG:4490"`.
    GeoJsonName(String),
    Unspecified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncodingSource {
    /// The caller chose it in [`crate::parcels::import::read::ReadOptions::dbf_encoding`].
    Requested,
    /// The Shapefile's .cpg file named it.
    CodePageFile,
    /// The .dbf header's language driver byte (offset 29) named it.
    LanguageDriver,
    /// Nothing named an encoding and every text byte was valid UTF-8 (or plain ASCII).
    DetectedUtf8,
    /// Nothing named an encoding and the text was not UTF-8: GBK assumed, as Chinese
    /// agency files without a .cpg are nearly always written by GBK Windows software.
    AssumedGbk,
    /// GeoJSON is UTF-8 by definition (RFC 8259).
    JsonStandard,
}

/// One record of the source file.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFeature {
    /// 1-based position in the file; records skipped as deleted keep their numbers vacant.
    pub number: usize,
    /// Attributes in file order, names as decoded.
    pub attributes: Vec<(String, AttributeValue)>,
    /// The polygons of the feature, or why there are none (null shape, point, line, ...).
    pub geometry: Result<Vec<SourcePolygon>, String>,
}

/// A polygon in source CRS coordinates, `x` being easting or longitude.
/// Vertices are in file order; rings are not closed, reoriented or otherwise repaired.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePolygon {
    pub exterior: Vec<(f64, f64)>,
    pub holes: Vec<Vec<(f64, f64)>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    Text(String),
    Integer(i64),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    Null,
}
