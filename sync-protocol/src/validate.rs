//! The checks a record must pass on its own, before the server looks at anything stored. A
//! client runs the same checks before it queues a mutation, so that a field chief hears about
//! a mistake at once and not after the next sync.

use std::collections::HashSet;

use uuid::Uuid;

use crate::merge::is_sha256_ref;
use crate::mutation::MutationBody;
use crate::records::{AttributeEdit, Claim, Photo, Position, Submission, Visit, Withdrawal};

/// The longest free text a record may carry, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// The most visits or photos one submission may name.
pub const MAX_EVIDENCE_ITEMS: usize = 200;
/// The longest parcel id.
pub const MAX_PARCEL_ID_CHARS: usize = 64;

/// Why a record is invalid, for people.
pub type Invalid = String;

pub fn validate(body: &MutationBody) -> Result<(), Invalid> {
    match body {
        MutationBody::CreateVisit(v) => visit(v),
        MutationBody::CreatePhoto(p) => photo(p),
        MutationBody::CreateSubmission(s) => submission(s),
        MutationBody::CreateWithdrawal(w) => withdrawal(w),
        MutationBody::SetAttributes(a) => attributes(a),
    }
}

fn visit(v: &Visit) -> Result<(), Invalid> {
    parcel_id(&v.parcel_id)?;
    v.position.as_ref().map(position).transpose()?;
    text("note", &v.note)
}

fn photo(p: &Photo) -> Result<(), Invalid> {
    parcel_id(&p.parcel_id)?;
    p.position.as_ref().map(position).transpose()?;
    if !is_sha256_ref(&p.sha256) {
        return Err("sha256 must be \"sha256:\" and 64 lowercase hex digits".into());
    }
    if p.size_bytes == 0 {
        return Err("size_bytes must be positive".into());
    }
    if !p.media_type.starts_with("image/") {
        return Err(format!(
            "media_type {:?} is not an image type",
            p.media_type
        ));
    }
    if let Some(heading) = p.heading_deg
        && !(0.0..360.0).contains(&heading)
    {
        return Err("heading_deg must be in [0, 360)".into());
    }
    if let Some(pitch) = p.pitch_deg
        && !(-90.0..=90.0).contains(&pitch)
    {
        return Err("pitch_deg must be in [-90, 90]".into());
    }
    Ok(())
}

fn submission(s: &Submission) -> Result<(), Invalid> {
    parcel_id(&s.parcel_id)?;
    text("work_done", &s.work_done)?;
    if let Some(crop) = &s.crop {
        text("crop", crop)?;
    }
    if let Some(area) = s.restored_area_mu
        && !(area.is_finite() && area >= 0.0)
    {
        return Err("restored_area_mu must be a non-negative number".into());
    }
    distinct("visit_ids", &s.visit_ids)?;
    distinct("photo_ids", &s.photo_ids)?;
    if s.claim == Claim::Restored && s.photo_ids.is_empty() {
        return Err("a claim that the parcel is restored needs at least one photo".into());
    }
    Ok(())
}

fn withdrawal(w: &Withdrawal) -> Result<(), Invalid> {
    if w.reason.trim().is_empty() {
        return Err("a withdrawal needs a reason".into());
    }
    text("reason", &w.reason)
}

fn attributes(a: &AttributeEdit) -> Result<(), Invalid> {
    parcel_id(&a.parcel_id)?;
    if a.fields.is_empty() {
        return Err("an attribute edit must name at least one field".into());
    }
    for (field, value) in &a.fields {
        if let Some(value) = value {
            text(field.as_str(), value)?;
        }
    }
    Ok(())
}

fn parcel_id(id: &str) -> Result<(), Invalid> {
    if id.is_empty() || id.chars().count() > MAX_PARCEL_ID_CHARS {
        return Err(format!(
            "parcel_id must have 1 to {MAX_PARCEL_ID_CHARS} characters"
        ));
    }
    Ok(())
}

fn position(p: &Position) -> Result<(), Invalid> {
    if !(p.lon.is_finite() && (-180.0..=180.0).contains(&p.lon)) {
        return Err("position.lon must be in [-180, 180]".into());
    }
    if !(p.lat.is_finite() && (-90.0..=90.0).contains(&p.lat)) {
        return Err("position.lat must be in [-90, 90]".into());
    }
    if let Some(accuracy) = p.accuracy_m
        && !(accuracy.is_finite() && accuracy >= 0.0)
    {
        return Err("position.accuracy_m must be a non-negative number".into());
    }
    Ok(())
}

fn text(name: &str, value: &str) -> Result<(), Invalid> {
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(format!("{name} is longer than {MAX_TEXT_CHARS} characters"));
    }
    Ok(())
}

fn distinct(name: &str, ids: &[Uuid]) -> Result<(), Invalid> {
    if ids.len() > MAX_EVIDENCE_ITEMS {
        return Err(format!(
            "{name} names more than {MAX_EVIDENCE_ITEMS} records"
        ));
    }
    let mut seen = HashSet::with_capacity(ids.len());
    if ids.iter().any(|id| !seen.insert(id)) {
        return Err(format!("{name} names a record twice"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(kind: &str, record: serde_json::Value) -> MutationBody {
        MutationBody::parse(kind, &record).unwrap()
    }

    #[test]
    fn out_of_range_positions_and_bad_hashes_are_invalid() {
        let visit = parse(
            "visit.create",
            json!({"id": Uuid::nil(), "parcel_id": "p", "visited_at": "2023-08-02T09:00:00+08:00",
                   "position": {"lon": 200.0, "lat": 28.0}}),
        );
        assert!(validate(&visit).unwrap_err().contains("lon"));
        let photo = parse(
            "photo.create",
            json!({"id": Uuid::nil(), "parcel_id": "p", "sha256": "sha256:ABC", "size_bytes": 10,
                   "media_type": "image/jpeg", "taken_at": "2023-08-02T09:00:00+08:00"}),
        );
        assert!(validate(&photo).unwrap_err().contains("sha256"));
    }

    #[test]
    fn a_restored_claim_needs_a_photo_and_distinct_evidence() {
        let bare = parse(
            "submission.create",
            json!({"id": Uuid::nil(), "parcel_id": "p", "claim": "restored"}),
        );
        assert!(validate(&bare).is_err());
        let twice = parse(
            "submission.create",
            json!({"id": Uuid::nil(), "parcel_id": "p", "claim": "in_progress",
                   "visit_ids": [Uuid::nil(), Uuid::nil()]}),
        );
        assert!(validate(&twice).unwrap_err().contains("twice"));
        let fine = parse(
            "submission.create",
            json!({"id": Uuid::nil(), "parcel_id": "p", "claim": "restored",
                   "photo_ids": [Uuid::nil()]}),
        );
        assert_eq!(validate(&fine), Ok(()));
    }
}
