//! What the demo draws for each list: how many parcels, how large, with which problems.
//!
//! The counts and totals of the outflow and restoration lists are the plan's; everything else
//! here is a plausible invention for the demo.

use rand_chacha::ChaCha8Rng;

use crate::campaigns::{LandClass, SourceList};
use crate::demo::generate::area::AreaMu;
use crate::demo::generate::jinxian_campaign::{OUTFLOW_AREA, OUTFLOW_PATCHES, RESTORATION_AREA};
use crate::demo::generate::random::{chance, weighted_index};
use crate::demo::generate::sizes::{SizeBand, draw_size, sizes_summing_to};

pub(crate) struct ListPlan {
    pub(crate) list: SourceList,
    pub(crate) count: usize,
    /// The exact total the sizes must reach, where the plan fixes one.
    total: Option<AreaMu>,
    sizes: &'static [SizeBand],
    /// Problem types as the lists word them, with relative weights.
    problems: &'static [(&'static str, u32)],
    /// The fraction of parcels on permanent basic farmland.
    permanent_basic_share: f64,
}

const fn band(share: u32, from_mu: f64, to_mu: f64, skew: u32) -> SizeBand {
    SizeBand {
        share,
        from_mu,
        to_mu,
        skew,
    }
}

/// In the order of [`SourceList::ALL`].
pub(crate) const JINXIAN_PLANS: [ListPlan; 5] = [
    ListPlan {
        list: SourceList::SatelliteEnforcement,
        count: 36,
        total: None,
        sizes: &[band(6, 0.10, 1.0, 2), band(4, 1.0, 6.0, 2)],
        // The kinds of occupation the plan names in part 3 (1) 1.
        problems: &[
            ("违法占地建房", 30),
            ("挖砂", 12),
            ("取土", 12),
            ("堆放", 15),
            ("硬化", 15),
            ("采石", 6),
            ("采矿", 2),
            ("建窑", 4),
            ("建坟", 6),
        ],
        permanent_basic_share: 0.35,
    },
    ListPlan {
        list: SourceList::FarmlandOutflow,
        count: OUTFLOW_PATCHES,
        total: Some(OUTFLOW_AREA),
        // Mostly 0.5–3 mu, a few small slivers and a few large fields.
        sizes: &[
            band(70, 0.10, 0.50, 1),
            band(850, 0.50, 3.0, 2),
            band(75, 3.0, 12.0, 2),
            band(5, 12.0, 30.0, 1),
        ],
        problems: &[
            ("耕地改林地", 35),
            ("耕地改园地(果园)", 25),
            ("耕地改坑塘水面", 25),
            ("耕地改园地(茶园)", 8),
            ("耕地改草地", 7),
        ],
        permanent_basic_share: 0.55,
    },
    ListPlan {
        list: SourceList::Restoration,
        count: 240,
        total: Some(RESTORATION_AREA),
        sizes: &[band(1, 1.0, 20.0, 3)],
        problems: &[
            ("林地恢复为耕地", 35),
            ("园地恢复为耕地", 30),
            ("坑塘水面恢复为耕地", 25),
            ("其他农用地恢复为耕地", 10),
        ],
        permanent_basic_share: 0.0,
    },
    ListPlan {
        list: SourceList::SupplementaryFarmland,
        count: 8,
        total: None,
        sizes: &[band(1, 5.0, 25.0, 1)],
        problems: &[
            ("补充耕地撂荒", 4),
            ("补充耕地质量不达标", 3),
            ("未达水田标准", 2),
        ],
        permanent_basic_share: 0.0,
    },
    ListPlan {
        list: SourceList::FacilityAgriculture,
        count: 6,
        total: None,
        sizes: &[band(1, 0.5, 10.0, 2)],
        problems: &[
            ("超出备案面积", 3),
            ("改变设施农业用途", 3),
            ("违规建设管理用房", 2),
        ],
        permanent_basic_share: 0.0,
    },
];

pub(crate) fn plan_for(list: SourceList) -> &'static ListPlan {
    match list {
        SourceList::SatelliteEnforcement => &JINXIAN_PLANS[0],
        SourceList::FarmlandOutflow => &JINXIAN_PLANS[1],
        SourceList::Restoration => &JINXIAN_PLANS[2],
        SourceList::SupplementaryFarmland => &JINXIAN_PLANS[3],
        SourceList::FacilityAgriculture => &JINXIAN_PLANS[4],
    }
}

impl ListPlan {
    /// The list's sizes: adding up to its total where it has one, free draws otherwise.
    pub(crate) fn draw_sizes(&self, rng: &mut ChaCha8Rng) -> Vec<AreaMu> {
        match self.total {
            Some(total) => sizes_summing_to(rng, self.sizes, self.count, total),
            None => (0..self.count).map(|_| self.draw_size(rng)).collect(),
        }
    }

    pub(crate) fn draw_size(&self, rng: &mut ChaCha8Rng) -> AreaMu {
        draw_size(rng, self.sizes)
    }

    pub(crate) fn draw_problem(&self, rng: &mut ChaCha8Rng) -> &'static str {
        let weights = self.problems.iter().map(|&(_, weight)| weight);
        self.problems
            .get(weighted_index(rng, weights))
            .map_or("", |&(problem, _)| problem)
    }

    pub(crate) fn draw_land_class(&self, rng: &mut ChaCha8Rng) -> LandClass {
        if chance(rng, self.permanent_basic_share) {
            LandClass::PermanentBasicFarmland
        } else {
            LandClass::GeneralFarmland
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_follow_the_list_order() {
        for list in SourceList::ALL {
            assert_eq!(plan_for(list).list, list);
        }
    }
}
