//! Push: a device's mutations, applied in its sequence order, each exactly once.
//!
//! The whole push is one transaction that starts by locking the change sequence, so pushes
//! (even two from the same device at once) run one after the other. For each mutation:
//! - at or below the device's acknowledged sequence: a replay, answered with the stored outcome;
//! - more than one past it: a gap; the push stops and says which number it expects;
//! - an id the server has already seen (the device re-registered after losing its
//!   registration): the stored outcome, and the sequence moves on;
//! - otherwise it is applied or rejected, and its outcome is stored with its effects. A
//!   rejection never stops the mutations after it.

use tianzhang_sync::messages::{Outcome, OutcomeStatus, PushRequest, PushResponse, RejectReason};
use tianzhang_sync::mutation::{BodyError, Mutation, MutationBody};

use super::{devices, outcomes};
use crate::auth::Caller;
use crate::changes::ChangeSequence;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::evidence::{self, ApplyError, Author};

pub fn push(
    conn: &mut DbConn,
    caller: &Caller,
    request: &PushRequest,
) -> Result<PushResponse, ApiError> {
    let mut sequence = ChangeSequence::lock(conn)?;
    let device = request.device_id;
    let acked = devices::acked_seq(conn, device, &caller.user_id)?.ok_or_else(|| {
        ApiError::conflict(
            "device_unknown",
            "this device is not registered to you: register a new device id and push again",
        )
    })?;
    let mut acked = u64::try_from(acked).unwrap_or(0);
    let mut outcomes = Vec::with_capacity(request.mutations.len());
    let mut stopped_at_gap = false;
    for mutation in &request.mutations {
        if mutation.device_seq > acked + 1 {
            stopped_at_gap = true;
            break;
        }
        let stored = outcomes::find(conn, mutation.mutation_id)?;
        let outcome = match stored {
            Some(stored) if stored.user_id == caller.user_id => Outcome {
                device_seq: mutation.device_seq,
                ..stored.outcome
            },
            Some(_) => {
                unstored_rejection(mutation, RejectReason::IdReused, "the mutation id is taken")
            }
            None if mutation.device_seq <= acked => unstored_rejection(
                mutation,
                RejectReason::SequenceReused,
                "another mutation already holds this device_seq",
            ),
            None => {
                let author = Author {
                    user_id: &caller.user_id,
                    username: &caller.username,
                    scope: &caller.scope,
                    device_id: device,
                    mutation_id: mutation.mutation_id,
                };
                apply(conn, &mut sequence, &author, mutation)?
            }
        };
        acked = acked.max(mutation.device_seq);
        outcomes.push(outcome);
    }
    devices::acknowledge(conn, device, i64::try_from(acked).unwrap_or(i64::MAX))?;
    sequence.finish(conn)?;
    Ok(PushResponse {
        acked_through_seq: acked,
        expected_seq: acked + 1,
        stopped_at_gap,
        outcomes,
    })
}

/// An answer for a mutation the server cannot store (its id or its sequence number is held by
/// another): it is the same on every replay, because it depends only on what is stored.
fn unstored_rejection(mutation: &Mutation, reason: RejectReason, message: &str) -> Outcome {
    Outcome {
        mutation_id: mutation.mutation_id,
        device_seq: mutation.device_seq,
        status: OutcomeStatus::Rejected,
        reason: Some(reason),
        message: Some(message.to_owned()),
        conflicts: Vec::new(),
    }
}

/// Applies a new mutation and stores its outcome with its effects.
fn apply(
    conn: &mut DbConn,
    sequence: &mut ChangeSequence,
    author: &Author<'_>,
    mutation: &Mutation,
) -> Result<Outcome, ApiError> {
    outcomes::insert(
        conn,
        mutation,
        author.device_id,
        author.user_id,
        sequence.last() + 1,
    )?;
    let result = MutationBody::parse(&mutation.kind, &mutation.record)
        .map_err(|error| ApplyError::Rejected {
            reason: match error {
                BodyError::UnknownKind(_) => RejectReason::UnsupportedKind,
                BodyError::Malformed { .. } => RejectReason::InvalidRecord,
            },
            message: error.to_string(),
        })
        .and_then(|body| evidence::apply(conn, sequence, author, &body));
    let mut outcome = Outcome {
        mutation_id: mutation.mutation_id,
        device_seq: mutation.device_seq,
        status: OutcomeStatus::Applied,
        reason: None,
        message: None,
        conflicts: Vec::new(),
    };
    match result {
        Ok(applied) if applied.conflicts.is_empty() => return Ok(outcome),
        Ok(applied) => {
            outcome.status = OutcomeStatus::AppliedWithConflict;
            outcome.conflicts = applied.conflicts;
        }
        Err(ApplyError::Rejected { reason, message }) => {
            outcome.status = OutcomeStatus::Rejected;
            outcome.reason = Some(reason);
            outcome.message = Some(message);
        }
        Err(ApplyError::Database(error)) => return Err(error.into()),
    }
    outcomes::settle(conn, &outcome)?;
    Ok(outcome)
}
