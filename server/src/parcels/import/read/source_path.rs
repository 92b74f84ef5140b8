//! Reading whatever a path points at: a Shapefile, a folder holding one, a zip, GeoJSON.

use std::fs;
use std::path::{Path, PathBuf};

use crate::parcels::import::read::shapefile::parts::{companion, single_shp};
use crate::parcels::import::read::shapefile::{ShapefileParts, read_shapefile};
use crate::parcels::import::read::{
    ReadError, ReadOptions, SourceDataset, read_bytes_zip, read_geojson_bytes,
};

/// Reads a `.shp` (its .dbf, .prj and .cpg found beside it whatever their case), a folder
/// holding exactly one `.shp`, a `.zip`, or a `.geojson`/`.json` file.
///
/// `progress` hears `(features done, features in total)`: once at the start, about every
/// percent and at the end.
pub fn read_path(
    path: &Path,
    options: &ReadOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SourceDataset, ReadError> {
    if path.is_dir() {
        let listing = list_folder(path)?;
        let shp = single_shp(&listing.names, &path.display().to_string())?;
        let parts = read_parts(&listing, shp)?;
        return read_shapefile(&parts, options, progress);
    }
    let extension = path
        .extension()
        .map(|extension| extension.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("shp") => {
            let folder = match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent,
                _ => Path::new("."),
            };
            let listing = list_folder(folder)?;
            let shp = listing
                .paths
                .iter()
                .position(|candidate| candidate.file_name() == path.file_name())
                .ok_or_else(|| ReadError::io(path, std::io::ErrorKind::NotFound.into()))?;
            let parts = read_parts(&listing, shp)?;
            read_shapefile(&parts, options, progress)
        }
        Some("zip") => read_bytes_zip(&read_file(path)?, options, progress),
        Some("geojson" | "json") => read_geojson_bytes(&read_file(path)?, progress),
        _ => Err(ReadError::UnsupportedPath {
            path: path.to_owned(),
        }),
    }
}

/// The files of a folder. Names are lossily decoded for matching and messages (a zip
/// unpacked on Linux can leave GBK bytes in names); paths keep the exact bytes.
struct FolderListing {
    names: Vec<String>,
    paths: Vec<PathBuf>,
}

fn list_folder(folder: &Path) -> Result<FolderListing, ReadError> {
    let entries = fs::read_dir(folder).map_err(|error| ReadError::io(folder, error))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|error| ReadError::io(folder, error))?.path();
        if path.is_file() {
            paths.push(path);
        }
    }
    // Sorted, so that messages listing files are stable.
    paths.sort();
    let names = paths.iter().map(|path| file_name(path)).collect();
    Ok(FolderListing { names, paths })
}

fn read_parts(listing: &FolderListing, shp: usize) -> Result<ShapefileParts, ReadError> {
    let shp_name = &listing.names[shp];
    let dbf = companion(&listing.names, shp_name, "dbf")?.ok_or_else(|| ReadError::MissingDbf {
        shp: shp_name.clone(),
    })?;
    let optional = |extension| -> Result<Option<Vec<u8>>, ReadError> {
        companion(&listing.names, shp_name, extension)?
            .map(|index| read_file(&listing.paths[index]))
            .transpose()
    };
    Ok(ShapefileParts {
        shp: read_file(&listing.paths[shp])?,
        dbf: read_file(&listing.paths[dbf])?,
        prj: optional("prj")?,
        cpg: optional("cpg")?,
        shp_name: shp_name.clone(),
        dbf_name: listing.names[dbf].clone(),
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    fs::read(path).map_err(|error| ReadError::io(path, error))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}
