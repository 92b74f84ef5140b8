//! Region queries.

use chrono::Utc;
use diesel::prelude::*;

use super::model::{Level, NewRegion, RegionRow};
use crate::auth::Scope;
use crate::db::DbConn;
use crate::db::schema::regions;

#[derive(Debug, thiserror::Error)]
pub enum AddRegionError {
    #[error("region {0} already exists")]
    Exists(String),
    #[error("parent region {0} does not exist")]
    UnknownParent(String),
    #[error("a village cannot have sub-regions")]
    ParentIsVillage,
    #[error("the parent region is outside your scope")]
    OutsideScope,
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

pub fn find(conn: &mut DbConn, code: &str) -> QueryResult<Option<RegionRow>> {
    regions::table
        .find(code)
        .select(RegionRow::as_select())
        .first(conn)
        .optional()
}

/// Adds a region below `parent_code` (or a county without one), within `scope`.
pub fn add(conn: &mut DbConn, new: &NewRegion, scope: &Scope) -> Result<RegionRow, AddRegionError> {
    if find(conn, &new.code)?.is_some() {
        return Err(AddRegionError::Exists(new.code.clone()));
    }
    let (level, path) = match &new.parent_code {
        None if *scope != Scope::Everything => return Err(AddRegionError::OutsideScope),
        None => (Level::County, format!("/{}/", new.code)),
        Some(parent_code) => {
            let parent = find(conn, parent_code)?
                .ok_or_else(|| AddRegionError::UnknownParent(parent_code.clone()))?;
            if !scope.contains_path(&parent.path) {
                return Err(AddRegionError::OutsideScope);
            }
            let parent_level: Level = parent.level.parse().unwrap_or(Level::Village);
            let level = parent_level
                .child()
                .ok_or(AddRegionError::ParentIsVillage)?;
            (level, format!("{}{}/", parent.path, new.code))
        }
    };
    let now = Utc::now().naive_utc();
    let row = RegionRow {
        code: new.code.clone(),
        name: new.name.trim().to_owned(),
        level: level.as_str().to_owned(),
        parent_code: new.parent_code.clone(),
        path,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(regions::table)
        .values((
            regions::code.eq(&row.code),
            regions::name.eq(&row.name),
            regions::level.eq(&row.level),
            regions::parent_code.eq(&row.parent_code),
            regions::path.eq(&row.path),
            regions::created_at.eq(row.created_at),
            regions::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(row)
}

/// Filters for listing regions.
#[derive(Debug, Default, Clone)]
pub struct RegionFilter {
    pub level: Option<Level>,
    pub parent_code: Option<String>,
    /// Only regions whose path sorts after this one (keyset pagination).
    pub after_path: Option<String>,
    pub limit: i64,
}

/// The regions inside `scope`, in tree order (by path).
pub fn list(
    conn: &mut DbConn,
    scope: &Scope,
    filter: &RegionFilter,
) -> QueryResult<Vec<RegionRow>> {
    let mut query = regions::table
        .select(RegionRow::as_select())
        .order(regions::path.asc())
        .limit(filter.limit)
        .into_boxed();
    if let Some((low, high)) = scope.path_range() {
        query = query.filter(regions::path.ge(low).and(regions::path.lt(high)));
    }
    if let Some(level) = filter.level {
        query = query.filter(regions::level.eq(level.as_str()));
    }
    if let Some(parent) = &filter.parent_code {
        query = query.filter(regions::parent_code.eq(parent.clone()));
    }
    if let Some(after) = &filter.after_path {
        query = query.filter(regions::path.gt(after.clone()));
    }
    query.load(conn)
}

/// The chain from the county down to `code`, inclusive.
pub fn ancestry(conn: &mut DbConn, region: &RegionRow) -> QueryResult<Vec<RegionRow>> {
    let codes: Vec<&str> = region.path.split('/').filter(|c| !c.is_empty()).collect();
    regions::table
        .filter(regions::code.eq_any(codes))
        .select(RegionRow::as_select())
        .order(regions::path.asc())
        .load(conn)
}

pub fn rename(conn: &mut DbConn, code: &str, name: &str) -> QueryResult<usize> {
    diesel::update(regions::table.find(code))
        .set((
            regions::name.eq(name.trim()),
            regions::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
}
