//! Reading a Shapefile whose parts are already in memory.

mod dbf;
mod dbf_values;
pub(crate) mod parts;
mod rings;
mod shp;
mod text_encoding;

use crate::parcels::import::read::progress::Progress;
use crate::parcels::import::read::{
    CrsHint, ReadError, ReadOptions, SourceDataset, SourceFeature, SourceFormat,
};
use dbf::DbfTable;
use text_encoding::{TextDecoder, choose_encoding, encoding_for_label};

/// The files of one Shapefile. Names are only for messages.
pub(crate) struct ShapefileParts {
    pub(crate) shp_name: String,
    pub(crate) shp: Vec<u8>,
    pub(crate) dbf_name: String,
    pub(crate) dbf: Vec<u8>,
    pub(crate) prj: Option<Vec<u8>>,
    pub(crate) cpg: Option<Vec<u8>>,
}

pub(crate) fn read_shapefile(
    parts: &ShapefileParts,
    options: &ReadOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SourceDataset, ReadError> {
    let requested = options
        .dbf_encoding
        .as_deref()
        .map(|label| {
            encoding_for_label(label).ok_or_else(|| ReadError::UnknownEncoding {
                label: label.to_owned(),
            })
        })
        .transpose()?;
    let shapes = shp::record_contents(&parts.shp, &parts.shp_name)?;
    let table = DbfTable::parse(&parts.dbf, &parts.dbf_name)?;
    if shapes.len() != table.record_count() {
        return Err(ReadError::RecordCountMismatch {
            shp: parts.shp_name.clone(),
            shapes: shapes.len(),
            dbf: parts.dbf_name.clone(),
            records: table.record_count(),
        });
    }

    let chosen = choose_encoding(
        requested,
        parts.cpg.as_deref(),
        table.language_driver(),
        || table.text_is_utf8(),
    );
    let mut decoder = TextDecoder::new(chosen.encoding);
    let names = table.field_names(&mut decoder);

    let mut progress = Progress::start(progress, shapes.len());
    let mut features = Vec::with_capacity(shapes.len());
    let mut deleted_records_skipped = 0;
    for (index, (shape, record)) in shapes.iter().zip(table.records()).enumerate() {
        if record.is_deleted() {
            deleted_records_skipped += 1;
        } else {
            let attributes = table
                .fields()
                .iter()
                .zip(&names)
                .map(|(field, name)| {
                    let bytes = field.bytes_in(record.bytes());
                    let value =
                        dbf_values::parse_value(field.kind, field.decimals, bytes, &mut decoder);
                    (name.clone(), value)
                })
                .collect();
            features.push(SourceFeature {
                number: index + 1,
                attributes,
                geometry: shp::decode_polygons(shape),
            });
        }
        progress.advance_to(index + 1);
    }

    Ok(SourceDataset {
        format: SourceFormat::Shapefile,
        crs: crs_from_prj(parts.prj.as_deref()),
        text_encoding: chosen.encoding.name().to_owned(),
        text_encoding_source: chosen.source,
        undecodable_texts: decoder.undecodable(),
        deleted_records_skipped,
        features,
    })
}

/// The .prj is ESRI WKT, ASCII in practice; an empty one says nothing.
fn crs_from_prj(prj: Option<&[u8]>) -> CrsHint {
    let Some(prj) = prj else {
        return CrsHint::Unspecified;
    };
    let wkt = String::from_utf8_lossy(prj);
    let wkt = wkt.trim_start_matches('\u{feff}').trim();
    if wkt.is_empty() {
        CrsHint::Unspecified
    } else {
        CrsHint::Wkt(wkt.to_owned())
    }
}
