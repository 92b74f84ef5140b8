//! Reading a Shapefile sent as a zip, as uploads arrive.

use std::io::{Cursor, Read, Seek};

use encoding_rs::GBK;
use zip::ZipArchive;
use zip::result::ZipError;

use crate::parcels::import::read::shapefile::parts::{companion, single_shp};
use crate::parcels::import::read::shapefile::{ShapefileParts, read_shapefile};
use crate::parcels::import::read::{ReadError, ReadOptions, SourceDataset};

/// Reads the one Shapefile in a zip, at its root or in a sub-folder.
///
/// Only the .shp, .dbf, .prj and .cpg are unpacked, in memory, within
/// [`ReadOptions::max_unzipped_bytes`]. `progress` hears `(features done, features in
/// total)`: once at the start, about every percent and at the end.
pub fn read_bytes_zip(
    bytes: &[u8],
    options: &ReadOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SourceDataset, ReadError> {
    let mut archive =
        ZipArchive::new(Cursor::new(bytes)).map_err(|source| ReadError::NotZip { source })?;
    let names: Vec<String> = archive.file_names_raw().map(decode_entry_name).collect();
    // Folder entries would only clutter "found" listings.
    let files: Vec<usize> = (0..names.len())
        .filter(|&index| !names[index].ends_with(['/', '\\']))
        .collect();
    let file_names: Vec<String> = files.iter().map(|&index| names[index].clone()).collect();

    let shp = single_shp(&file_names, "the zip")?;
    let shp_name = &file_names[shp];
    let dbf = companion(&file_names, shp_name, "dbf")?.ok_or_else(|| ReadError::MissingDbf {
        shp: shp_name.clone(),
    })?;
    let prj = companion(&file_names, shp_name, "prj")?;
    let cpg = companion(&file_names, shp_name, "cpg")?;

    let mut unpacker = Unpacker {
        archive: &mut archive,
        names: &file_names,
        entries: &files,
        limit: options.max_unzipped_bytes,
        remaining: options.max_unzipped_bytes,
    };
    let parts = ShapefileParts {
        shp: unpacker.unpack(shp)?,
        dbf: unpacker.unpack(dbf)?,
        prj: prj.map(|index| unpacker.unpack(index)).transpose()?,
        cpg: cpg.map(|index| unpacker.unpack(index)).transpose()?,
        shp_name: shp_name.clone(),
        dbf_name: file_names[dbf].clone(),
    };
    read_shapefile(&parts, options, progress)
}

/// Zips made by Chinese Windows (Explorer, WinRAR, 360) store names in GBK without the
/// UTF-8 flag; the zip crate would read those as CP437. Valid UTF-8 is taken as UTF-8
/// (it is also what an Info-ZIP Unicode path field, already applied, holds).
fn decode_entry_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(name) => name.to_owned(),
        Err(_) => GBK.decode_without_bom_handling(raw).0.into_owned(),
    }
}

/// Unpacks entries while keeping count of the bytes against the limit.
struct Unpacker<'a, R> {
    archive: &'a mut ZipArchive<R>,
    names: &'a [String],
    /// Archive index of each name.
    entries: &'a [usize],
    limit: u64,
    remaining: u64,
}

impl<R: Read + Seek> Unpacker<'_, R> {
    fn unpack(&mut self, file: usize) -> Result<Vec<u8>, ReadError> {
        let name = &self.names[file];
        let entry_error = |source: ZipError| ReadError::ZipEntry {
            entry: name.clone(),
            source,
        };
        let mut entry = self
            .archive
            .by_index(self.entries[file])
            .map_err(entry_error)?;
        let declared = entry.size();
        if declared > self.limit {
            return Err(ReadError::ZipEntryTooLarge {
                entry: name.clone(),
                size: declared,
                limit: self.limit,
            });
        }
        if declared > self.remaining {
            return Err(ReadError::ZipTooLarge { limit: self.limit });
        }
        // Declared sizes can lie. The zip crate checks them too, but the budget is ours
        // to keep: never read past it.
        let mut data = Vec::new();
        entry
            .by_ref()
            .take(self.remaining.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|error| entry_error(ZipError::Io(error)))?;
        let unpacked = data.len() as u64;
        if unpacked > self.remaining {
            return Err(ReadError::ZipTooLarge { limit: self.limit });
        }
        self.remaining -= unpacked;
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_in_gbk_or_utf8() {
        let (gbk, _, _) = GBK.encode("图斑/地块.shp");
        assert_eq!(decode_entry_name(&gbk), "图斑/地块.shp");
        assert_eq!(
            decode_entry_name("图斑/地块.shp".as_bytes()),
            "图斑/地块.shp"
        );
        assert_eq!(decode_entry_name(b"tb.shp"), "tb.shp");
    }
}
