//! The life of an upload: a chunk received and stored as a part, the parts assembled, hashed
//! and checked on the last byte, the file stored once; termination, expiry and the sweep.

use actix_web::web;
use chrono::{NaiveDateTime, TimeDelta, Utc};
use futures_util::StreamExt;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::digest::Sha256Ref;
use super::error::UploadError;
use super::jpeg::{self, Checked, Dimensions, JpegError, JpegWalker};
use super::repo::{self, BlobRow, PartRow, UploadRow};
use super::store::BlobStore;
use super::tus::ChunkChecksum;
use crate::auth::Caller;
use crate::state::AppState;

/// The media type of every file accepted so far (the only one the checks can verify).
const JPEG: &str = "image/jpeg";
/// Expired uploads removed per sweep.
const SWEEP_BATCH: i64 = 100;
/// The longest pause between two sweeps of one instance.
const MAX_SWEEP_INTERVAL_SECS: u64 = 300;
/// Chunks that start within this many bytes of the file's start are checked against its
/// headers as they arrive (the frame header of a photo comes well before), so that a bomb is
/// refused at its first chunks; the rest of the file is checked on completion.
const EARLY_CHECK_BYTES: u64 = 256 * 1024;

/// Where an upload stands after a request.
#[derive(Debug, Clone, Copy)]
pub(super) struct Progress {
    pub offset: u64,
    pub expires_at: NaiveDateTime,
}

/// What came with a chunk besides its bytes.
pub(super) struct Chunk {
    pub checksum: Option<ChunkChecksum>,
    pub content_length: Option<u64>,
}

/// When an upload touched now expires.
pub(super) fn expires_from(state: &AppState, now: NaiveDateTime) -> NaiveDateTime {
    let secs = i64::try_from(state.config.uploads.expiry_secs).unwrap_or(i64::MAX);
    TimeDelta::try_seconds(secs)
        .and_then(|ttl| now.checked_add_signed(ttl))
        .unwrap_or(NaiveDateTime::MAX)
}

/// The caller's own upload; another user's is not found, an expired one is removed (`410`).
pub(super) async fn load_own(
    state: &AppState,
    caller: &Caller,
    id: String,
) -> Result<UploadRow, UploadError> {
    let row = state
        .db
        .read(move |conn| repo::find_upload(conn, &id).map_err(UploadError::from))
        .await?
        .filter(|row| row.user_id == caller.user_id)
        .ok_or(UploadError::NotFound)?;
    if row.expires_at <= Utc::now().naive_utc() {
        if let Err(error) = discard(state, &row.id).await {
            tracing::warn!(upload = %row.id, %error, "cannot remove an expired upload");
        }
        return Err(UploadError::Expired);
    }
    Ok(row)
}

/// Forgets an upload and deletes its parts (never a stored file).
pub(super) async fn discard(state: &AppState, id: &str) -> Result<(), UploadError> {
    let owned = id.to_owned();
    state
        .db
        .write(move |conn| repo::delete_upload(conn, &owned).map_err(UploadError::from))
        .await?;
    state
        .blobs
        .delete_prefix(&BlobStore::upload_prefix(id))
        .await?;
    Ok(())
}

/// Receives the chunk in `payload` at the upload's offset: stores it as a part and moves the
/// offset past it; on the last byte, completes the upload. A refusal after which the upload
/// can never complete (not a JPEG, a bomb, a broken file, the wrong hash) discards it whole.
pub(super) async fn receive(
    state: &AppState,
    upload: &UploadRow,
    payload: web::Payload,
    chunk: Chunk,
) -> Result<Progress, UploadError> {
    let result = receive_chunk(state, upload, payload, chunk).await;
    if let Err(error) = &result
        && error.is_final()
    {
        tracing::info!(upload = %upload.id, %error, "upload refused and discarded");
        if let Err(cleanup) = discard(state, &upload.id).await {
            tracing::warn!(upload = %upload.id, error = %cleanup, "cannot discard a refused upload");
        }
    }
    result
}

async fn receive_chunk(
    state: &AppState,
    upload: &UploadRow,
    payload: web::Payload,
    chunk: Chunk,
) -> Result<Progress, UploadError> {
    let offset = upload.offset();
    let remaining = upload.length().saturating_sub(offset);
    if chunk.content_length.is_some_and(|n| n > remaining) {
        return Err(UploadError::ChunkTooLarge { remaining });
    }
    if remaining == 0 {
        return Ok(Progress {
            offset,
            expires_at: upload.expires_at,
        });
    }
    let walker = early_walker(state, upload).await?;
    let key = BlobStore::part_path(&upload.id, offset);
    let mut writer = state.blobs.writer(key.clone());
    let streamed = stream_chunk(
        state,
        offset,
        remaining,
        payload,
        &chunk,
        walker,
        &mut writer,
    )
    .await;
    let streamed = match streamed {
        Ok(streamed) => streamed,
        Err(error) => {
            abort(writer).await;
            return Err(error);
        }
    };
    let keep = streamed.received > 0 && !(streamed.interrupted && chunk.checksum.is_some());
    if !keep {
        abort(writer).await;
        return if streamed.interrupted {
            Err(UploadError::Interrupted)
        } else {
            Ok(Progress {
                offset,
                expires_at: upload.expires_at,
            })
        };
    }
    if let (Some(expected), Some(actual)) = (&chunk.checksum, streamed.checksum)
        && expected.digest != actual
    {
        abort(writer).await;
        return Err(UploadError::ChecksumMismatch);
    }
    if let Err(error) = writer.shutdown().await {
        forget_object(state, &key).await;
        return Err(UploadError::Storage(object_store::Error::Generic {
            store: "blobs",
            source: Box::new(error),
        }));
    }
    let part = PartRow {
        upload_id: upload.id.clone(),
        start_offset: upload.upload_offset,
        length: i64::try_from(streamed.received).unwrap_or(i64::MAX),
        object_key: key.to_string(),
    };
    let result = if offset + streamed.received < upload.length() {
        append(state, upload, part, streamed.dimensions).await
    } else {
        complete(state, upload, part).await
    };
    if result.is_err() {
        forget_object(state, &key).await;
    }
    result
}

struct Streamed {
    received: u64,
    interrupted: bool,
    checksum: Option<Vec<u8>>,
    /// The image's, if this chunk completed its frame header.
    dimensions: Option<Dimensions>,
}

/// A walker over the file's bytes so far, for a chunk that starts before the image's
/// dimensions are known and near enough to the start: earlier parts are read again (a few
/// kilobytes, usually) so that the walk goes on where they left it.
async fn early_walker(
    state: &AppState,
    upload: &UploadRow,
) -> Result<Option<JpegWalker>, UploadError> {
    if upload.width.is_some() || upload.offset() >= EARLY_CHECK_BYTES {
        return Ok(None);
    }
    let mut walker = JpegWalker::new();
    if upload.offset() > 0 {
        let id = upload.id.clone();
        let parts = state
            .db
            .read(move |conn| repo::parts(conn, &id).map_err(UploadError::from))
            .await?;
        for part in parts {
            let mut bytes = state
                .blobs
                .read(&Path::from(part.object_key.as_str()))
                .await?;
            while let Some(piece) = bytes.next().await {
                walker.feed(&piece?).map_err(jpeg_error)?;
            }
        }
    }
    Ok(Some(walker))
}

/// Streams a chunk's bytes into `writer`, checking them on the way: never past the upload's
/// length, the JPEG magic where the chunk overlaps it, and, with a walker (a chunk near the
/// start), the headers as far as they go: a bomb is refused here, before the rest of it is
/// sent.
async fn stream_chunk(
    state: &AppState,
    offset: u64,
    remaining: u64,
    mut payload: web::Payload,
    chunk: &Chunk,
    mut walker: Option<JpegWalker>,
    writer: &mut BufWriter,
) -> Result<Streamed, UploadError> {
    let max_pixels = state.config.uploads.max_pixels;
    let mut hasher = chunk.checksum.as_ref().map(|c| c.algorithm.hasher());
    let mut dimensions = None;
    let mut received: u64 = 0;
    let mut interrupted = false;
    while let Some(item) = payload.next().await {
        let bytes = match item {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::info!(%error, received, "the chunk ended early");
                interrupted = true;
                break;
            }
        };
        let len = bytes.len() as u64;
        if received + len > remaining {
            return Err(UploadError::ChunkTooLarge { remaining });
        }
        if !jpeg::agrees_with_magic(offset + received, &bytes) {
            return Err(jpeg_error(JpegError::NotJpeg));
        }
        if let Some(w) = walker.as_mut() {
            w.feed(&bytes).map_err(jpeg_error)?;
            if let Some(found) = w.dimensions() {
                check_pixels(found, max_pixels)?;
                dimensions = Some(found);
                walker = None;
            }
        }
        if let Some(h) = hasher.as_mut() {
            h.update(&bytes);
        }
        writer.put(bytes).await?;
        received += len;
    }
    Ok(Streamed {
        received,
        interrupted,
        checksum: hasher.map(|h| h.finish()),
        dimensions,
    })
}

/// Records a part that leaves the upload unfinished.
async fn append(
    state: &AppState,
    upload: &UploadRow,
    part: PartRow,
    dimensions: Option<Dimensions>,
) -> Result<Progress, UploadError> {
    let expires_at = expires_from(state, Utc::now().naive_utc());
    let offset = part.start_offset + part.length;
    let dimensions = dimensions.map(|d| (i64::from(d.width), i64::from(d.height)));
    let appended = state
        .db
        .write(move |conn| {
            repo::append_part(conn, &part, dimensions, expires_at).map_err(UploadError::from)
        })
        .await?;
    if !appended {
        return Err(moved_meanwhile(state, &upload.id).await);
    }
    Ok(Progress {
        offset: u64::try_from(offset).unwrap_or(0),
        expires_at,
    })
}

/// The refusal for a request that found its upload moved by another one: `409` with the
/// offset now, or `404` if it is gone.
async fn moved_meanwhile(state: &AppState, id: &str) -> UploadError {
    let id = id.to_owned();
    match state
        .db
        .read(move |conn| repo::find_upload(conn, &id).map_err(UploadError::from))
        .await
    {
        Ok(Some(row)) => UploadError::OffsetMismatch {
            offset: row.offset(),
        },
        Ok(None) => UploadError::NotFound,
        Err(error) => error,
    }
}

/// The last byte is in: streams the parts in order through SHA-256 and the JPEG checks into
/// one object, and stores it under its hash if everything holds.
async fn complete(
    state: &AppState,
    upload: &UploadRow,
    last: PartRow,
) -> Result<Progress, UploadError> {
    let declared = Sha256Ref::parse(&upload.declared_sha256).ok_or_else(|| {
        UploadError::InvalidMetadata("the upload's declared hash is not valid".to_owned())
    })?;
    let (id, hash) = (upload.id.clone(), declared.as_str().to_owned());
    let (mut parts, already_stored) = state
        .db
        .read(move |conn| {
            Ok::<_, UploadError>((repo::parts(conn, &id)?, repo::find_blob(conn, &hash)?))
        })
        .await?;
    parts.push(last);
    let covered = parts.iter().try_fold(0_i64, |end, part| {
        (part.start_offset == end).then_some(end + part.length)
    });
    if covered != Some(upload.upload_length) {
        // Another request changed the parts between this one's checks: let the client resync.
        return Err(moved_meanwhile(state, &upload.id).await);
    }

    // A file that arrived in one part (a phone's creation-with-upload) is checked where it
    // lies and then moved into place: no second copy is written.
    let single_part = match parts.as_slice() {
        [only] => Some(Path::from(only.object_key.as_str())),
        _ => None,
    };
    let assembled = BlobStore::assembly_path(&upload.id);
    let mut writer = (already_stored.is_none() && single_part.is_none())
        .then(|| state.blobs.writer(assembled.clone()));
    let (actual, jpeg) = match assemble(&state.blobs, &parts, writer.as_mut()).await {
        Ok(verdict) => verdict,
        Err(error) => {
            if let Some(writer) = writer {
                abort(writer).await;
            }
            return Err(error.into());
        }
    };
    let checked = verify(state, &declared, &actual, jpeg);
    let checked = match checked {
        Ok(checked) => checked,
        Err(error) => {
            if let Some(writer) = writer {
                abort(writer).await;
            }
            return Err(error);
        }
    };
    if let Some(mut writer) = writer {
        if let Err(error) = writer.shutdown().await {
            forget_object(state, &assembled).await;
            return Err(UploadError::Storage(object_store::Error::Generic {
                store: "blobs",
                source: Box::new(error),
            }));
        }
        state.blobs.store_blob(&assembled, &declared).await?;
    } else if let (None, Some(part)) = (&already_stored, &single_part) {
        state.blobs.store_blob(part, &declared).await?;
    }

    let now = Utc::now().naive_utc();
    let expires_at = expires_from(state, now);
    let blob = BlobRow {
        sha256: declared.as_str().to_owned(),
        size_bytes: upload.upload_length,
        media_type: JPEG.to_owned(),
        width: i64::from(checked.dimensions.width),
        height: i64::from(checked.dimensions.height),
        uploaded_by: upload.user_id.clone(),
        stored_at: now,
    };
    let row = upload.clone();
    let from = upload.upload_offset;
    // The one transaction in which a file becomes present: what waits for it moves on here.
    let on_file_stored = state.on_file_stored;
    let completed = state
        .db
        .write(move |conn| {
            let completed = repo::complete(conn, &row, from, &blob, expires_at)?;
            if completed == Some(true) {
                on_file_stored(conn, &blob.sha256)?;
            }
            Ok::<_, UploadError>(completed)
        })
        .await?;
    let Some(new) = completed else {
        return Err(moved_meanwhile(state, &upload.id).await);
    };
    // A new file waits for its analysis.
    state.photo_work.notify_one();
    if let Err(error) = state
        .blobs
        .delete_prefix(&BlobStore::upload_prefix(&upload.id))
        .await
    {
        tracing::warn!(upload = %upload.id, %error, "cannot delete the parts of a completed upload");
    }
    tracing::info!(upload = %upload.id, hash = %declared, bytes = upload.upload_length, new, "photo stored");
    Ok(Progress {
        offset: upload.length(),
        expires_at,
    })
}

/// The file's verdict: its hash, then its structure, its size in pixels and its headers.
fn verify(
    state: &AppState,
    declared: &Sha256Ref,
    actual: &Sha256Ref,
    jpeg: Result<Checked, JpegError>,
) -> Result<Checked, UploadError> {
    if actual != declared {
        return Err(UploadError::HashMismatch(format!(
            "the file's SHA-256 is {actual}, not the declared {declared}; the upload was discarded"
        )));
    }
    let checked = jpeg.map_err(jpeg_error)?;
    check_pixels(checked.dimensions, state.config.uploads.max_pixels)?;
    jpeg::decoder_reads_header(&checked).map_err(jpeg_error)?;
    Ok(checked)
}

/// Reads the parts in order, once: SHA-256, the JPEG walk, and a copy into `writer`.
async fn assemble(
    store: &BlobStore,
    parts: &[PartRow],
    mut writer: Option<&mut BufWriter>,
) -> object_store::Result<(Sha256Ref, Result<Checked, JpegError>)> {
    let mut sha = Sha256::new();
    let mut walker = JpegWalker::new();
    let mut walking = true;
    for part in parts {
        let mut bytes = store.read(&Path::from(part.object_key.as_str())).await?;
        while let Some(piece) = bytes.next().await {
            let piece = piece?;
            sha.update(&piece);
            if walking {
                walking = walker.feed(&piece).is_ok();
            }
            if let Some(writer) = writer.as_deref_mut() {
                writer.put(piece).await?;
            }
        }
    }
    Ok((Sha256Ref::from_digest(&sha.finalize()), walker.finish()))
}

fn check_pixels(dimensions: Dimensions, limit: u64) -> Result<(), UploadError> {
    if dimensions.pixels() > limit {
        Err(UploadError::ImageTooLarge {
            width: u64::from(dimensions.width),
            height: u64::from(dimensions.height),
            limit,
        })
    } else {
        Ok(())
    }
}

fn jpeg_error(error: JpegError) -> UploadError {
    match error {
        JpegError::NotJpeg => {
            UploadError::UnsupportedMediaType(format!("{error}; accepted: {JPEG}"))
        }
        other => UploadError::InvalidImage(other.to_string()),
    }
}

async fn abort(mut writer: BufWriter) {
    if let Err(error) = writer.abort().await {
        tracing::warn!(%error, "cannot abort a blob write");
    }
}

async fn forget_object(state: &AppState, path: &Path) {
    if let Err(error) = state.blobs.delete(path).await {
        tracing::warn!(%path, %error, "cannot delete an object");
    }
}

/// Starts a sweep of expired uploads in the background if this instance has not swept for a
/// while: called when uploads are created, so that a busy server sweeps and an idle one has
/// nothing to sweep.
pub(super) fn sweep_now_and_then(state: &web::Data<AppState>) {
    let interval = state
        .config
        .uploads
        .expiry_secs
        .min(MAX_SWEEP_INTERVAL_SECS);
    let now = Utc::now().timestamp();
    if state
        .blobs
        .claim_sweep(now, i64::try_from(interval).unwrap_or(i64::MAX))
    {
        let state = web::Data::clone(state);
        actix_web::rt::spawn(async move {
            match sweep_expired(&state).await {
                Ok(0) => {}
                Ok(swept) => tracing::info!(swept, "expired uploads removed"),
                Err(error) => tracing::warn!(%error, "sweeping expired uploads failed"),
            }
        });
    }
}

/// Removes up to a batch of expired uploads and their parts; returns how many.
pub async fn sweep_expired(state: &AppState) -> Result<usize, UploadError> {
    let now = Utc::now().naive_utc();
    let ids = state
        .db
        .read(move |conn| repo::expired(conn, now, SWEEP_BATCH).map_err(UploadError::from))
        .await?;
    for id in &ids {
        discard(state, id).await?;
    }
    Ok(ids.len())
}
