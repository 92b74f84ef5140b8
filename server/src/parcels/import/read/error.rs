//! Why a whole read failed. Problems confined to one feature are not errors: they are
//! reported in that feature's `geometry`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "{path}: unsupported kind of file; expected a .shp, a .zip, a .geojson/.json or a folder"
    )]
    UnsupportedPath { path: PathBuf },

    #[error("no .shp file in {location}{}", list_found(.found))]
    NoShapefile {
        location: String,
        /// Other files that were there, to help the user see what they sent.
        found: Vec<String>,
    },

    #[error(
        "{location} holds {} .shp files ({}); send one Shapefile at a time",
        .names.len(),
        .names.join(", ")
    )]
    SeveralShapefiles {
        location: String,
        names: Vec<String>,
    },

    #[error(
        "{shp}: the .dbf attribute file is missing; it must sit beside the .shp with the same name"
    )]
    MissingDbf { shp: String },

    #[error("{shp}: several files could be its .{extension}: {}", .names.join(", "))]
    AmbiguousCompanion {
        shp: String,
        extension: String,
        names: Vec<String>,
    },

    #[error("not a zip archive: {source}")]
    NotZip { source: zip::result::ZipError },

    #[error("cannot unpack {entry} from the zip: {source}")]
    ZipEntry {
        entry: String,
        source: zip::result::ZipError,
    },

    #[error("zip entry {entry} unpacks to {size} bytes, more than the limit of {limit} bytes")]
    ZipEntryTooLarge {
        entry: String,
        size: u64,
        limit: u64,
    },

    #[error("the zip's Shapefile parts unpack to more than the limit of {limit} bytes")]
    ZipTooLarge { limit: u64 },

    #[error("{file} is truncated: {detail}")]
    Truncated { file: String, detail: String },

    #[error("{file} is not a valid Shapefile .shp: {detail}")]
    InvalidShp { file: String, detail: String },

    #[error("{file} is not a valid dBASE .dbf: {detail}")]
    InvalidDbf { file: String, detail: String },

    #[error(
        "{shp} has {shapes} shapes but {dbf} has {records} records; they must match one to one"
    )]
    RecordCountMismatch {
        shp: String,
        shapes: usize,
        dbf: String,
        records: usize,
    },

    #[error("unknown text encoding {label:?}")]
    UnknownEncoding { label: String },

    #[error("malformed GeoJSON: {source}")]
    InvalidGeoJson {
        line: usize,
        column: usize,
        source: serde_json::Error,
    },

    #[error("the GeoJSON is a {found}, not a FeatureCollection")]
    NotFeatureCollection { found: String },
}

fn list_found(found: &[String]) -> String {
    const SHOWN: usize = 10;
    if found.is_empty() {
        return String::new();
    }
    let mut listed = found[..found.len().min(SHOWN)].join(", ");
    if found.len() > SHOWN {
        listed.push_str(&format!(" and {} more", found.len() - SHOWN));
    }
    format!(" (found: {listed})")
}

impl ReadError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn truncated(file: &str, detail: String) -> Self {
        Self::Truncated {
            file: file.to_owned(),
            detail,
        }
    }
}
