//! Reading a GeoJSON FeatureCollection with `serde_json`, straight into our own types:
//! no intermediate `serde_json::Value` tree, and properties keep their file order.

mod coordinates;
mod geometry;
mod properties;

use serde::Deserialize;

use crate::parcels::import::read::progress::Progress;
use crate::parcels::import::read::{
    CrsHint, ReadError, SourceDataset, SourceFeature, SourceFormat, TextEncodingSource,
};
use geometry::GeometryDocument;
use properties::Properties;

#[derive(Deserialize)]
struct CollectionDocument {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    features: Vec<FeatureDocument>,
    /// Legacy member (GeoJSON 2008), still written by Chinese tools for CGCS2000.
    crs: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct FeatureDocument {
    geometry: Option<GeometryDocument>,
    properties: Option<Properties>,
}

/// Reads a FeatureCollection. Polygon and MultiPolygon geometries become polygons; any
/// other geometry, or none, is an error of that feature alone.
///
/// `progress` hears `(features done, features in total)` once parsing is over: at the
/// start, about every percent and at the end.
pub fn read_geojson_bytes(
    bytes: &[u8],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SourceDataset, ReadError> {
    // Windows editors save with a byte order mark, which JSON parsers refuse.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let document: CollectionDocument =
        serde_json::from_slice(bytes).map_err(|source| ReadError::InvalidGeoJson {
            line: source.line(),
            column: source.column(),
            source,
        })?;
    if document.kind.as_deref() != Some("FeatureCollection") {
        return Err(ReadError::NotFeatureCollection {
            found: document
                .kind
                .unwrap_or_else(|| "JSON object without a \"type\"".to_owned()),
        });
    }

    let mut progress = Progress::start(progress, document.features.len());
    let mut features = Vec::with_capacity(document.features.len());
    for (index, feature) in document.features.into_iter().enumerate() {
        features.push(SourceFeature {
            number: index + 1,
            attributes: feature
                .properties
                .map(|properties| properties.0)
                .unwrap_or_default(),
            geometry: geometry::polygons_of(feature.geometry),
        });
        progress.advance_to(index + 1);
    }
    Ok(SourceDataset {
        format: SourceFormat::GeoJson,
        crs: crs_hint(document.crs.as_ref()),
        text_encoding: "UTF-8".to_owned(),
        text_encoding_source: TextEncodingSource::JsonStandard,
        undecodable_texts: 0,
        deleted_records_skipped: 0,
        features,
    })
}

/// `{"type": "name", "properties": {"name": "EPSG:4490"}}` gives the name; other forms
/// (links, malformed members) say nothing usable.
fn crs_hint(crs: Option<&serde_json::Value>) -> CrsHint {
    crs.and_then(|crs| crs.pointer("/properties/name")?.as_str())
        .map_or(CrsHint::Unspecified, |name| {
            CrsHint::GeoJsonName(name.to_owned())
        })
}
