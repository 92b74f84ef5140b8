//! What an original photo's EXIF says about where, when, which way and with what it was taken.
//!
//! Read leniently: a tag with the wrong type or count, an impossible value (zero denominator,
//! latitude beyond 90°, month 0) or a blank one leaves that field empty and the rest readable.
//! Positions are WGS-84 as the EXIF standard has them; signs come from the N/S and E/W refs.

use std::io::Cursor;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use exif::{Exif, In, Tag, Value};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The EXIF fields Tianzhang uses, each `None` when absent or unusable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExifSummary {
    /// WGS-84 degrees (EXIF GPS is WGS-84 by the standard; `map_datum` says if the phone
    /// claimed another datum).
    pub position: Option<ExifPosition>,
    /// GPSMapDatum, as written.
    pub map_datum: Option<String>,
    /// GPSAltitude in metres, negative below sea level.
    pub altitude_m: Option<f64>,
    /// GPSImgDirection: which way the camera looked, degrees clockwise from north.
    pub direction_deg: Option<f64>,
    /// GPSImgDirectionRef: "T" (true north) or "M" (magnetic north).
    pub direction_ref: Option<String>,
    /// The camera clock when the photo was taken.
    pub taken_at: Option<ExifTime>,
    /// GPSDateStamp + GPSTimeStamp: the satellite clock at the fix, UTC.
    pub gps_time: Option<DateTime<Utc>>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub software: Option<String>,
    /// How to turn the stored pixels upright (1–8, 1 = as stored).
    pub orientation: Option<u16>,
}

/// A WGS-84 position in degrees, east and north positive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExifPosition {
    pub lon: f64,
    pub lat: f64,
}

/// A camera clock reading: local time, and its UTC offset when the phone wrote one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExifTime {
    /// Local date and time, without offset.
    #[schema(value_type = String, example = "2025-06-01T10:15:30")]
    pub local: NaiveDateTime,
    /// OffsetTimeOriginal (EXIF 2.31) or its fallback, as "+08:00".
    #[serde(default, with = "offset_text")]
    #[schema(value_type = Option<String>, example = "+08:00")]
    pub offset: Option<FixedOffset>,
}

impl ExifTime {
    /// The instant, taking the local time at `fallback` when the photo gave no offset.
    pub fn instant(&self, fallback: FixedOffset) -> DateTime<FixedOffset> {
        let offset = self.offset.unwrap_or(fallback);
        // A fixed offset maps every local time to one instant, except within a day of
        // chrono's range ends (year ±262 143), where the local time is taken as UTC.
        offset
            .from_local_datetime(&self.local)
            .single()
            .unwrap_or_else(|| self.local.and_utc().fixed_offset())
    }
}

/// The photo has an EXIF block, but not one that can be read.
#[derive(Debug, thiserror::Error)]
#[error("unreadable EXIF block: {0}")]
pub struct ExifError(exif::Error);

/// The EXIF summary of a JPEG's bytes; `Ok(None)` when it carries no EXIF at all.
pub fn read(jpeg: &[u8]) -> Result<Option<ExifSummary>, ExifError> {
    Ok(parse(jpeg)?.map(|exif| summarize(&exif)))
}

fn parse(jpeg: &[u8]) -> Result<Option<Exif>, ExifError> {
    let result = exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut Cursor::new(jpeg));
    match result {
        Ok(exif) => Ok(Some(exif)),
        Err(exif::Error::NotFound(_)) => Ok(None),
        // Phones and editors leave broken entries (a value past the end, a bad sub-IFD
        // pointer) next to good ones: keep what could be read, if anything.
        Err(exif::Error::PartialResult(partial)) => {
            let (exif, errors) = partial.into_inner();
            match errors.into_iter().next() {
                Some(first) if exif.fields().len() == 0 => Err(ExifError(first)),
                _ => Ok(Some(exif)),
            }
        }
        Err(error) => Err(ExifError(error)),
    }
}

fn summarize(exif: &Exif) -> ExifSummary {
    ExifSummary {
        position: position(exif),
        map_datum: text(exif, Tag::GPSMapDatum),
        altitude_m: altitude_m(exif),
        direction_deg: direction_deg(exif),
        direction_ref: text(exif, Tag::GPSImgDirectionRef).filter(|r| r == "T" || r == "M"),
        taken_at: taken_at(exif),
        gps_time: gps_time(exif),
        make: text(exif, Tag::Make),
        model: text(exif, Tag::Model),
        software: text(exif, Tag::Software),
        orientation: orientation(exif),
    }
}

fn position(exif: &Exif) -> Option<ExifPosition> {
    let lat = signed_degrees(
        exif,
        Tag::GPSLatitude,
        Tag::GPSLatitudeRef,
        ("N", "S"),
        90.0,
    )?;
    let lon = signed_degrees(
        exif,
        Tag::GPSLongitude,
        Tag::GPSLongitudeRef,
        ("E", "W"),
        180.0,
    )?;
    // Phones without a fix sometimes write 0/0 rather than nothing.
    (lat != 0.0 || lon != 0.0).then_some(ExifPosition { lon, lat })
}

/// Degrees from degree/minute/second rationals, negative when the ref says so.
fn signed_degrees(
    exif: &Exif,
    tag: Tag,
    ref_tag: Tag,
    (positive, negative): (&str, &str),
    limit: f64,
) -> Option<f64> {
    let [d, m, s] = rationals(exif, tag)?;
    let degrees = d + m / 60.0 + s / 3600.0;
    let reference = text(exif, ref_tag)?;
    let sign = if reference.eq_ignore_ascii_case(positive) {
        1.0
    } else if reference.eq_ignore_ascii_case(negative) {
        -1.0
    } else {
        return None;
    };
    (degrees <= limit).then_some(sign * degrees)
}

fn altitude_m(exif: &Exif) -> Option<f64> {
    let [metres] = rationals(exif, Tag::GPSAltitude)?;
    // GPSAltitudeRef: 0 above sea level (also when absent), 1 below.
    match exif.get_field(Tag::GPSAltitudeRef, In::PRIMARY) {
        None => Some(metres),
        Some(field) => match single_uint(&field.value)? {
            0 => Some(metres),
            1 => Some(-metres),
            _ => None,
        },
    }
}

fn direction_deg(exif: &Exif) -> Option<f64> {
    let [degrees] = rationals(exif, Tag::GPSImgDirection)?;
    // 360 is north too; some phones write it.
    (degrees <= 360.0).then_some(degrees % 360.0)
}

/// Each capture time with the sub-second and offset tags that go with it, best first.
const CAPTURE_TIMES: [(Tag, Tag, Tag); 3] = [
    (
        Tag::DateTimeOriginal,
        Tag::SubSecTimeOriginal,
        Tag::OffsetTimeOriginal,
    ),
    (
        Tag::DateTimeDigitized,
        Tag::SubSecTimeDigitized,
        Tag::OffsetTimeDigitized,
    ),
    (Tag::DateTime, Tag::SubSecTime, Tag::OffsetTime),
];

fn taken_at(exif: &Exif) -> Option<ExifTime> {
    CAPTURE_TIMES
        .iter()
        .find_map(|&(time_tag, subsec_tag, offset_tag)| {
            let local = local_time(exif, time_tag, subsec_tag)?;
            // OffsetTime is the camera's zone setting: good for any of the three.
            let offset =
                time_offset(exif, offset_tag).or_else(|| time_offset(exif, Tag::OffsetTime));
            Some(ExifTime { local, offset })
        })
}

/// "YYYY:MM:DD HH:MM:SS" plus optional sub-second digits; None when blank or impossible.
fn local_time(exif: &Exif, tag: Tag, subsec_tag: Tag) -> Option<NaiveDateTime> {
    let mut parsed = exif::DateTime::from_ascii(text(exif, tag)?.as_bytes()).ok()?;
    if let Some(subsec) = text(exif, subsec_tag) {
        // Malformed sub-seconds leave whole seconds.
        parsed.parse_subsec(subsec.as_bytes()).ok();
    }
    let date = NaiveDate::from_ymd_opt(parsed.year.into(), parsed.month.into(), parsed.day.into())?;
    let time = NaiveTime::from_hms_nano_opt(
        parsed.hour.into(),
        parsed.minute.into(),
        parsed.second.into(),
        parsed.nanosecond.unwrap_or(0),
    )?;
    Some(date.and_time(time))
}

/// An OffsetTime-like tag: "+08:00".
fn time_offset(exif: &Exif, tag: Tag) -> Option<FixedOffset> {
    text(exif, tag)?.parse().ok()
}

fn gps_time(exif: &Exif) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(&text(exif, Tag::GPSDateStamp)?, "%Y:%m:%d").ok()?;
    let [hours, minutes, seconds] = rationals(exif, Tag::GPSTimeStamp)?;
    if hours >= 24.0 || minutes >= 60.0 || seconds >= 60.0 {
        return None;
    }
    let nanos = ((hours * 3600.0 + minutes * 60.0 + seconds) * 1e9).round() as u64;
    let time = NaiveTime::from_num_seconds_from_midnight_opt(
        u32::try_from(nanos / 1_000_000_000).ok()?,
        u32::try_from(nanos % 1_000_000_000).ok()?,
    )?;
    Some(date.and_time(time).and_utc())
}

fn orientation(exif: &Exif) -> Option<u16> {
    let field = exif.get_field(Tag::Orientation, In::PRIMARY)?;
    u16::try_from(single_uint(&field.value)?)
        .ok()
        .filter(|o| (1..=8).contains(o))
}

/// Exactly `N` unsigned rationals, as finite numbers (a zero denominator is not).
fn rationals<const N: usize>(exif: &Exif, tag: Tag) -> Option<[f64; N]> {
    let Value::Rational(values) = &exif.get_field(tag, In::PRIMARY)?.value else {
        return None;
    };
    let values: &[exif::Rational; N] = values.as_slice().try_into().ok()?;
    let numbers = values.map(|r| r.to_f64());
    numbers.iter().all(|n| n.is_finite()).then_some(numbers)
}

/// Exactly one unsigned integer (BYTE, SHORT or LONG).
fn single_uint(value: &Value) -> Option<u32> {
    let mut values = value.iter_uint()?;
    match (values.next(), values.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// An ASCII tag's first non-blank string, trimmed (the reader already splits at NULs).
fn text(exif: &Exif, tag: Tag) -> Option<String> {
    let Value::Ascii(strings) = &exif.get_field(tag, In::PRIMARY)?.value else {
        return None;
    };
    strings
        .iter()
        .map(|s| String::from_utf8_lossy(s).trim().to_owned())
        .find(|s| !s.is_empty())
}

/// `Option<FixedOffset>` as "+08:00": chrono has no serde form for a bare offset.
mod offset_text {
    use chrono::FixedOffset;
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        offset: &Option<FixedOffset>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        offset.map(|o| o.to_string()).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<FixedOffset>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| text.parse().map_err(D::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use exif::experimental::Writer;
    use exif::{Field, Rational};
    use image::RgbImage;
    use image::codecs::jpeg::JpegEncoder;

    use super::*;

    fn field(tag: Tag, value: Value) -> Field {
        Field {
            tag,
            ifd_num: In::PRIMARY,
            value,
        }
    }

    fn ascii(text: &str) -> Value {
        Value::Ascii(vec![text.as_bytes().to_vec()])
    }

    fn rational_values(values: &[(u32, u32)]) -> Value {
        Value::Rational(values.iter().map(|&r| Rational::from(r)).collect())
    }

    fn plain_jpeg() -> Vec<u8> {
        let mut jpeg = Vec::new();
        JpegEncoder::new(&mut jpeg)
            .encode_image(&RgbImage::new(8, 8))
            .unwrap();
        jpeg
    }

    /// A JPEG whose APP1 segment, right after SOI, holds `tiff` (a TIFF-format EXIF block).
    fn jpeg_with_block(tiff: &[u8]) -> Vec<u8> {
        let plain = plain_jpeg();
        let mut jpeg = plain[..2].to_vec();
        jpeg.extend([0xFF, 0xE1]);
        jpeg.extend(u16::try_from(tiff.len() + 8).unwrap().to_be_bytes());
        jpeg.extend(b"Exif\0\0");
        jpeg.extend(tiff);
        jpeg.extend(&plain[2..]);
        jpeg
    }

    /// A big-endian EXIF block (the tests crate writes little-endian ones).
    fn block(fields: &[Field]) -> Vec<u8> {
        let mut writer = Writer::new();
        for field in fields {
            writer.push_field(field);
        }
        let mut tiff = Cursor::new(Vec::new());
        writer.write(&mut tiff, false).unwrap();
        tiff.into_inner()
    }

    fn jpeg_with(fields: &[Field]) -> Vec<u8> {
        jpeg_with_block(&block(fields))
    }

    fn summary_of(fields: &[Field]) -> ExifSummary {
        read(&jpeg_with(fields)).unwrap().unwrap()
    }

    fn gps(lat_ref: &str, lon_ref: &str) -> Vec<Field> {
        vec![
            field(Tag::GPSLatitudeRef, ascii(lat_ref)),
            field(
                Tag::GPSLatitude,
                rational_values(&[(28, 1), (24, 1), (3600, 100)]),
            ),
            field(Tag::GPSLongitudeRef, ascii(lon_ref)),
            field(
                Tag::GPSLongitude,
                rational_values(&[(116, 1), (18, 1), (0, 1)]),
            ),
        ]
    }

    #[test]
    fn no_exif_is_none() {
        assert_eq!(read(&plain_jpeg()).unwrap(), None);
    }

    #[test]
    fn unreadable_block_is_an_error() {
        assert!(read(&jpeg_with_block(b"MM\0\x2a\0\0\0\x08\xff")).is_err());
        assert!(read(&jpeg_with_block(b"not a TIFF header")).is_err());
    }

    #[test]
    fn a_broken_entry_leaves_the_others_readable() {
        let mut tiff = block(&[
            field(Tag::Make, ascii("Xiaomi")),
            field(Tag::Model, ascii("Redmi Note 12")),
        ]);
        // Point Make's value (tag 0x010F, type ASCII) past the end of the block.
        let entry = tiff
            .windows(4)
            .position(|w| w == [0x01, 0x0F, 0, 2])
            .unwrap();
        tiff[entry + 8..entry + 12].copy_from_slice(&[0xFF; 4]);
        let summary = read(&jpeg_with_block(&tiff)).unwrap().unwrap();
        assert_eq!(summary.make, None);
        assert_eq!(summary.model.as_deref(), Some("Redmi Note 12"));
    }

    #[test]
    fn signs_come_from_the_refs() {
        let position = |lat_ref, lon_ref| summary_of(&gps(lat_ref, lon_ref)).position.unwrap();
        assert_eq!(
            position("N", "E"),
            ExifPosition {
                lon: 116.3,
                lat: 28.41
            }
        );
        assert_eq!(
            position("S", "W"),
            ExifPosition {
                lon: -116.3,
                lat: -28.41
            }
        );
        assert_eq!(summary_of(&gps("N", "X")).position, None);
    }

    #[test]
    fn altitude_below_sea_level_is_negative() {
        let altitude = |reference: u8| {
            summary_of(&[
                field(Tag::GPSAltitudeRef, Value::Byte(vec![reference])),
                field(Tag::GPSAltitude, rational_values(&[(1545, 10)])),
            ])
            .altitude_m
        };
        assert_eq!(altitude(0), Some(154.5));
        assert_eq!(altitude(1), Some(-154.5));
        assert_eq!(altitude(7), None);
    }

    #[test]
    fn offset_is_read_when_present() {
        let time = |extra: &[Field]| {
            let mut fields = vec![
                field(Tag::DateTimeOriginal, ascii("2025:06:01 10:15:30")),
                field(Tag::SubSecTimeOriginal, ascii("25")),
            ];
            fields.extend_from_slice(extra);
            summary_of(&fields).taken_at.unwrap()
        };
        let local = NaiveDate::from_ymd_opt(2025, 6, 1)
            .and_then(|d| d.and_hms_milli_opt(10, 15, 30, 250))
            .unwrap();
        let east8 = FixedOffset::east_opt(8 * 3600).unwrap();

        let with = time(&[field(Tag::OffsetTimeOriginal, ascii("+08:00"))]);
        assert_eq!(
            with,
            ExifTime {
                local,
                offset: Some(east8)
            }
        );
        let utc = FixedOffset::east_opt(0).unwrap();
        assert_eq!(
            with.instant(utc).to_rfc3339(),
            "2025-06-01T10:15:30.250+08:00"
        );

        let fallback = time(&[field(Tag::OffsetTime, ascii("-03:00"))]);
        assert_eq!(fallback.offset, FixedOffset::west_opt(3 * 3600));

        let without = time(&[]);
        assert_eq!(without.offset, None);
        assert_eq!(without.instant(east8), with.instant(utc));
    }

    #[test]
    fn orientation_is_one_to_eight() {
        let orientation = |value: u16| {
            summary_of(&[field(Tag::Orientation, Value::Short(vec![value]))]).orientation
        };
        assert_eq!(orientation(6), Some(6));
        assert_eq!(orientation(0), None);
        assert_eq!(orientation(9), None);
    }

    #[test]
    fn garbage_values_are_skipped() {
        let summary = summary_of(&[
            // Zero denominator, and a latitude past the pole.
            field(Tag::GPSLatitudeRef, ascii("N")),
            field(
                Tag::GPSLatitude,
                rational_values(&[(91, 1), (0, 1), (0, 1)]),
            ),
            field(Tag::GPSLongitudeRef, ascii("E")),
            field(
                Tag::GPSLongitude,
                rational_values(&[(116, 0), (0, 1), (0, 1)]),
            ),
            // Wrong types and counts.
            field(Tag::GPSAltitude, ascii("45")),
            field(Tag::GPSImgDirection, rational_values(&[(90, 1), (1, 1)])),
            field(Tag::Orientation, Value::Short(vec![1, 1])),
            // Invalid and blank dates; a broken sub-second keeps the whole seconds.
            field(Tag::DateTimeOriginal, ascii("0000:00:00 00:00:00")),
            field(Tag::DateTimeDigitized, ascii("    :  :     :  :  ")),
            field(Tag::DateTime, ascii("2025:06:01 10:15:30")),
            field(Tag::SubSecTime, ascii("x1")),
            field(Tag::GPSDateStamp, ascii("2025:02:30")),
            field(
                Tag::GPSTimeStamp,
                rational_values(&[(2, 1), (15, 1), (30, 1)]),
            ),
            // NULs and blanks.
            field(
                Tag::Make,
                Value::Ascii(vec![vec![], b"  Xiaomi \0".to_vec()]),
            ),
            field(Tag::Model, ascii("   ")),
        ]);
        let local = NaiveDate::from_ymd_opt(2025, 6, 1).and_then(|d| d.and_hms_opt(10, 15, 30));
        assert_eq!(
            summary,
            ExifSummary {
                taken_at: Some(ExifTime {
                    local: local.unwrap(),
                    offset: None
                }),
                make: Some("Xiaomi".into()),
                ..ExifSummary::default()
            }
        );
    }

    #[test]
    fn json_round_trips() {
        let summary = summary_of(&[
            field(Tag::DateTimeOriginal, ascii("2025:06:01 10:15:30")),
            field(Tag::OffsetTimeOriginal, ascii("+08:00")),
            field(Tag::GPSDateStamp, ascii("2025:06:01")),
            field(
                Tag::GPSTimeStamp,
                rational_values(&[(2, 1), (15, 1), (295, 10)]),
            ),
        ]);
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(
            json["taken_at"],
            serde_json::json!({"local": "2025-06-01T10:15:30", "offset": "+08:00"})
        );
        assert_eq!(json["gps_time"], "2025-06-01T02:15:29.500Z");
        let back: ExifSummary = serde_json::from_value(json).unwrap();
        assert_eq!(back, summary);
    }
}
