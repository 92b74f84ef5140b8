//! The .shp main file: a 100-byte header, then records of a big-endian 8-byte header
//! (number, content length in 16-bit words) and little-endian content starting with the
//! shape type. Only the framing and polygon content are decoded; the .shx index is not
//! needed because records follow one another.

use crate::parcels::import::read::shapefile::rings::assemble_polygons;
use crate::parcels::import::read::{ReadError, SourcePolygon};

const FILE_CODE: i32 = 9994;
const HEADER_LEN: usize = 100;
const RECORD_HEADER_LEN: usize = 8;

/// Polygon content: shape type, bounding box, ring count, point count, then ring starts
/// and points. Z and M arrays follow for PolygonZ/PolygonM and are ignored.
const POLYGON_PARTS_START: usize = 44;
const POINT_LEN: usize = 16;

/// The content of each record in file order, after checking the file's framing.
pub(crate) fn record_contents<'a>(bytes: &'a [u8], file: &str) -> Result<Vec<&'a [u8]>, ReadError> {
    let invalid = |detail: String| ReadError::InvalidShp {
        file: file.to_owned(),
        detail,
    };
    let (Some(file_code), Some(length_in_words)) = (i32_be(bytes, 0), i32_be(bytes, 24)) else {
        return Err(ReadError::truncated(
            file,
            "it ends inside the 100-byte header".into(),
        ));
    };
    if file_code != FILE_CODE {
        return Err(invalid(format!(
            "it starts with {file_code}, not the Shapefile file code {FILE_CODE}"
        )));
    }
    let declared_len = usize::try_from(length_in_words).unwrap_or(0) * 2;
    if declared_len < HEADER_LEN {
        return Err(invalid(format!(
            "the header gives a file length of {declared_len} bytes"
        )));
    }
    if bytes.len() < declared_len {
        return Err(ReadError::truncated(
            file,
            format!(
                "the header announces {declared_len} bytes but the file has {}",
                bytes.len()
            ),
        ));
    }

    // Bytes past the announced length are not records.
    let bytes = &bytes[..declared_len];
    let mut contents = Vec::new();
    let mut position = HEADER_LEN;
    while position < declared_len {
        let number = contents.len() + 1;
        let content_len = match i32_be(bytes, position + 4) {
            None => {
                return Err(ReadError::truncated(
                    file,
                    format!("it ends inside the header of record {number}"),
                ));
            }
            Some(words) => {
                usize::try_from(words)
                    .map_err(|_| invalid(format!("record {number} has a negative length")))?
                    * 2
            }
        };
        let start = position + RECORD_HEADER_LEN;
        let Some(content) = bytes.get(start..start + content_len) else {
            return Err(ReadError::truncated(
                file,
                format!(
                    "record {number} needs {content_len} bytes but only {} remain",
                    declared_len - start
                ),
            ));
        };
        contents.push(content);
        position = start + content_len;
    }
    Ok(contents)
}

/// The polygons of one record, or why it has none.
pub(crate) fn decode_polygons(content: &[u8]) -> Result<Vec<SourcePolygon>, String> {
    let shape_type = i32_le(content, 0).ok_or("the record is empty")?;
    match shape_type {
        0 => Err("null shape: the record has no geometry".into()),
        // Polygon, PolygonZ, PolygonM: the 2D part is laid out alike.
        5 | 15 | 25 => read_rings(content).map(assemble_polygons),
        1 | 11 | 21 => Err("the shape is a point, not a polygon".into()),
        3 | 13 | 23 => Err("the shape is a line (PolyLine), not a polygon".into()),
        8 | 18 | 28 => Err("the shape is a multipoint, not a polygon".into()),
        31 => Err("MultiPatch (3D surface) shapes are not supported; export polygons".into()),
        other => Err(format!("unknown shape type {other}")),
    }
}

fn read_rings(content: &[u8]) -> Result<Vec<Vec<(f64, f64)>>, String> {
    let (Some(ring_count), Some(point_count)) = (i32_le(content, 36), i32_le(content, 40)) else {
        return Err("the polygon record is cut short before its ring count".into());
    };
    let (Ok(ring_count), Ok(point_count)) =
        (usize::try_from(ring_count), usize::try_from(point_count))
    else {
        return Err(format!(
            "negative ring count {ring_count} or point count {point_count}"
        ));
    };
    if ring_count == 0 {
        return Err("the polygon has no rings".into());
    }
    let points_start = POLYGON_PARTS_START + 4 * ring_count;
    let points_end = points_start + POINT_LEN * point_count;
    if content.len() < points_end {
        return Err(format!(
            "the record is {} bytes, too short for its {ring_count} rings and {point_count} points",
            content.len()
        ));
    }

    let (ring_starts, _) = content[POLYGON_PARTS_START..points_start].as_chunks::<4>();
    let mut ring_bounds: Vec<usize> = Vec::with_capacity(ring_count + 1);
    for start in ring_starts {
        let start = i32::from_le_bytes(*start);
        let in_order = usize::try_from(start).ok().filter(|&start| {
            start <= point_count && ring_bounds.last().is_none_or(|&previous| start >= previous)
        });
        let Some(start) = in_order else {
            return Err(format!(
                "ring start {start} is out of order or beyond the {point_count} points"
            ));
        };
        ring_bounds.push(start);
    }
    ring_bounds.push(point_count);

    let (coordinates, _) = content[points_start..points_end].as_chunks::<8>();
    let (points, _) = coordinates.as_chunks::<2>();
    Ok(ring_bounds
        .windows(2)
        .map(|bounds| {
            points[bounds[0]..bounds[1]]
                .iter()
                .map(|[x, y]| (f64::from_le_bytes(*x), f64::from_le_bytes(*y)))
                .collect()
        })
        .collect())
}

fn i32_le(bytes: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(*bytes.get(at..)?.first_chunk()?))
}

fn i32_be(bytes: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(*bytes.get(at..)?.first_chunk()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polygon content with the given ring starts and `points` points at the origin.
    fn polygon_content(
        ring_count: i32,
        point_count: i32,
        starts: &[i32],
        points: usize,
    ) -> Vec<u8> {
        let mut content = 5_i32.to_le_bytes().to_vec();
        content.extend([0; 32]);
        content.extend(ring_count.to_le_bytes());
        content.extend(point_count.to_le_bytes());
        content.extend(starts.iter().flat_map(|start| start.to_le_bytes()));
        content.extend(vec![0; POINT_LEN * points]);
        content
    }

    fn reason(content: &[u8]) -> String {
        decode_polygons(content).err().unwrap_or_default()
    }

    #[test]
    fn rings_are_split_at_their_starts() {
        let polygons = decode_polygons(&polygon_content(2, 8, &[0, 4], 8));
        let ring_lengths = polygons.map(|polygons| {
            polygons
                .iter()
                .map(|polygon| polygon.exterior.len())
                .collect::<Vec<_>>()
        });
        assert_eq!(ring_lengths, Ok(vec![4, 4]));
    }

    #[test]
    fn inconsistent_polygon_records_are_refused() {
        assert!(reason(&[]).contains("empty"));
        assert!(reason(&polygon_content(0, 0, &[], 0)).contains("no rings"));
        assert!(reason(&polygon_content(-1, 4, &[], 4)).contains("negative"));
        assert!(reason(&polygon_content(2, 8, &[0, 9], 8)).contains("beyond"));
        assert!(reason(&polygon_content(2, 8, &[4, 0], 8)).contains("out of order"));
        assert!(reason(&polygon_content(2, 8, &[0, -4], 8)).contains("-4"));
        assert!(reason(&polygon_content(1, 8, &[0], 7)).contains("too short"));
        assert!(reason(&5_i32.to_le_bytes()).contains("cut short"));
    }

    #[test]
    fn negative_record_length_is_invalid() {
        let mut shp = FILE_CODE.to_be_bytes().to_vec();
        shp.extend([0; 20]);
        shp.extend(58_i32.to_be_bytes());
        shp.extend([0; 72]);
        shp.extend(1_i32.to_be_bytes());
        shp.extend((-2_i32).to_be_bytes());
        shp.extend([0; 8]);
        let error = record_contents(&shp, "tb.shp")
            .err()
            .map(|error| error.to_string());
        assert_eq!(
            error.as_deref(),
            Some("tb.shp is not a valid Shapefile .shp: record 1 has a negative length")
        );
    }
}
