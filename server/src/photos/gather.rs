//! Gathers the facts the checks judge for one photo record: its record, its parcel and
//! campaign, what its file says, the same and similar files elsewhere, and the device's
//! neighbouring photos in time.

use chrono::{DateTime, FixedOffset, NaiveTime, TimeDelta, Utc};
use diesel::QueryResult;
use tianzhang_sync::records::{Photo, PositionCrs};

use super::checks::{
    CHINA_STANDARD_TIME, Facts, FileFacts, JudgedPosition, OtherPhoto, PositionSource, TravelLeg,
    ground_distance_m,
};
use super::exif::ExifSummary;
use super::imaging::hamming_distance;
use super::repo::{self, FileRow, PhotoContext};
use crate::campaigns::model::Phase;
use crate::db::DbConn;
use crate::parcels::geodesy::gcj02;
use crate::parcels::index::ParcelIndex;

/// Every analysed file's perceptual hash, read once per batch of checks.
pub type PerceptualHashes = [(String, i64)];

/// The facts for a photo, and the context they came from; `None` if the record is gone.
pub struct Gathered {
    pub context: PhotoContext,
    pub facts: Facts,
}

pub fn gather(
    conn: &mut DbConn,
    index: &ParcelIndex,
    hashes: &PerceptualHashes,
    near_duplicate_bits: u32,
    photo_id: &str,
) -> QueryResult<Option<Gathered>> {
    let Some(context) = repo::photo_context(conn, photo_id)? else {
        return Ok(None);
    };
    let photo: Photo = serde_json::from_str(&context.record)
        .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
    let file_row = match &context.sha256 {
        Some(sha256) => repo::find_file(conn, sha256)?.filter(|f| f.state != "pending"),
        None => None,
    };
    let exif = file_row.as_ref().and_then(stored_exif);
    let position = device_position(&photo).or_else(|| exif_position(exif.as_ref()));
    let distance_to_parcel_m =
        position.and_then(|p| index.distance_to(&context.parcel_id, p.lon, p.lat));
    let file = match file_row {
        Some(row) => Some(file_facts(
            conn,
            &context,
            row,
            exif,
            hashes,
            near_duplicate_bits,
        )?),
        None => None,
    };
    let taken_at_utc = photo.taken_at.with_timezone(&Utc);
    let travel = match position {
        Some(here) => {
            repo::timeline_neighbours(conn, &context.device_id, taken_at_utc.naive_utc(), photo_id)?
                .into_iter()
                .map(|other| leg(here, taken_at_utc, other))
                .collect()
        }
        None => Vec::new(),
    };
    let facts = Facts {
        position,
        distance_to_parcel_m,
        mock_location: photo.position.as_ref().is_some_and(|p| p.mock_location),
        taken_at: photo.taken_at,
        received_at: context.received_at.and_utc(),
        campaign_window: campaign_window(&context.campaign_phases),
        file,
        travel,
    };
    Ok(Some(Gathered { context, facts }))
}

/// The position the phone reported, in WGS-84: a GCJ-02 position is converted first, and
/// CGCS2000 is taken as it is (the two differ by centimetres).
fn device_position(photo: &Photo) -> Option<JudgedPosition> {
    let reported = photo.position.as_ref()?;
    let (lon, lat) = match reported.crs {
        PositionCrs::Gcj02 => gcj02::gcj02_to_wgs84(reported.lon, reported.lat),
        PositionCrs::Wgs84 | PositionCrs::Cgcs2000 => (reported.lon, reported.lat),
    };
    Some(JudgedPosition {
        lon,
        lat,
        accuracy_m: reported.accuracy_m,
        source: PositionSource::Device,
        converted_from: (reported.crs == PositionCrs::Gcj02).then_some(PositionCrs::Gcj02),
    })
}

fn exif_position(exif: Option<&ExifSummary>) -> Option<JudgedPosition> {
    let position = exif?.position.as_ref()?;
    Some(JudgedPosition {
        lon: position.lon,
        lat: position.lat,
        accuracy_m: None,
        source: PositionSource::Exif,
        converted_from: None,
    })
}

fn stored_exif(row: &FileRow) -> Option<ExifSummary> {
    let json = row.exif.as_deref()?;
    match serde_json::from_str(json) {
        Ok(exif) => Some(exif),
        Err(error) => {
            tracing::warn!(sha256 = %row.sha256, %error, "stored EXIF summary unreadable");
            None
        }
    }
}

fn file_facts(
    conn: &mut DbConn,
    context: &PhotoContext,
    row: FileRow,
    exif: Option<ExifSummary>,
    hashes: &PerceptualHashes,
    near_duplicate_bits: u32,
) -> QueryResult<FileFacts> {
    let mut similar: Vec<(String, u32)> = vec![(row.sha256.clone(), 0)];
    if let Some(own) = row.perceptual_hash {
        similar.extend(
            hashes
                .iter()
                .filter(|(sha256, _)| *sha256 != row.sha256)
                .map(|(sha256, hash)| (sha256, hamming_distance(*hash as u64, own as u64)))
                .filter(|(_, bits)| *bits <= near_duplicate_bits)
                .map(|(sha256, bits)| (sha256.clone(), bits)),
        );
    }
    let files: Vec<String> = similar.iter().map(|(sha256, _)| sha256.clone()).collect();
    let (mut same_file_elsewhere, mut near_duplicates) = (Vec::new(), Vec::new());
    for other in repo::photos_of_files(conn, &files)? {
        if other.parcel_id == context.parcel_id {
            continue;
        }
        let bits = similar
            .iter()
            .find(|(sha256, _)| Some(sha256) == other.sha256.as_ref())
            .map_or(0, |(_, bits)| *bits);
        let same_file = other.sha256.as_deref() == Some(row.sha256.as_str());
        let entry = OtherPhoto {
            photo_id: other.photo_id,
            parcel_id: other.parcel_id,
            earlier_campaign: other.campaign_created_at < context.campaign_created_at,
            campaign_id: other.campaign_id,
            distance_bits: bits,
        };
        if same_file {
            same_file_elsewhere.push(entry);
        } else {
            near_duplicates.push(entry);
        }
    }
    Ok(FileFacts {
        exif,
        exif_error: row.exif_error,
        same_file_elsewhere,
        near_duplicates,
    })
}

fn leg(here: JudgedPosition, taken_at: DateTime<Utc>, other: repo::TimelinePhoto) -> TravelLeg {
    let distance_m = ground_distance_m((here.lon, here.lat), (other.lon, other.lat));
    let slack = here.accuracy_m.unwrap_or(0.0) + other.accuracy_m.unwrap_or(0.0);
    let other_taken_at = other.taken_at.and_utc();
    TravelLeg {
        other_photo_id: other.photo_id,
        other_taken_at,
        distance_m,
        unexplained_m: (distance_m - slack).max(0.0),
        seconds: (taken_at - other_taken_at).abs().as_seconds_f64(),
    }
}

/// From the first phase's first day to the end of the last phase's last day, in China
/// Standard Time; `None` for a campaign without phases.
fn campaign_window(phases_json: &str) -> Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)> {
    let phases: Vec<Phase> = serde_json::from_str(phases_json).ok()?;
    let first = phases.iter().map(|p| p.starts_on).min()?;
    let last = phases.iter().map(|p| p.ends_on).max()?;
    let local = |date: chrono::NaiveDate| {
        date.and_time(NaiveTime::MIN)
            .and_local_timezone(CHINA_STANDARD_TIME)
            .single()
    };
    let starts = local(first)?;
    let ends = local(last)? + TimeDelta::days(1) - TimeDelta::seconds(1);
    Some((starts, ends))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_runs_from_its_first_morning_to_its_last_midnight_in_china() {
        let phases = r#"[{"kind":"self_check","starts_on":"2023-07-25","ends_on":"2023-07-28"},
                         {"kind":"summary","starts_on":"2023-08-26","ends_on":"2023-09-01"}]"#;
        let (starts, ends) = campaign_window(phases).unwrap_or_else(|| unreachable!());
        assert_eq!(starts.to_rfc3339(), "2023-07-25T00:00:00+08:00");
        assert_eq!(ends.to_rfc3339(), "2023-09-01T23:59:59+08:00");
        assert_eq!(campaign_window("[]"), None);
    }
}
