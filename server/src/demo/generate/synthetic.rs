//! Any number of parcels over Jinxian, for benchmarks and load tests.

use crate::demo::generate::area::{AreaMu, SQUARE_METRES_PER_MU};
use crate::demo::generate::draft::Draft;
use crate::demo::generate::jinxian_campaign::campaign;
use crate::demo::generate::jinxian_regions::townships;
use crate::demo::generate::layout::reach_for_slot_size;
use crate::demo::generate::list_plans::JINXIAN_PLANS;
use crate::demo::generate::parcel::ParcelSpec;
use crate::demo::generate::parcel_builder::build_parcels;
use crate::demo::generate::random::{Stream, rng, weighted_index};
use crate::demo::generate::regions::TownshipSpec;
use crate::demo::generate::slots::capacity;
use crate::demo::generate::star_shape::StarShape;

/// Slots are never larger than this (metres), so that a small count still spreads out.
const LARGEST_SLOT: f64 = 1_000.0;
/// Twice as many slots as parcels, so that the parcels do not line up in a visible grid.
const SLOTS_PER_PARCEL: usize = 2;

/// `count` parcels over the Jinxian townships, in the Jinxian lists' proportions, none
/// overlapping another. Sizes follow the lists' size bands, cut down where a parcel would not
/// fit its slot: the more parcels, the smaller the slots (about 120 m across at 100,000).
pub fn synthetic_parcels(seed: u64, count: usize) -> Vec<ParcelSpec> {
    let townships = townships();
    let slot_size = slot_size_for(&townships, count);
    let reach = reach_for_slot_size(slot_size);
    let list_weights = JINXIAN_PLANS
        .iter()
        .map(|plan| u32::try_from(plan.count).unwrap_or(u32::MAX));
    let mut sizes = rng(seed, Stream::Sizes);
    let mut shapes = rng(seed, Stream::Shapes);
    let drafts: Vec<Draft> = (0..count)
        .map(|_| {
            let plan = &JINXIAN_PLANS[weighted_index(&mut sizes, list_weights.clone())];
            let shape = StarShape::random(&mut shapes);
            let fitting_mu = shape.largest_area_within(reach) / SQUARE_METRES_PER_MU;
            let fitting = AreaMu::from_hundredths((fitting_mu * 100.0).floor() as u64);
            Draft {
                list: plan.list,
                area: plan.draw_size(&mut sizes).min(fitting),
                shape,
            }
        })
        .collect();
    build_parcels(seed, &townships, &campaign(), &drafts, slot_size)
}

/// The largest slot size, up to [`LARGEST_SLOT`], with enough slots for `count` parcels.
fn slot_size_for(townships: &[TownshipSpec], count: usize) -> f64 {
    let mut size = LARGEST_SLOT;
    while capacity(townships, size) < count.saturating_mul(SLOTS_PER_PARCEL) {
        size *= 0.9;
    }
    size
}
