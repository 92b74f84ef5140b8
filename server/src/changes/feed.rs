//! The `sync_feed` table: the latest state of each record in each region it is visible from.
//! Writing a record again replaces its row and gives it a new number, so a device that pulls
//! late gets the latest state once, not every state in between.

use diesel::prelude::*;

use super::ChangeSequence;
use crate::auth::{Scope, path_range};
use crate::db::DbConn;
use crate::db::schema::sync_feed;

/// One record's state in one region.
#[derive(Debug, Clone, Copy)]
pub struct FeedWrite<'a> {
    pub kind: &'a str,
    pub entity_id: &'a str,
    pub region_path: &'a str,
    pub parcel_id: Option<&'a str>,
    /// The record as devices receive it; `None` writes a removal.
    pub data: Option<&'a str>,
}

/// Writes a record's first row under change number `number`: nothing of it is in the feed
/// yet. Cheaper than [`write`], which must look for a row to replace first.
pub fn insert(conn: &mut DbConn, number: i64, row: FeedWrite<'_>) -> QueryResult<()> {
    diesel::insert_into(sync_feed::table)
        .values(values(number, &row))
        .execute(conn)?;
    Ok(())
}

/// Writes (or replaces) a record's row under change number `number`, which the caller took
/// from its [`ChangeSequence`] (records that carry their own number, such as attributes, need
/// it before they are written).
pub fn write(conn: &mut DbConn, number: i64, row: FeedWrite<'_>) -> QueryResult<()> {
    let op = op_of(&row);
    let key = (row.kind, row.entity_id, row.region_path);
    let replaced = diesel::update(sync_feed::table.find(key))
        .set((
            sync_feed::parcel_id.eq(row.parcel_id),
            sync_feed::seq.eq(number),
            sync_feed::op.eq(op),
            sync_feed::data.eq(row.data),
        ))
        .execute(conn)?;
    if replaced == 0 {
        insert(conn, number, row)?;
    }
    Ok(())
}

#[allow(clippy::type_complexity)]
fn values<'a>(
    number: i64,
    row: &FeedWrite<'a>,
) -> (
    diesel::dsl::Eq<sync_feed::kind, &'a str>,
    diesel::dsl::Eq<sync_feed::entity_id, &'a str>,
    diesel::dsl::Eq<sync_feed::region_path, &'a str>,
    diesel::dsl::Eq<sync_feed::parcel_id, Option<&'a str>>,
    diesel::dsl::Eq<sync_feed::seq, i64>,
    diesel::dsl::Eq<sync_feed::op, &'static str>,
    diesel::dsl::Eq<sync_feed::data, Option<&'a str>>,
) {
    (
        sync_feed::kind.eq(row.kind),
        sync_feed::entity_id.eq(row.entity_id),
        sync_feed::region_path.eq(row.region_path),
        sync_feed::parcel_id.eq(row.parcel_id),
        sync_feed::seq.eq(number),
        sync_feed::op.eq(op_of(row)),
        sync_feed::data.eq(row.data),
    )
}

fn op_of(row: &FeedWrite<'_>) -> &'static str {
    if row.data.is_some() { "put" } else { "remove" }
}

/// A parcel moved from one village to another: every record hanging on it is removed from the
/// old region and put in the new one, the removals numbered first so that a device that sees
/// both regions ends with the records present. The parcel's own removal is written here too;
/// its new state follows from the parcel's own change number, which the caller takes after
/// this.
pub fn move_parcel_records(
    conn: &mut DbConn,
    seq: &mut ChangeSequence,
    parcel_id: &str,
    from: &str,
    to: &str,
) -> QueryResult<()> {
    let records: Vec<(String, String, Option<String>)> = sync_feed::table
        .filter(sync_feed::parcel_id.eq(parcel_id))
        .filter(sync_feed::region_path.eq(from))
        .filter(sync_feed::op.eq("put"))
        .order(sync_feed::seq.asc())
        .select((sync_feed::kind, sync_feed::entity_id, sync_feed::data))
        .load(conn)?;
    let removal = |kind, entity_id| FeedWrite {
        kind,
        entity_id,
        region_path: from,
        parcel_id: Some(parcel_id),
        data: None,
    };
    write(conn, seq.take(), removal("parcel", parcel_id))?;
    for (kind, entity_id, _) in &records {
        write(conn, seq.take(), removal(kind, entity_id))?;
    }
    for (kind, entity_id, data) in &records {
        write(
            conn,
            seq.take(),
            FeedWrite {
                kind,
                entity_id,
                region_path: to,
                parcel_id: Some(parcel_id),
                data: data.as_deref(),
            },
        )?;
    }
    Ok(())
}

/// Which region paths a scope can see: its own subtree, and the regions above it (a campaign
/// belongs to the county, and every village of the county sees it).
#[derive(Debug, Clone)]
pub struct Visibility {
    subtree: Option<(String, String)>,
    ancestors: Vec<String>,
}

impl Visibility {
    pub fn of(scope: &Scope) -> Visibility {
        match scope.path_prefix() {
            None => Visibility {
                subtree: None,
                ancestors: Vec::new(),
            },
            Some(path) => Visibility {
                subtree: Some(path_range(path)),
                ancestors: ancestors(path),
            },
        }
    }

    /// The half-open range of paths in the subtree; `None` for everything.
    pub fn subtree(&self) -> Option<&(String, String)> {
        self.subtree.as_ref()
    }
}

/// `/a/b/c/` → `["/a/", "/a/b/"]`.
fn ancestors(path: &str) -> Vec<String> {
    let codes: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    (1..codes.len())
        .map(|n| format!("/{}/", codes[..n].join("/")))
        .collect()
}

/// A feed row as pulled.
#[derive(Debug, Clone, Queryable)]
pub struct FeedRow {
    pub seq: i64,
    pub kind: String,
    pub entity_id: String,
    pub data: Option<String>,
}

/// Up to `limit` rows after `after` that the visibility covers, in change order.
pub fn read_feed(
    conn: &mut DbConn,
    visibility: &Visibility,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<FeedRow>> {
    let mut query = sync_feed::table
        .filter(sync_feed::seq.gt(after))
        .into_boxed();
    if let Some((low, high)) = visibility.subtree() {
        query = query.filter(
            sync_feed::region_path
                .ge(low.as_str())
                .and(sync_feed::region_path.lt(high.as_str()))
                .or(sync_feed::region_path.eq_any(visibility.ancestors.clone())),
        );
    }
    query
        .order(sync_feed::seq.asc())
        .limit(limit)
        .select((
            sync_feed::seq,
            sync_feed::kind,
            sync_feed::entity_id,
            sync_feed::data,
        ))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_village_sees_its_township_and_county_above_it() {
        assert_eq!(
            ancestors("/360124/360124100/360124100201/"),
            vec!["/360124/".to_owned(), "/360124/360124100/".to_owned()]
        );
        assert!(ancestors("/360124/").is_empty());
    }
}
