use std::collections::HashSet;

use super::jinxian_geometry::{area_deviation, assert_well_formed};
use super::polygon_checks::any_boxes_meet;
use super::{DEMO, township_of};
use crate::demo::generate::synthetic_parcels;

#[test]
fn a_hundred_thousand_parcels_are_well_formed_apart_and_in_place() {
    let parcels = synthetic_parcels(11, 100_000);
    assert_eq!(parcels.len(), 100_000);
    let codes: HashSet<&str> = parcels.iter().map(|p| p.patch_code.as_str()).collect();
    assert_eq!(codes.len(), parcels.len());
    let rings: Vec<&[(f64, f64)]> = parcels.iter().map(|p| p.polygon.as_slice()).collect();
    assert!(!any_boxes_meet(&rings));
    for parcel in &parcels {
        assert_well_formed(parcel);
        let extent = township_of(&DEMO, &parcel.village_code).extent;
        assert!(parcel.polygon.iter().all(|&point| extent.contains(point)));
        assert!(parcel.declared_area.hundredths() > 0);
        assert!(area_deviation(parcel) < 0.01, "{parcel:?}");
    }
}

#[test]
fn synthetic_parcels_repeat_with_their_seed() {
    assert_eq!(synthetic_parcels(3, 500), synthetic_parcels(3, 500));
    assert_ne!(synthetic_parcels(3, 500), synthetic_parcels(4, 500));
    assert!(synthetic_parcels(3, 0).is_empty());
    assert_eq!(synthetic_parcels(3, 1).len(), 1);
}
