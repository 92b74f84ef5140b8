use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::geometry::{self, square_metres_to_mu};
use crate::campaigns::{LandClass, SourceList};
use crate::db::schema::{parcel_history, parcels};

/// A stored parcel without its geometry (lists do not need it).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = parcels)]
pub struct ParcelRow {
    pub id: String,
    pub campaign_id: String,
    pub patch_code: String,
    pub source_list: String,
    pub village_code: String,
    pub region_path: String,
    pub land_class: String,
    pub problem_type: String,
    pub declared_area_mu: Option<f64>,
    pub measured_area_m2: f64,
    pub area_mismatch: bool,
    pub deadline: Option<NaiveDate>,
    pub status: String,
    pub post_decision_activity: bool,
    pub attributes: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A parcel as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Parcel {
    pub id: String,
    pub campaign_id: String,
    /// The patch code (图斑编号) of the source list.
    pub patch_code: String,
    pub source_list: SourceList,
    pub village_code: String,
    pub township_code: Option<String>,
    pub land_class: LandClass,
    pub problem_type: String,
    /// The area the source list declares, in mu.
    pub declared_area_mu: Option<f64>,
    /// The ellipsoidal area of the geometry, in mu (two decimals).
    pub measured_area_mu: f64,
    /// The declared area differs from the measured one by more than the import's tolerance.
    pub area_mismatch: bool,
    pub deadline: Option<NaiveDate>,
    /// Past its deadline and not yet restored.
    pub overdue: bool,
    /// Derived from submissions and review decisions: `open`, `submitted`, `approved`,
    /// `rejected` or `returned`.
    pub status: String,
    /// Field activity arrived after the current submission was decided: the reviewer should
    /// look again. Only a new submission reopens review.
    pub post_decision_activity: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ParcelRow {
    pub fn to_api(&self, today: NaiveDate) -> anyhow::Result<Parcel> {
        Ok(Parcel {
            id: self.id.clone(),
            campaign_id: self.campaign_id.clone(),
            patch_code: self.patch_code.clone(),
            source_list: self.source_list.parse().map_err(anyhow::Error::msg)?,
            village_code: self.village_code.clone(),
            township_code: township_of(&self.region_path),
            land_class: self.land_class.parse().map_err(anyhow::Error::msg)?,
            problem_type: self.problem_type.clone(),
            declared_area_mu: self.declared_area_mu,
            measured_area_mu: round2(square_metres_to_mu(self.measured_area_m2)),
            area_mismatch: self.area_mismatch,
            deadline: self.deadline,
            overdue: self.deadline.is_some_and(|d| d < today) && self.status != "approved",
            status: self.status.clone(),
            post_decision_activity: self.post_decision_activity,
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// The township code in a village path `/county/township/village/`.
fn township_of(path: &str) -> Option<String> {
    path.split('/')
        .filter(|c| !c.is_empty())
        .nth(1)
        .map(str::to_owned)
}

pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// One parcel with its geometry and the history of its imports.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParcelDetail {
    #[serde(flatten)]
    pub parcel: Parcel,
    /// A GeoJSON MultiPolygon in longitude/latitude (CGCS2000).
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
    /// The attributes of the source list, as imported.
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    pub history: Vec<ParcelChange>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = parcel_history)]
pub struct ParcelHistoryRow {
    pub version: i64,
    pub import_id: String,
    pub changes: String,
    pub changed_at: NaiveDateTime,
}

/// What one import changed in a parcel: each field with its old and new value.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParcelChange {
    pub version: i64,
    pub import_id: String,
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    pub changed_at: DateTime<Utc>,
}

impl TryFrom<ParcelHistoryRow> for ParcelChange {
    type Error = anyhow::Error;

    fn try_from(row: ParcelHistoryRow) -> Result<Self, Self::Error> {
        Ok(ParcelChange {
            version: row.version,
            import_id: row.import_id,
            changes: serde_json::from_str(&row.changes)?,
            changed_at: row.changed_at.and_utc(),
        })
    }
}

/// A GeoJSON Feature for a parcel.
pub fn feature(parcel: &Parcel, geometry_wkb: &[u8]) -> anyhow::Result<serde_json::Value> {
    let shape = geometry::from_wkb(geometry_wkb)?;
    Ok(serde_json::json!({
        "type": "Feature",
        "id": parcel.id,
        "geometry": geometry::to_geojson(&shape),
        "properties": parcel,
    }))
}
