//! The messages of the protocol: device registration, push, pull and the server's limits.
//! `docs/sync-protocol.md` describes the exchange; these types are its definition.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::mutation::Mutation;
use crate::records::{
    AttributeField, Decision, ParcelStatus, Photo, Submission, SubmissionStatus, Visit, Withdrawal,
};
use crate::version::VersionRange;

/// `GET /api/v1/sync/info`: what the server speaks and accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncInfo {
    pub protocol: VersionRange,
    /// The most mutations one push may carry.
    pub max_push_mutations: u32,
    /// The largest page a pull returns.
    pub max_pull_limit: u32,
    /// The largest request body, in bytes: a push must fit in it.
    pub max_request_bytes: u64,
    /// For display only: devices never order anything by it.
    pub server_time: DateTime<Utc>,
}

/// `POST /api/v1/sync/devices`: binds a device id, generated at install, to the signed-in user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterDevice {
    pub protocol: u16,
    pub device_id: Uuid,
    /// A label for people ("Redmi Note 12, 李田长").
    #[serde(default)]
    pub name: String,
}

/// The server's view of a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceState {
    pub device_id: Uuid,
    /// Every mutation of this device up to this sequence number has a stored outcome.
    pub acked_through_seq: u64,
    /// The sequence number the next push must start with.
    pub expected_seq: u64,
}

/// `POST /api/v1/sync/push`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub protocol: u16,
    pub device_id: Uuid,
    /// In `device_seq` order.
    pub mutations: Vec<Mutation>,
}

/// The answer to a push: one outcome per mutation the server reached, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub acked_through_seq: u64,
    pub expected_seq: u64,
    /// True when a mutation's `device_seq` skipped ahead of `expected_seq`: the server stopped
    /// there, and the device must send the missing mutations first.
    pub stopped_at_gap: bool,
    pub outcomes: Vec<Outcome>,
}

/// What became of one mutation. Stored with its effect, and returned again, unchanged, for
/// every replay of the mutation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outcome {
    pub mutation_id: Uuid,
    pub device_seq: u64,
    pub status: OutcomeStatus,
    /// For a rejection, why; machine-readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<RejectReason>,
    /// For a rejection, a sentence for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The attribute conflicts this mutation raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    Applied,
    /// Applied, and it overwrote a concurrent edit: both values are kept and a conflict is open.
    AppliedWithConflict,
    /// Not applied; the mutation is kept with its reason. The device moves on.
    Rejected,
}

impl OutcomeStatus {
    pub const ALL: [OutcomeStatus; 3] = [
        OutcomeStatus::Applied,
        OutcomeStatus::AppliedWithConflict,
        OutcomeStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Applied => "applied",
            OutcomeStatus::AppliedWithConflict => "applied_with_conflict",
            OutcomeStatus::Rejected => "rejected",
        }
    }

    pub fn parse(name: &str) -> Option<OutcomeStatus> {
        OutcomeStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Why a mutation was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The kind is not one this protocol version knows.
    UnsupportedKind,
    /// The record does not have the kind's shape, or a value is out of range.
    InvalidRecord,
    /// The parcel does not exist or is outside the author's scope.
    ParcelNotFound,
    /// A visit, photo, submission or decision the record names is unknown, or on another parcel.
    ReferenceNotFound,
    /// The record's id is already taken by a different record.
    IdReused,
    /// The record would change something a reviewer already decided, or another author's
    /// record.
    NotAllowed,
    /// A different mutation already holds this `device_seq`.
    SequenceReused,
}

/// `GET /api/v1/sync/pull`: one page of changes after a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    pub protocol: u16,
    /// True when the device must drop everything it has pulled (never its outbox) and take
    /// these changes as the start of a new copy: its scope changed, or its cursor is too old.
    pub reset: bool,
    pub changes: Vec<Change>,
    /// The cursor to send next; opaque.
    pub next_cursor: String,
    /// More changes are waiting: pull again at once.
    pub has_more: bool,
    /// With `device_id`: how far that device's pushes have been applied (read-your-writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_acked_through_seq: Option<u64>,
}

/// One change: the new state of a record, or its removal from the device's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    /// The server sequence number; changes arrive in increasing order.
    pub seq: u64,
    pub kind: RecordKind,
    pub id: String,
    pub op: ChangeOp,
    /// For `put`, the record (see [`RecordKind`] for its shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Put,
    Remove,
}

/// The kinds of record a pull carries, each with the shape of its `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// [`CampaignData`]
    Campaign,
    /// [`ParcelData`]
    Parcel,
    /// [`AttributesData`], id = the parcel id.
    Attributes,
    /// [`FieldRecord<Visit>`]
    Visit,
    /// [`FieldRecord<Photo>`]
    Photo,
    /// [`FieldRecord<Submission>`]
    Submission,
    /// [`FieldRecord<Withdrawal>`]
    Withdrawal,
    /// [`ReviewData`]
    Review,
}

impl RecordKind {
    pub const ALL: [RecordKind; 8] = [
        RecordKind::Campaign,
        RecordKind::Parcel,
        RecordKind::Attributes,
        RecordKind::Visit,
        RecordKind::Photo,
        RecordKind::Submission,
        RecordKind::Withdrawal,
        RecordKind::Review,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Campaign => "campaign",
            RecordKind::Parcel => "parcel",
            RecordKind::Attributes => "attributes",
            RecordKind::Visit => "visit",
            RecordKind::Photo => "photo",
            RecordKind::Submission => "submission",
            RecordKind::Withdrawal => "withdrawal",
            RecordKind::Review => "review",
        }
    }

    pub fn parse(name: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A campaign, as devices see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignData {
    pub id: String,
    pub name: String,
    pub county_code: String,
    /// The phases with their date windows, as the campaign defines them.
    pub phases: Value,
    pub deadlines: Value,
    pub targets: Value,
}

/// A parcel, as devices see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParcelData {
    pub id: String,
    pub campaign_id: String,
    pub patch_code: String,
    pub village_code: String,
    pub source_list: String,
    pub land_class: String,
    pub problem_type: String,
    #[serde(default)]
    pub declared_area_mu: Option<f64>,
    pub measured_area_mu: f64,
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// Derived from submissions and reviews; never set by a device.
    pub status: ParcelStatus,
    /// Field activity arrived after the current submission was decided.
    pub post_decision_activity: bool,
    /// A GeoJSON MultiPolygon in longitude/latitude.
    pub geometry: Value,
}

/// A parcel's field-observed attributes and the conflicts still open on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributesData {
    pub parcel_id: String,
    pub fields: BTreeMap<AttributeField, String>,
    #[serde(default)]
    pub open_conflicts: Vec<ConflictData>,
}

/// Two edits of one field that did not see each other. The later arrival holds the field;
/// the value it replaced is kept here until someone who has seen both settles it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConflictData {
    pub id: Uuid,
    pub field: AttributeField,
    /// The value the later edit wrote, which won (a later edit may have changed the field
    /// since: the attributes' `fields` hold the current value).
    #[serde(default)]
    pub kept: Option<String>,
    /// The value the later edit replaced.
    #[serde(default)]
    pub overwritten: Option<String>,
    /// The server sequence number at which the conflict arose. An edit of the field whose
    /// `base_seq` is at least this settles it.
    pub seq: u64,
}

/// A field record, as devices pull it: the record exactly as its author pushed it, and what the
/// server knows about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldRecord<T> {
    pub record: T,
    pub author: String,
    pub mutation_id: Uuid,
    /// A withdrawal retracted it.
    #[serde(default)]
    pub withdrawn: bool,
    /// Submissions only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SubmissionStatus>,
    /// Submissions only: the hash a review decision binds to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_hash: Option<String>,
    /// Submissions only: written without seeing the parcel's current submission (its
    /// `supersedes` named another or none) or that submission's latest decision (its
    /// `decision_seen`). It is accepted all the same; reviewers see the flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_base: Option<bool>,
    /// Photos only: whether the server holds the photo's file, verified against its hash. A
    /// device uploads the files whose photos say `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_received: Option<bool>,
}

pub type VisitData = FieldRecord<Visit>;
pub type PhotoData = FieldRecord<Photo>;
pub type SubmissionData = FieldRecord<Submission>;
pub type WithdrawalData = FieldRecord<Withdrawal>;

/// A review decision, as devices see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewData {
    pub id: Uuid,
    pub submission_id: Uuid,
    pub parcel_id: String,
    pub manifest_hash: String,
    pub decision: Decision,
    #[serde(default)]
    pub reason: String,
    pub reviewer: String,
    pub decided_at: DateTime<Utc>,
}
