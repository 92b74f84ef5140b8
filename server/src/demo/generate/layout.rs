//! Puts each parcel's outline on the map: in a slot of its own, in a village of the slot's
//! township.

use rand_chacha::ChaCha8Rng;

use crate::demo::generate::draft::Draft;
use crate::demo::generate::grs80::local_scale;
use crate::demo::generate::random::{shuffle_front, unit};
use crate::demo::generate::regions::TownshipSpec;
use crate::demo::generate::slots::Slot;

/// The least distance, in metres, between an outline and the edge of its slot, so that
/// parcels in neighbouring slots never touch.
const EDGE_MARGIN: f64 = 1.0;

/// Slots this much wider than the largest outline give even that one room to move.
const ROOM: f64 = 1.25;

pub(crate) struct Placement {
    pub(crate) village_code: String,
    /// Closed ring of (longitude, latitude).
    pub(crate) polygon: Vec<(f64, f64)>,
}

/// The slot size (metres) that fits an outline reaching `reach` metres from its centre.
pub(crate) fn slot_size_for_reach(reach: f64) -> f64 {
    2.0 * (reach + EDGE_MARGIN) * ROOM
}

/// The farthest an outline may reach from its centre in a slot of `slot_size` metres.
pub(crate) fn reach_for_slot_size(slot_size: f64) -> f64 {
    slot_size / 2.0 - EDGE_MARGIN
}

/// Places every draft in a slot drawn without replacement from `slots`, shifted at random
/// within it. There must be at least as many slots as drafts, and each draft must
/// fit a slot.
pub(crate) fn place(
    rng: &mut ChaCha8Rng,
    townships: &[TownshipSpec],
    drafts: &[Draft],
    mut slots: Vec<Slot>,
    slot_size: f64,
) -> Vec<Placement> {
    debug_assert!(slots.len() >= drafts.len(), "fewer slots than parcels");
    shuffle_front(rng, &mut slots, drafts.len());
    drafts
        .iter()
        .zip(slots)
        .map(|(draft, slot)| {
            let play = (reach_for_slot_size(slot_size) - draft.reach()).max(0.0);
            let shift_east = play * (2.0 * unit(rng) - 1.0);
            let shift_north = play * (2.0 * unit(rng) - 1.0);
            let slot_scale = local_scale(slot.centre.1);
            let centre_lat = slot.centre.1 + shift_north / slot_scale.metres_per_degree_lat;
            // Convert with the scale at the outline's own centre, where it is most accurate.
            let scale = local_scale(centre_lat);
            let centre_lon = slot.centre.0 + shift_east / scale.metres_per_degree_lon;
            let mut polygon: Vec<(f64, f64)> = draft
                .shape
                .scaled_to(draft.area.square_metres())
                .map(|(east, north)| {
                    (
                        centre_lon + east / scale.metres_per_degree_lon,
                        centre_lat + north / scale.metres_per_degree_lat,
                    )
                })
                .collect();
            polygon.extend(polygon.first().copied());
            Placement {
                village_code: village_at(&townships[slot.township], slot.eastness),
                polygon,
            }
        })
        .collect()
}

/// Villages take west-to-east strips of their township, so one field chief's parcels lie
/// near each other. Every township has villages, and `eastness` is below 1.
fn village_at(township: &TownshipSpec, eastness: f64) -> String {
    let index = (eastness * township.villages.len() as f64) as usize;
    township.villages[index].code.clone()
}
