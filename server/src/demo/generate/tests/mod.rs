//! Tests of the whole data set, each proving one of the promises made in the crate docs.

mod campaign_and_users;
mod determinism;
mod geodesic_area;
mod jinxian_geometry;
mod jinxian_parcels;
mod jinxian_regions;
mod polygon_checks;
mod synthetic;

use std::sync::LazyLock;

use crate::demo::generate::{DEMO_SEED, DemoDataset, TownshipSpec, jinxian_2023};

/// The demo data set, generated once for all tests.
static DEMO: LazyLock<DemoDataset> = LazyLock::new(|| jinxian_2023(DEMO_SEED));

/// The township whose code starts the 12-digit `village_code`.
fn township_of<'a>(dataset: &'a DemoDataset, village_code: &str) -> &'a TownshipSpec {
    dataset
        .townships
        .iter()
        .find(|township| village_code.starts_with(&township.code))
        .expect("every village belongs to a township")
}
