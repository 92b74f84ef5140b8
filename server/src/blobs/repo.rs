//! Blob and upload queries.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{blobs, upload_parts, uploads};

/// Hashes per `IN (...)` list, well under either backend's limit on bound parameters.
const HASHES_PER_QUERY: usize = 500;

/// A stored, verified file.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = blobs)]
pub struct BlobRow {
    /// `sha256:<hex>`.
    pub sha256: String,
    pub size_bytes: i64,
    pub media_type: String,
    pub width: i64,
    pub height: i64,
    /// The user whose upload stored it first.
    pub uploaded_by: String,
    pub stored_at: NaiveDateTime,
}

/// A tus upload.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = uploads)]
pub struct UploadRow {
    pub id: String,
    pub user_id: String,
    /// `sha256:<hex>`, as declared in `Upload-Metadata`.
    pub declared_sha256: String,
    pub upload_length: i64,
    pub upload_offset: i64,
    /// The `filetype` the client declared, if any.
    pub media_type: Option<String>,
    pub filename: Option<String>,
    /// `Upload-Metadata` as sent.
    pub metadata: Option<String>,
    /// The image's, once its frame header has arrived.
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
}

impl UploadRow {
    pub fn length(&self) -> u64 {
        u64::try_from(self.upload_length).unwrap_or(0)
    }

    pub fn offset(&self) -> u64 {
        u64::try_from(self.upload_offset).unwrap_or(0)
    }
}

/// The stored bytes of one accepted chunk.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = upload_parts)]
pub struct PartRow {
    pub upload_id: String,
    pub start_offset: i64,
    pub length: i64,
    pub object_key: String,
}

/// Which of `hashes` (`sha256:<hex>`) the server has stored and verified. For other features:
/// a photo counts as present when its hash is in this set.
pub fn stored<S: AsRef<str>>(conn: &mut DbConn, hashes: &[S]) -> QueryResult<HashSet<String>> {
    let mut found = HashSet::new();
    for batch in hashes.chunks(HASHES_PER_QUERY) {
        let batch: Vec<&str> = batch.iter().map(AsRef::as_ref).collect();
        let rows: Vec<String> = blobs::table
            .filter(blobs::sha256.eq_any(&batch))
            .select(blobs::sha256)
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

/// A stored file's record.
pub fn find_blob(conn: &mut DbConn, hash: &str) -> QueryResult<Option<BlobRow>> {
    blobs::table
        .find(hash)
        .select(BlobRow::as_select())
        .first(conn)
        .optional()
}

/// The records of these stored files (the ones the server holds).
pub fn find_blobs(conn: &mut DbConn, hashes: &[String]) -> QueryResult<Vec<BlobRow>> {
    blobs::table
        .filter(blobs::sha256.eq_any(hashes))
        .select(BlobRow::as_select())
        .load(conn)
}

pub fn insert_upload(conn: &mut DbConn, row: &UploadRow) -> QueryResult<()> {
    diesel::insert_into(uploads::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find_upload(conn: &mut DbConn, id: &str) -> QueryResult<Option<UploadRow>> {
    uploads::table
        .find(id)
        .select(UploadRow::as_select())
        .first(conn)
        .optional()
}

/// An upload's parts, in order.
pub fn parts(conn: &mut DbConn, upload_id: &str) -> QueryResult<Vec<PartRow>> {
    upload_parts::table
        .filter(upload_parts::upload_id.eq(upload_id))
        .order(upload_parts::start_offset.asc())
        .select(PartRow::as_select())
        .load(conn)
}

/// Records a part and moves its upload's offset past it (with the image's dimensions, if this
/// part completed its frame header), unless the upload is no longer at the part's start
/// (another request came first): then nothing changes and `false` says so.
pub fn append_part(
    conn: &mut DbConn,
    part: &PartRow,
    dimensions: Option<(i64, i64)>,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    let at_start = uploads::table
        .filter(uploads::id.eq(&part.upload_id))
        .filter(uploads::upload_offset.eq(part.start_offset));
    let offset = uploads::upload_offset.eq(part.start_offset + part.length);
    let expiry = uploads::expires_at.eq(expires_at);
    let moved = match dimensions {
        Some((width, height)) => diesel::update(at_start)
            .set((
                offset,
                expiry,
                uploads::width.eq(Some(width)),
                uploads::height.eq(Some(height)),
            ))
            .execute(conn)?,
        None => diesel::update(at_start)
            .set((offset, expiry))
            .execute(conn)?,
    };
    if moved == 0 {
        return Ok(false);
    }
    diesel::insert_into(upload_parts::table)
        .values(part)
        .execute(conn)?;
    Ok(true)
}

/// Marks an upload complete (its offset at its length) and records its file, unless the upload
/// moved from `from_offset` meanwhile (`None`). `Some(true)` when the file is new to the server,
/// `Some(false)` when another upload stored it first.
pub fn complete(
    conn: &mut DbConn,
    upload: &UploadRow,
    from_offset: i64,
    blob: &BlobRow,
    expires_at: NaiveDateTime,
) -> QueryResult<Option<bool>> {
    let moved = diesel::update(
        uploads::table
            .filter(uploads::id.eq(&upload.id))
            .filter(uploads::upload_offset.eq(from_offset)),
    )
    .set((
        uploads::upload_offset.eq(upload.upload_length),
        uploads::completed_at.eq(Some(blob.stored_at)),
        uploads::expires_at.eq(expires_at),
    ))
    .execute(conn)?;
    if moved == 0 {
        return Ok(None);
    }
    let inserted = insert_blob_if_absent(conn, blob)?;
    diesel::delete(upload_parts::table.filter(upload_parts::upload_id.eq(&upload.id)))
        .execute(conn)?;
    Ok(Some(inserted > 0))
}

/// Inserts a blob's record unless one exists (a concurrent upload of the same file).
fn insert_blob_if_absent(conn: &mut DbConn, blob: &BlobRow) -> QueryResult<usize> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_or_ignore_into(blobs::table)
            .values(blob)
            .execute(c),
        DbConn::Postgres(c) => diesel::insert_into(blobs::table)
            .values(blob)
            .on_conflict_do_nothing()
            .execute(c),
    }
}

/// Forgets an upload and its parts (the objects are the caller's to delete).
pub fn delete_upload(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::delete(upload_parts::table.filter(upload_parts::upload_id.eq(id))).execute(conn)?;
    let deleted = diesel::delete(uploads::table.find(id)).execute(conn)?;
    Ok(deleted > 0)
}

/// Up to `limit` uploads expired at `now`, oldest first.
pub fn expired(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    uploads::table
        .filter(uploads::expires_at.le(now))
        .order(uploads::expires_at.asc())
        .select(uploads::id)
        .limit(limit)
        .load(conn)
}
