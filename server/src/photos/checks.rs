//! The checks a reviewer sees on each photo, as pure rules over facts gathered elsewhere
//! ([`super::gather`]). A check never rejects a photo: it raises a flag with what it found, and
//! the reviewer judges.

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use geo::{Distance, Haversine, Point};
use serde::{Deserialize, Serialize};
use tianzhang_sync::records::PositionCrs;
use utoipa::ToSchema;

use super::exif::ExifSummary;
use crate::config::CheckThresholds;

/// Editing programs whose name in EXIF `Software` means the image was changed after capture
/// (lower case; phone cameras write their firmware or camera app there instead).
const EDITING_SOFTWARE: [&str; 22] = [
    "photoshop",
    "lightroom",
    "gimp",
    "snapseed",
    "picsart",
    "vsco",
    "meitu",
    "美图",
    "醒图",
    "xingtu",
    "canva",
    "pixlr",
    "affinity photo",
    "paint.net",
    "photoscape",
    "polarr",
    "picasa",
    "acdsee",
    "capture one",
    "darktable",
    "rawtherapee",
    "photo editor",
];

/// China Standard Time (UTC+8, all of China): the campaign's dates are local dates, and so is
/// an EXIF time without an offset.
pub const CHINA_STANDARD_TIME: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// Distance over the ground between two WGS-84 points, in metres (haversine on the mean
/// Earth radius: within 0.5 %, plenty for flags).
pub fn ground_distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    Haversine.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
}

/// Where the position a check judged came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PositionSource {
    /// The position the phone reported with the record.
    Device,
    /// The file's EXIF GPS tags (when the record has no position).
    Exif,
}

/// A WGS-84 position the checks judged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JudgedPosition {
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: Option<f64>,
    pub source: PositionSource,
    /// The coordinate system the device gave, when it was converted to WGS-84 first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converted_from: Option<PositionCrs>,
}

/// Another photo record that a flag points at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OtherPhoto {
    pub photo_id: String,
    pub parcel_id: String,
    pub campaign_id: String,
    /// The other photo belongs to a campaign created before this photo's campaign.
    pub earlier_campaign: bool,
    /// Bits apart, of 64, for a near-duplicate; 0 for the same file.
    pub distance_bits: u32,
}

/// A stretch between this photo and another of the same device, in capture order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TravelLeg {
    pub other_photo_id: String,
    pub other_taken_at: DateTime<Utc>,
    pub distance_m: f64,
    /// Distance that the reported accuracies of the two fixes cannot explain.
    pub unexplained_m: f64,
    pub seconds: f64,
}

impl TravelLeg {
    /// The speed the leg needs, in km/h (infinite when no time passed).
    pub fn speed_kmh(&self) -> f64 {
        if self.unexplained_m <= 0.0 {
            0.0
        } else if self.seconds <= 0.0 {
            f64::INFINITY
        } else {
            self.unexplained_m / self.seconds * 3.6
        }
    }
}

/// Which parts of EXIF a photo lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExifPart {
    /// No EXIF block at all: every tag below is missing.
    All,
    Position,
    Time,
}

/// One thing a reviewer should look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Flag {
    /// The position lies outside the photo's parcel by more than its accuracy allows.
    OutsideParcel {
        distance_m: f64,
        accuracy_m: f64,
        source: PositionSource,
    },
    /// Neither the device nor the file gives a position.
    NoPosition,
    /// The EXIF position and the device's disagree beyond their accuracy.
    PositionMismatch { distance_m: f64 },
    /// The phone marked the fix as coming from a mock-location provider.
    MockLocation,
    /// Taken before the campaign's first day.
    BeforeCampaign {
        taken_at: DateTime<FixedOffset>,
        campaign_starts: DateTime<FixedOffset>,
    },
    /// Taken after the campaign's last day.
    AfterCampaign {
        taken_at: DateTime<FixedOffset>,
        campaign_ends: DateTime<FixedOffset>,
    },
    /// The capture time is later than the server received the record.
    TakenInFuture {
        taken_at: DateTime<FixedOffset>,
        received_at: DateTime<Utc>,
    },
    /// The record reached the server long after the capture.
    LateUpload {
        taken_at: DateTime<FixedOffset>,
        received_at: DateTime<Utc>,
        days: f64,
    },
    /// The EXIF capture time and the device's disagree.
    TimeMismatch {
        device_time: DateTime<FixedOffset>,
        exif_time: DateTime<FixedOffset>,
        seconds: i64,
    },
    /// The file lacks EXIF, or its position or time.
    ExifMissing { missing: Vec<ExifPart> },
    /// The file's EXIF block cannot be read.
    ExifUnreadable { error: String },
    /// EXIF names an editing program.
    EditingSoftware { software: String },
    /// The same file is a photo on another parcel.
    SameFileElsewhere { photos: Vec<OtherPhoto> },
    /// A file that looks the same is a photo on another parcel or of an earlier campaign.
    NearDuplicate { photos: Vec<OtherPhoto> },
    /// Getting here from the device's previous or next photo would need an impossible speed.
    ImpossibleTravel { leg: TravelLeg, speed_kmh: f64 },
}

/// What the checks found for one photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckReport {
    /// The position judged: the device's (in WGS-84), else the file's.
    pub position: Option<JudgedPosition>,
    /// Distance from that position to the parcel, in metres (0 inside).
    pub distance_to_parcel_m: Option<f64>,
    /// Whether the file's own evidence (EXIF, same and similar files) was looked at; until
    /// the file has arrived and been analysed, only the record was.
    pub file_checked: bool,
    pub flags: Vec<Flag>,
}

/// The file's side of the facts, once it is analysed.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    /// `None`: the file has no EXIF block.
    pub exif: Option<ExifSummary>,
    pub exif_error: Option<String>,
    pub same_file_elsewhere: Vec<OtherPhoto>,
    pub near_duplicates: Vec<OtherPhoto>,
}

/// What the checks judge, gathered from the record, the parcel, the file and other photos.
#[derive(Debug, Clone)]
pub struct Facts {
    pub position: Option<JudgedPosition>,
    pub distance_to_parcel_m: Option<f64>,
    /// The phone marked its fix as mocked.
    pub mock_location: bool,
    pub taken_at: DateTime<FixedOffset>,
    pub received_at: DateTime<Utc>,
    /// The campaign's first and last instants, when it has phases.
    pub campaign_window: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
    pub file: Option<FileFacts>,
    pub travel: Vec<TravelLeg>,
}

/// Runs every check.
pub fn evaluate(facts: &Facts, limits: &CheckThresholds) -> CheckReport {
    let mut flags = Vec::new();
    position_flags(facts, limits, &mut flags);
    time_flags(facts, limits, &mut flags);
    if let Some(file) = &facts.file {
        file_flags(facts, file, limits, &mut flags);
    }
    travel_flags(facts, limits, &mut flags);
    CheckReport {
        position: facts.position,
        distance_to_parcel_m: facts.distance_to_parcel_m,
        file_checked: facts.file.is_some(),
        flags,
    }
}

fn position_flags(facts: &Facts, limits: &CheckThresholds, flags: &mut Vec<Flag>) {
    if facts.mock_location {
        flags.push(Flag::MockLocation);
    }
    let Some(position) = facts.position else {
        // A file not yet analysed may still give one.
        if facts.file.is_some() {
            flags.push(Flag::NoPosition);
        }
        return;
    };
    if let Some(distance_m) = facts.distance_to_parcel_m {
        let accuracy_m = position.accuracy_m.unwrap_or(0.0);
        if distance_m > accuracy_m + limits.outside_parcel_m {
            flags.push(Flag::OutsideParcel {
                distance_m,
                accuracy_m,
                source: position.source,
            });
        }
    }
}

fn time_flags(facts: &Facts, limits: &CheckThresholds, flags: &mut Vec<Flag>) {
    let taken_at = facts.taken_at;
    if let Some((starts, ends)) = facts.campaign_window {
        if taken_at < starts {
            flags.push(Flag::BeforeCampaign {
                taken_at,
                campaign_starts: starts,
            });
        } else if taken_at > ends {
            flags.push(Flag::AfterCampaign {
                taken_at,
                campaign_ends: ends,
            });
        }
    }
    let ahead = taken_at.with_timezone(&Utc) - facts.received_at;
    if ahead > seconds(limits.clock_tolerance_secs) {
        flags.push(Flag::TakenInFuture {
            taken_at,
            received_at: facts.received_at,
        });
    }
    let delay = facts.received_at - taken_at.with_timezone(&Utc);
    if delay > seconds(limits.max_upload_delay_days.saturating_mul(86_400)) {
        flags.push(Flag::LateUpload {
            taken_at,
            received_at: facts.received_at,
            days: delay.num_seconds() as f64 / 86_400.0,
        });
    }
}

fn file_flags(facts: &Facts, file: &FileFacts, limits: &CheckThresholds, flags: &mut Vec<Flag>) {
    if let Some(error) = &file.exif_error {
        flags.push(Flag::ExifUnreadable {
            error: error.clone(),
        });
    }
    match &file.exif {
        None if file.exif_error.is_none() => flags.push(Flag::ExifMissing {
            missing: vec![ExifPart::All],
        }),
        None => {}
        Some(exif) => exif_flags(facts, exif, limits, flags),
    }
    if !file.same_file_elsewhere.is_empty() {
        flags.push(Flag::SameFileElsewhere {
            photos: file.same_file_elsewhere.clone(),
        });
    }
    if !file.near_duplicates.is_empty() {
        flags.push(Flag::NearDuplicate {
            photos: file.near_duplicates.clone(),
        });
    }
}

fn exif_flags(facts: &Facts, exif: &ExifSummary, limits: &CheckThresholds, flags: &mut Vec<Flag>) {
    let mut missing = Vec::new();
    if exif.position.is_none() {
        missing.push(ExifPart::Position);
    }
    match &exif.taken_at {
        None => missing.push(ExifPart::Time),
        Some(time) => {
            let exif_time = time.instant(CHINA_STANDARD_TIME);
            let seconds_apart = (exif_time - facts.taken_at).num_seconds();
            if seconds_apart.unsigned_abs() > limits.time_mismatch_secs {
                flags.push(Flag::TimeMismatch {
                    device_time: facts.taken_at,
                    exif_time,
                    seconds: seconds_apart,
                });
            }
        }
    }
    if !missing.is_empty() {
        flags.push(Flag::ExifMissing { missing });
    }
    if let (Some(device), Some(file)) = (facts.position, &exif.position)
        && device.source == PositionSource::Device
    {
        let distance_m = ground_distance_m((device.lon, device.lat), (file.lon, file.lat));
        if distance_m > device.accuracy_m.unwrap_or(0.0) + limits.position_mismatch_m {
            flags.push(Flag::PositionMismatch { distance_m });
        }
    }
    if let Some(software) = &exif.software {
        let lower = software.to_lowercase();
        if EDITING_SOFTWARE.iter().any(|name| lower.contains(name)) {
            flags.push(Flag::EditingSoftware {
                software: software.clone(),
            });
        }
    }
}

fn travel_flags(facts: &Facts, limits: &CheckThresholds, flags: &mut Vec<Flag>) {
    let fastest = facts
        .travel
        .iter()
        .map(|leg| (leg, leg.speed_kmh()))
        .filter(|(_, speed)| *speed > limits.max_travel_speed_kmh)
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((leg, speed_kmh)) = fastest {
        flags.push(Flag::ImpossibleTravel {
            leg: leg.clone(),
            // JSON has no infinity: the same instant is reported as the distance per second.
            speed_kmh: if speed_kmh.is_finite() {
                speed_kmh
            } else {
                leg.unexplained_m * 3.6
            },
        });
    }
}

fn seconds(secs: u64) -> TimeDelta {
    TimeDelta::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::photos::exif::ExifTime;

    fn facts() -> Facts {
        let taken_at = CHINA_STANDARD_TIME
            .with_ymd_and_hms(2023, 8, 2, 9, 15, 0)
            .single()
            .unwrap_or_else(|| unreachable!());
        Facts {
            position: Some(JudgedPosition {
                lon: 116.3,
                lat: 28.4,
                accuracy_m: Some(5.0),
                source: PositionSource::Device,
                converted_from: None,
            }),
            distance_to_parcel_m: Some(0.0),
            mock_location: false,
            taken_at,
            received_at: taken_at.with_timezone(&Utc) + TimeDelta::hours(1),
            campaign_window: None,
            file: None,
            travel: Vec::new(),
        }
    }

    /// The flags' codes as the JSON names them.
    fn codes(report: &CheckReport) -> Vec<String> {
        let json = serde_json::to_value(&report.flags).unwrap_or_default();
        json.as_array()
            .into_iter()
            .flatten()
            .filter_map(|flag| flag["code"].as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn the_reported_accuracy_explains_a_position_just_outside() {
        let limits = CheckThresholds::default();
        let mut outside = facts();
        outside.distance_to_parcel_m = Some(4.9);
        assert!(codes(&evaluate(&outside, &limits)).is_empty());
        outside.distance_to_parcel_m = Some(5.1);
        assert_eq!(codes(&evaluate(&outside, &limits)), ["outside_parcel"]);
    }

    #[test]
    fn two_places_at_the_same_instant_give_a_finite_speed() {
        let mut jump = facts();
        jump.travel.push(TravelLeg {
            other_photo_id: "other".into(),
            other_taken_at: jump.taken_at.with_timezone(&Utc),
            distance_m: 1_010.0,
            unexplained_m: 1_000.0,
            seconds: 0.0,
        });
        let report = evaluate(&jump, &CheckThresholds::default());
        let Some(Flag::ImpossibleTravel { speed_kmh, .. }) = report.flags.first() else {
            panic!("{report:?}");
        };
        assert!(speed_kmh.is_finite());
        assert!(serde_json::to_string(&report).is_ok());
    }

    #[test]
    fn camera_firmware_is_not_an_editor_but_an_editor_is() {
        let limits = CheckThresholds::default();
        let with_software = |software: &str| {
            let mut photo = facts();
            photo.file = Some(FileFacts {
                exif: Some(ExifSummary {
                    position: Some(crate::photos::exif::ExifPosition {
                        lon: 116.3,
                        lat: 28.4,
                    }),
                    taken_at: Some(ExifTime {
                        local: photo.taken_at.naive_local(),
                        offset: None,
                    }),
                    software: Some(software.to_owned()),
                    ..ExifSummary::default()
                }),
                ..FileFacts::default()
            });
            codes(&evaluate(&photo, &limits))
        };
        for camera in ["MIUI Camera", "HDR+ 1.0.540104767zd", "16.5", "Galaxy S23"] {
            assert!(with_software(camera).is_empty(), "{camera}");
        }
        for editor in [
            "Adobe Photoshop 24.0",
            "Snapseed 2.0",
            "美图秀秀",
            "GIMP 2.10",
        ] {
            assert_eq!(with_software(editor), ["editing_software"], "{editor}");
        }
    }
}
