//! The layout of a dBASE III .dbf: a 32-byte header, 32-byte field descriptors ending
//! with 0x0D, then fixed-width records each led by a deletion flag.
//!
//! Parsed by hand rather than with the `dbase` crate so that field names and values go
//! through one decoder of our choosing (GBK names like 图斑编号 are common) and numbers
//! keep their integer/decimal distinction.

use crate::parcels::import::read::ReadError;
use crate::parcels::import::read::shapefile::text_encoding::{
    TextDecoder, is_utf8_up_to_truncation,
};

const HEADER_LEN: usize = 32;
const DESCRIPTOR_LEN: usize = 32;
const DESCRIPTORS_END: u8 = 0x0D;
const DELETED: u8 = b'*';
const NAME_LEN: usize = 11;

pub(crate) struct DbfTable<'a> {
    fields: Vec<FieldDescriptor<'a>>,
    /// Exactly `record_count` records of `record_len` bytes.
    records: &'a [u8],
    record_len: usize,
    language_driver: u8,
}

pub(crate) struct FieldDescriptor<'a> {
    raw_name: &'a [u8],
    pub(crate) kind: u8,
    pub(crate) decimals: u8,
    /// Position within the record, after the deletion flag.
    offset: usize,
    length: usize,
}

impl FieldDescriptor<'_> {
    pub(crate) fn bytes_in<'r>(&self, record: &'r [u8]) -> &'r [u8] {
        &record[self.offset..self.offset + self.length]
    }
}

impl<'a> DbfTable<'a> {
    pub(crate) fn parse(bytes: &'a [u8], file: &str) -> Result<Self, ReadError> {
        let invalid = |detail: &str| ReadError::InvalidDbf {
            file: file.to_owned(),
            detail: detail.to_owned(),
        };
        if bytes.len() < HEADER_LEN {
            return Err(ReadError::truncated(
                file,
                format!("{} bytes, shorter than the 32-byte header", bytes.len()),
            ));
        }
        if bytes[0] & 0x07 == 0x04 {
            return Err(invalid(
                "dBASE 7 tables are not supported; save it as dBASE III/IV",
            ));
        }
        let record_count = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        let record_len = usize::from(u16::from_le_bytes([bytes[10], bytes[11]]));
        let language_driver = bytes[29];
        if header_len <= HEADER_LEN {
            return Err(invalid(&format!("header length {header_len} is too short")));
        }

        let fields = parse_descriptors(bytes, header_len, file)?;
        let fields_width: usize = fields.iter().map(|field| field.length).sum();
        if fields_width + 1 > record_len {
            return Err(invalid(&format!(
                "the fields take {fields_width} bytes but records are {record_len} bytes long"
            )));
        }

        let records_len = record_count.saturating_mul(record_len);
        let available = bytes.len().saturating_sub(header_len);
        if available < records_len {
            return Err(ReadError::truncated(
                file,
                format!(
                    "the header announces {record_count} records but only {} are complete",
                    available / record_len
                ),
            ));
        }
        Ok(Self {
            fields,
            records: &bytes[header_len..header_len + records_len],
            record_len,
            language_driver,
        })
    }

    pub(crate) fn record_count(&self) -> usize {
        self.records.len() / self.record_len
    }

    pub(crate) fn language_driver(&self) -> u8 {
        self.language_driver
    }

    pub(crate) fn fields(&self) -> &[FieldDescriptor<'a>] {
        &self.fields
    }

    pub(crate) fn records(&self) -> impl Iterator<Item = DbfRecord<'a>> + use<'a> {
        self.records.chunks_exact(self.record_len).map(DbfRecord)
    }

    /// Names as stored: cut at the first NUL, space padding removed.
    pub(crate) fn field_names(&self, decoder: &mut TextDecoder) -> Vec<String> {
        self.fields
            .iter()
            .map(|field| decoder.decode(field.raw_name))
            .collect()
    }

    /// Whether field names and all character fields are UTF-8 (ASCII included).
    pub(crate) fn text_is_utf8(&self) -> bool {
        let names_are_utf8 = self
            .fields
            .iter()
            .all(|field| is_utf8_up_to_truncation(field.raw_name));
        let text_fields: Vec<&FieldDescriptor<'_>> = self
            .fields
            .iter()
            .filter(|field| field.kind == b'C')
            .collect();
        names_are_utf8
            && self.records().all(|record| {
                text_fields
                    .iter()
                    .all(|field| is_utf8_up_to_truncation(field.bytes_in(record.bytes())))
            })
    }
}

fn parse_descriptors<'a>(
    bytes: &'a [u8],
    header_len: usize,
    file: &str,
) -> Result<Vec<FieldDescriptor<'a>>, ReadError> {
    let mut fields = Vec::new();
    let mut position = HEADER_LEN;
    let mut offset = 1;
    // Some writers omit the terminator; the header length then marks the end.
    while position + DESCRIPTOR_LEN <= header_len {
        let Some(descriptor) = bytes.get(position..position + DESCRIPTOR_LEN) else {
            return Err(ReadError::truncated(
                file,
                format!("it ends inside field descriptor {}", fields.len() + 1),
            ));
        };
        if descriptor[0] == DESCRIPTORS_END {
            break;
        }
        let name = &descriptor[..NAME_LEN];
        let name = name.split(|&byte| byte == 0).next().unwrap_or(name);
        let name = name.trim_ascii_end();
        let kind = descriptor[11].to_ascii_uppercase();
        let (length, decimals) = if kind == b'C' {
            // Character fields longer than 255 borrow the decimals byte as the high byte.
            (
                usize::from(u16::from_le_bytes([descriptor[16], descriptor[17]])),
                0,
            )
        } else {
            (usize::from(descriptor[16]), descriptor[17])
        };
        fields.push(FieldDescriptor {
            raw_name: name,
            kind,
            decimals,
            offset,
            length,
        });
        offset += length;
        position += DESCRIPTOR_LEN;
    }
    Ok(fields)
}

pub(crate) struct DbfRecord<'a>(&'a [u8]);

impl<'a> DbfRecord<'a> {
    pub(crate) fn is_deleted(&self) -> bool {
        self.0[0] == DELETED
    }

    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.0
    }
}
