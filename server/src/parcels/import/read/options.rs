//! Caller-tunable limits and overrides.

/// Default for [`ReadOptions::max_unzipped_bytes`]: 2 GiB, far above any real parcel list
/// (100,000 parcels make about 60 MB) yet bounded.
pub const DEFAULT_MAX_UNZIPPED_BYTES: u64 = 2 << 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Most bytes the Shapefile parts of a zip may unpack to, all parts together. Guards
    /// against zip bombs: entries declaring more are refused before unpacking, and
    /// unpacking stops at the limit whatever the entries declare.
    pub max_unzipped_bytes: u64,
    /// Decode .dbf text with this encoding instead of detecting it; any label a .cpg may
    /// hold (`"GBK"`, `"936"`, `"UTF-8"`, ...). For when detection picked wrong.
    pub dbf_encoding: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            max_unzipped_bytes: DEFAULT_MAX_UNZIPPED_BYTES,
            dbf_encoding: None,
        }
    }
}
