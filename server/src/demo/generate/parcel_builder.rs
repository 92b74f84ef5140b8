//! Turns drafts into finished parcels: a place, a village, a patch code, a problem.

use std::collections::BTreeMap;

use crate::campaigns::SourceList;
use crate::demo::generate::campaign::CampaignSpec;
use crate::demo::generate::draft::Draft;
use crate::demo::generate::jinxian_regions::COUNTY_CODE;
use crate::demo::generate::layout::place;
use crate::demo::generate::list_plans::plan_for;
use crate::demo::generate::parcel::{ParcelSpec, code_prefix};
use crate::demo::generate::random::{Stream, rng};
use crate::demo::generate::regions::TownshipSpec;
use crate::demo::generate::slots::slots;

/// The year in the patch codes, the campaign's.
const CODE_YEAR: u32 = 2023;

/// Finished parcels, in the drafts' order, each in its own slot of `slot_size` metres.
pub(crate) fn build_parcels(
    seed: u64,
    townships: &[TownshipSpec],
    campaign: &CampaignSpec,
    drafts: &[Draft],
    slot_size: f64,
) -> Vec<ParcelSpec> {
    let placements = place(
        &mut rng(seed, Stream::Placement),
        townships,
        drafts,
        slots(townships, slot_size),
        slot_size,
    );
    let mut attributes = rng(seed, Stream::Attributes);
    let mut numbers: BTreeMap<SourceList, u32> = BTreeMap::new();
    drafts
        .iter()
        .zip(placements)
        .map(|(draft, placement)| {
            let plan = plan_for(draft.list);
            let number = numbers.entry(draft.list).or_default();
            *number += 1;
            ParcelSpec {
                patch_code: format!(
                    "{}{CODE_YEAR}-{COUNTY_CODE}-{number:05}",
                    code_prefix(draft.list)
                ),
                village_code: placement.village_code,
                source_list: draft.list,
                land_class: plan.draw_land_class(&mut attributes),
                problem_type: plan.draw_problem(&mut attributes).to_owned(),
                declared_area: draft.area,
                deadline: campaign.deadline_for(draft.list),
                polygon: placement.polygon,
            }
        })
        .collect()
}
