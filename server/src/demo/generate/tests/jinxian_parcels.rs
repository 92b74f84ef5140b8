use std::collections::{HashMap, HashSet};

use super::DEMO;
use crate::campaigns::{LandClass, SourceList};
use crate::demo::generate::{AreaMu, ParcelSpec, code_prefix};

fn on_list(list: SourceList) -> impl Iterator<Item = &'static ParcelSpec> {
    DEMO.parcels.iter().filter(move |p| p.source_list == list)
}

fn total(list: SourceList) -> AreaMu {
    on_list(list).map(|p| p.declared_area).sum()
}

#[test]
fn the_outflow_list_has_exactly_the_plans_patches_and_area() {
    assert_eq!(on_list(SourceList::FarmlandOutflow).count(), 2_220);
    assert_eq!(total(SourceList::FarmlandOutflow).to_string(), "3980.79");
}

#[test]
fn the_restoration_parcels_close_the_1300_mu_gap() {
    assert_eq!(
        total(SourceList::Restoration),
        AreaMu::from_hundredths(130_000)
    );
    assert_eq!(on_list(SourceList::Restoration).count(), 240);
}

#[test]
fn the_other_lists_hold_a_few_cases_each() {
    let count = |list| on_list(list).count();
    assert_eq!(count(SourceList::SatelliteEnforcement), 36);
    assert_eq!(count(SourceList::SupplementaryFarmland), 8);
    assert_eq!(count(SourceList::FacilityAgriculture), 6);
}

#[test]
fn outflow_sizes_have_a_realistic_spread() {
    let sizes: Vec<f64> = on_list(SourceList::FarmlandOutflow)
        .map(|p| p.declared_area.mu())
        .collect();
    let share_within = |from: f64, to: f64| {
        sizes
            .iter()
            .filter(|&&mu| (from..=to).contains(&mu))
            .count() as f64
            / sizes.len() as f64
    };
    assert!(sizes.iter().all(|&mu| mu >= 0.10));
    assert!(share_within(0.5, 3.0) > 0.7, "{}", share_within(0.5, 3.0));
    assert!(share_within(0.1, 0.5) > 0.02);
    let large = sizes.iter().filter(|&&mu| mu > 10.0).count();
    assert!((3..=60).contains(&large), "{large}");
    assert!(sizes.iter().all(|&mu| mu <= 40.0));
}

#[test]
fn patch_codes_are_unique_and_name_their_list() {
    let codes: HashSet<&str> = DEMO.parcels.iter().map(|p| p.patch_code.as_str()).collect();
    assert_eq!(codes.len(), DEMO.parcels.len());
    for parcel in &DEMO.parcels {
        let prefix = format!("{}2023-360124-", code_prefix(parcel.source_list));
        let number = parcel.patch_code.strip_prefix(&prefix).unwrap();
        assert!(number.len() == 5 && number.bytes().all(|b| b.is_ascii_digit()));
    }
    assert_eq!(DEMO.parcels[36].patch_code, "LC2023-360124-00001");
}

#[test]
fn every_parcel_belongs_to_a_known_village() {
    let villages: HashSet<&str> = DEMO
        .townships
        .iter()
        .flat_map(|t| &t.villages)
        .map(|v| v.code.as_str())
        .collect();
    let mut per_township: HashMap<&str, usize> = HashMap::new();
    for parcel in &DEMO.parcels {
        assert!(villages.contains(parcel.village_code.as_str()));
        *per_township.entry(&parcel.village_code[..9]).or_default() += 1;
    }
    assert_eq!(per_township.len(), 21, "every township has parcels");
}

#[test]
fn attributes_fit_their_list() {
    for parcel in &DEMO.parcels {
        let problem = parcel.problem_type.as_str();
        let fits = match parcel.source_list {
            SourceList::FarmlandOutflow => problem.starts_with("耕地改"),
            SourceList::Restoration => problem.ends_with("恢复为耕地"),
            SourceList::SatelliteEnforcement => [
                "违法占地建房",
                "挖砂",
                "取土",
                "堆放",
                "硬化",
                "采石",
                "采矿",
                "建窑",
                "建坟",
            ]
            .contains(&problem),
            SourceList::SupplementaryFarmland | SourceList::FacilityAgriculture => {
                !problem.is_empty()
            }
        };
        assert!(fits, "{parcel:?}");
        assert_eq!(
            parcel.deadline,
            DEMO.campaign.deadline_for(parcel.source_list)
        );
    }
    let outflow_classes: HashSet<LandClass> = on_list(SourceList::FarmlandOutflow)
        .map(|p| p.land_class)
        .collect();
    assert_eq!(
        outflow_classes.len(),
        2,
        "outflow parcels lie on both classes of farmland"
    );
}
