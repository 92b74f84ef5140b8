//! Importing the parcel lists counties are given (Shapefile or GeoJSON in CGCS2000, GBK text):
//! read, then plan (check everything), then apply (write the difference) — nothing is written
//! when any feature has a problem, and a dry run stops after comparing.

mod apply;
pub mod handlers;
mod mapping;
mod plan;
pub mod read;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

pub use mapping::{FieldMapping, ResolvedColumns};
pub use plan::{ImportProblem, VillageDirectory};

use self::apply::{Counts, ImportRecord};
use self::read::SourceDataset;
use crate::auth::path_range;
use crate::campaigns::model::CampaignRow;
use crate::campaigns::{Campaign, CampaignSpec};
use crate::db::schema::regions;
use crate::db::{Database, DbConn, DbError};
use crate::parcels::geodesy::SourceCrs;
use crate::parcels::geometry::square_metres_to_mu;
use crate::parcels::model::round2;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Overrides the campaign's mapping (itself defaulting to [`FieldMapping::default`]).
    pub mapping: Option<FieldMapping>,
    /// Replaces the coordinate system the file declares.
    pub crs: Option<SourceCrs>,
    pub dry_run: bool,
    /// Who imports: a username, or `cli`.
    pub imported_by: String,
}

/// A parcel whose declared area differs from its measured one by more than the tolerance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaMismatch {
    pub feature: usize,
    pub patch_code: String,
    pub declared_mu: f64,
    pub measured_mu: f64,
}

/// What an import did, or would do, or why it was refused.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// `imported`, `dry_run` (nothing written) or `refused` (problems; nothing written).
    pub outcome: ImportOutcome,
    pub import_id: Option<String>,
    pub campaign: String,
    pub file_name: String,
    pub file_sha256: String,
    pub source_crs: String,
    pub text_encoding: String,
    pub features: usize,
    /// Deleted DBF records that were skipped.
    pub deleted_records_skipped: usize,
    /// Which attribute each parcel field was read from.
    pub columns: ResolvedColumns,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub area_mismatches: Vec<AreaMismatch>,
    pub problems: Vec<ImportProblem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    Imported,
    DryRun,
    Refused,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("campaign not found")]
    UnknownCampaign,
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("the campaign record is unreadable: {0}")]
    Campaign(anyhow::Error),
    #[error("planning failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(error: diesel::result::Error) -> Self {
        ImportError::Database(error.into())
    }
}

/// The file an import reads, as already parsed.
pub struct ImportSource {
    pub dataset: SourceDataset,
    pub file_name: String,
    pub file_sha256: String,
}

/// Imports a parcel list into a campaign (see the module documentation).
pub async fn import(
    db: &Database,
    campaign: CampaignRow,
    source: ImportSource,
    options: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let campaign = Campaign::try_from(campaign).map_err(ImportError::Campaign)?;
    let county = campaign.spec.county_code.clone();
    let villages = db
        .read(move |conn| villages_of(conn, &county).map_err(DbError::from))
        .await?;
    let mapping = options
        .mapping
        .clone()
        .or_else(|| campaign.spec.field_mapping.clone())
        .unwrap_or_default();
    let spec: CampaignSpec = campaign.spec.clone();
    let crs = options.crs;
    let (source, planned) = tokio::task::spawn_blocking(move || {
        let planned = plan::plan(&source.dataset, &mapping, &spec, &villages, crs);
        (source, planned)
    })
    .await?;

    let mut report = ImportReport {
        outcome: ImportOutcome::Refused,
        import_id: None,
        campaign: campaign.spec.name.clone(),
        file_name: source.file_name.clone(),
        file_sha256: source.file_sha256.clone(),
        source_crs: planned.source_crs.clone(),
        text_encoding: source.dataset.text_encoding.clone(),
        features: source.dataset.features.len(),
        deleted_records_skipped: source.dataset.deleted_records_skipped,
        columns: planned.columns.clone(),
        created: 0,
        updated: 0,
        unchanged: 0,
        area_mismatches: planned
            .parcels
            .iter()
            .filter(|p| p.area_mismatch)
            .map(|p| AreaMismatch {
                feature: p.feature,
                patch_code: p.patch_code.clone(),
                declared_mu: p.declared_area_mu.unwrap_or_default(),
                measured_mu: round2(square_metres_to_mu(p.measured_area_m2)),
            })
            .collect(),
        problems: planned.problems.clone(),
    };
    if !report.problems.is_empty() {
        report.problems.sort_by_key(|p| p.feature);
        return Ok(report);
    }

    let campaign_id = campaign.id.clone();
    let parcels = planned.parcels;
    let counts: Counts = if options.dry_run {
        report.outcome = ImportOutcome::DryRun;
        db.read(move |conn| apply::compare(conn, &campaign_id, &parcels).map_err(DbError::from))
            .await?
    } else {
        let (file_name, file_sha256) = (source.file_name, source.file_sha256);
        let (source_crs, text_encoding) = (report.source_crs.clone(), report.text_encoding.clone());
        let imported_by = options.imported_by;
        let (import_id, counts) = db
            .write(move |conn| {
                let record = ImportRecord {
                    campaign_id: &campaign_id,
                    file_name: &file_name,
                    file_sha256: &file_sha256,
                    source_crs: &source_crs,
                    text_encoding: &text_encoding,
                    imported_by: &imported_by,
                };
                apply::apply(conn, &record, &parcels).map_err(DbError::from)
            })
            .await?;
        report.outcome = ImportOutcome::Imported;
        report.import_id = Some(import_id);
        counts
    };
    report.created = counts.created;
    report.updated = counts.updated;
    report.unchanged = counts.unchanged;
    Ok(report)
}

/// The villages of a county: (code, name, path).
fn villages_of(conn: &mut DbConn, county_code: &str) -> QueryResult<VillageDirectory> {
    let (low, high) = path_range(&format!("/{county_code}/"));
    let rows: Vec<(String, String, String)> = regions::table
        .filter(regions::level.eq("village"))
        .filter(regions::path.ge(low).and(regions::path.lt(high)))
        .select((regions::code, regions::name, regions::path))
        .load(conn)?;
    Ok(VillageDirectory::new(rows))
}
