//! The Jinxian 2023 demo data set.

use crate::demo::generate::campaign::CampaignSpec;
use crate::demo::generate::draft::Draft;
use crate::demo::generate::jinxian_campaign::campaign;
use crate::demo::generate::jinxian_regions::{county, townships};
use crate::demo::generate::layout::slot_size_for_reach;
use crate::demo::generate::list_plans::JINXIAN_PLANS;
use crate::demo::generate::parcel::ParcelSpec;
use crate::demo::generate::parcel_builder::build_parcels;
use crate::demo::generate::random::{Stream, rng};
use crate::demo::generate::regions::{RegionSpec, TownshipSpec};
use crate::demo::generate::star_shape::StarShape;
use crate::demo::generate::users::{DemoUser, demo_users};

/// The seed of the demo installation's data set.
pub const DEMO_SEED: u64 = 2023;

/// Everything a demo installation needs: the region tree, the campaign, its parcels and one
/// account per role.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDataset {
    pub county: RegionSpec,
    pub townships: Vec<TownshipSpec>,
    pub campaign: CampaignSpec,
    /// Grouped by list in the order of `SourceList::ALL`, numbered within each list.
    pub parcels: Vec<ParcelSpec>,
    pub users: Vec<DemoUser>,
}

/// The Jinxian 2023 campaign with its parcels drawn from `seed`. The same seed always gives
/// the same data set, on every machine; another seed gives other parcels with the same
/// counts, list totals, regions, campaign and accounts.
pub fn jinxian_2023(seed: u64) -> DemoDataset {
    let county = county();
    let townships = townships();
    let campaign = campaign();
    let mut sizes = rng(seed, Stream::Sizes);
    let mut shapes = rng(seed, Stream::Shapes);
    let drafts: Vec<Draft> = JINXIAN_PLANS
        .iter()
        .flat_map(|plan| {
            let list = plan.list;
            plan.draw_sizes(&mut sizes)
                .into_iter()
                .map(move |area| (list, area))
        })
        .map(|(list, area)| Draft {
            list,
            area,
            shape: StarShape::random(&mut shapes),
        })
        .collect();
    let largest_reach = drafts.iter().map(Draft::reach).fold(0.0, f64::max);
    let parcels = build_parcels(
        seed,
        &townships,
        &campaign,
        &drafts,
        slot_size_for_reach(largest_reach),
    );
    let users = demo_users(&county, &townships);
    DemoDataset {
        county,
        townships,
        campaign,
        parcels,
        users,
    }
}
