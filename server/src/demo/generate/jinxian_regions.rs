//! Jinxian county (进贤县) and its townships.
//!
//! The township names are the real ones, in the order of the county plan's task-force list
//! (进府办发〔2023〕43号). Their codes, villages and extents are illustrative: the plan gives
//! none of them.

use crate::demo::generate::random::{Stream, below, rng};
use crate::demo::generate::regions::{LonLatBox, RegionSpec, TownshipSpec};
use crate::demo::generate::village_names::village_names;

pub(crate) const COUNTY_CODE: &str = "360124";
const COUNTY_NAME: &str = "进贤县";

/// A box around the county, roughly 116.03–116.58°E, 28.10–28.72°N. The real outline is
/// irregular; this box only stands in for its extent.
pub(crate) const COUNTY_EXTENT: LonLatBox = LonLatBox {
    min_lon: 116.03,
    min_lat: 28.10,
    max_lon: 116.58,
    max_lat: 28.72,
};

/// The 20 townships and the development zone.
const TOWNSHIP_NAMES: [&str; 21] = [
    "民和镇",
    "白圩乡",
    "长山晏乡",
    "李渡镇",
    "文港镇",
    "温圳镇",
    "架桥镇",
    "泉岭乡",
    "张公镇",
    "罗溪镇",
    "七里乡",
    "前坊镇",
    "三阳集乡",
    "梅庄镇",
    "二塘乡",
    "钟陵乡",
    "南台乡",
    "池溪乡",
    "下埠集乡",
    "衙前乡",
    "经开区",
];

/// The townships tile the county box in a grid of this many columns (21 = 3 × 7).
const GRID_COLUMNS: usize = 3;
const GRID_ROWS: usize = TOWNSHIP_NAMES.len() / GRID_COLUMNS;

const VILLAGES_PER_TOWNSHIP: std::ops::RangeInclusive<usize> = 3..=8;

/// The region tree does not depend on the data set's seed, so that region codes and the demo
/// accounts stay the same whichever parcels are drawn.
const REGION_SEED: u64 = 360_124;

pub(crate) fn county() -> RegionSpec {
    RegionSpec {
        code: COUNTY_CODE.to_owned(),
        name: COUNTY_NAME.to_owned(),
    }
}

pub(crate) fn townships() -> Vec<TownshipSpec> {
    let mut rng = rng(REGION_SEED, Stream::Regions);
    let span = VILLAGES_PER_TOWNSHIP.end() - VILLAGES_PER_TOWNSHIP.start() + 1;
    let village_counts: Vec<usize> = TOWNSHIP_NAMES
        .iter()
        .map(|_| VILLAGES_PER_TOWNSHIP.start() + below(&mut rng, span))
        .collect();
    let village_count = village_counts.iter().sum();
    let mut names = village_names(&mut rng, village_count, &TOWNSHIP_NAMES).into_iter();
    let codes = township_codes();
    TOWNSHIP_NAMES
        .iter()
        .zip(codes)
        .zip(village_counts)
        .enumerate()
        .map(|(index, ((name, code), village_count))| {
            // Villages are 村民委员会, numbered from 201 under their township.
            let villages = (201..)
                .zip(names.by_ref().take(village_count))
                .map(|(number, name)| RegionSpec {
                    code: format!("{code}{number:03}"),
                    name,
                })
                .collect();
            TownshipSpec {
                code,
                name: (*name).to_owned(),
                villages,
                extent: grid_cell(index),
            }
        })
        .collect()
}

/// 9-digit codes numbered by the division-code rules: towns (镇) from 100, townships (乡)
/// from 200, other township-level units from 400, each series in list order.
fn township_codes() -> Vec<String> {
    let mut taken = [0; 3];
    TOWNSHIP_NAMES
        .iter()
        .map(|name| {
            let (series, first) = match name.chars().last() {
                Some('镇') => (0, 100),
                Some('乡') => (1, 200),
                _ => (2, 400),
            };
            let number = first + taken[series];
            taken[series] += 1;
            format!("{COUNTY_CODE}{number:03}")
        })
        .collect()
}

/// The cell of the county box for the township at `index`, row by row from the north-west.
fn grid_cell(index: usize) -> LonLatBox {
    let (row, column) = (index / GRID_COLUMNS, index % GRID_COLUMNS);
    let lon_at = |c: usize| {
        grid_line(
            COUNTY_EXTENT.min_lon,
            COUNTY_EXTENT.max_lon,
            c,
            GRID_COLUMNS,
        )
    };
    let lat_at = |r: usize| grid_line(COUNTY_EXTENT.max_lat, COUNTY_EXTENT.min_lat, r, GRID_ROWS);
    LonLatBox {
        min_lon: lon_at(column),
        max_lon: lon_at(column + 1),
        min_lat: lat_at(row + 1),
        max_lat: lat_at(row),
    }
}

/// The `i`-th of `n + 1` evenly spaced lines from `from` to `to`. Neighbouring cells compute
/// their shared edge by the same expression, so they meet exactly; the last line is `to`
/// itself, so that no cell pokes out of the county by a rounding error.
fn grid_line(from: f64, to: f64, i: usize, n: usize) -> f64 {
    if i == n {
        to
    } else {
        from + (to - from) * i as f64 / n as f64
    }
}
