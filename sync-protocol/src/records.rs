//! The records that travel between devices and the server.
//!
//! Field records (visits, photos, submissions, withdrawals) are written on a device, often
//! offline, and never change once written: a correction is a new record that `supersedes` the
//! old one, or a [`Withdrawal`] of it. Parcel attributes are the few field observations that are
//! edited in place, field by field. Parcels, campaigns and review decisions are written on the
//! server and only read on devices.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A position as the device measured it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// Degrees east, in the coordinate system `crs`.
    pub lon: f64,
    /// Degrees north.
    pub lat: f64,
    /// The receiver's horizontal accuracy estimate, in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
    /// The coordinate system the device gave the position in (WGS-84 unless said otherwise).
    #[serde(default, skip_serializing_if = "PositionCrs::is_wgs84")]
    pub crs: PositionCrs,
    /// The operating system marked the fix as coming from a mock-location provider.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mock_location: bool,
}

/// The coordinate systems a phone reports positions in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PositionCrs {
    /// What GNSS receivers and EXIF give.
    #[default]
    Wgs84,
    /// China's datum: the same as WGS-84 to within centimetres.
    Cgcs2000,
    /// The shifted system of Chinese map SDKs (hundreds of metres off): the server converts
    /// it to WGS-84 before any check.
    Gcj02,
}

impl PositionCrs {
    pub fn is_wgs84(&self) -> bool {
        *self == PositionCrs::Wgs84
    }
}

/// A field visit (巡查): someone stood at the parcel and looked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    pub id: Uuid,
    pub parcel_id: String,
    /// When the visit happened, by the device's clock (shown to reviewers, never used to order).
    pub visited_at: DateTime<FixedOffset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    #[serde(default)]
    pub note: String,
    /// An earlier visit of the same author that this one corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Uuid>,
}

/// A photo's metadata. The bytes travel separately, addressed by `sha256`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Photo {
    pub id: Uuid,
    pub parcel_id: String,
    /// The visit during which the photo was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit_id: Option<Uuid>,
    /// `sha256:` and 64 lowercase hex digits: the hash of the file exactly as captured.
    pub sha256: String,
    pub size_bytes: u64,
    pub media_type: String,
    pub taken_at: DateTime<FixedOffset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Compass heading of the camera, degrees clockwise from north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading_deg: Option<f64>,
    /// Tilt of the camera: 0 level, positive up, negative down, in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pitch_deg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Uuid>,
}

/// What a field chief claims about a parcel in a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    /// The parcel is farmland again.
    Restored,
    /// Work has started but is not finished.
    InProgress,
    /// The parcel cannot be restored as listed (the reason is in `work_done`).
    NotRestorable,
}

/// A restoration submission (复耕确认): an immutable snapshot of a claim and the evidence it
/// rests on. Review decisions bind to its manifest hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub id: Uuid,
    pub parcel_id: String,
    pub claim: Claim,
    /// What was done on the ground.
    #[serde(default)]
    pub work_done: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_area_mu: Option<f64>,
    #[serde(default)]
    pub visit_ids: Vec<Uuid>,
    #[serde(default)]
    pub photo_ids: Vec<Uuid>,
    /// The earlier submission for the parcel that this one replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Uuid>,
    /// The latest review decision on the parcel the device had pulled when this was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_seen: Option<Uuid>,
}

/// The kinds of field record a withdrawal can retract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawableKind {
    Visit,
    Photo,
    Submission,
}

/// Retracts a field record. Nothing is deleted: the record stays, marked withdrawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    pub id: Uuid,
    pub target_kind: WithdrawableKind,
    pub target_id: Uuid,
    pub reason: String,
}

/// The field-observed parcel attributes that devices may edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttributeField {
    /// What the land is used for now (耕地, 园地, 坑塘, 建设用地 …).
    LandUse,
    Crop,
    Notes,
}

impl AttributeField {
    pub const ALL: [AttributeField; 3] = [
        AttributeField::LandUse,
        AttributeField::Crop,
        AttributeField::Notes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttributeField::LandUse => "land_use",
            AttributeField::Crop => "crop",
            AttributeField::Notes => "notes",
        }
    }

    pub fn parse(name: &str) -> Option<AttributeField> {
        AttributeField::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// An edit of some parcel attributes. `base_seq` is the `seq` of the attributes change the
/// device last pulled for this parcel (0 if none): it tells the server what the editor saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeEdit {
    pub parcel_id: String,
    pub base_seq: u64,
    /// The fields to set; `null` clears one. Fields not named are left alone.
    pub fields: BTreeMap<AttributeField, Option<String>>,
}

/// A reviewer's verdict on one submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    Rejected,
    /// Not decided either way: more evidence is needed.
    Returned,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Decision::Approved, Decision::Rejected, Decision::Returned];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Rejected => "rejected",
            Decision::Returned => "returned",
        }
    }

    pub fn parse(name: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

/// Where a parcel stands, derived on the server from its submissions and their reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParcelStatus {
    /// No current submission.
    Open,
    /// A submission waits for its photos or for review.
    Submitted,
    Approved,
    Rejected,
    Returned,
}

impl ParcelStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ParcelStatus::Open => "open",
            ParcelStatus::Submitted => "submitted",
            ParcelStatus::Approved => "approved",
            ParcelStatus::Rejected => "rejected",
            ParcelStatus::Returned => "returned",
        }
    }

    pub fn parse(name: &str) -> Option<ParcelStatus> {
        [
            ParcelStatus::Open,
            ParcelStatus::Submitted,
            ParcelStatus::Approved,
            ParcelStatus::Rejected,
            ParcelStatus::Returned,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Waiting for the files of some of its photos: it enters review when the last arrives.
    AwaitingPhotos,
    /// Waiting for a reviewer.
    ReadyForReview,
    Approved,
    Rejected,
    Returned,
    /// A newer submission for the parcel replaced it.
    Superseded,
    Withdrawn,
}

impl SubmissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::AwaitingPhotos => "awaiting_photos",
            SubmissionStatus::ReadyForReview => "ready_for_review",
            SubmissionStatus::Approved => "approved",
            SubmissionStatus::Rejected => "rejected",
            SubmissionStatus::Returned => "returned",
            SubmissionStatus::Superseded => "superseded",
            SubmissionStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(name: &str) -> Option<SubmissionStatus> {
        [
            SubmissionStatus::AwaitingPhotos,
            SubmissionStatus::ReadyForReview,
            SubmissionStatus::Approved,
            SubmissionStatus::Rejected,
            SubmissionStatus::Returned,
            SubmissionStatus::Superseded,
            SubmissionStatus::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    pub fn from_decision(decision: Decision) -> SubmissionStatus {
        match decision {
            Decision::Approved => SubmissionStatus::Approved,
            Decision::Rejected => SubmissionStatus::Rejected,
            Decision::Returned => SubmissionStatus::Returned,
        }
    }

    /// Whether it waits: for its photos or for a reviewer.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            SubmissionStatus::AwaitingPhotos | SubmissionStatus::ReadyForReview
        )
    }

    /// Whether a reviewer has ruled on it.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            SubmissionStatus::Approved | SubmissionStatus::Rejected | SubmissionStatus::Returned
        )
    }
}
