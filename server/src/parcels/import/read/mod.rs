//! Reads the parcel lists (图斑) that provinces and counties hand out, as Shapefile or
//! GeoJSON, into plain values. Reading only: coordinates stay in the source CRS and
//! attributes keep their source names; CRS handling and field mapping happen elsewhere.
//!
//! A whole read fails ([`ReadError`]) only when the file as a whole cannot be read
//! (missing part, truncation, malformed JSON, ...). A feature without a usable polygon
//! carries the reason in its `geometry`, so it can be reported by feature number.
//!
//! Shapefile text is decoded per [`TextEncodingSource`]: a requested encoding, else the
//! .cpg, else the .dbf language driver byte, else UTF-8 if every byte is valid UTF-8,
//! else GBK.

mod dataset;
mod error;
mod geojson;
mod options;
mod progress;
mod shapefile;
mod source_path;
mod zip_archive;

pub use dataset::{
    AttributeValue, CrsHint, SourceDataset, SourceFeature, SourceFormat, SourcePolygon,
    TextEncodingSource,
};
pub use error::ReadError;
pub use geojson::read_geojson_bytes;
pub use options::{DEFAULT_MAX_UNZIPPED_BYTES, ReadOptions};
pub use source_path::read_path;
pub use zip_archive::read_bytes_zip;
