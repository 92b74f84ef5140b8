//! Why a declared coordinate reference system was refused.
//!
//! Every message names what was found and what would have been accepted, so an
//! uploader can fix the file (or pick the right CRS) without reading code.

use thiserror::Error;

/// Accepted EPSG codes, quoted by several messages.
const ACCEPTED_EPSG: &str = "4490 (CGCS2000), 4326 (WGS 84), \
     4513-4533 / 4534-4554 (CGCS2000 3-degree Gauss-Kruger, zone-prefixed / CM 75E-135E) and \
     4491-4501 / 4502-4512 (CGCS2000 6-degree Gauss-Kruger, zone-prefixed / CM 75E-135E)";

/// A coordinate reference system that Tianzhang cannot reproject, or a
/// description of one that cannot be read.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CrsError {
    /// The EPSG code is outside the CGCS2000 / WGS 84 families we convert.
    #[error("EPSG:{code} is not supported; accepted EPSG codes: {ACCEPTED_EPSG}")]
    UnsupportedEpsg {
        /// The code that was asked for.
        code: u32,
    },

    /// The text is not well-formed WKT.
    #[error("unreadable WKT at byte {offset}: expected {problem}")]
    WktSyntax {
        /// Byte offset where reading stopped.
        offset: usize,
        /// What was expected there.
        problem: &'static str,
    },

    /// Well-formed WKT whose outermost element is not a 2D WKT1 CRS.
    #[error("WKT describes {found}; accepted: a WKT1 PROJCS or GEOGCS")]
    UnsupportedWktRoot {
        /// The outermost keyword.
        found: String,
    },

    /// A WKT element that the CRS cannot be understood without.
    #[error("WKT has no {element}")]
    MissingWktElement {
        /// Which element, e.g. `DATUM` or `PARAMETER["Central_Meridian"]`.
        element: &'static str,
    },

    /// A datum other than CGCS2000 (or WGS 84 where geographic input is allowed).
    #[error("datum {found:?} is not supported; accepted: {accepted}")]
    UnsupportedDatum {
        /// The datum name as written.
        found: String,
        /// The datums acceptable in this position.
        accepted: &'static str,
    },

    /// The spheroid is not the 6378137 m / 1:298.2572 one that CGCS2000 and
    /// WGS 84 share; usually a Xian 1980 or Beijing 1954 file under a wrong name.
    #[error(
        "spheroid {name:?} (a = {semi_major_axis_m} m, 1/f = {inverse_flattening}) is not supported; \
         accepted: CGCS2000 / GRS80 / WGS 84 (a = 6378137 m, 1/f = 298.2572...)"
    )]
    UnsupportedSpheroid {
        /// The spheroid name as written.
        name: String,
        /// Its equatorial radius.
        semi_major_axis_m: f64,
        /// Its inverse flattening.
        inverse_flattening: f64,
    },

    /// Longitudes counted from somewhere other than Greenwich.
    #[error("prime meridian {name:?} at {longitude_deg} is not supported; accepted: Greenwich (0)")]
    UnsupportedPrimeMeridian {
        /// The prime meridian name as written.
        name: String,
        /// Its longitude.
        longitude_deg: f64,
    },

    /// Angles not in degrees.
    #[error("angular unit {name:?} ({radians_per_unit} rad) is not supported; accepted: degree")]
    UnsupportedAngularUnit {
        /// The unit name as written.
        name: String,
        /// Its size in radians.
        radians_per_unit: f64,
    },

    /// Lengths not in metres.
    #[error("linear unit {name:?} ({metres_per_unit} m) is not supported; accepted: metre")]
    UnsupportedLinearUnit {
        /// The unit name as written.
        name: String,
        /// Its size in metres.
        metres_per_unit: f64,
    },

    /// A map projection other than Gauss-Krüger.
    #[error("projection {found:?} is not supported; accepted: Gauss_Kruger or Transverse_Mercator")]
    UnsupportedProjection {
        /// The projection name as written.
        found: String,
    },

    /// A projection parameter the Gauss-Krüger zones never carry.
    #[error(
        "projection parameter {found:?} is not supported; accepted: False_Easting, False_Northing, Central_Meridian, Scale_Factor, Latitude_Of_Origin"
    )]
    UnsupportedParameter {
        /// The parameter name as written.
        found: String,
    },

    /// A parameter with a value that no CGCS2000 Gauss-Krüger zone uses,
    /// e.g. UTM's scale factor 0.9996.
    #[error("{parameter} = {found} is not supported; CGCS2000 Gauss-Kruger zones use {expected}")]
    UnsupportedParameterValue {
        /// Which parameter.
        parameter: &'static str,
        /// The value found.
        found: f64,
        /// The only value accepted.
        expected: f64,
    },

    /// A central meridian that is not that of a 3- or 6-degree zone over China.
    #[error(
        "central meridian {found} is not supported; accepted: a multiple of 3 degrees from 75E to 135E"
    )]
    UnsupportedCentralMeridian {
        /// The central meridian in degrees east.
        found: f64,
    },

    /// A false easting that is neither 500 000 m nor the zone number of this
    /// central meridian followed by 500 000 m.
    #[error(
        "false easting {found} m does not fit central meridian {central_meridian_deg}E; accepted: 500000 m, \
         or the zone number in the millions followed by 500000 m (e.g. 39500000 m for 3-degree zone 39, CM 117E)"
    )]
    UnsupportedFalseEasting {
        /// The false easting found.
        found: f64,
        /// The central meridian it was paired with.
        central_meridian_deg: f64,
    },

    /// A GeoJSON `crs.properties.name` we do not recognise.
    #[error(
        "GeoJSON crs name {found:?} is not supported; accepted: EPSG:CODE, urn:ogc:def:crs:EPSG::CODE or \
         urn:ogc:def:crs:OGC:1.3:CRS84, with CODE one of {ACCEPTED_EPSG}"
    )]
    UnsupportedCrsName {
        /// The name as written.
        found: String,
    },

    /// A sample x coordinate that cannot belong to the declared kind of CRS.
    #[error("sample x = {x} does not fit {expected}")]
    ImplausibleSampleX {
        /// The sample coordinate.
        x: f64,
        /// What such a coordinate should look like.
        expected: &'static str,
    },

    /// The zone number in a sample easting contradicts the declared central meridian.
    #[error(
        "sample easting {x} m carries zone {zone}, whose central meridian is {zone_central_meridian_deg}E, \
         but the CRS declares central meridian {declared_central_meridian_deg}E"
    )]
    ZoneMismatch {
        /// The sample easting.
        x: f64,
        /// The zone number read from its leading digits.
        zone: u32,
        /// That zone's central meridian.
        zone_central_meridian_deg: f64,
        /// The central meridian the CRS declared.
        declared_central_meridian_deg: f64,
    },

    /// A Shapefile without a `.prj`: its coordinates could be in any system.
    #[error(
        "the Shapefile has no .prj, so its coordinate system is unknown; add the .prj or name \
         the system (--crs EPSG:CODE), one of {ACCEPTED_EPSG}"
    )]
    Undeclared,
}
