//! The `photo_files` and `photo_checks` tables: the background work queue and its results.
//!
//! A row is `pending` until an instance claims it: a claim sets `claimed_until` (a lease) with
//! a compare-and-set update, so two instances never work on the same row at once, and work
//! whose instance died is taken again once its lease runs out.

use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{campaigns, field_records, mutations, parcels, photo_checks, photo_files};

/// How long a claim holds before another instance may take the work.
const LEASE_SECS: i64 = 120;
/// After this many claims that did not finish, a file is given up as `failed`.
pub const MAX_ATTEMPTS: i64 = 5;

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn lease_end(now: NaiveDateTime) -> NaiveDateTime {
    now + TimeDelta::seconds(LEASE_SECS)
}

/// A newly stored file waits for its analysis (inside the transaction that stores it).
pub fn queue_file(conn: &mut DbConn, sha256: &str) -> QueryResult<()> {
    let row = (
        photo_files::sha256.eq(sha256),
        photo_files::state.eq("pending"),
        photo_files::attempts.eq(0_i64),
        photo_files::queued_at.eq(now()),
    );
    match conn {
        DbConn::Sqlite(c) => diesel::insert_or_ignore_into(photo_files::table)
            .values(row)
            .execute(c),
        DbConn::Postgres(c) => diesel::insert_into(photo_files::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c),
    }
    .map(drop)
}

/// Claims up to `limit` pending files; returns their hashes and attempt numbers.
pub fn claim_files(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<(String, i64)>> {
    let now = now();
    let candidates: Vec<(String, i64)> = photo_files::table
        .filter(photo_files::state.eq("pending"))
        .filter(
            photo_files::claimed_until
                .is_null()
                .or(photo_files::claimed_until.lt(now)),
        )
        .order(photo_files::queued_at)
        .select((photo_files::sha256, photo_files::attempts))
        .limit(limit)
        .load(conn)?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for (sha256, attempts) in candidates {
        let taken = diesel::update(
            photo_files::table
                .filter(photo_files::sha256.eq(&sha256))
                .filter(photo_files::attempts.eq(attempts)),
        )
        .set((
            photo_files::claimed_until.eq(lease_end(now)),
            photo_files::attempts.eq(attempts + 1),
        ))
        .execute(conn)?;
        if taken == 1 {
            claimed.push((sha256, attempts + 1));
        }
    }
    Ok(claimed)
}

/// What the analysis of a file found.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = photo_files, treat_none_as_null = true)]
pub struct FileAnalysis {
    pub state: String,
    pub claimed_until: Option<NaiveDateTime>,
    pub exif: Option<String>,
    pub exif_error: Option<String>,
    pub perceptual_hash: Option<i64>,
    pub thumbnail_width: Option<i64>,
    pub thumbnail_height: Option<i64>,
    pub preview_width: Option<i64>,
    pub preview_height: Option<i64>,
    pub error: Option<String>,
    pub analysed_at: Option<NaiveDateTime>,
}

/// Stores a file's analysis, and queues the checks of every photo record of the file again:
/// they can now look at what the file says.
pub fn finish_file(conn: &mut DbConn, sha256: &str, analysis: &FileAnalysis) -> QueryResult<()> {
    diesel::update(photo_files::table.find(sha256))
        .set(analysis)
        .execute(conn)?;
    let photos: Vec<String> = field_records::table
        .filter(field_records::sha256.eq(sha256))
        .filter(field_records::kind.eq("photo"))
        .select(field_records::id)
        .load(conn)?;
    requeue_checks(conn, &photos)
}

/// A file's row, as the checks and the API read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = photo_files)]
pub struct FileRow {
    pub sha256: String,
    pub state: String,
    pub exif: Option<String>,
    pub exif_error: Option<String>,
    pub perceptual_hash: Option<i64>,
    pub thumbnail_width: Option<i64>,
    pub thumbnail_height: Option<i64>,
    pub preview_width: Option<i64>,
    pub preview_height: Option<i64>,
    pub error: Option<String>,
}

pub fn find_file(conn: &mut DbConn, sha256: &str) -> QueryResult<Option<FileRow>> {
    photo_files::table
        .find(sha256)
        .select(FileRow::as_select())
        .get_result(conn)
        .optional()
}

/// The rows of these files.
pub fn find_files(conn: &mut DbConn, hashes: &[String]) -> QueryResult<Vec<FileRow>> {
    photo_files::table
        .filter(photo_files::sha256.eq_any(hashes))
        .select(FileRow::as_select())
        .load(conn)
}

/// Every analysed file's perceptual hash (for the near-duplicate scan).
pub fn perceptual_hashes(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    photo_files::table
        .filter(photo_files::perceptual_hash.is_not_null())
        .select((
            photo_files::sha256,
            photo_files::perceptual_hash.assume_not_null(),
        ))
        .load(conn)
}

/// Marks these photos' checks pending again, with a new version.
pub fn requeue_checks(conn: &mut DbConn, photo_ids: &[String]) -> QueryResult<()> {
    if photo_ids.is_empty() {
        return Ok(());
    }
    diesel::update(photo_checks::table.filter(photo_checks::photo_id.eq_any(photo_ids)))
        .set((
            photo_checks::state.eq("pending"),
            photo_checks::version.eq(photo_checks::version + 1_i64),
            photo_checks::claimed_until.eq(None::<NaiveDateTime>),
            photo_checks::queued_at.eq(now()),
        ))
        .execute(conn)
        .map(drop)
}

/// A photo's checks claimed for computing.
#[derive(Debug, Clone)]
pub struct ClaimedCheck {
    pub photo_id: String,
    pub version: i64,
    /// Never computed before: its neighbours in the device's timeline are checked again.
    pub first_time: bool,
    /// Its last report had looked at the file already.
    pub file_checked_before: bool,
}

/// Claims up to `limit` pending checks.
pub fn claim_checks(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<ClaimedCheck>> {
    let now = now();
    let candidates: Vec<(String, i64, Option<NaiveDateTime>, bool)> = photo_checks::table
        .filter(photo_checks::state.eq("pending"))
        .filter(
            photo_checks::claimed_until
                .is_null()
                .or(photo_checks::claimed_until.lt(now)),
        )
        .order(photo_checks::queued_at)
        .select((
            photo_checks::photo_id,
            photo_checks::version,
            photo_checks::checked_at,
            photo_checks::file_checked,
        ))
        .limit(limit)
        .load(conn)?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for (photo_id, version, checked_at, file_checked_before) in candidates {
        let taken = diesel::update(
            photo_checks::table
                .filter(photo_checks::photo_id.eq(&photo_id))
                .filter(photo_checks::version.eq(version))
                .filter(
                    photo_checks::claimed_until
                        .is_null()
                        .or(photo_checks::claimed_until.lt(now)),
                ),
        )
        .set(photo_checks::claimed_until.eq(lease_end(now)))
        .execute(conn)?;
        if taken == 1 {
            claimed.push(ClaimedCheck {
                photo_id,
                version,
                first_time: checked_at.is_none(),
                file_checked_before,
            });
        }
    }
    Ok(claimed)
}

/// Everything about a photo record the checks start from.
#[derive(Debug, Clone, Queryable)]
pub struct PhotoContext {
    pub record: String,
    pub parcel_id: String,
    pub sha256: Option<String>,
    pub received_at: NaiveDateTime,
    pub device_id: String,
    /// The campaign's phases (JSON), which give its window.
    pub campaign_phases: String,
    pub campaign_created_at: NaiveDateTime,
}

pub fn photo_context(conn: &mut DbConn, photo_id: &str) -> QueryResult<Option<PhotoContext>> {
    field_records::table
        .inner_join(mutations::table.on(mutations::id.eq(field_records::mutation_id)))
        .inner_join(parcels::table.on(parcels::id.eq(field_records::parcel_id)))
        .inner_join(campaigns::table.on(campaigns::id.eq(parcels::campaign_id)))
        .filter(field_records::id.eq(photo_id))
        .select((
            field_records::record,
            field_records::parcel_id,
            field_records::sha256,
            field_records::created_at,
            mutations::device_id,
            campaigns::phases,
            campaigns::created_at,
        ))
        .get_result(conn)
        .optional()
}

/// A photo record of some file, with its parcel's campaign.
#[derive(Debug, Clone, Queryable)]
pub struct PhotoOfFile {
    pub photo_id: String,
    pub parcel_id: String,
    pub sha256: Option<String>,
    pub campaign_id: String,
    pub campaign_created_at: NaiveDateTime,
}

/// The photo records of these files, on any parcel.
pub fn photos_of_files(conn: &mut DbConn, hashes: &[String]) -> QueryResult<Vec<PhotoOfFile>> {
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    field_records::table
        .inner_join(parcels::table.on(parcels::id.eq(field_records::parcel_id)))
        .inner_join(campaigns::table.on(campaigns::id.eq(parcels::campaign_id)))
        .filter(field_records::kind.eq("photo"))
        .filter(field_records::sha256.eq_any(hashes))
        .select((
            field_records::id,
            field_records::parcel_id,
            field_records::sha256,
            campaigns::id,
            campaigns::created_at,
        ))
        .order(field_records::id)
        .load(conn)
}

/// Another checked photo of the same device, where and when it was taken.
#[derive(Debug, Clone, Queryable)]
pub struct TimelinePhoto {
    pub photo_id: String,
    pub taken_at: NaiveDateTime,
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: Option<f64>,
}

/// The device's checked photos just before and just after `taken_at` (other than this one).
pub fn timeline_neighbours(
    conn: &mut DbConn,
    device_id: &str,
    taken_at: NaiveDateTime,
    photo_id: &str,
) -> QueryResult<Vec<TimelinePhoto>> {
    let positioned = photo_checks::table
        .filter(photo_checks::device_id.eq(device_id))
        .filter(photo_checks::photo_id.ne(photo_id))
        .filter(photo_checks::lon.is_not_null())
        .filter(photo_checks::lat.is_not_null())
        .select((
            photo_checks::photo_id,
            photo_checks::taken_at.assume_not_null(),
            photo_checks::lon.assume_not_null(),
            photo_checks::lat.assume_not_null(),
            photo_checks::accuracy_m,
        ));
    let before: Option<TimelinePhoto> = positioned
        .filter(photo_checks::taken_at.le(taken_at))
        .order((photo_checks::taken_at.desc(), photo_checks::photo_id.desc()))
        .first(conn)
        .optional()?;
    let after: Option<TimelinePhoto> = positioned
        .filter(photo_checks::taken_at.gt(taken_at))
        .order((photo_checks::taken_at, photo_checks::photo_id))
        .first(conn)
        .optional()?;
    Ok(before.into_iter().chain(after).collect())
}

/// What a computation of a photo's checks stores.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = photo_checks, treat_none_as_null = true)]
pub struct CheckResult {
    pub device_id: Option<String>,
    pub taken_at: Option<NaiveDateTime>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub report: Option<String>,
    pub file_checked: bool,
    pub checked_at: Option<NaiveDateTime>,
}

/// Stores a computed result. It is `done` unless its inputs changed meanwhile (a newer
/// version), in which case it stays pending and is computed again.
pub fn finish_check(
    conn: &mut DbConn,
    claimed: &ClaimedCheck,
    result: &CheckResult,
) -> QueryResult<()> {
    diesel::update(photo_checks::table.find(&claimed.photo_id))
        .set(result)
        .execute(conn)?;
    diesel::update(
        photo_checks::table
            .filter(photo_checks::photo_id.eq(&claimed.photo_id))
            .filter(photo_checks::version.eq(claimed.version)),
    )
    .set((
        photo_checks::state.eq("done"),
        photo_checks::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// A photo's checks as stored, for the API.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = photo_checks)]
pub struct CheckRow {
    pub photo_id: String,
    pub state: String,
    pub report: Option<String>,
    pub checked_at: Option<NaiveDateTime>,
}

pub fn find_checks(conn: &mut DbConn, photo_ids: &[String]) -> QueryResult<Vec<CheckRow>> {
    photo_checks::table
        .filter(photo_checks::photo_id.eq_any(photo_ids))
        .select(CheckRow::as_select())
        .load(conn)
}
