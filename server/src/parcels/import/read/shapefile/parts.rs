//! Finding a Shapefile's parts among file names, as listed in a folder or a zip.
//!
//! Names are relative paths; both `/` and `\` separate folders, since some Windows zip
//! tools store backslashes. Parts belong together when they share folder and stem, the
//! stem compared without regard to case and the extension ASCII-case-insensitively
//! (`TB.SHP` goes with `tb.dbf`).

use crate::parcels::import::read::ReadError;

/// The index of the one `.shp` in `names`. `location` names the folder or zip.
pub(crate) fn single_shp(names: &[String], location: &str) -> Result<usize, ReadError> {
    let shps: Vec<usize> = (0..names.len())
        .filter(|&index| has_extension(&names[index], "shp"))
        .collect();
    match shps.as_slice() {
        [only] => Ok(*only),
        [] => Err(ReadError::NoShapefile {
            location: location.to_owned(),
            found: names
                .iter()
                .filter(|name| !is_macos_metadata(name))
                .cloned()
                .collect(),
        }),
        several => Err(ReadError::SeveralShapefiles {
            location: location.to_owned(),
            names: several.iter().map(|&index| names[index].clone()).collect(),
        }),
    }
}

/// The index of the part of `shp` with `extension` (lower case, no dot), if present.
pub(crate) fn companion(
    names: &[String],
    shp: &str,
    extension: &str,
) -> Result<Option<usize>, ReadError> {
    let (folder, stem, _) = split(shp);
    let stem = stem.to_lowercase();
    let matches: Vec<usize> = (0..names.len())
        .filter(|&index| {
            let (candidate_folder, candidate_stem, _) = split(&names[index]);
            has_extension(&names[index], extension)
                && candidate_folder == folder
                && candidate_stem.to_lowercase() == stem
        })
        .collect();
    match matches.as_slice() {
        [] => Ok(None),
        [only] => Ok(Some(*only)),
        several => Err(ReadError::AmbiguousCompanion {
            shp: shp.to_owned(),
            extension: extension.to_owned(),
            names: several.iter().map(|&index| names[index].clone()).collect(),
        }),
    }
}

fn has_extension(name: &str, extension: &str) -> bool {
    let (_, _, actual) = split(name);
    actual.eq_ignore_ascii_case(extension) && !is_macos_metadata(name)
}

/// Finder's zips carry `__MACOSX/` copies and `._name` resource forks that look like
/// Shapefile parts but hold no data.
fn is_macos_metadata(name: &str) -> bool {
    let (folder, stem, _) = split(name);
    stem.starts_with("._") || folder.split(['/', '\\']).any(|part| part == "__MACOSX")
}

/// `a/b/TB.shp` → (`a/b`, `TB`, `shp`).
fn split(path: &str) -> (&str, &str, &str) {
    let (folder, file) = path.rsplit_once(['/', '\\']).unwrap_or(("", path));
    let (stem, extension) = file.rsplit_once('.').unwrap_or((file, ""));
    (folder, stem, extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|&name| name.to_owned()).collect()
    }

    #[test]
    fn companions_match_folder_and_stem_ignoring_case() {
        let listing = names(&["data/TB.SHP", "data/tb.dbf", "other/TB.dbf", "data/Tb.Prj"]);
        let shp = single_shp(&listing, "upload.zip").ok();
        assert_eq!(shp, Some(0));
        assert_eq!(
            companion(&listing, "data/TB.SHP", "dbf").ok(),
            Some(Some(1))
        );
        assert_eq!(
            companion(&listing, "data/TB.SHP", "prj").ok(),
            Some(Some(3))
        );
        assert_eq!(companion(&listing, "data/TB.SHP", "cpg").ok(), Some(None));
    }

    #[test]
    fn chinese_stems_and_backslash_folders() {
        let listing = names(&["图斑\\地块.shp", "图斑\\地块.DBF"]);
        assert_eq!(
            companion(&listing, "图斑\\地块.shp", "dbf").ok(),
            Some(Some(1))
        );
    }

    #[test]
    fn macos_metadata_is_not_a_second_shapefile() {
        let listing = names(&["tb.shp", "__MACOSX/._tb.shp", "._tb.shp", "tb.dbf"]);
        assert_eq!(single_shp(&listing, "upload.zip").ok(), Some(0));
    }

    #[test]
    fn several_or_no_shapefiles_are_named_in_the_error() {
        let listing = names(&["a.shp", "b.SHP"]);
        let message = single_shp(&listing, "upload.zip").map_err(|error| error.to_string());
        assert_eq!(
            message,
            Err(
                "upload.zip holds 2 .shp files (a.shp, b.SHP); send one Shapefile at a time".into()
            )
        );
        let listing = names(&["readme.txt", "__MACOSX/._readme.txt"]);
        let message = single_shp(&listing, "upload.zip").map_err(|error| error.to_string());
        assert_eq!(
            message,
            Err("no .shp file in upload.zip (found: readme.txt)".into())
        );
    }
}
