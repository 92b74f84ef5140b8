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

use self::apply::{Applier, Counts, ImportRecord};
use self::plan::{PlannedParcel, Planner};
use self::read::SourceDataset;
use crate::auth::path_range;
use crate::campaigns::Campaign;
use crate::campaigns::model::CampaignRow;
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
    /// The list has problems: the write transaction rolls back. Not an error to callers,
    /// who get a refused report.
    #[error("the list has problems")]
    Refused(Box<Checked>),
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

/// How many features are planned at a time: large enough to keep both cores busy, small
/// enough that writing one chunk overlaps planning the next.
const CHUNK: usize = 5_000;

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
    let mut report = ImportReport {
        outcome: ImportOutcome::Refused,
        import_id: None,
        campaign: campaign.spec.name.clone(),
        file_name: source.file_name.clone(),
        file_sha256: source.file_sha256.clone(),
        source_crs: String::new(),
        text_encoding: source.dataset.text_encoding.clone(),
        features: source.dataset.features.len(),
        deleted_records_skipped: source.dataset.deleted_records_skipped,
        columns: ResolvedColumns::default(),
        created: 0,
        updated: 0,
        unchanged: 0,
        area_mismatches: Vec::new(),
        problems: Vec::new(),
    };
    let planner = match Planner::new(
        &source.dataset,
        mapping,
        campaign.spec.clone(),
        villages,
        options.crs,
    ) {
        Ok(planner) => planner,
        Err(refusal) => {
            report.source_crs = refusal.source_crs;
            report.columns = refusal.columns;
            report.problems = refusal.problems;
            return Ok(report);
        }
    };
    report.source_crs = planner.source_crs.clone();
    report.columns = planner.columns().clone();

    let outcome = if options.dry_run {
        dry_run(db, campaign.id, planner, source.dataset).await?
    } else {
        let record = OwnedRecord {
            campaign_id: campaign.id,
            file_name: source.file_name,
            file_sha256: source.file_sha256,
            source_crs: report.source_crs.clone(),
            text_encoding: report.text_encoding.clone(),
            imported_by: options.imported_by,
        };
        let written = db
            .write(move |conn| write_pipelined(conn, &record, &planner, &source.dataset))
            .await;
        match written {
            Err(ImportError::Refused(checked)) => *checked,
            other => other?,
        }
    };
    report.area_mismatches = outcome.area_mismatches;
    report.problems = outcome.problems;
    report.problems.sort_by_key(|p| p.feature);
    if report.problems.is_empty() {
        report.outcome = if options.dry_run {
            ImportOutcome::DryRun
        } else {
            ImportOutcome::Imported
        };
        report.import_id = outcome.import_id;
        report.created = outcome.counts.created;
        report.updated = outcome.counts.updated;
        report.unchanged = outcome.counts.unchanged;
    }
    Ok(report)
}

/// What checking (and, unless refused, writing) found.
#[derive(Debug, Default)]
pub struct Checked {
    import_id: Option<String>,
    counts: Counts,
    area_mismatches: Vec<AreaMismatch>,
    problems: Vec<ImportProblem>,
}

impl Checked {
    fn note(&mut self, parcels: &[PlannedParcel], mut problems: Vec<ImportProblem>) {
        self.problems.append(&mut problems);
        self.area_mismatches
            .extend(
                parcels
                    .iter()
                    .filter(|p| p.area_mismatch)
                    .map(|p| AreaMismatch {
                        feature: p.feature,
                        patch_code: p.patch_code.clone(),
                        declared_mu: p.declared_area_mu.unwrap_or_default(),
                        measured_mu: round2(square_metres_to_mu(p.measured_area_m2)),
                    }),
            );
    }
}

/// Plans everything, then compares with what is stored; writes nothing.
async fn dry_run(
    db: &Database,
    campaign_id: String,
    planner: Planner,
    dataset: SourceDataset,
) -> Result<Checked, ImportError> {
    let (parcels, problems) =
        tokio::task::spawn_blocking(move || planner_plan_all(&planner, &dataset)).await?;
    let mut checked = Checked::default();
    checked.note(&parcels, problems);
    if checked.problems.is_empty() {
        checked.counts = db
            .read(move |conn| apply::compare(conn, &campaign_id, &parcels).map_err(DbError::from))
            .await?;
    }
    Ok(checked)
}

fn planner_plan_all(
    planner: &Planner,
    dataset: &SourceDataset,
) -> (Vec<PlannedParcel>, Vec<ImportProblem>) {
    let (parcels, mut problems) = planner.plan(&dataset.features);
    problems.extend(planner.problems.iter().cloned());
    (parcels, problems)
}

/// Plans chunk after chunk on one thread while this one writes the chunk before, all in the
/// caller's transaction. The first problem stops the writing, but planning goes on so that
/// every problem is reported; a refused import returns an error, which rolls back whatever was
/// written, so nothing of it remains.
fn write_pipelined(
    conn: &mut DbConn,
    record: &OwnedRecord,
    planner: &Planner,
    dataset: &SourceDataset,
) -> Result<Checked, ImportError> {
    let mut applier = Applier::start(conn, &record.borrowed())?;
    let mut checked = Checked::default();
    checked.problems.extend(planner.problems.iter().cloned());
    std::thread::scope(|scope| {
        let (planned_tx, planned_rx) = std::sync::mpsc::sync_channel(1);
        scope.spawn(move || {
            for chunk in dataset.features.chunks(CHUNK) {
                if planned_tx.send(planner.plan(chunk)).is_err() {
                    break;
                }
            }
        });
        for (parcels, problems) in planned_rx {
            checked.note(&parcels, problems);
            if checked.problems.is_empty() {
                applier.apply(conn, &record.campaign_id, &parcels)?;
            }
        }
        Ok::<_, ImportError>(())
    })?;
    if !checked.problems.is_empty() {
        return Err(ImportError::Refused(Box::new(checked)));
    }
    let (import_id, counts) = applier.finish(conn)?;
    checked.import_id = Some(import_id);
    checked.counts = counts;
    Ok(checked)
}

/// The import record's fields, owned so that they can move into the write transaction.
struct OwnedRecord {
    campaign_id: String,
    file_name: String,
    file_sha256: String,
    source_crs: String,
    text_encoding: String,
    imported_by: String,
}

impl OwnedRecord {
    fn borrowed(&self) -> ImportRecord<'_> {
        ImportRecord {
            campaign_id: &self.campaign_id,
            file_name: &self.file_name,
            file_sha256: &self.file_sha256,
            source_crs: &self.source_crs,
            text_encoding: &self.text_encoding,
            imported_by: &self.imported_by,
        }
    }
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
