//! Photos with EXIF for tests: known GPS, time, direction and camera tags written into any
//! JPEG, the way a phone writes them.

use std::io::Cursor;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Timelike, Utc};
use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::{ImageFormat, ImageReader};

/// The tags to write; `None` leaves a tag out.
#[derive(Debug, Clone, Default)]
pub struct ExifTags {
    /// (lon, lat), WGS-84 degrees, any sign.
    pub position: Option<(f64, f64)>,
    /// GPSMapDatum, e.g. "WGS-84".
    pub map_datum: Option<&'static str>,
    pub altitude_m: Option<f64>,
    /// GPSImgDirection, true north.
    pub direction_deg: Option<f64>,
    /// The camera clock; sub-seconds go to the SubSecTime tags.
    pub taken_at: Option<NaiveDateTime>,
    /// The camera clock's offset, e.g. "+08:00".
    pub offset: Option<&'static str>,
    pub gps_time: Option<DateTime<Utc>>,
    pub make: Option<&'static str>,
    pub model: Option<&'static str>,
    pub software: Option<&'static str>,
    pub orientation: Option<u16>,
}

impl ExifTags {
    /// A typical Xiaomi phone photo taken in China at `taken_at` Beijing time, upright, its
    /// last GPS fix at the same moment.
    pub fn phone(lon: f64, lat: f64, taken_at: NaiveDateTime) -> Self {
        ExifTags {
            position: Some((lon, lat)),
            altitude_m: Some(45.0),
            direction_deg: Some(123.45),
            taken_at: Some(taken_at),
            offset: Some("+08:00"),
            gps_time: Some((taken_at - TimeDelta::hours(8)).and_utc()),
            make: Some("Xiaomi"),
            model: Some("Redmi Note 12"),
            orientation: Some(1),
            ..ExifTags::default()
        }
    }

    fn fields(&self, (width, height): (u32, u32)) -> Vec<Field> {
        let mut fields = required_fields(width, height);
        fields.push(field(Tag::GPSVersionID, Value::Byte(vec![2, 3, 0, 0])));
        if let Some((lon, lat)) = self.position {
            fields.extend([
                field(
                    Tag::GPSLatitudeRef,
                    ascii(if lat < 0.0 { "S" } else { "N" }),
                ),
                field(Tag::GPSLatitude, dms(lat)),
                field(
                    Tag::GPSLongitudeRef,
                    ascii(if lon < 0.0 { "W" } else { "E" }),
                ),
                field(Tag::GPSLongitude, dms(lon)),
            ]);
        }
        if let Some(datum) = self.map_datum {
            fields.push(field(Tag::GPSMapDatum, ascii(datum)));
        }
        if let Some(altitude) = self.altitude_m {
            fields.extend([
                field(
                    Tag::GPSAltitudeRef,
                    Value::Byte(vec![u8::from(altitude < 0.0)]),
                ),
                field(Tag::GPSAltitude, hundredths(altitude.abs())),
            ]);
        }
        if let Some(direction) = self.direction_deg {
            fields.extend([
                field(Tag::GPSImgDirectionRef, ascii("T")),
                field(Tag::GPSImgDirection, hundredths(direction)),
            ]);
        }
        if let Some(time) = self.gps_time {
            fields.extend(gps_time_fields(time));
        }
        if let Some(time) = self.taken_at {
            fields.extend(taken_at_fields(time));
        }
        if let Some(offset) = self.offset {
            for tag in [
                Tag::OffsetTime,
                Tag::OffsetTimeOriginal,
                Tag::OffsetTimeDigitized,
            ] {
                fields.push(field(tag, ascii(offset)));
            }
        }
        for (tag, text) in [
            (Tag::Make, self.make),
            (Tag::Model, self.model),
            (Tag::Software, self.software),
        ] {
            if let Some(text) = text {
                fields.push(field(tag, ascii(text)));
            }
        }
        if let Some(orientation) = self.orientation {
            fields.push(field(Tag::Orientation, Value::Short(vec![orientation])));
        }
        fields
    }
}

/// `jpeg` with an APP1 Exif segment holding `tags` right after SOI, in place of any Exif
/// segment it had.
pub fn with_exif(jpeg: &[u8], tags: &ExifTags) -> Vec<u8> {
    let dimensions = ImageReader::with_format(Cursor::new(jpeg), ImageFormat::Jpeg)
        .into_dimensions()
        .expect("a JPEG with a readable header");
    let block = exif_block(tags, dimensions);
    let segment_length = u16::try_from(2 + EXIF_ID.len() + block.len()).expect("EXIF fits APP1");
    let mut out = jpeg[..2].to_vec();
    assert_eq!(out, [0xFF, 0xD8], "a JPEG starts with SOI");
    out.extend([0xFF, APP1]);
    out.extend(segment_length.to_be_bytes());
    out.extend(EXIF_ID);
    out.extend(block);
    out.extend(without_exif_segments(&jpeg[2..]));
    out
}

const APP1: u8 = 0xE1;
const SOS: u8 = 0xDA;
const EXIF_ID: &[u8] = b"Exif\0\0";

/// The TIFF-format EXIF block, little-endian as most phones write it.
fn exif_block(tags: &ExifTags, dimensions: (u32, u32)) -> Vec<u8> {
    let fields = tags.fields(dimensions);
    let mut writer = Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut block = Cursor::new(Vec::new());
    writer.write(&mut block, true).expect("EXIF block encodes");
    block.into_inner()
}

/// The JPEG after SOI with its APP1 Exif segments left out: header segments are walked
/// up to the start of scan, the rest copied as is.
fn without_exif_segments(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rest.len());
    while let [0xFF, marker, high, low, ..] = *rest {
        if marker == SOS {
            break;
        }
        let end = 2 + usize::from(u16::from_be_bytes([high, low]));
        let (segment, after) = rest.split_at(end);
        if !(marker == APP1 && segment[4..].starts_with(EXIF_ID)) {
            out.extend(segment);
        }
        rest = after;
    }
    out.extend(rest);
    out
}

/// The tags EXIF 2.32 requires in a JPEG (what `exiftool -validate` checks), with a phone's
/// values.
fn required_fields(width: u32, height: u32) -> Vec<Field> {
    vec![
        field(Tag::XResolution, rationals(&[(72, 1)])),
        field(Tag::YResolution, rationals(&[(72, 1)])),
        field(Tag::ResolutionUnit, Value::Short(vec![2])),
        field(Tag::YCbCrPositioning, Value::Short(vec![1])),
        field(Tag::ExifVersion, Value::Undefined(b"0231".to_vec(), 0)),
        field(
            Tag::ComponentsConfiguration,
            Value::Undefined(vec![1, 2, 3, 0], 0),
        ),
        field(Tag::FlashpixVersion, Value::Undefined(b"0100".to_vec(), 0)),
        field(Tag::ColorSpace, Value::Short(vec![1])),
        field(Tag::PixelXDimension, Value::Long(vec![width])),
        field(Tag::PixelYDimension, Value::Long(vec![height])),
    ]
}

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

/// Degrees, minutes and seconds to 1/10 000 of a second (3 mm), of the absolute value.
fn dms(degrees: f64) -> Value {
    const UNITS_PER_DEGREE: u64 = 3600 * 10_000;
    let total = (degrees.abs() * UNITS_PER_DEGREE as f64).round() as u64;
    let (d, rest) = (total / UNITS_PER_DEGREE, total % UNITS_PER_DEGREE);
    let (m, s) = (rest / (60 * 10_000), rest % (60 * 10_000));
    rationals(&[(d, 1), (m, 1), (s, 10_000)])
}

/// A non-negative number to the hundredth.
fn hundredths(value: f64) -> Value {
    rationals(&[((value * 100.0).round() as u64, 100)])
}

fn rationals(values: &[(u64, u32)]) -> Value {
    Value::Rational(
        values
            .iter()
            .map(|&(num, denom)| Rational {
                num: u32::try_from(num).expect("rational fits 32 bits"),
                denom,
            })
            .collect(),
    )
}

/// GPSDateStamp and GPSTimeStamp, to the millisecond.
fn gps_time_fields(time: DateTime<Utc>) -> [Field; 2] {
    let millis = u64::from(time.second()) * 1000 + u64::from(time.timestamp_subsec_millis());
    [
        field(
            Tag::GPSDateStamp,
            ascii(&time.format("%Y:%m:%d").to_string()),
        ),
        field(
            Tag::GPSTimeStamp,
            rationals(&[
                (u64::from(time.hour()), 1),
                (u64::from(time.minute()), 1),
                (millis, 1000),
            ]),
        ),
    ]
}

/// DateTime, DateTimeOriginal and DateTimeDigitized (all the same, as phones write them),
/// with their SubSecTime tags when there are sub-seconds.
fn taken_at_fields(time: NaiveDateTime) -> Vec<Field> {
    let text = ascii(&time.format("%Y:%m:%d %H:%M:%S").to_string());
    let nanos = time.nanosecond();
    let subsec = (nanos != 0).then(|| {
        let digits = format!("{nanos:09}");
        ascii(digits.trim_end_matches('0'))
    });
    let mut fields = Vec::new();
    for (time_tag, subsec_tag) in [
        (Tag::DateTime, Tag::SubSecTime),
        (Tag::DateTimeOriginal, Tag::SubSecTimeOriginal),
        (Tag::DateTimeDigitized, Tag::SubSecTimeDigitized),
    ] {
        fields.push(field(time_tag, text.clone()));
        if let Some(subsec) = &subsec {
            fields.push(field(subsec_tag, subsec.clone()));
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use chrono::FixedOffset;
    use serde_json::Value as Json;
    use tianzhang_server::photos::exif::{ExifPosition, ExifSummary, ExifTime, read};

    use super::*;
    use crate::photos::photo;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    fn read_back(tags: &ExifTags) -> ExifSummary {
        let jpeg = with_exif(&photo(64, 48, 7, 40).bytes, tags);
        read(&jpeg).unwrap().expect("EXIF is there")
    }

    fn assert_near(actual: Option<ExifPosition>, (lon, lat): (f64, f64)) {
        let actual = actual.expect("a position");
        // The writer rounds to 1/10 000 of an arc second, 3e-8 degrees.
        assert!(
            (actual.lon - lon).abs() < 3e-8 && (actual.lat - lat).abs() < 3e-8,
            "{actual:?} vs ({lon}, {lat})"
        );
    }

    #[test]
    fn phone_photo_reads_back_tag_by_tag() {
        let taken = at("2025-06-01 10:15:30");
        let summary = read_back(&ExifTags::phone(116.301234, 28.412345, taken));
        assert_near(summary.position, (116.301234, 28.412345));
        let east8 = FixedOffset::east_opt(8 * 3600).unwrap();
        assert_eq!(
            ExifSummary {
                position: None,
                ..summary.clone()
            },
            ExifSummary {
                altitude_m: Some(45.0),
                direction_deg: Some(123.45),
                direction_ref: Some("T".into()),
                taken_at: Some(ExifTime {
                    local: taken,
                    offset: Some(east8),
                }),
                gps_time: Some(at("2025-06-01 02:15:30").and_utc()),
                make: Some("Xiaomi".into()),
                model: Some("Redmi Note 12".into()),
                orientation: Some(1),
                ..ExifSummary::default()
            }
        );
        let taken_at = summary.taken_at.unwrap();
        assert_eq!(
            taken_at.instant(FixedOffset::east_opt(0).unwrap()),
            summary.gps_time.unwrap()
        );
    }

    #[test]
    fn signs_of_every_quadrant_survive() {
        // Turpan (N/E), Santiago (S/W), San Francisco (N/W), Sydney (S/E), and the 180th
        // meridian.
        for position in [
            (89.189654, 42.947613),
            (-70.648270, -33.456940),
            (-122.419416, 37.774929),
            (151.209296, -33.868820),
            (-179.999999, 0.000001),
        ] {
            let tags = ExifTags {
                position: Some(position),
                ..ExifTags::default()
            };
            assert_near(read_back(&tags).position, position);
        }
    }

    #[test]
    fn altitude_below_sea_level_and_datum_survive() {
        // Aydingkol Lake, Turpan Depression.
        let tags = ExifTags {
            altitude_m: Some(-154.31),
            map_datum: Some("WGS-84"),
            ..ExifTags::default()
        };
        let summary = read_back(&tags);
        assert_eq!(summary.altitude_m, Some(-154.31));
        assert_eq!(summary.map_datum.as_deref(), Some("WGS-84"));
    }

    #[test]
    fn time_without_offset_and_with_subseconds() {
        let taken = at("2024-12-31 23:59:59.125");
        let tags = ExifTags {
            taken_at: Some(taken),
            gps_time: Some(at("2024-12-31 15:59:58.5").and_utc()),
            software: Some("MIUI Camera"),
            ..ExifTags::default()
        };
        let summary = read_back(&tags);
        let taken_at = summary.taken_at.unwrap();
        assert_eq!(
            taken_at,
            ExifTime {
                local: taken,
                offset: None,
            }
        );
        let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
        assert_eq!(
            taken_at.instant(beijing).to_rfc3339(),
            "2024-12-31T23:59:59.125+08:00"
        );
        assert_eq!(
            summary.gps_time,
            Some(at("2024-12-31 15:59:58.5").and_utc())
        );
        assert_eq!(summary.software.as_deref(), Some("MIUI Camera"));
        assert_eq!(summary.orientation, None);
        assert_eq!(summary.position, None);
    }

    #[test]
    fn every_orientation_survives() {
        for orientation in 1..=8 {
            let tags = ExifTags {
                orientation: Some(orientation),
                ..ExifTags::default()
            };
            assert_eq!(read_back(&tags).orientation, Some(orientation));
        }
    }

    #[test]
    fn rewriting_replaces_the_exif_segment() {
        let first = with_exif(
            &photo(32, 32, 1, 0).bytes,
            &ExifTags::phone(116.3, 28.4, at("2025-06-01 10:15:30")),
        );
        let tags = ExifTags {
            make: Some("HUAWEI"),
            ..ExifTags::default()
        };
        let second = with_exif(&first, &tags);
        let summary = read(&second).unwrap().unwrap();
        assert_eq!(summary.make.as_deref(), Some("HUAWEI"));
        assert_eq!(summary.position, None);
        let segments = second
            .windows(8)
            .filter(|w| w[0..2] == [0xFF, APP1] && &w[4..8] == b"Exif");
        assert_eq!(segments.count(), 1);
        assert!(
            image::load_from_memory(&second).is_ok(),
            "still a decodable JPEG"
        );
    }

    #[test]
    fn no_tags_is_an_empty_summary() {
        assert_eq!(read_back(&ExifTags::default()), ExifSummary::default());
        assert_eq!(read(&photo(16, 16, 3, 0).bytes).unwrap(), None);
    }

    /// ExifTool, an independent reader, sees what we wrote: south/west signs, time, offset,
    /// orientation and the camera.
    #[test]
    fn exiftool_reads_what_we_write() {
        let tags = ExifTags {
            orientation: Some(6),
            ..ExifTags::phone(-43.172897, -22.906847, at("2025-06-01 10:15:30"))
        };
        let file = tempfile::Builder::new().suffix(".jpg").tempfile().unwrap();
        std::fs::write(file.path(), with_exif(&photo(64, 48, 5, 40).bytes, &tags)).unwrap();
        let output = match Command::new("exiftool")
            .args(["-n", "-j", "-G", "-all", "-validate"])
            .arg(file.path())
            .output()
        {
            Ok(output) => output,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                println!("exiftool is not installed: independent comparison skipped");
                return;
            }
            Err(error) => panic!("exiftool: {error}"),
        };
        assert!(output.status.success(), "exiftool: {output:?}");
        let json: Json = serde_json::from_slice(&output.stdout).unwrap();
        let tags = &json[0];
        for key in [
            "Composite:GPSPosition",
            "EXIF:DateTimeOriginal",
            "EXIF:Orientation",
        ] {
            println!("exiftool {key}: {}", tags[key]);
        }
        let number = |key: &str| tags[key].as_f64().unwrap_or_else(|| panic!("{key}"));
        assert!((number("Composite:GPSLatitude") - -22.906847).abs() < 3e-8);
        assert!((number("Composite:GPSLongitude") - -43.172897).abs() < 3e-8);
        assert_eq!(tags["EXIF:GPSLatitudeRef"], "S");
        assert_eq!(tags["EXIF:GPSLongitudeRef"], "W");
        assert_eq!(tags["EXIF:DateTimeOriginal"], "2025:06:01 10:15:30");
        assert_eq!(tags["EXIF:OffsetTimeOriginal"], "+08:00");
        assert_eq!(tags["EXIF:Orientation"], 6);
        assert_eq!(tags["EXIF:GPSAltitude"], 45);
        assert_eq!(tags["EXIF:GPSAltitudeRef"], 0);
        assert_eq!(tags["EXIF:GPSImgDirection"], 123.45);
        assert_eq!(tags["Composite:GPSDateTime"], "2025:06:01 02:15:30Z");
        assert_eq!(tags["EXIF:Make"], "Xiaomi");
        assert_eq!(tags["EXIF:Model"], "Redmi Note 12");
        // Counts of errors, warnings and minor warnings (`-n` form of "OK").
        let validate = &tags["ExifTool:Validate"];
        assert_eq!(validate, "0 0 0", "{}", tags["ExifTool:Warning"]);
    }
}
