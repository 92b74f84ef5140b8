//! Pull: the changes of a scope after a cursor, in change order.
//!
//! Two streams make the feed: parcels (read from their own table, by `sync_seq`) and
//! everything else (`sync_feed`). Both are read in one snapshot, up to `limit + 1` rows each,
//! and merged by number: the first `limit` of the merge are the first `limit` changes of the
//! scope, and the one past them says whether more wait. Because numbers become visible in
//! order (see [`crate::changes::ChangeSequence`]), nothing can later appear below a cursor
//! already handed out.

use serde_json::Value;
use tianzhang_sync::messages::{Change, ChangeOp, ParcelData, RecordKind};
use tianzhang_sync::records::ParcelStatus;
use uuid::Uuid;

use super::cursor::Cursor;
use super::devices;
use crate::auth::Caller;
use crate::changes::{self, ChangeSequence, FeedRow, Visibility};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::parcels::geometry::{self, square_metres_to_mu};
use crate::parcels::model::round2;
use crate::parcels::repo::{self as parcels_repo, SyncParcelRow};

/// One page of changes.
pub struct Page {
    /// The device must drop what it pulled before and start over with this page.
    pub reset: bool,
    pub changes: Vec<Change>,
    /// The number of the last change in the page, or the cursor's own if the page is empty.
    pub last_seq: i64,
    pub has_more: bool,
    pub device_acked: Option<u64>,
}

pub fn pull(
    conn: &mut DbConn,
    caller: &Caller,
    cursor: Option<Cursor>,
    limit: i64,
    device: Option<Uuid>,
) -> Result<Page, ApiError> {
    // A cursor from another scope (the user moved to another village), or from beyond the
    // last change (the database was restored from an older backup), starts the device over.
    let (after, reset) = match cursor {
        None => (0, false),
        Some(c) if c.fits(&caller.scope) && c.seq <= ChangeSequence::current(conn)? => {
            (c.seq, false)
        }
        Some(_) => (0, true),
    };
    let visibility = Visibility::of(&caller.scope);
    let feed = changes::read_feed(conn, &visibility, after, limit + 1)?;
    let parcels = parcels_repo::changed_since(conn, &visibility, after, limit + 1)?;
    let device_acked = match device {
        Some(id) => devices::acked_seq(conn, id, &caller.user_id)?
            .map(|seq| u64::try_from(seq).unwrap_or(0)),
        None => None,
    };
    let (changes, has_more) = merge(feed, parcels, limit)?;
    let last_seq = changes
        .last()
        .map_or(after, |c| i64::try_from(c.seq).unwrap_or(after));
    Ok(Page {
        reset,
        changes,
        last_seq,
        has_more,
        device_acked,
    })
}

/// Merges the two ordered streams and keeps the first `limit` changes.
fn merge(
    feed: Vec<FeedRow>,
    parcels: Vec<SyncParcelRow>,
    limit: i64,
) -> Result<(Vec<Change>, bool), ApiError> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let mut feed = feed.into_iter().peekable();
    let mut parcels = parcels.into_iter().peekable();
    let mut changes = Vec::with_capacity(limit);
    while changes.len() < limit {
        let take_feed = match (feed.peek(), parcels.peek()) {
            (Some(f), Some(p)) => f.seq < p.sync_seq,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let change = if take_feed {
            feed.next().map(feed_change).transpose()?
        } else {
            parcels.next().map(parcel_change).transpose()?
        };
        changes.extend(change);
    }
    let has_more = feed.peek().is_some() || parcels.peek().is_some();
    Ok((changes, has_more))
}

fn seq(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn feed_change(row: FeedRow) -> Result<Change, ApiError> {
    let kind = RecordKind::parse(&row.kind)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("feed kind {:?}", row.kind)))?;
    let data = row
        .data
        .map(|d| serde_json::from_str::<Value>(&d))
        .transpose()
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Change {
        seq: seq(row.seq),
        kind,
        id: row.entity_id,
        op: if data.is_some() {
            ChangeOp::Put
        } else {
            ChangeOp::Remove
        },
        data,
    })
}

fn parcel_change(row: SyncParcelRow) -> Result<Change, ApiError> {
    let shape = geometry::from_wkb(&row.geometry).map_err(|e| ApiError::Internal(e.into()))?;
    let status = ParcelStatus::parse(&row.status)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("parcel status {:?}", row.status)))?;
    let data = ParcelData {
        id: row.id.clone(),
        campaign_id: row.campaign_id,
        patch_code: row.patch_code,
        village_code: row.village_code,
        source_list: row.source_list,
        land_class: row.land_class,
        problem_type: row.problem_type,
        declared_area_mu: row.declared_area_mu,
        measured_area_mu: round2(square_metres_to_mu(row.measured_area_m2)),
        deadline: row.deadline,
        status,
        post_decision_activity: row.post_decision_activity,
        geometry: geometry::to_geojson(&shape),
    };
    Ok(Change {
        seq: seq(row.sync_seq),
        kind: RecordKind::Parcel,
        id: row.id,
        op: ChangeOp::Put,
        data: Some(serde_json::to_value(data).map_err(|e| ApiError::Internal(e.into()))?),
    })
}
