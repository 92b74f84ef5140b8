//! Square-metre-sized cells ("slots") over each township's extent. Each parcel gets a slot of
//! its own and stays inside it, so parcels can never overlap, nor leave their township.

use crate::demo::generate::grs80::local_scale;
use crate::demo::generate::regions::{LonLatBox, TownshipSpec};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    /// Index of the township whose extent holds the slot.
    pub(crate) township: usize,
    /// How far east in its township the slot lies, from 0 (west edge) to 1 (east edge).
    pub(crate) eastness: f64,
    /// (longitude, latitude) of the slot's centre.
    pub(crate) centre: (f64, f64),
}

/// Every slot at least `size` metres wide and high in every township.
pub(crate) fn slots(townships: &[TownshipSpec], size: f64) -> Vec<Slot> {
    let mut slots = Vec::with_capacity(capacity(townships, size));
    for (township, spec) in townships.iter().enumerate() {
        let grid = SlotGrid::over(&spec.extent, size);
        let lon_step = (spec.extent.max_lon - spec.extent.min_lon) / grid.columns as f64;
        let lat_step = (spec.extent.max_lat - spec.extent.min_lat) / grid.rows as f64;
        for row in 0..grid.rows {
            for column in 0..grid.columns {
                slots.push(Slot {
                    township,
                    eastness: (column as f64 + 0.5) / grid.columns as f64,
                    centre: (
                        spec.extent.min_lon + (column as f64 + 0.5) * lon_step,
                        spec.extent.min_lat + (row as f64 + 0.5) * lat_step,
                    ),
                });
            }
        }
    }
    slots
}

/// How many slots of `size` metres the townships hold.
pub(crate) fn capacity(townships: &[TownshipSpec], size: f64) -> usize {
    townships
        .iter()
        .map(|spec| {
            let grid = SlotGrid::over(&spec.extent, size);
            grid.columns * grid.rows
        })
        .sum()
}

struct SlotGrid {
    columns: usize,
    rows: usize,
}

impl SlotGrid {
    /// As many columns and rows as fit where a degree is shortest, so that every slot is at
    /// least `size` metres across wherever it lies. (A degree of longitude shrinks towards
    /// the pole, one of latitude grows; the box does not cross the equator.)
    fn over(extent: &LonLatBox, size: f64) -> SlotGrid {
        let (south, north) = (local_scale(extent.min_lat), local_scale(extent.max_lat));
        let width = (extent.max_lon - extent.min_lon)
            * south.metres_per_degree_lon.min(north.metres_per_degree_lon);
        let height = (extent.max_lat - extent.min_lat)
            * south.metres_per_degree_lat.min(north.metres_per_degree_lat);
        SlotGrid {
            columns: (width / size).floor() as usize,
            rows: (height / size).floor() as usize,
        }
    }
}
