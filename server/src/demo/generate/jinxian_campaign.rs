//! The Jinxian 2023 campaign, as set by the county plan 进府办发〔2023〕43号 (issued 2023-08-08).

use chrono::NaiveDate;

use crate::campaigns::SourceList;
use crate::demo::generate::area::AreaMu;
use crate::demo::generate::campaign::{CampaignSpec, ListDeadline, ListTarget, PhaseSpec};
use crate::demo::generate::jinxian_regions::COUNTY_CODE;

/// Plan, part 4 (工作步骤): the four phases and their windows.
const PHASES: [(&str, &str, NaiveDate, NaiveDate); 4] = [
    (
        "self_check",
        "自查阶段",
        date(2023, 7, 25),
        date(2023, 7, 28),
    ),
    (
        "rectification",
        "整改阶段",
        date(2023, 7, 29),
        date(2023, 8, 20),
    ),
    (
        "spot_check",
        "抽查阶段",
        date(2023, 8, 21),
        date(2023, 8, 25),
    ),
    ("summary", "总结阶段", date(2023, 8, 26), date(2023, 9, 1)),
];

/// Plan, part 4 (2): satellite-enforcement, outflow and supplementary-farmland cases must be
/// rectified by 2023-08-25. It sets no date for restoration or facility agriculture.
const RECTIFICATION_DUE: NaiveDate = date(2023, 8, 25);
const LISTS_DUE: [SourceList; 3] = [
    SourceList::SatelliteEnforcement,
    SourceList::FarmlandOutflow,
    SourceList::SupplementaryFarmland,
];

/// Plan, part 3 (2) 1: the province's 2021 and 2022 lists hold 2,220 outflow patches, 3,980.79 mu.
pub(crate) const OUTFLOW_PATCHES: usize = 2_220;
pub(crate) const OUTFLOW_AREA: AreaMu = AreaMu::from_hundredths(398_079);

/// Plan, part 3 (2) 2: the county is 1,300 mu short of its farmland quota.
pub(crate) const RESTORATION_AREA: AreaMu = AreaMu::from_hundredths(130_000);

pub(crate) fn campaign() -> CampaignSpec {
    CampaignSpec {
        name: "进贤县2023年耕地保护突出问题整改".to_owned(),
        source_document: "进府办发〔2023〕43号".to_owned(),
        county_code: COUNTY_CODE.to_owned(),
        phases: PHASES
            .iter()
            .map(|&(key, name, starts_on, ends_on)| PhaseSpec {
                key: key.to_owned(),
                name: name.to_owned(),
                starts_on,
                ends_on,
            })
            .collect(),
        deadlines: LISTS_DUE
            .iter()
            .map(|&source_list| ListDeadline {
                source_list,
                due_on: RECTIFICATION_DUE,
            })
            .collect(),
        targets: vec![
            ListTarget {
                source_list: SourceList::FarmlandOutflow,
                patch_count: Some(OUTFLOW_PATCHES),
                area: OUTFLOW_AREA,
            },
            ListTarget {
                source_list: SourceList::Restoration,
                patch_count: None,
                area: RESTORATION_AREA,
            },
        ],
    }
}

/// A calendar date checked when the crate compiles.
const fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("not a calendar date"),
    }
}
