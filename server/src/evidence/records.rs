//! The `field_records` table: visits, photos, submissions and withdrawals, as their authors
//! pushed them. Rows are never deleted; a withdrawal marks its target, and a submission's
//! status follows its reviews.

use chrono::Utc;
use diesel::prelude::*;
use serde_json::Value;
use tianzhang_sync::messages::FieldRecord;
use tianzhang_sync::records::SubmissionStatus;

use crate::blobs::repo as blobs_repo;
use crate::changes::{self, ChangeSequence, FeedWrite};
use crate::db::DbConn;
use crate::db::schema::{field_records, photo_checks, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = field_records)]
pub struct FieldRecordRow {
    pub id: String,
    pub kind: String,
    pub parcel_id: String,
    pub author_id: String,
    pub mutation_id: String,
    pub record: String,
    pub withdrawn: bool,
    pub status: Option<String>,
    pub manifest_hash: Option<String>,
    /// A decided submission's review.
    pub decision_id: Option<String>,
    /// A submission written without seeing the current submission or its latest decision.
    pub stale_base: bool,
    /// A photo's file.
    pub sha256: Option<String>,
}

impl FieldRecordRow {
    pub fn submission_status(&self) -> Option<SubmissionStatus> {
        self.status.as_deref().and_then(SubmissionStatus::parse)
    }
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<FieldRecordRow>> {
    field_records::table
        .find(id)
        .select(FieldRecordRow::as_select())
        .get_result(conn)
        .optional()
}

/// The records with these ids, in no particular order.
pub fn find_many(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<FieldRecordRow>> {
    field_records::table
        .filter(field_records::id.eq_any(ids))
        .select(FieldRecordRow::as_select())
        .load(conn)
}

/// The parcel's submissions that still stand: waiting for review or decided, not superseded
/// or withdrawn. Each of them keeps the evidence it names from being withdrawn.
pub fn standing_submissions(
    conn: &mut DbConn,
    parcel_id: &str,
) -> QueryResult<Vec<FieldRecordRow>> {
    field_records::table
        .filter(field_records::parcel_id.eq(parcel_id))
        .filter(field_records::kind.eq("submission"))
        .filter(field_records::status.ne_all(["superseded", "withdrawn"]))
        .select(FieldRecordRow::as_select())
        .load(conn)
}

/// The photos whose file has this hash, on any parcel.
pub fn photos_with_file(conn: &mut DbConn, sha256: &str) -> QueryResult<Vec<FieldRecordRow>> {
    field_records::table
        .filter(field_records::sha256.eq(sha256))
        .filter(field_records::kind.eq("photo"))
        .select(FieldRecordRow::as_select())
        .load(conn)
}

/// The parcel's current submission: the one neither superseded nor withdrawn. The apply rules
/// keep at most one.
pub fn current_submission(
    conn: &mut DbConn,
    parcel_id: &str,
) -> QueryResult<Option<FieldRecordRow>> {
    field_records::table
        .filter(field_records::parcel_id.eq(parcel_id))
        .filter(field_records::kind.eq("submission"))
        .filter(field_records::status.ne_all(["superseded", "withdrawn"]))
        .select(FieldRecordRow::as_select())
        .get_result(conn)
        .optional()
}

/// A new photo record waits for the checks a reviewer sees; the photos feature works them out
/// in the background.
pub fn queue_photo_checks(conn: &mut DbConn, photo_id: &str) -> QueryResult<()> {
    diesel::insert_into(photo_checks::table)
        .values((
            photo_checks::photo_id.eq(photo_id),
            photo_checks::state.eq("pending"),
            photo_checks::version.eq(1_i64),
            photo_checks::file_checked.eq(false),
            photo_checks::queued_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
        .map(drop)
}

pub fn insert(conn: &mut DbConn, row: &FieldRecordRow) -> QueryResult<()> {
    diesel::insert_into(field_records::table)
        .values((
            field_records::id.eq(&row.id),
            field_records::kind.eq(&row.kind),
            field_records::parcel_id.eq(&row.parcel_id),
            field_records::author_id.eq(&row.author_id),
            field_records::mutation_id.eq(&row.mutation_id),
            field_records::record.eq(&row.record),
            field_records::withdrawn.eq(row.withdrawn),
            field_records::status.eq(&row.status),
            field_records::manifest_hash.eq(&row.manifest_hash),
            field_records::decision_id.eq(&row.decision_id),
            field_records::stale_base.eq(row.stale_base),
            field_records::sha256.eq(&row.sha256),
            field_records::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_status(conn: &mut DbConn, id: &str, status: SubmissionStatus) -> QueryResult<()> {
    diesel::update(field_records::table.find(id))
        .set(field_records::status.eq(status.as_str()))
        .execute(conn)?;
    Ok(())
}

/// Records a reviewer's decision on a submission.
pub fn record_decision(
    conn: &mut DbConn,
    id: &str,
    status: SubmissionStatus,
    review_id: &str,
) -> QueryResult<()> {
    diesel::update(field_records::table.find(id))
        .set((
            field_records::status.eq(status.as_str()),
            field_records::decision_id.eq(review_id),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn mark_withdrawn(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::update(field_records::table.find(id))
        .set(field_records::withdrawn.eq(true))
        .execute(conn)?;
    Ok(())
}

/// Puts a new record in the change feed at its parcel's region.
pub fn publish_new(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    row: &FieldRecordRow,
    region_path: &str,
    author: &str,
) -> QueryResult<i64> {
    let data = feed_data(conn, row, author.to_owned())?;
    let number = sequence.take();
    changes::insert(conn, number, feed_row(row, region_path, &data))?;
    Ok(number)
}

/// Puts a record's changed state (a status, a withdrawal, its file's arrival) in the feed.
pub fn publish(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    row: &FieldRecordRow,
    region_path: &str,
) -> QueryResult<i64> {
    let author = users::table
        .find(&row.author_id)
        .select(users::username)
        .get_result(conn)?;
    let data = feed_data(conn, row, author)?;
    let number = sequence.take();
    changes::write(conn, number, feed_row(row, region_path, &data))?;
    Ok(number)
}

fn feed_row<'a>(row: &'a FieldRecordRow, region_path: &'a str, data: &'a str) -> FeedWrite<'a> {
    FeedWrite {
        kind: &row.kind,
        entity_id: &row.id,
        region_path,
        parcel_id: Some(&row.parcel_id),
        data: Some(data),
    }
}

/// The record as devices pull it.
fn feed_data(conn: &mut DbConn, row: &FieldRecordRow, author: String) -> QueryResult<String> {
    let file_received = match &row.sha256 {
        Some(hash) => Some(!blobs_repo::stored(conn, std::slice::from_ref(hash))?.is_empty()),
        None => None,
    };
    let record: Value = serde_json::from_str(&row.record)
        .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
    let data = FieldRecord {
        record,
        author,
        mutation_id: row
            .mutation_id
            .parse()
            .map_err(|e: uuid::Error| diesel::result::Error::DeserializationError(e.into()))?,
        withdrawn: row.withdrawn,
        status: row.submission_status(),
        manifest_hash: row.manifest_hash.clone(),
        stale_base: (row.kind == "submission").then_some(row.stale_base),
        file_received,
    };
    serde_json::to_string(&data).map_err(|e| diesel::result::Error::SerializationError(e.into()))
}
