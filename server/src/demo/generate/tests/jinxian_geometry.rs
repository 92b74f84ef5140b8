use super::polygon_checks::{any_boxes_meet, is_counter_clockwise, is_simple};
use super::{DEMO, township_of};
use crate::demo::generate::ParcelSpec;
use crate::demo::generate::jinxian_regions::COUNTY_EXTENT;
use crate::demo::generate::tests::geodesic_area::ellipsoidal_area;

/// Checks one parcel's outline; shared with the synthetic parcels' tests.
pub(super) fn assert_well_formed(parcel: &ParcelSpec) {
    let ring = &parcel.polygon;
    let code = &parcel.patch_code;
    assert_eq!(ring.first(), ring.last(), "{code} is closed");
    assert!(
        (6..=13).contains(&ring.len()),
        "{code} has 5 to 12 vertices"
    );
    assert!(is_simple(ring), "{code} is simple");
    assert!(is_counter_clockwise(ring), "{code} runs counter-clockwise");
}

/// The relative difference between the outline's ellipsoidal area and the declared one.
pub(super) fn area_deviation(parcel: &ParcelSpec) -> f64 {
    let declared = parcel.declared_area.square_metres();
    (ellipsoidal_area(&parcel.polygon) - declared).abs() / declared
}

#[test]
fn outlines_are_closed_simple_counter_clockwise_rings() {
    DEMO.parcels.iter().for_each(assert_well_formed);
}

#[test]
fn outlines_lie_in_their_township_and_the_county() {
    for parcel in &DEMO.parcels {
        let extent = township_of(&DEMO, &parcel.village_code).extent;
        for &point in &parcel.polygon {
            assert!(
                extent.contains(point),
                "{} leaves its township",
                parcel.patch_code
            );
            assert!(COUNTY_EXTENT.contains(point));
        }
    }
}

#[test]
fn no_two_outlines_overlap() {
    let rings: Vec<&[(f64, f64)]> = DEMO.parcels.iter().map(|p| p.polygon.as_slice()).collect();
    assert!(!any_boxes_meet(&rings));
}

#[test]
fn ellipsoidal_areas_match_the_declared_areas() {
    let worst = DEMO.parcels.iter().map(area_deviation).fold(0.0, f64::max);
    // The requirement is 1 %; the generator's local scale is good to a few parts in a million.
    assert!(worst < 0.01);
    assert!(worst < 1e-5, "worst relative deviation {worst:e}");
}
