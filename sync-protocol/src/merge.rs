//! The merge rules, as pure functions: the server applies them, and a client or a test can
//! predict what the server will do.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::records::{AttributeEdit, AttributeField, ParcelStatus, Submission, SubmissionStatus};

/// One attribute field as the server holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldState {
    pub value: Option<String>,
    /// The server sequence number of the change that last wrote the value (0: never written).
    pub changed_seq: u64,
    /// The device that wrote it: a device always saw its own earlier edits, pulled or not.
    pub writer: Option<Uuid>,
}

/// An open conflict on a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenConflict {
    pub id: Uuid,
    pub field: AttributeField,
    pub seq: u64,
}

/// A parcel's attributes as the server holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributeState {
    pub fields: BTreeMap<AttributeField, FieldState>,
    pub open_conflicts: Vec<OpenConflict>,
}

/// What applying an edit does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergePlan {
    pub writes: Vec<FieldWrite>,
    /// Open conflicts the edit settles: its author had seen them.
    pub settles: Vec<Uuid>,
}

/// A field the edit writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldWrite {
    pub field: AttributeField,
    pub old: Option<String>,
    pub new: Option<String>,
    /// The field changed after the edit's base, to a different value: the edit still wins
    /// (the server's order decides), and both values are kept in a conflict.
    pub conflict: bool,
}

impl MergePlan {
    pub fn changes_anything(&self) -> bool {
        !self.writes.is_empty() || !self.settles.is_empty()
    }
}

/// Applies an attribute edit, field by field, in the server's order.
///
/// - A value equal to the current one writes nothing and is never a conflict.
/// - A different value is written. It is a conflict when another device changed the field
///   after the edit's `base_seq`: the editor did not see that change.
/// - An edit of a field whose `base_seq` is at or after an open conflict's `seq` settles it:
///   its author had seen both values.
pub fn merge_attribute_edit(
    state: &AttributeState,
    edit: &AttributeEdit,
    editor: Uuid,
) -> MergePlan {
    let mut plan = MergePlan::default();
    for (field, new) in &edit.fields {
        let current = state.fields.get(field).cloned().unwrap_or_default();
        if current.value != *new {
            plan.writes.push(FieldWrite {
                field: *field,
                old: current.value,
                new: new.clone(),
                conflict: current.changed_seq > edit.base_seq && current.writer != Some(editor),
            });
        }
        plan.settles.extend(
            state
                .open_conflicts
                .iter()
                .filter(|c| c.field == *field && c.seq <= edit.base_seq)
                .map(|c| c.id),
        );
    }
    plan
}

/// A parcel's status follows from its current submission (the newest one neither superseded
/// nor withdrawn), if any.
pub fn parcel_status(current_submission: Option<SubmissionStatus>) -> ParcelStatus {
    match current_submission {
        None | Some(SubmissionStatus::Superseded | SubmissionStatus::Withdrawn) => {
            ParcelStatus::Open
        }
        Some(SubmissionStatus::AwaitingPhotos | SubmissionStatus::ReadyForReview) => {
            ParcelStatus::Submitted
        }
        Some(SubmissionStatus::Approved) => ParcelStatus::Approved,
        Some(SubmissionStatus::Rejected) => ParcelStatus::Rejected,
        Some(SubmissionStatus::Returned) => ParcelStatus::Returned,
    }
}

/// A photo as a submission's manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ManifestPhoto {
    pub id: Uuid,
    pub sha256: String,
}

#[derive(Serialize)]
struct Manifest<'a> {
    manifest: &'static str,
    submission: &'a Submission,
    photos: &'a [ManifestPhoto],
}

/// The hash a review decision binds to: SHA-256 over the submission as pushed and the hashes
/// of the photos it names (sorted by photo id), written as `sha256:` and lowercase hex. The
/// exact bytes hashed are documented in `docs/sync-protocol.md`.
pub fn manifest_hash(submission: &Submission, photos: &[ManifestPhoto]) -> String {
    let mut photos = photos.to_vec();
    photos.sort();
    let manifest = Manifest {
        manifest: "tianzhang.submission.v1",
        submission,
        photos: &photos,
    };
    // A struct of strings, numbers and ids always serialises.
    let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256:");
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// Whether a string is `sha256:` followed by 64 lowercase hex digits.
pub fn is_sha256_ref(value: &str) -> bool {
    value.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Claim;

    const OTHER_DEVICE: Uuid = Uuid::from_u128(7);
    const EDITOR: Uuid = Uuid::from_u128(8);

    fn state(fields: &[(AttributeField, &str, u64)]) -> AttributeState {
        AttributeState {
            fields: fields
                .iter()
                .map(|(f, v, seq)| {
                    (
                        *f,
                        FieldState {
                            value: Some((*v).to_owned()),
                            changed_seq: *seq,
                            writer: Some(OTHER_DEVICE),
                        },
                    )
                })
                .collect(),
            open_conflicts: Vec::new(),
        }
    }

    fn edit(base_seq: u64, fields: &[(AttributeField, Option<&str>)]) -> AttributeEdit {
        AttributeEdit {
            parcel_id: "p".into(),
            base_seq,
            fields: fields
                .iter()
                .map(|(f, v)| (*f, v.map(str::to_owned)))
                .collect(),
        }
    }

    #[test]
    fn an_edit_that_saw_the_current_value_is_no_conflict() {
        let plan = merge_attribute_edit(
            &state(&[(AttributeField::Crop, "水稻", 7)]),
            &edit(7, &[(AttributeField::Crop, Some("小麦"))]),
            EDITOR,
        );
        assert_eq!(plan.writes.len(), 1);
        assert!(!plan.writes[0].conflict);
    }

    #[test]
    fn an_edit_that_missed_a_change_to_its_field_conflicts_and_keeps_both_values() {
        let plan = merge_attribute_edit(
            &state(&[(AttributeField::Crop, "水稻", 9)]),
            &edit(7, &[(AttributeField::Crop, Some("小麦"))]),
            EDITOR,
        );
        assert_eq!(
            plan.writes,
            vec![FieldWrite {
                field: AttributeField::Crop,
                old: Some("水稻".into()),
                new: Some("小麦".into()),
                conflict: true,
            }]
        );
    }

    #[test]
    fn identical_concurrent_values_and_untouched_fields_are_no_conflict() {
        let current = state(&[
            (AttributeField::Crop, "水稻", 9),
            (AttributeField::Notes, "x", 9),
        ]);
        let plan = merge_attribute_edit(
            &current,
            &edit(7, &[(AttributeField::Crop, Some("水稻"))]),
            EDITOR,
        );
        assert!(plan.writes.is_empty());
        let plan = merge_attribute_edit(
            &current,
            &edit(7, &[(AttributeField::LandUse, Some("耕地"))]),
            EDITOR,
        );
        assert_eq!(plan.writes.len(), 1);
        assert!(!plan.writes[0].conflict);
    }

    #[test]
    fn a_device_never_conflicts_with_its_own_earlier_edit() {
        let mut current = state(&[(AttributeField::Crop, "水稻", 9)]);
        if let Some(crop) = current.fields.get_mut(&AttributeField::Crop) {
            crop.writer = Some(EDITOR);
        }
        let plan = merge_attribute_edit(
            &current,
            &edit(7, &[(AttributeField::Crop, Some("小麦"))]),
            EDITOR,
        );
        assert!(!plan.writes[0].conflict);
    }

    #[test]
    fn an_edit_based_on_the_conflict_settles_it() {
        let mut current = state(&[(AttributeField::Crop, "小麦", 9)]);
        let id = Uuid::nil();
        current.open_conflicts.push(OpenConflict {
            id,
            field: AttributeField::Crop,
            seq: 9,
        });
        let stale = merge_attribute_edit(
            &current,
            &edit(8, &[(AttributeField::Crop, Some("小麦"))]),
            EDITOR,
        );
        assert!(stale.settles.is_empty());
        let seen = merge_attribute_edit(
            &current,
            &edit(9, &[(AttributeField::Crop, Some("小麦"))]),
            EDITOR,
        );
        assert_eq!(seen.settles, vec![id]);
        assert!(seen.writes.is_empty());
        assert!(seen.changes_anything());
    }

    #[test]
    fn status_follows_the_current_submission() {
        assert_eq!(parcel_status(None), ParcelStatus::Open);
        assert_eq!(
            parcel_status(Some(SubmissionStatus::ReadyForReview)),
            ParcelStatus::Submitted
        );
        assert_eq!(
            parcel_status(Some(SubmissionStatus::Approved)),
            ParcelStatus::Approved
        );
    }

    #[test]
    fn the_manifest_hash_covers_the_photo_bytes_and_ignores_their_order() {
        let submission = Submission {
            id: Uuid::nil(),
            parcel_id: "p".into(),
            claim: Claim::Restored,
            work_done: "拆除大棚，翻耕".into(),
            crop: None,
            restored_area_mu: Some(2.5),
            visit_ids: vec![],
            photo_ids: vec![Uuid::from_u128(1), Uuid::from_u128(2)],
            supersedes: None,
            decision_seen: None,
        };
        let a = ManifestPhoto {
            id: Uuid::from_u128(1),
            sha256: format!("sha256:{}", "a".repeat(64)),
        };
        let b = ManifestPhoto {
            id: Uuid::from_u128(2),
            sha256: format!("sha256:{}", "b".repeat(64)),
        };
        let hash = manifest_hash(&submission, &[a.clone(), b.clone()]);
        assert!(is_sha256_ref(&hash));
        assert_eq!(hash, manifest_hash(&submission, &[b.clone(), a.clone()]));
        let other = ManifestPhoto {
            sha256: format!("sha256:{}", "c".repeat(64)),
            ..b
        };
        assert_ne!(hash, manifest_hash(&submission, &[a, other]));
    }
}
