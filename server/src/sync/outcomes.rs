//! The `mutations` table: every mutation pushed, with its outcome. A replay is answered from
//! here, so a device gets the same outcome however often it sends a mutation.

use chrono::Utc;
use diesel::prelude::*;
use tianzhang_sync::messages::{Outcome, OutcomeStatus, RejectReason};
use tianzhang_sync::mutation::Mutation;
use uuid::Uuid;

use crate::db::DbConn;
use crate::db::schema::mutations;

fn corrupt(what: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("stored {what} is invalid").into())
}

/// A stored outcome and the user who pushed the mutation.
pub struct StoredOutcome {
    pub user_id: String,
    pub outcome: Outcome,
}

pub fn find(conn: &mut DbConn, mutation_id: Uuid) -> QueryResult<Option<StoredOutcome>> {
    #[allow(clippy::type_complexity)]
    let row: Option<(String, i64, String, Option<String>, Option<String>, String)> =
        mutations::table
            .find(mutation_id.to_string())
            .select((
                mutations::user_id,
                mutations::device_seq,
                mutations::status,
                mutations::reason,
                mutations::message,
                mutations::conflicts,
            ))
            .get_result(conn)
            .optional()?;
    let Some((user_id, device_seq, status, reason, message, conflicts)) = row else {
        return Ok(None);
    };
    let status = OutcomeStatus::parse(&status).ok_or_else(|| corrupt("outcome status"))?;
    let reason = reason
        .map(|r| serde_json::from_value::<RejectReason>(serde_json::Value::String(r)))
        .transpose()
        .map_err(|_| corrupt("reject reason"))?;
    let conflicts = serde_json::from_str(&conflicts).map_err(|_| corrupt("conflict list"))?;
    Ok(Some(StoredOutcome {
        user_id,
        outcome: Outcome {
            mutation_id,
            device_seq: u64::try_from(device_seq).unwrap_or(0),
            status,
            reason,
            message,
            conflicts,
        },
    }))
}

/// Stores a mutation before its effects (they refer to it), as applied; [`settle`] records
/// any other outcome. `change_seq` is its place in the change order: its effects, if any,
/// carry this number and the next ones.
pub fn insert(
    conn: &mut DbConn,
    mutation: &Mutation,
    device_id: Uuid,
    user_id: &str,
    change_seq: i64,
) -> QueryResult<()> {
    diesel::insert_into(mutations::table)
        .values((
            mutations::id.eq(mutation.mutation_id.to_string()),
            mutations::device_id.eq(device_id.to_string()),
            mutations::device_seq.eq(i64::try_from(mutation.device_seq).unwrap_or(i64::MAX)),
            mutations::user_id.eq(user_id),
            mutations::kind.eq(&mutation.kind),
            mutations::record.eq(mutation.record.to_string()),
            mutations::client_time.eq(mutation.client_time.map(|t| t.to_rfc3339())),
            mutations::status.eq(OutcomeStatus::Applied.as_str()),
            mutations::conflicts.eq("[]"),
            mutations::change_seq.eq(change_seq),
            mutations::received_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records an outcome other than a plain `applied`.
pub fn settle(conn: &mut DbConn, outcome: &Outcome) -> QueryResult<()> {
    let reason = outcome
        .reason
        .map(|r| {
            serde_json::to_value(r).map_err(|e| diesel::result::Error::SerializationError(e.into()))
        })
        .transpose()?
        .and_then(|v| v.as_str().map(str::to_owned));
    let conflicts = serde_json::to_string(&outcome.conflicts)
        .map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
    diesel::update(mutations::table.find(outcome.mutation_id.to_string()))
        .set((
            mutations::status.eq(outcome.status.as_str()),
            mutations::reason.eq(reason),
            mutations::message.eq(&outcome.message),
            mutations::conflicts.eq(conflicts),
        ))
        .execute(conn)?;
    Ok(())
}
