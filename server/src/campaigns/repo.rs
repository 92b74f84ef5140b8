//! Campaign queries.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use tianzhang_sync::messages::{CampaignData, RecordKind};

use super::model::{CampaignRow, CampaignSpec};
use crate::changes::{self, ChangeSequence, FeedWrite};
use crate::db::DbConn;
use crate::db::schema::campaigns;
use crate::regions::Level;
use crate::regions::repo as regions_repo;

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("a campaign named {0:?} exists")]
    NameTaken(String),
    #[error("{0} is not a county")]
    NotACounty(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

pub fn add(conn: &mut DbConn, spec: &CampaignSpec) -> Result<CampaignRow, CampaignError> {
    let name = spec.name.trim();
    if find_by_name(conn, name)?.is_some() {
        return Err(CampaignError::NameTaken(name.to_owned()));
    }
    let county = regions_repo::find(conn, &spec.county_code)?
        .filter(|r| r.level == Level::County.as_str())
        .ok_or_else(|| CampaignError::NotACounty(spec.county_code.clone()))?;
    let now = Utc::now().naive_utc();
    let row = CampaignRow {
        id: Uuid::now_v7().to_string(),
        name: name.to_owned(),
        county_code: county.code,
        phases: serde_json::to_string(&spec.phases)?,
        deadlines: serde_json::to_string(&spec.deadlines)?,
        targets: serde_json::to_string(&spec.targets)?,
        field_mapping: spec
            .field_mapping
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(campaigns::table)
        .values((
            campaigns::id.eq(&row.id),
            campaigns::name.eq(&row.name),
            campaigns::county_code.eq(&row.county_code),
            campaigns::phases.eq(&row.phases),
            campaigns::deadlines.eq(&row.deadlines),
            campaigns::targets.eq(&row.targets),
            campaigns::field_mapping.eq(&row.field_mapping),
            campaigns::created_at.eq(row.created_at),
            campaigns::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    publish(conn, &row, &county.path, spec)?;
    Ok(row)
}

/// Puts the campaign in the change feed at its county, where every device of the county sees
/// it.
fn publish(
    conn: &mut DbConn,
    row: &CampaignRow,
    county_path: &str,
    spec: &CampaignSpec,
) -> Result<(), CampaignError> {
    let data = serde_json::to_string(&CampaignData {
        id: row.id.clone(),
        name: row.name.clone(),
        county_code: row.county_code.clone(),
        phases: serde_json::to_value(&spec.phases)?,
        deadlines: serde_json::to_value(&spec.deadlines)?,
        targets: serde_json::to_value(&spec.targets)?,
    })?;
    let mut sequence = ChangeSequence::lock(conn)?;
    changes::write(
        conn,
        sequence.take(),
        FeedWrite {
            kind: RecordKind::Campaign.as_str(),
            entity_id: &row.id,
            region_path: county_path,
            parcel_id: None,
            data: Some(&data),
        },
    )?;
    sequence.finish(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<CampaignRow>> {
    campaigns::table
        .find(id)
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<CampaignRow>> {
    campaigns::table
        .filter(campaigns::name.eq(name))
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<CampaignRow>> {
    campaigns::table
        .select(CampaignRow::as_select())
        .order(campaigns::created_at.desc())
        .load(conn)
}
