//! Records and their photos' files never drift apart: a photo record says whether the server
//! holds its file, and a submission waits (`awaiting_photos`, visibly) until the file of every
//! photo it names is stored and verified. When a file arrives, the records that wait for it
//! move on.

use tianzhang_sync::merge::ManifestPhoto;
use tianzhang_sync::records::{Submission, SubmissionStatus};

use super::records::{self, FieldRecordRow};
use crate::blobs::repo as blobs_repo;
use crate::changes::ChangeSequence;
use crate::db::DbConn;
use crate::parcels::repo as parcels_repo;

/// A new submission enters review only if the server holds all its photos' files.
pub fn submission_status(
    conn: &mut DbConn,
    photos: &[ManifestPhoto],
) -> diesel::QueryResult<SubmissionStatus> {
    let hashes: Vec<&str> = photos.iter().map(|p| p.sha256.as_str()).collect();
    let stored = blobs_repo::stored(conn, &hashes)?;
    Ok(if hashes.iter().all(|h| stored.contains(*h)) {
        SubmissionStatus::ReadyForReview
    } else {
        SubmissionStatus::AwaitingPhotos
    })
}

/// A file was stored (inside the transaction that stores it): the photos that name it say so,
/// and the submissions on their parcels that now have every file enter review.
pub fn file_stored(conn: &mut DbConn, sha256: &str) -> diesel::QueryResult<()> {
    let mut sequence = ChangeSequence::lock(conn)?;
    file_arrived(conn, &mut sequence, sha256)?;
    sequence.finish(conn)
}

fn file_arrived(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    sha256: &str,
) -> diesel::QueryResult<()> {
    let photos = records::photos_with_file(conn, sha256)?;
    let mut parcels: Vec<&str> = photos.iter().map(|p| p.parcel_id.as_str()).collect();
    parcels.sort_unstable();
    parcels.dedup();
    for parcel_id in parcels {
        let Some(place) = parcels_repo::place(conn, parcel_id)? else {
            continue;
        };
        for photo in photos.iter().filter(|p| p.parcel_id == parcel_id) {
            records::publish(conn, sequence, photo, &place.region_path)?;
        }
        if let Some(waiting) = records::current_submission(conn, parcel_id)?
            .filter(|s| s.submission_status() == Some(SubmissionStatus::AwaitingPhotos))
            && has_every_file(conn, &waiting)?
        {
            records::set_status(conn, &waiting.id, SubmissionStatus::ReadyForReview)?;
            let ready = FieldRecordRow {
                status: Some(SubmissionStatus::ReadyForReview.as_str().to_owned()),
                ..waiting
            };
            records::publish(conn, sequence, &ready, &place.region_path)?;
        }
    }
    Ok(())
}

fn has_every_file(conn: &mut DbConn, submission: &FieldRecordRow) -> diesel::QueryResult<bool> {
    let record: Submission = serde_json::from_str(&submission.record)
        .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
    let ids: Vec<String> = record.photo_ids.iter().map(ToString::to_string).collect();
    let hashes: Vec<String> = records::find_many(conn, &ids)?
        .into_iter()
        .filter_map(|photo| photo.sha256)
        .collect();
    let stored = blobs_repo::stored(conn, &hashes)?;
    Ok(hashes.len() == ids.len() && hashes.iter().all(|h| stored.contains(h)))
}
