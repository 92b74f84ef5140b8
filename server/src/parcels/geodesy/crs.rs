//! The coordinate reference systems parcel files may arrive in, and the
//! conversion of their coordinates to longitude/latitude.
//!
//! Everything downstream (areas, storage, maps) works in CGCS2000 longitude and
//! latitude, so a source CRS only needs to say how to get there.

use super::epsg;
use super::error::CrsError;
use super::gauss_kruger::GaussKrugerZone;
use super::geojson;
use super::wkt;

/// Geodetic datum of geographic input.
///
/// CGCS2000 and WGS 84 differ by centimetres, far below what parcel boundaries
/// are surveyed to, so their coordinates are used interchangeably.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Datum {
    /// China Geodetic Coordinate System 2000 (EPSG:4490).
    Cgcs2000,
    /// World Geodetic System 1984 (EPSG:4326), the GeoJSON default.
    Wgs84,
}

/// A coordinate reference system that Tianzhang can convert to longitude/latitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SourceCrs {
    /// Longitude and latitude in degrees, x = longitude.
    Geographic {
        /// The datum the coordinates refer to.
        datum: Datum,
    },
    /// CGCS2000 Gauss-Krüger eastings and northings in metres, x = easting.
    GaussKruger(GaussKrugerZone),
}

impl SourceCrs {
    /// The CRS for an EPSG code: 4490, 4326, 4491–4554.
    pub fn from_epsg(code: u32) -> Result<Self, CrsError> {
        epsg::crs_for_code(code)
    }

    /// Reads a WKT1 description as found in a Shapefile's `.prj` (ESRI or OGC
    /// flavour), refusing anything that is not CGCS2000/WGS 84 geographic or
    /// CGCS2000 Gauss-Krüger in metres.
    pub fn from_wkt(wkt: &str) -> Result<Self, CrsError> {
        wkt::crs_from_wkt(wkt)
    }

    /// Reads a GeoJSON object's legacy `crs.properties.name`; pass `None` when
    /// the object has no `crs` member, which RFC 7946 defines as WGS 84.
    pub fn from_geojson_crs_name(name: Option<&str>) -> Result<Self, CrsError> {
        geojson::crs_from_name(name)
    }

    /// The EPSG code of this CRS. A plain-easting 6-degree zone is the same
    /// projection as the 3-degree zone on its meridian and reports that code.
    pub fn epsg_code(&self) -> u32 {
        epsg::code_for_crs(self)
    }

    /// Settles whether eastings carry a zone number by looking at one from the
    /// data, because `.prj` files often declare the wrong Gauss-Krüger variant
    /// (e.g. "CM 117E" for data written as 39 xxx xxx m). Geographic CRSs are
    /// returned unchanged if `sample_x` is a plausible longitude.
    pub fn disambiguate_by_easting(&self, sample_x: f64) -> Result<Self, CrsError> {
        match self {
            Self::Geographic { .. } if (-180.0..=180.0).contains(&sample_x) => Ok(*self),
            Self::Geographic { .. } => Err(CrsError::ImplausibleSampleX {
                x: sample_x,
                expected: "a longitude in degrees (-180 to 180), as the CRS is geographic",
            }),
            Self::GaussKruger(zone) => zone
                .matching_sample_easting(sample_x)
                .map(Self::GaussKruger),
        }
    }

    /// Converts one coordinate pair to (longitude, latitude) in degrees.
    pub fn to_lon_lat(&self, x: f64, y: f64) -> (f64, f64) {
        match self {
            Self::Geographic { .. } => (x, y),
            Self::GaussKruger(zone) => zone.to_lon_lat(x, y),
        }
    }

    /// Converts (longitude, latitude) in degrees back to this CRS, for
    /// exporting in the uploader's own coordinates.
    pub fn to_xy(&self, lon_deg: f64, lat_deg: f64) -> (f64, f64) {
        match self {
            Self::Geographic { .. } => (lon_deg, lat_deg),
            Self::GaussKruger(zone) => zone.to_xy(lon_deg, lat_deg),
        }
    }
}
