//! Turns a read parcel list into the parcels to store, checking everything before anything is
//! written: the coordinate system, each geometry, the village, the required fields, duplicate
//! patch codes. Every problem is reported with its feature number and patch code.

use std::collections::HashMap;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::mapping::{FieldMapping, ResolvedColumns};
use super::read::{AttributeValue, CrsHint, SourceDataset, SourceFeature, SourceFormat};
use crate::campaigns::{CampaignSpec, LandClass, SourceList};
use crate::parcels::geodesy::{CrsError, SourceCrs};
use crate::parcels::geometry::{self, SQUARE_METRES_PER_MU};

/// Longitudes and latitudes a parcel in China can have: anything else means a wrong CRS.
const CHINA_LON: (f64, f64) = (73.0, 136.0);
const CHINA_LAT: (f64, f64) = (3.0, 54.0);

/// The villages of the campaign's county, by code and by name.
#[derive(Debug, Default)]
pub struct VillageDirectory {
    by_code: HashMap<String, String>,
    by_name: HashMap<String, Vec<(String, String)>>,
}

impl VillageDirectory {
    /// From (code, name, path) of each village.
    pub fn new(villages: impl IntoIterator<Item = (String, String, String)>) -> Self {
        let mut directory = Self::default();
        for (code, name, path) in villages {
            directory
                .by_name
                .entry(name.trim().to_owned())
                .or_default()
                .push((code.clone(), path.clone()));
            directory.by_code.insert(code, path);
        }
        directory
    }

    /// The village a value names: a 12-digit code, a longer code that starts with one (the
    /// 19-digit 坐落单位代码), or a name unique in the county. Returns (code, path).
    fn resolve(&self, value: &str) -> Result<(String, String), String> {
        let value = value.trim();
        if value.len() >= 12 && value.bytes().all(|b| b.is_ascii_digit()) {
            let code = &value[..12];
            return self
                .by_code
                .get(code)
                .map(|path| (code.to_owned(), path.clone()))
                .ok_or_else(|| {
                    format!("village code {code} is not a village of the campaign's county")
                });
        }
        match self.by_name.get(value).map(Vec::as_slice) {
            Some([(code, path)]) => Ok((code.clone(), path.clone())),
            Some(several) => Err(format!(
                "village name {value:?} is ambiguous ({} villages have it): use codes",
                several.len()
            )),
            None => Err(format!("unknown village {value:?}")),
        }
    }
}

/// A problem with one feature, or with the whole file (feature 0).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportProblem {
    /// The 1-based feature number in the file; 0 for the file as a whole.
    pub feature: usize,
    pub patch_code: Option<String>,
    pub field: String,
    pub message: String,
}

/// A parcel ready to store.
#[derive(Debug, Clone)]
pub struct PlannedParcel {
    pub feature: usize,
    pub patch_code: String,
    pub source_list: SourceList,
    pub village_code: String,
    pub region_path: String,
    pub land_class: LandClass,
    pub problem_type: String,
    pub declared_area_mu: Option<f64>,
    pub measured_area_m2: f64,
    pub area_mismatch: bool,
    pub deadline: Option<NaiveDate>,
    pub geometry: Vec<u8>,
    pub bounds: [f64; 4],
    pub attributes: String,
    pub content_hash: String,
}

/// What is settled for a file as a whole before its features are planned: the coordinate
/// system, which attribute holds which field, duplicate patch codes. Features are then planned
/// in chunks, so that writing one chunk can overlap planning the next.
pub struct Planner {
    context: Context,
    pub source_crs: String,
    /// Problems of the file as a whole and duplicate patch codes.
    pub problems: Vec<ImportProblem>,
}

/// A file that cannot be planned at all (no coordinate system, a required field missing).
pub struct FileRefusal {
    pub source_crs: String,
    pub columns: ResolvedColumns,
    pub problems: Vec<ImportProblem>,
}

impl Planner {
    /// Settles the file-wide questions. `crs_override` replaces what the file says (or does
    /// not say).
    pub fn new(
        dataset: &SourceDataset,
        mapping: FieldMapping,
        campaign: CampaignSpec,
        villages: VillageDirectory,
        crs_override: Option<SourceCrs>,
    ) -> Result<Self, Box<FileRefusal>> {
        let names: Vec<String> = dataset
            .features
            .iter()
            .flat_map(|f| f.attributes.iter().map(|(name, _)| name.clone()))
            .fold(Vec::new(), |mut names, name| {
                if !names.contains(&name) {
                    names.push(name);
                }
                names
            });
        let columns = mapping.resolve(&names);
        let mut problems = file_problems(&columns, &mapping, &names);
        let crs = match crs_override.map_or_else(|| source_crs(dataset), Ok) {
            Ok(crs) => Some(crs),
            Err(error) => {
                problems.push(file_problem("crs", error.to_string()));
                None
            }
        };
        let source_crs = crs.map_or_else(
            || "unknown".to_owned(),
            |c| format!("EPSG:{}", c.epsg_code()),
        );
        let (Some(crs), true) = (crs, problems.is_empty()) else {
            return Err(Box::new(FileRefusal {
                source_crs,
                columns,
                problems,
            }));
        };
        let problems = duplicate_codes(dataset, &columns);
        Ok(Self {
            context: Context {
                crs,
                mapping,
                columns,
                campaign,
                villages,
            },
            source_crs,
            problems,
        })
    }

    pub fn columns(&self) -> &ResolvedColumns {
        &self.context.columns
    }

    /// Plans features on every core; returns the parcels and the problems found.
    pub fn plan(&self, features: &[SourceFeature]) -> (Vec<PlannedParcel>, Vec<ImportProblem>) {
        let outcomes: Vec<Result<PlannedParcel, Vec<ImportProblem>>> = features
            .par_iter()
            .map(|f| self.context.plan_feature(f))
            .collect();
        let mut parcels = Vec::with_capacity(outcomes.len());
        let mut problems = Vec::new();
        for outcome in outcomes {
            match outcome {
                Ok(parcel) => parcels.push(parcel),
                Err(mut feature_problems) => problems.append(&mut feature_problems),
            }
        }
        (parcels, problems)
    }
}

/// Every feature whose patch code an earlier feature already has, whatever else is wrong with
/// either of them.
fn duplicate_codes(dataset: &SourceDataset, columns: &ResolvedColumns) -> Vec<ImportProblem> {
    let Some(column) = columns.patch_code.as_deref() else {
        return Vec::new();
    };
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    let mut problems = Vec::new();
    for feature in &dataset.features {
        let code = feature
            .attributes
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, value)| as_text(value))
            .filter(|code| !code.is_empty());
        let Some(code) = code else { continue };
        match first_seen.get(&code) {
            Some(first) => problems.push(ImportProblem {
                feature: feature.number,
                patch_code: Some(code.clone()),
                field: "patch_code".to_owned(),
                message: format!("duplicate patch code: feature {first} has it too"),
            }),
            None => {
                first_seen.insert(code, feature.number);
            }
        }
    }
    problems
}

fn file_problem(field: &str, message: String) -> ImportProblem {
    ImportProblem {
        feature: 0,
        patch_code: None,
        field: field.to_owned(),
        message,
    }
}

fn file_problems(
    columns: &ResolvedColumns,
    mapping: &FieldMapping,
    names: &[String],
) -> Vec<ImportProblem> {
    let mut problems = Vec::new();
    let mut require = |found: bool, field: &str, candidates: &[String]| {
        if !found {
            problems.push(file_problem(
                field,
                format!(
                    "no attribute for {field}: looked for {} among {}",
                    candidates.join(", "),
                    names.join(", ")
                ),
            ));
        }
    };
    require(
        columns.patch_code.is_some(),
        "patch_code",
        &mapping.patch_code,
    );
    require(columns.village.is_some(), "village", &mapping.village);
    require(
        columns.source_list.is_some() || mapping.default_source_list.is_some(),
        "source_list",
        &mapping.source_list,
    );
    require(
        columns.land_class.is_some() || mapping.default_land_class.is_some(),
        "land_class",
        &mapping.land_class,
    );
    problems
}

/// The CRS the file declares; a Gauss-Krüger zone is checked against the eastings themselves,
/// which tell the zone-prefixed variant (EPSG:4513–4533) from the plain one (4534–4554).
fn source_crs(dataset: &SourceDataset) -> Result<SourceCrs, CrsError> {
    let declared = match (&dataset.crs, dataset.format) {
        (CrsHint::Wkt(wkt), _) => SourceCrs::from_wkt(wkt)?,
        (CrsHint::GeoJsonName(name), _) => SourceCrs::from_geojson_crs_name(Some(name))?,
        (CrsHint::Unspecified, SourceFormat::GeoJson) => SourceCrs::from_geojson_crs_name(None)?,
        (CrsHint::Unspecified, SourceFormat::Shapefile) => return Err(CrsError::Undeclared),
    };
    let sample = dataset
        .features
        .iter()
        .filter_map(|f| f.geometry.as_ref().ok())
        .flat_map(|polygons| polygons.iter())
        .flat_map(|p| p.exterior.first())
        .next();
    match (declared, sample) {
        (SourceCrs::GaussKruger(_), Some(&(x, _))) => declared.disambiguate_by_easting(x),
        _ => Ok(declared),
    }
}

struct Context {
    crs: SourceCrs,
    mapping: FieldMapping,
    columns: ResolvedColumns,
    campaign: CampaignSpec,
    villages: VillageDirectory,
}

impl Context {
    fn plan_feature(&self, feature: &SourceFeature) -> Result<PlannedParcel, Vec<ImportProblem>> {
        let attribute = |column: &Option<String>| -> Option<&AttributeValue> {
            let column = column.as_deref()?;
            feature
                .attributes
                .iter()
                .find(|(name, _)| name == column)
                .map(|(_, value)| value)
                .filter(|value| !matches!(value, AttributeValue::Null))
        };
        let text =
            |column: &Option<String>| attribute(column).map(as_text).filter(|t| !t.is_empty());
        let patch_code = text(&self.columns.patch_code);
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(ImportProblem {
                feature: feature.number,
                patch_code: patch_code.clone(),
                field: field.to_owned(),
                message,
            });
        };

        if patch_code.is_none() {
            problem("patch_code", "missing patch code".to_owned());
        }
        let shape = match &feature.geometry {
            Ok(polygons) => self
                .footprint(polygons)
                .map_err(|m| problem("geometry", m))
                .ok(),
            Err(reason) => {
                problem("geometry", reason.clone());
                None
            }
        };
        let village = match text(&self.columns.village) {
            Some(value) => self
                .villages
                .resolve(&value)
                .map_err(|m| problem("village", m))
                .ok(),
            None => {
                problem("village", "missing village".to_owned());
                None
            }
        };
        let source_list = match text(&self.columns.source_list) {
            Some(value) => SourceList::parse_any(&value).or_else(|| {
                problem("source_list", format!("unknown source list {value:?}"));
                None
            }),
            None => self.mapping.default_source_list.or_else(|| {
                problem("source_list", "missing source list".to_owned());
                None
            }),
        };
        let land_class = match text(&self.columns.land_class) {
            Some(value) => LandClass::parse_any(&value).or_else(|| {
                problem("land_class", format!("unknown land class {value:?}"));
                None
            }),
            None => self.mapping.default_land_class.or_else(|| {
                problem("land_class", "missing land class".to_owned());
                None
            }),
        };
        let declared_area_mu = match (
            attribute(&self.columns.declared_area_mu),
            attribute(&self.columns.declared_area_m2),
        ) {
            (Some(mu), _) => as_number(mu).map_err(|m| problem("declared_area", m)).ok(),
            (None, Some(m2)) => as_number(m2)
                .map(|m2| m2 / SQUARE_METRES_PER_MU)
                .map_err(|m| problem("declared_area", m))
                .ok(),
            (None, None) => None,
        };
        let deadline = match attribute(&self.columns.deadline) {
            Some(value) => as_date(value).map_err(|m| problem("deadline", m)).ok(),
            None => source_list.and_then(|list| self.campaign.deadline_for(list)),
        };

        let (
            Some(patch_code),
            Some(shape),
            Some((village_code, region_path)),
            Some(source_list),
            Some(land_class),
            true,
        ) = (
            patch_code.clone(),
            shape,
            village,
            source_list,
            land_class,
            problems.is_empty(),
        )
        else {
            return Err(problems);
        };
        let measured_area_m2 = geometry::geodesic_area_m2(&shape);
        let area_mismatch = declared_area_mu.is_some_and(|declared| {
            let measured_mu = measured_area_m2 / SQUARE_METRES_PER_MU;
            (declared - measured_mu).abs() > self.mapping.area_tolerance * measured_mu
        });
        let bounds = geometry::bounds(&shape)
            .map_or([0.0; 4], |b| [b.min().x, b.min().y, b.max().x, b.max().y]);
        let geometry = geometry::to_wkb(&shape);
        let attributes = attributes_json(&feature.attributes);
        let problem_type = text(&self.columns.problem_type).unwrap_or_default();
        let declared_area_mu = declared_area_mu.map(|a| (a * 100.0).round() / 100.0);
        let content_hash = content_hash(
            &[
                &patch_code,
                source_list.as_str(),
                &village_code,
                land_class.as_str(),
                &problem_type,
                &format!("{declared_area_mu:?}"),
                &format!("{deadline:?}"),
                &attributes,
            ],
            &geometry,
        );
        Ok(PlannedParcel {
            feature: feature.number,
            patch_code,
            source_list,
            village_code,
            region_path,
            land_class,
            problem_type,
            declared_area_mu,
            measured_area_m2,
            area_mismatch,
            deadline,
            geometry,
            bounds,
            attributes,
            content_hash,
        })
    }

    /// Reprojects to longitude/latitude, checks the result lies in China and is valid.
    fn footprint(
        &self,
        polygons: &[super::read::SourcePolygon],
    ) -> Result<geo::MultiPolygon, String> {
        let reproject = |ring: &[(f64, f64)]| -> Result<Vec<(f64, f64)>, String> {
            ring.iter()
                .map(|&(x, y)| {
                    let (lon, lat) = self.crs.to_lon_lat(x, y);
                    if (CHINA_LON.0..=CHINA_LON.1).contains(&lon) && (CHINA_LAT.0..=CHINA_LAT.1).contains(&lat) {
                        Ok((lon, lat))
                    } else {
                        Err(format!(
                            "({x}, {y}) is at {lon:.5}°E {lat:.5}°N, outside China: is the coordinate system right?"
                        ))
                    }
                })
                .collect()
        };
        let mut parts = Vec::with_capacity(polygons.len());
        for polygon in polygons {
            let exterior = reproject(&polygon.exterior)?;
            let holes = polygon
                .holes
                .iter()
                .map(|h| reproject(h))
                .collect::<Result<Vec<_>, _>>()?;
            parts.push((exterior, holes));
        }
        let shape = geometry::footprint(parts);
        match geometry::invalidity(&shape) {
            Some(reason) => Err(format!("invalid polygon: {reason}")),
            None => Ok(shape),
        }
    }
}

fn as_text(value: &AttributeValue) -> String {
    match value {
        AttributeValue::Text(t) => t.trim().to_owned(),
        AttributeValue::Integer(i) => i.to_string(),
        AttributeValue::Number(n) => n.to_string(),
        AttributeValue::Date(d) => d.to_string(),
        AttributeValue::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        AttributeValue::Null => String::new(),
    }
}

fn as_number(value: &AttributeValue) -> Result<f64, String> {
    let number = match value {
        AttributeValue::Integer(i) => Some(*i as f64),
        AttributeValue::Number(n) => Some(*n),
        AttributeValue::Text(t) => t.trim().parse().ok(),
        _ => None,
    };
    number
        .filter(|n: &f64| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| format!("{} is not an area", as_text(value)))
}

fn as_date(value: &AttributeValue) -> Result<NaiveDate, String> {
    match value {
        AttributeValue::Date(d) => Ok(*d),
        other => {
            let text = as_text(other);
            ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"]
                .iter()
                .find_map(|format| NaiveDate::parse_from_str(&text, format).ok())
                .ok_or_else(|| format!("{text:?} is not a date"))
        }
    }
}

fn attributes_json(attributes: &[(String, AttributeValue)]) -> String {
    let object: serde_json::Map<String, serde_json::Value> = attributes
        .iter()
        .map(|(name, value)| {
            let json = match value {
                AttributeValue::Text(t) => serde_json::Value::from(t.trim()),
                AttributeValue::Integer(i) => serde_json::Value::from(*i),
                AttributeValue::Number(n) => serde_json::Value::from(*n),
                AttributeValue::Date(d) => serde_json::Value::from(d.to_string()),
                AttributeValue::Bool(b) => serde_json::Value::from(*b),
                AttributeValue::Null => serde_json::Value::Null,
            };
            (name.clone(), json)
        })
        .collect();
    serde_json::Value::Object(object).to_string()
}

/// A digest of everything imported for a parcel: equal digests mean nothing changed.
fn content_hash(fields: &[&str], geometry: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update(field.as_bytes());
        hasher.update([0x1f]);
    }
    hasher.update(geometry);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
