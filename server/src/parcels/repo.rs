//! Parcel queries: listing with filters and keyset pagination, one parcel with its history, and
//! the rows the spatial index loads.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::model::{ParcelHistoryRow, ParcelRow};
use crate::auth::{Scope, path_range};
use crate::campaigns::{LandClass, SourceList};
use crate::changes::{ChangeSequence, Visibility};
use crate::db::DbConn;
use crate::db::schema::{counters, parcel_history, parcels};

pub const GENERATION_COUNTER: &str = "parcel_generation";

/// How a parcel list is ordered. Every order ends with the id, so that pages never overlap or
/// skip a parcel whatever the ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    PatchCode,
    MeasuredArea,
    UpdatedAt,
}

/// A position in a sorted list: the sort value of the last parcel seen, and its id.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    PatchCode(String, String),
    MeasuredArea(f64, String),
    UpdatedAt(NaiveDateTime, String),
}

#[derive(Debug, Clone, Default)]
pub struct ParcelFilter {
    pub campaign_id: Option<String>,
    /// A region path prefix (a township's or village's path), within the caller's scope.
    pub region_prefix: Option<String>,
    pub source_list: Option<SourceList>,
    pub land_class: Option<LandClass>,
    pub status: Option<String>,
    /// Parcels past their deadline on this day and not restored.
    pub overdue_on: Option<NaiveDate>,
    pub sort: SortKey,
    pub descending: bool,
    pub after: Option<After>,
    pub limit: i64,
}

/// Parcels inside `scope` matching `filter`, with their WKB geometry when `with_geometry`.
pub fn list(
    conn: &mut DbConn,
    scope: &Scope,
    filter: &ParcelFilter,
    with_geometry: bool,
) -> QueryResult<Vec<(ParcelRow, Option<Vec<u8>>)>> {
    let mut query = parcels::table.into_boxed();
    let regions = [scope.path_prefix(), filter.region_prefix.as_deref()];
    for (low, high) in regions.into_iter().flatten().map(path_range) {
        query = query.filter(
            parcels::region_path
                .ge(low)
                .and(parcels::region_path.lt(high)),
        );
    }
    if let Some(campaign) = &filter.campaign_id {
        query = query.filter(parcels::campaign_id.eq(campaign.clone()));
    }
    if let Some(list) = filter.source_list {
        query = query.filter(parcels::source_list.eq(list.as_str()));
    }
    if let Some(class) = filter.land_class {
        query = query.filter(parcels::land_class.eq(class.as_str()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(parcels::status.eq(status.clone()));
    }
    if let Some(today) = filter.overdue_on {
        query = query
            .filter(parcels::deadline.lt(today))
            .filter(parcels::status.ne("approved"));
    }
    query = match (&filter.after, filter.descending) {
        (None, _) => query,
        (Some(After::PatchCode(v, id)), false) => query.filter(
            parcels::patch_code.gt(v.clone()).or(parcels::patch_code
                .eq(v.clone())
                .and(parcels::id.gt(id.clone()))),
        ),
        (Some(After::PatchCode(v, id)), true) => query.filter(
            parcels::patch_code.lt(v.clone()).or(parcels::patch_code
                .eq(v.clone())
                .and(parcels::id.lt(id.clone()))),
        ),
        (Some(After::MeasuredArea(v, id)), false) => query.filter(
            parcels::measured_area_m2
                .gt(*v)
                .or(parcels::measured_area_m2
                    .eq(*v)
                    .and(parcels::id.gt(id.clone()))),
        ),
        (Some(After::MeasuredArea(v, id)), true) => query.filter(
            parcels::measured_area_m2
                .lt(*v)
                .or(parcels::measured_area_m2
                    .eq(*v)
                    .and(parcels::id.lt(id.clone()))),
        ),
        (Some(After::UpdatedAt(v, id)), false) => query.filter(
            parcels::updated_at
                .gt(*v)
                .or(parcels::updated_at.eq(*v).and(parcels::id.gt(id.clone()))),
        ),
        (Some(After::UpdatedAt(v, id)), true) => query.filter(
            parcels::updated_at
                .lt(*v)
                .or(parcels::updated_at.eq(*v).and(parcels::id.lt(id.clone()))),
        ),
    };
    query = match (filter.sort, filter.descending) {
        (SortKey::PatchCode, false) => query.order((parcels::patch_code.asc(), parcels::id.asc())),
        (SortKey::PatchCode, true) => query.order((parcels::patch_code.desc(), parcels::id.desc())),
        (SortKey::MeasuredArea, false) => {
            query.order((parcels::measured_area_m2.asc(), parcels::id.asc()))
        }
        (SortKey::MeasuredArea, true) => {
            query.order((parcels::measured_area_m2.desc(), parcels::id.desc()))
        }
        (SortKey::UpdatedAt, false) => query.order((parcels::updated_at.asc(), parcels::id.asc())),
        (SortKey::UpdatedAt, true) => query.order((parcels::updated_at.desc(), parcels::id.desc())),
    };
    let query = query.limit(filter.limit);
    if with_geometry {
        query
            .select((ParcelRow::as_select(), parcels::geometry))
            .load::<(ParcelRow, Vec<u8>)>(conn)
            .map(|rows| rows.into_iter().map(|(row, g)| (row, Some(g))).collect())
    } else {
        query
            .select(ParcelRow::as_select())
            .load::<ParcelRow>(conn)
            .map(|rows| rows.into_iter().map(|row| (row, None)).collect())
    }
}

/// One parcel with its WKB geometry.
pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<(ParcelRow, Vec<u8>)>> {
    parcels::table
        .find(id)
        .select((ParcelRow::as_select(), parcels::geometry))
        .first(conn)
        .optional()
}

pub fn history(conn: &mut DbConn, parcel_id: &str) -> QueryResult<Vec<ParcelHistoryRow>> {
    parcel_history::table
        .filter(parcel_history::parcel_id.eq(parcel_id))
        .select(ParcelHistoryRow::as_select())
        .order(parcel_history::version.asc())
        .load(conn)
}

/// The latest parcel-index generation committed.
pub fn current_generation(conn: &mut DbConn) -> QueryResult<i64> {
    counters::table
        .find(GENERATION_COUNTER)
        .select(counters::value)
        .first(conn)
}

/// Starts a new generation inside the caller's transaction. The row lock this takes is held
/// until commit, so generations commit in order on PostgreSQL too.
pub fn next_generation(conn: &mut DbConn) -> QueryResult<i64> {
    diesel::update(counters::table.find(GENERATION_COUNTER))
        .set(counters::value.eq(counters::value + 1))
        .execute(conn)?;
    current_generation(conn)
}

/// What the spatial index holds of a parcel.
#[derive(Debug, Queryable)]
pub struct IndexRow {
    pub id: String,
    pub campaign_id: String,
    pub region_path: String,
    pub geometry: Vec<u8>,
}

/// Parcels changed after generation `after`, up to `until` (inclusive).
pub fn changed_between(conn: &mut DbConn, after: i64, until: i64) -> QueryResult<Vec<IndexRow>> {
    parcels::table
        .filter(parcels::generation.gt(after))
        .filter(parcels::generation.le(until))
        .select((
            parcels::id,
            parcels::campaign_id,
            parcels::region_path,
            parcels::geometry,
        ))
        .load(conn)
}

/// A parcel as devices pull it.
#[derive(Debug, Queryable)]
pub struct SyncParcelRow {
    pub sync_seq: i64,
    pub id: String,
    pub campaign_id: String,
    pub patch_code: String,
    pub village_code: String,
    pub source_list: String,
    pub land_class: String,
    pub problem_type: String,
    pub declared_area_mu: Option<f64>,
    pub measured_area_m2: f64,
    pub deadline: Option<NaiveDate>,
    pub status: String,
    pub post_decision_activity: bool,
    pub geometry: Vec<u8>,
}

/// Up to `limit` parcels changed after change number `after` that the visibility covers, in
/// change order.
pub fn changed_since(
    conn: &mut DbConn,
    visibility: &Visibility,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<SyncParcelRow>> {
    let mut query = parcels::table
        .filter(parcels::sync_seq.gt(after))
        .into_boxed();
    if let Some((low, high)) = visibility.subtree() {
        query = query
            .filter(parcels::region_path.ge(low.as_str()))
            .filter(parcels::region_path.lt(high.as_str()));
    }
    query
        .order(parcels::sync_seq.asc())
        .limit(limit)
        .select((
            parcels::sync_seq,
            parcels::id,
            parcels::campaign_id,
            parcels::patch_code,
            parcels::village_code,
            parcels::source_list,
            parcels::land_class,
            parcels::problem_type,
            parcels::declared_area_mu,
            parcels::measured_area_m2,
            parcels::deadline,
            parcels::status,
            parcels::post_decision_activity,
            parcels::geometry,
        ))
        .load(conn)
}

/// What a field record needs to know of its parcel.
#[derive(Debug, Clone, Queryable)]
pub struct ParcelPlace {
    pub id: String,
    pub region_path: String,
    pub status: String,
    pub post_decision_activity: bool,
}

pub fn place(conn: &mut DbConn, id: &str) -> QueryResult<Option<ParcelPlace>> {
    parcels::table
        .find(id)
        .select((
            parcels::id,
            parcels::region_path,
            parcels::status,
            parcels::post_decision_activity,
        ))
        .get_result(conn)
        .optional()
}

/// Stores a parcel's derived status and flag under a new change number, so devices pull it.
pub fn set_status(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    id: &str,
    status: &str,
    post_decision_activity: bool,
) -> QueryResult<()> {
    diesel::update(parcels::table.find(id))
        .set((
            parcels::status.eq(status),
            parcels::post_decision_activity.eq(post_decision_activity),
            parcels::sync_seq.eq(sequence.take()),
        ))
        .execute(conn)?;
    Ok(())
}
