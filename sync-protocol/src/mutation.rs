//! Mutations: what a device pushes. On the wire a mutation is an envelope (its id, its place in
//! the device's sequence, its kind) around a record whose shape the kind decides. The server
//! reads the envelope strictly and the record leniently, so that one record it cannot read is
//! rejected on its own and never blocks the mutations after it.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::records::{AttributeEdit, Photo, Submission, Visit, Withdrawal};

/// One mutation as it travels. Unknown envelope fields are ignored (a later protocol version
/// may add some), so that they never refuse a whole push; records stay strict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mutation {
    /// Generated on the device, once: the same mutation keeps its id through every retry and
    /// every re-registration of the device.
    pub mutation_id: Uuid,
    /// 1, 2, 3 … per device registration, without gaps.
    pub device_seq: u64,
    /// `visit.create`, `photo.create`, `submission.create`, `withdrawal.create` or
    /// `attributes.set`.
    pub kind: String,
    /// The device's clock when the mutation was made: shown to people, never used to order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_time: Option<DateTime<FixedOffset>>,
    pub record: Value,
}

/// A mutation's record, read according to its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum MutationBody {
    CreateVisit(Visit),
    CreatePhoto(Photo),
    CreateSubmission(Submission),
    CreateWithdrawal(Withdrawal),
    SetAttributes(AttributeEdit),
}

/// Why a mutation's record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("unknown mutation kind {0:?}")]
    UnknownKind(String),
    #[error("the {kind} record is malformed: {message}")]
    Malformed { kind: String, message: String },
}

impl MutationBody {
    pub const KINDS: [&'static str; 5] = [
        "visit.create",
        "photo.create",
        "submission.create",
        "withdrawal.create",
        "attributes.set",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            MutationBody::CreateVisit(_) => "visit.create",
            MutationBody::CreatePhoto(_) => "photo.create",
            MutationBody::CreateSubmission(_) => "submission.create",
            MutationBody::CreateWithdrawal(_) => "withdrawal.create",
            MutationBody::SetAttributes(_) => "attributes.set",
        }
    }

    /// The parcel the mutation is about; a withdrawal's parcel is its target's.
    pub fn parcel_id(&self) -> Option<&str> {
        match self {
            MutationBody::CreateVisit(v) => Some(&v.parcel_id),
            MutationBody::CreatePhoto(p) => Some(&p.parcel_id),
            MutationBody::CreateSubmission(s) => Some(&s.parcel_id),
            MutationBody::SetAttributes(a) => Some(&a.parcel_id),
            MutationBody::CreateWithdrawal(_) => None,
        }
    }

    /// Reads a record according to its kind.
    pub fn parse(kind: &str, record: &Value) -> Result<MutationBody, BodyError> {
        fn read<T: serde::de::DeserializeOwned>(
            kind: &str,
            record: &Value,
        ) -> Result<T, BodyError> {
            T::deserialize(record).map_err(|e| BodyError::Malformed {
                kind: kind.to_owned(),
                message: e.to_string(),
            })
        }
        Ok(match kind {
            "visit.create" => MutationBody::CreateVisit(read(kind, record)?),
            "photo.create" => MutationBody::CreatePhoto(read(kind, record)?),
            "submission.create" => MutationBody::CreateSubmission(read(kind, record)?),
            "withdrawal.create" => MutationBody::CreateWithdrawal(read(kind, record)?),
            "attributes.set" => MutationBody::SetAttributes(read(kind, record)?),
            other => return Err(BodyError::UnknownKind(other.to_owned())),
        })
    }

    /// The record as it travels.
    pub fn to_record(&self) -> Value {
        let value = match self {
            MutationBody::CreateVisit(v) => serde_json::to_value(v),
            MutationBody::CreatePhoto(p) => serde_json::to_value(p),
            MutationBody::CreateSubmission(s) => serde_json::to_value(s),
            MutationBody::CreateWithdrawal(w) => serde_json::to_value(w),
            MutationBody::SetAttributes(a) => serde_json::to_value(a),
        };
        // These types hold only strings, numbers, ids and string-keyed maps: serialising them
        // cannot fail.
        value.unwrap_or(Value::Null)
    }

    /// Wraps the body in an envelope.
    pub fn into_mutation(
        self,
        mutation_id: Uuid,
        device_seq: u64,
        client_time: Option<DateTime<FixedOffset>>,
    ) -> Mutation {
        Mutation {
            mutation_id,
            device_seq,
            kind: self.kind().to_owned(),
            client_time,
            record: self.to_record(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_round_trips_through_its_envelope() {
        let record = json!({
            "id": "0192f5a8-2b6c-7c3e-9a41-3f0d2c1b4a59",
            "parcel_id": "p-1",
            "visited_at": "2023-08-02T09:15:00+08:00",
            "note": "已翻耕"
        });
        let body = MutationBody::parse("visit.create", &record).unwrap();
        assert_eq!(body.kind(), "visit.create");
        assert_eq!(body.parcel_id(), Some("p-1"));
        assert_eq!(body.to_record(), record);
    }

    #[test]
    fn unknown_kinds_and_malformed_records_are_told_apart() {
        assert_eq!(
            MutationBody::parse("visit.delete", &json!({})),
            Err(BodyError::UnknownKind("visit.delete".into()))
        );
        assert!(matches!(
            MutationBody::parse("visit.create", &json!({"id": "x"})),
            Err(BodyError::Malformed { .. })
        ));
        assert!(matches!(
            MutationBody::parse(
                "attributes.set",
                &json!({"parcel_id": "p", "base_seq": 0, "fields": {"owner": "x"}})
            ),
            Err(BodyError::Malformed { .. })
        ));
    }
}
