//! Recording a decision: the submission must be the parcel's current one, waiting for review,
//! with the manifest hash the reviewer saw.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use tianzhang_sync::merge;
use tianzhang_sync::messages::{RecordKind, ReviewData};
use tianzhang_sync::records::{Decision, SubmissionStatus};
use tianzhang_sync::validate::MAX_TEXT_CHARS;
use uuid::Uuid;

use crate::auth::Caller;
use crate::changes::{self, ChangeSequence, FeedWrite};
use crate::db::DbConn;
use crate::db::schema::{reviews, users};
use crate::error::ApiError;
use crate::evidence::records::{self, FieldRecordRow};
use crate::parcels::repo as parcels_repo;

/// What a reviewer sends.
pub struct DecisionRequest {
    /// Chosen by the client, so that a retried request records the decision once.
    pub id: Option<Uuid>,
    pub submission_id: Uuid,
    pub manifest_hash: String,
    pub decision: Decision,
    pub reason: String,
}

/// Records a decision; returns it and whether it is new (a retry returns the stored one).
pub fn decide(
    conn: &mut DbConn,
    reviewer: &Caller,
    request: &DecisionRequest,
) -> Result<(ReviewData, bool), ApiError> {
    let mut sequence = ChangeSequence::lock(conn)?;
    let submission = records::find(conn, &request.submission_id.to_string())?
        .filter(|r| r.kind == "submission")
        .ok_or(ApiError::NotFound("submission"))?;
    let parcel = parcels_repo::place(conn, &submission.parcel_id)?
        .filter(|p| reviewer.sees(&p.region_path))
        .ok_or(ApiError::NotFound("submission"))?;
    let id = request.id.unwrap_or_else(Uuid::now_v7);
    if let Some(stored) = find(conn, id)? {
        let same = stored.submission_id == request.submission_id
            && stored.decision == request.decision
            && stored.manifest_hash == request.manifest_hash
            && stored.reason == request.reason;
        return if same {
            Ok((stored, false))
        } else {
            Err(ApiError::conflict(
                "id_reused",
                format!("review {id} was recorded with different content"),
            ))
        };
    }
    if submission.submission_status() != Some(SubmissionStatus::ReadyForReview) {
        return Err(ApiError::conflict(
            "not_reviewable",
            format!(
                "the submission is {}, not waiting for review",
                submission.status.as_deref().unwrap_or("unknown")
            ),
        ));
    }
    if submission.manifest_hash.as_deref() != Some(request.manifest_hash.as_str()) {
        return Err(ApiError::conflict(
            "manifest_mismatch",
            "the manifest hash is not the submission's: reload it before deciding",
        ));
    }
    if request.reason.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::validation(
            "reason",
            format!("at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    // Microseconds: what both databases keep, so that a retry answers the same instant.
    let decided_at = Utc::now().trunc_subsecs(6);
    diesel::insert_into(reviews::table)
        .values((
            reviews::id.eq(id.to_string()),
            reviews::submission_id.eq(&submission.id),
            reviews::parcel_id.eq(&parcel.id),
            reviews::manifest_hash.eq(&request.manifest_hash),
            reviews::decision.eq(request.decision.as_str()),
            reviews::reason.eq(&request.reason),
            reviews::reviewer_id.eq(&reviewer.user_id),
            reviews::decided_at.eq(decided_at.naive_utc()),
        ))
        .execute(conn)?;
    let review = ReviewData {
        id,
        submission_id: request.submission_id,
        parcel_id: parcel.id.clone(),
        manifest_hash: request.manifest_hash.clone(),
        decision: request.decision,
        reason: request.reason.clone(),
        reviewer: reviewer.username.clone(),
        decided_at,
    };
    let status = SubmissionStatus::from_decision(request.decision);
    records::record_decision(conn, &submission.id, status, &id.to_string())?;
    let submission = FieldRecordRow {
        status: Some(status.as_str().to_owned()),
        decision_id: Some(id.to_string()),
        ..submission
    };
    records::publish(conn, &mut sequence, &submission, &parcel.region_path)?;
    let data = serde_json::to_string(&review).map_err(|e| ApiError::Internal(e.into()))?;
    changes::write(
        conn,
        sequence.take(),
        FeedWrite {
            kind: RecordKind::Review.as_str(),
            entity_id: &review.id.to_string(),
            region_path: &parcel.region_path,
            parcel_id: Some(&parcel.id),
            data: Some(&data),
        },
    )?;
    let parcel_status = merge::parcel_status(Some(status));
    parcels_repo::set_status(
        conn,
        &mut sequence,
        &parcel.id,
        parcel_status.as_str(),
        false,
    )?;
    sequence.finish(conn)?;
    Ok((review, true))
}

fn find(conn: &mut DbConn, id: Uuid) -> Result<Option<ReviewData>, ApiError> {
    let row: Option<(
        String,
        String,
        String,
        String,
        String,
        String,
        chrono::NaiveDateTime,
    )> = reviews::table
        .inner_join(users::table.on(users::id.eq(reviews::reviewer_id)))
        .filter(reviews::id.eq(id.to_string()))
        .select((
            reviews::submission_id,
            reviews::parcel_id,
            reviews::manifest_hash,
            reviews::decision,
            reviews::reason,
            users::username,
            reviews::decided_at,
        ))
        .first(conn)
        .optional()?;
    let Some((submission_id, parcel_id, manifest_hash, decision, reason, reviewer, at)) = row
    else {
        return Ok(None);
    };
    let decision = Decision::parse(&decision)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored decision {decision:?}")))?;
    Ok(Some(ReviewData {
        id,
        submission_id: submission_id
            .parse()
            .map_err(|e: uuid::Error| ApiError::Internal(e.into()))?,
        parcel_id,
        manifest_hash,
        decision,
        reason,
        reviewer,
        decided_at: DateTime::from_naive_utc_and_offset(at, Utc),
    }))
}
