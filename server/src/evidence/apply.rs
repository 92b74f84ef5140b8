//! The rules for each kind of mutation a device pushes. Each rule checks everything first and
//! writes only when the mutation is accepted, so a rejection leaves nothing behind.

use tianzhang_sync::merge::{self, ManifestPhoto};
use tianzhang_sync::messages::RejectReason;
use tianzhang_sync::mutation::MutationBody;
use tianzhang_sync::records::{
    AttributeEdit, Photo, Submission, SubmissionStatus, Visit, WithdrawableKind, Withdrawal,
};
use tianzhang_sync::validate::validate;
use uuid::Uuid;

use super::attributes::{self, Editor};
use super::files;
use super::records::{self, FieldRecordRow};
use crate::auth::Scope;
use crate::changes::ChangeSequence;
use crate::db::DbConn;
use crate::parcels::repo::{self as parcels_repo, ParcelPlace};

/// Who pushed a mutation, from which device, under which id.
pub struct Author<'a> {
    pub user_id: &'a str,
    pub username: &'a str,
    pub scope: &'a Scope,
    pub device_id: Uuid,
    pub mutation_id: Uuid,
}

/// An accepted mutation.
#[derive(Debug, Default)]
pub struct Applied {
    /// The attribute conflicts it opened.
    pub conflicts: Vec<Uuid>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{message}")]
    Rejected {
        reason: RejectReason,
        message: String,
    },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn reject(reason: RejectReason, message: impl Into<String>) -> ApplyError {
    ApplyError::Rejected {
        reason,
        message: message.into(),
    }
}

type ApplyResult<T> = Result<T, ApplyError>;

/// Applies one mutation inside the caller's transaction.
pub fn apply(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    author: &Author<'_>,
    body: &MutationBody,
) -> ApplyResult<Applied> {
    validate(body).map_err(|message| reject(RejectReason::InvalidRecord, message))?;
    match body {
        MutationBody::CreateVisit(visit) => {
            create_observation(conn, sequence, author, Observation::visit(visit)?)
        }
        MutationBody::CreatePhoto(photo) => {
            create_observation(conn, sequence, author, Observation::photo(photo)?)
        }
        MutationBody::CreateSubmission(submission) => {
            create_submission(conn, sequence, author, submission)
        }
        MutationBody::CreateWithdrawal(withdrawal) => {
            create_withdrawal(conn, sequence, author, withdrawal)
        }
        MutationBody::SetAttributes(edit) => set_attributes(conn, sequence, author, edit),
    }
}

/// The parcel, if it exists inside the author's scope. Outside the scope it does not exist for
/// them, as on every other endpoint.
fn parcel(conn: &mut DbConn, author: &Author<'_>, id: &str) -> ApplyResult<ParcelPlace> {
    parcels_repo::place(conn, id)?
        .filter(|p| author.scope.contains_path(&p.region_path))
        .ok_or_else(|| reject(RejectReason::ParcelNotFound, format!("no parcel {id:?}")))
}

/// A new field record, unless its id is taken. The same record pushed again under another
/// mutation (a client that lost track of what it sent) is accepted as a no-op; a different
/// record under a used id is refused.
fn is_new(conn: &mut DbConn, id: Uuid, kind: &str, record: &str) -> ApplyResult<bool> {
    match records::find(conn, &id.to_string())? {
        None => Ok(true),
        Some(stored) if stored.kind == kind && stored.record == record => Ok(false),
        Some(_) => Err(reject(
            RejectReason::IdReused,
            format!("the id {id} belongs to another record"),
        )),
    }
}

/// A referenced field record of the given kind on the given parcel.
fn referenced(
    conn: &mut DbConn,
    id: Uuid,
    kind: &str,
    parcel_id: &str,
) -> ApplyResult<FieldRecordRow> {
    records::find(conn, &id.to_string())?
        .filter(|r| r.kind == kind && r.parcel_id == parcel_id)
        .ok_or_else(|| {
            reject(
                RejectReason::ReferenceNotFound,
                format!("no {kind} {id} on parcel {parcel_id:?}"),
            )
        })
}

/// An earlier record of the same author that a correction supersedes.
fn check_supersedes(
    conn: &mut DbConn,
    author: &Author<'_>,
    supersedes: Option<Uuid>,
    kind: &str,
    parcel_id: &str,
) -> ApplyResult<()> {
    if let Some(id) = supersedes {
        let earlier = referenced(conn, id, kind, parcel_id)?;
        if earlier.author_id != author.user_id {
            return Err(reject(
                RejectReason::NotAllowed,
                format!("{kind} {id} is another author's"),
            ));
        }
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(value: &T) -> ApplyResult<String> {
    serde_json::to_string(value)
        .map_err(|e| ApplyError::Database(diesel::result::Error::SerializationError(e.into())))
}

fn new_row(
    author: &Author<'_>,
    id: Uuid,
    kind: &str,
    parcel_id: &str,
    record: String,
) -> FieldRecordRow {
    FieldRecordRow {
        id: id.to_string(),
        kind: kind.to_owned(),
        parcel_id: parcel_id.to_owned(),
        author_id: author.user_id.to_owned(),
        mutation_id: author.mutation_id.to_string(),
        record,
        withdrawn: false,
        status: None,
        manifest_hash: None,
        decision_id: None,
        stale_base: false,
        sha256: None,
    }
}

/// Stores and publishes a new record, and flags field activity that comes after a decision.
fn store(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    author: &Author<'_>,
    row: &FieldRecordRow,
    parcel: &ParcelPlace,
) -> ApplyResult<()> {
    records::insert(conn, row)?;
    records::publish_new(conn, sequence, row, &parcel.region_path, author.username)?;
    flag_post_decision_activity(conn, sequence, parcel)?;
    Ok(())
}

/// Field activity on a parcel whose current submission is decided never changes the decision;
/// it raises a flag for the reviewer. Only a new submission reopens review.
fn flag_post_decision_activity(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    parcel: &ParcelPlace,
) -> ApplyResult<()> {
    let decided = ["approved", "rejected", "returned"].contains(&parcel.status.as_str());
    if decided && !parcel.post_decision_activity {
        parcels_repo::set_status(conn, sequence, &parcel.id, &parcel.status, true)?;
    }
    Ok(())
}

/// A visit or a photo: what someone saw at a parcel, possibly correcting an earlier
/// observation of their own.
struct Observation<'a> {
    kind: &'static str,
    id: Uuid,
    parcel_id: &'a str,
    supersedes: Option<Uuid>,
    /// A photo's visit, which must be on the same parcel.
    visit_id: Option<Uuid>,
    /// A photo's file.
    sha256: Option<&'a str>,
    record: String,
}

impl<'a> Observation<'a> {
    fn visit(visit: &'a Visit) -> ApplyResult<Self> {
        Ok(Observation {
            kind: "visit",
            id: visit.id,
            parcel_id: &visit.parcel_id,
            supersedes: visit.supersedes,
            visit_id: None,
            sha256: None,
            record: to_json(visit)?,
        })
    }

    fn photo(photo: &'a Photo) -> ApplyResult<Self> {
        Ok(Observation {
            kind: "photo",
            id: photo.id,
            parcel_id: &photo.parcel_id,
            supersedes: photo.supersedes,
            visit_id: photo.visit_id,
            sha256: Some(&photo.sha256),
            record: to_json(photo)?,
        })
    }
}

fn create_observation(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    author: &Author<'_>,
    observation: Observation<'_>,
) -> ApplyResult<Applied> {
    let parcel = parcel(conn, author, observation.parcel_id)?;
    if !is_new(conn, observation.id, observation.kind, &observation.record)? {
        return Ok(Applied::default());
    }
    if let Some(visit) = observation.visit_id {
        referenced(conn, visit, "visit", &parcel.id)?;
    }
    check_supersedes(
        conn,
        author,
        observation.supersedes,
        observation.kind,
        &parcel.id,
    )?;
    let mut row = new_row(
        author,
        observation.id,
        observation.kind,
        &parcel.id,
        observation.record,
    );
    row.sha256 = observation.sha256.map(str::to_owned);
    store(conn, sequence, author, &row, &parcel)?;
    if row.kind == "photo" {
        records::queue_photo_checks(conn, &row.id)?;
    }
    Ok(Applied::default())
}

/// A submission is a snapshot of a claim and the evidence it names, bound by its manifest
/// hash. It replaces the parcel's current submission, decided or not, and puts the parcel
/// (back) into review.
fn create_submission(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    author: &Author<'_>,
    submission: &Submission,
) -> ApplyResult<Applied> {
    let parcel = parcel(conn, author, &submission.parcel_id)?;
    let record = to_json(submission)?;
    if !is_new(conn, submission.id, "submission", &record)? {
        return Ok(Applied::default());
    }
    for visit in &submission.visit_ids {
        live(referenced(conn, *visit, "visit", &parcel.id)?)?;
    }
    let mut photos = Vec::with_capacity(submission.photo_ids.len());
    for photo in &submission.photo_ids {
        let row = live(referenced(conn, *photo, "photo", &parcel.id)?)?;
        let stored: Photo = serde_json::from_str(&row.record)
            .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
        photos.push(ManifestPhoto {
            id: stored.id,
            sha256: stored.sha256,
        });
    }
    if let Some(earlier) = submission.supersedes {
        referenced(conn, earlier, "submission", &parcel.id)?;
    }
    let current = records::current_submission(conn, &parcel.id)?;
    let stale_base = match &current {
        None => false,
        Some(current) => {
            let seen = |id: Option<Uuid>| id.map(|id| id.to_string());
            seen(submission.supersedes) != Some(current.id.clone())
                || (current.decision_id.is_some()
                    && seen(submission.decision_seen) != current.decision_id)
        }
    };
    if let Some(current) = current {
        records::set_status(conn, &current.id, SubmissionStatus::Superseded)?;
        let current = FieldRecordRow {
            status: Some(SubmissionStatus::Superseded.as_str().to_owned()),
            ..current
        };
        records::publish(conn, sequence, &current, &parcel.region_path)?;
    }
    let mut row = new_row(author, submission.id, "submission", &parcel.id, record);
    let status = files::submission_status(conn, &photos)?;
    row.status = Some(status.as_str().to_owned());
    row.manifest_hash = Some(merge::manifest_hash(submission, &photos));
    row.stale_base = stale_base;
    records::insert(conn, &row)?;
    records::publish_new(conn, sequence, &row, &parcel.region_path, author.username)?;
    let status = merge::parcel_status(Some(status));
    parcels_repo::set_status(conn, sequence, &parcel.id, status.as_str(), false)?;
    Ok(Applied::default())
}

/// Evidence that was withdrawn cannot back a new submission.
fn live(row: FieldRecordRow) -> ApplyResult<FieldRecordRow> {
    if row.withdrawn {
        return Err(reject(
            RejectReason::ReferenceNotFound,
            format!("{} {} was withdrawn", row.kind, row.id),
        ));
    }
    Ok(row)
}

/// Retracts one of the author's own records. A decided submission stays as decided: what a
/// reviewer ruled on is never taken back from the field.
fn create_withdrawal(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    author: &Author<'_>,
    withdrawal: &Withdrawal,
) -> ApplyResult<Applied> {
    let kind = match withdrawal.target_kind {
        WithdrawableKind::Visit => "visit",
        WithdrawableKind::Photo => "photo",
        WithdrawableKind::Submission => "submission",
    };
    let not_found = || {
        reject(
            RejectReason::ReferenceNotFound,
            format!("no {kind} {}", withdrawal.target_id),
        )
    };
    let target = records::find(conn, &withdrawal.target_id.to_string())?
        .filter(|t| t.kind == kind)
        .ok_or_else(not_found)?;
    // Another region's record does not exist for the author.
    let parcel = match parcel(conn, author, &target.parcel_id) {
        Err(ApplyError::Rejected { .. }) => return Err(not_found()),
        found => found?,
    };
    let record = to_json(withdrawal)?;
    if !is_new(conn, withdrawal.id, "withdrawal", &record)? {
        return Ok(Applied::default());
    }
    if target.author_id != author.user_id {
        return Err(reject(
            RejectReason::NotAllowed,
            "only the author may withdraw a record",
        ));
    }
    if target
        .submission_status()
        .is_some_and(SubmissionStatus::is_decided)
    {
        return Err(reject(
            RejectReason::NotAllowed,
            "the submission is decided; send a new submission instead",
        ));
    }
    if let Some(backing) = backed_submission(conn, &target)? {
        return Err(reject(
            RejectReason::NotAllowed,
            format!(
                "the {kind} backs submission {backing}, which stands; withdraw or supersede \
                 that submission first"
            ),
        ));
    }
    let row = new_row(author, withdrawal.id, "withdrawal", &parcel.id, record);
    records::insert(conn, &row)?;
    records::publish_new(conn, sequence, &row, &parcel.region_path, author.username)?;
    flag_post_decision_activity(conn, sequence, &parcel)?;
    if !target.withdrawn {
        records::mark_withdrawn(conn, &target.id)?;
        let mut target = FieldRecordRow {
            withdrawn: true,
            ..target
        };
        let was_current = target
            .submission_status()
            .is_some_and(SubmissionStatus::is_pending);
        if was_current {
            records::set_status(conn, &target.id, SubmissionStatus::Withdrawn)?;
            target.status = Some(SubmissionStatus::Withdrawn.as_str().to_owned());
        }
        records::publish(conn, sequence, &target, &parcel.region_path)?;
        if was_current {
            let status = merge::parcel_status(None);
            parcels_repo::set_status(conn, sequence, &parcel.id, status.as_str(), false)?;
        }
    }
    Ok(Applied::default())
}

/// A standing submission (waiting for review or decided) that names this visit or photo: what
/// a reviewer judges, or has judged, must stay as it was.
fn backed_submission(conn: &mut DbConn, evidence: &FieldRecordRow) -> ApplyResult<Option<String>> {
    if !matches!(evidence.kind.as_str(), "visit" | "photo") {
        return Ok(None);
    }
    let id: Uuid = evidence
        .id
        .parse()
        .map_err(|e: uuid::Error| diesel::result::Error::DeserializationError(e.into()))?;
    for standing in records::standing_submissions(conn, &evidence.parcel_id)? {
        let submission: Submission = serde_json::from_str(&standing.record)
            .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
        if submission.visit_ids.contains(&id) || submission.photo_ids.contains(&id) {
            return Ok(Some(standing.id));
        }
    }
    Ok(None)
}

fn set_attributes(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    author: &Author<'_>,
    edit: &AttributeEdit,
) -> ApplyResult<Applied> {
    let parcel = parcel(conn, author, &edit.parcel_id)?;
    let state = attributes::state(conn, &parcel.id)?;
    let plan = merge::merge_attribute_edit(&state, edit, author.device_id);
    if !plan.changes_anything() {
        return Ok(Applied::default());
    }
    let number = sequence.take();
    let editor = Editor {
        user_id: author.user_id,
        device_id: &author.device_id.to_string(),
        mutation_id: &author.mutation_id.to_string(),
    };
    let conflicts = attributes::write(
        conn,
        number,
        &parcel.id,
        &parcel.region_path,
        &plan,
        &editor,
    )?;
    if !plan.writes.is_empty() {
        flag_post_decision_activity(conn, sequence, &parcel)?;
    }
    Ok(Applied { conflicts })
}
