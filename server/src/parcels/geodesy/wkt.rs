//! Decides whether a WKT1 CRS (a Shapefile's `.prj`) is one we can convert.
//!
//! ArcGIS writes the ESRI flavour (`D_China_2000`, `Gauss_Kruger`), GDAL and
//! QGIS the OGC one (`China_2000`, `Transverse_Mercator`, `AUTHORITY[…]`).
//! Names differ between them, so the decision rests on normalised names and,
//! above all, on the numbers: the spheroid, units and projection parameters.
//! Authority codes and axis declarations are not consulted; the parameters
//! define the CRS, and Shapefile x is the easting whatever the axes say.

use super::crs::{Datum, SourceCrs};
use super::error::CrsError;
use super::gauss_kruger::GaussKrugerZone;
use super::wkt_syntax::{self, WktNode};

/// The CGCS2000 (GRS80) and WGS 84 ellipsoids differ by 0.1 mm in the polar
/// radius; anything outside these bounds is another ellipsoid altogether
/// (Krassowsky for Beijing 1954, IAG 1975 for Xian 1980).
const SEMI_MAJOR_AXIS_M: f64 = 6_378_137.0;
const INVERSE_FLATTENING_RANGE: std::ops::RangeInclusive<f64> = 298.2572..=298.2573;

const RADIANS_PER_DEGREE: f64 = std::f64::consts::PI / 180.0;

/// Unit factors are printed to about 16 digits; this absorbs the last one.
const UNIT_TOLERANCE: f64 = 1e-12;

/// Which datums may appear where, and how to say so when refusing.
struct DatumPolicy {
    accepted: &'static [Datum],
    description: &'static str,
}

const GEOGRAPHIC_POLICY: DatumPolicy = DatumPolicy {
    accepted: &[Datum::Cgcs2000, Datum::Wgs84],
    description: "China 2000 (CGCS2000) or WGS 84",
};

const PROJECTED_POLICY: DatumPolicy = DatumPolicy {
    accepted: &[Datum::Cgcs2000],
    description: "China 2000 (CGCS2000) for Gauss-Kruger data",
};

/// Interprets WKT1 text as a [`SourceCrs`].
pub(crate) fn crs_from_wkt(text: &str) -> Result<SourceCrs, CrsError> {
    let root = wkt_syntax::parse(text)?;
    if root.is("GEOGCS") {
        let datum = datum_of(&root, &GEOGRAPHIC_POLICY)?;
        Ok(SourceCrs::Geographic { datum })
    } else if root.is("PROJCS") {
        gauss_kruger_zone(&root).map(SourceCrs::GaussKruger)
    } else {
        Err(CrsError::UnsupportedWktRoot {
            found: root.keyword,
        })
    }
}

/// Checks a GEOGCS: datum, spheroid, prime meridian and angular unit.
fn datum_of(geogcs: &WktNode, policy: &DatumPolicy) -> Result<Datum, CrsError> {
    let datum_node = geogcs
        .child("DATUM")
        .ok_or(CrsError::MissingWktElement { element: "DATUM" })?;
    let name = datum_node.name().unwrap_or_default();
    let datum = datum_named(name)
        .filter(|datum| policy.accepted.contains(datum))
        .ok_or_else(|| CrsError::UnsupportedDatum {
            found: name.to_owned(),
            accepted: policy.description,
        })?;
    check_spheroid(
        datum_node
            .child("SPHEROID")
            .ok_or(CrsError::MissingWktElement {
                element: "SPHEROID",
            })?,
    )?;
    if let Some(prime_meridian) = geogcs.child("PRIMEM") {
        check_prime_meridian(prime_meridian)?;
    }
    if let Some(unit) = geogcs.child("UNIT") {
        check_angular_unit(unit)?;
    }
    Ok(datum)
}

/// Recognises the datum names that ESRI, GDAL and PROJ write for CGCS2000 and WGS 84.
fn datum_named(name: &str) -> Option<Datum> {
    let lower = name.to_ascii_lowercase();
    let without_esri_prefix = lower.strip_prefix("d_").unwrap_or(&lower);
    match normalised(without_esri_prefix).as_str() {
        "china2000" | "chinageodeticcoordinatesystem2000" | "cgcs2000" => Some(Datum::Cgcs2000),
        "wgs1984" | "wgs84" | "worldgeodeticsystem1984" | "worldgeodeticsystem1984ensemble" => {
            Some(Datum::Wgs84)
        }
        _ => None,
    }
}

fn check_spheroid(spheroid: &WktNode) -> Result<(), CrsError> {
    let (Some(semi_major_axis_m), Some(inverse_flattening)) =
        (spheroid.number(1), spheroid.number(2))
    else {
        return Err(CrsError::MissingWktElement {
            element: "SPHEROID radius and inverse flattening",
        });
    };
    let is_grs80_like = (semi_major_axis_m - SEMI_MAJOR_AXIS_M).abs() < 1e-3
        && INVERSE_FLATTENING_RANGE.contains(&inverse_flattening);
    if is_grs80_like {
        return Ok(());
    }
    Err(CrsError::UnsupportedSpheroid {
        name: spheroid.name().unwrap_or_default().to_owned(),
        semi_major_axis_m,
        inverse_flattening,
    })
}

fn check_prime_meridian(prime_meridian: &WktNode) -> Result<(), CrsError> {
    let longitude_deg = prime_meridian.number(1).unwrap_or(f64::NAN);
    if longitude_deg == 0.0 {
        return Ok(());
    }
    Err(CrsError::UnsupportedPrimeMeridian {
        name: prime_meridian.name().unwrap_or_default().to_owned(),
        longitude_deg,
    })
}

fn check_angular_unit(unit: &WktNode) -> Result<(), CrsError> {
    let radians_per_unit = unit.number(1).unwrap_or(f64::NAN);
    if ((radians_per_unit - RADIANS_PER_DEGREE) / RADIANS_PER_DEGREE).abs() < UNIT_TOLERANCE {
        return Ok(());
    }
    Err(CrsError::UnsupportedAngularUnit {
        name: unit.name().unwrap_or_default().to_owned(),
        radians_per_unit,
    })
}

fn check_linear_unit(unit: &WktNode) -> Result<(), CrsError> {
    let metres_per_unit = unit.number(1).unwrap_or(f64::NAN);
    if (metres_per_unit - 1.0).abs() < UNIT_TOLERANCE {
        return Ok(());
    }
    Err(CrsError::UnsupportedLinearUnit {
        name: unit.name().unwrap_or_default().to_owned(),
        metres_per_unit,
    })
}

/// Checks a PROJCS and returns its Gauss-Krüger zone.
fn gauss_kruger_zone(projcs: &WktNode) -> Result<GaussKrugerZone, CrsError> {
    let geogcs = projcs
        .child("GEOGCS")
        .ok_or(CrsError::MissingWktElement { element: "GEOGCS" })?;
    datum_of(geogcs, &PROJECTED_POLICY)?;
    let projection = projcs
        .child("PROJECTION")
        .ok_or(CrsError::MissingWktElement {
            element: "PROJECTION",
        })?;
    let projection_name = projection.name().unwrap_or_default();
    if !is_gauss_kruger(projection_name) {
        return Err(CrsError::UnsupportedProjection {
            found: projection_name.to_owned(),
        });
    }
    check_linear_unit(projcs.child("UNIT").ok_or(CrsError::MissingWktElement {
        element: "UNIT of the PROJCS",
    })?)?;
    ProjectionParameters::read(projcs)?.zone()
}

fn is_gauss_kruger(projection_name: &str) -> bool {
    matches!(
        normalised(projection_name).as_str(),
        "gausskruger" | "gausskrueger" | "transversemercator"
    )
}

/// The PARAMETERs of a Gauss-Krüger PROJCS; WKT1 lets the defaults be omitted.
struct ProjectionParameters {
    central_meridian_deg: Option<f64>,
    false_easting_m: Option<f64>,
    false_northing_m: f64,
    scale_factor: f64,
    latitude_of_origin_deg: f64,
}

impl ProjectionParameters {
    fn read(projcs: &WktNode) -> Result<Self, CrsError> {
        let mut parameters = Self {
            central_meridian_deg: None,
            false_easting_m: None,
            false_northing_m: 0.0,
            scale_factor: 1.0,
            latitude_of_origin_deg: 0.0,
        };
        for parameter in projcs.children("PARAMETER") {
            let name = parameter.name().unwrap_or_default();
            let value = parameter.number(1).ok_or(CrsError::MissingWktElement {
                element: "number in a PARAMETER",
            })?;
            match normalised(name).as_str() {
                "centralmeridian" | "longitudeoforigin" => {
                    parameters.central_meridian_deg = Some(value)
                }
                "falseeasting" => parameters.false_easting_m = Some(value),
                "falsenorthing" => parameters.false_northing_m = value,
                "scalefactor" | "scalefactoratnaturalorigin" => parameters.scale_factor = value,
                "latitudeoforigin" | "latitudeofnaturalorigin" => {
                    parameters.latitude_of_origin_deg = value
                }
                _ => {
                    return Err(CrsError::UnsupportedParameter {
                        found: name.to_owned(),
                    });
                }
            }
        }
        Ok(parameters)
    }

    /// Every CGCS2000 zone has k = 1, origin on the equator and no false
    /// northing; the meridian and easting must then name a registered zone.
    fn zone(&self) -> Result<GaussKrugerZone, CrsError> {
        require_value("Scale_Factor", self.scale_factor, 1.0)?;
        require_value("Latitude_Of_Origin", self.latitude_of_origin_deg, 0.0)?;
        require_value("False_Northing", self.false_northing_m, 0.0)?;
        let central_meridian_deg =
            self.central_meridian_deg
                .ok_or(CrsError::MissingWktElement {
                    element: "PARAMETER[\"Central_Meridian\"]",
                })?;
        let false_easting_m = self.false_easting_m.ok_or(CrsError::MissingWktElement {
            element: "PARAMETER[\"False_Easting\"]",
        })?;
        GaussKrugerZone::new(central_meridian_deg, false_easting_m)
    }
}

fn require_value(parameter: &'static str, found: f64, expected: f64) -> Result<(), CrsError> {
    if (found - expected).abs() < UNIT_TOLERANCE {
        return Ok(());
    }
    Err(CrsError::UnsupportedParameterValue {
        parameter,
        found,
        expected,
    })
}

/// Lower-case letters and digits only, so `Gauss_Kruger`, `Gauss-Kruger` and
/// `gauss kruger` compare equal.
fn normalised(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}
