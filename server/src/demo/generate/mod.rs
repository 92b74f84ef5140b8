//! Demo data for Tianzhang: the 2023 farmland-rectification campaign of Jinxian county
//! (进贤县, Nanchang, Jiangxi), drawn deterministically from a seed.
//!
//! The real facts come from the county plan 进府办发〔2023〕43号: the township names, the
//! phases and due dates, the 2,220 outflow patches of 3,980.79 mu and the 1,300-mu restoration
//! gap. Everything else (division codes, villages, parcel shapes and places, the other lists'
//! sizes) is invented but plausible, and laid out so that it passes the checks real data must:
//! parcels are simple, counter-clockwise, non-overlapping polygons inside their township,
//! whose ellipsoidal area matches the declared one.
//!
//! The module does no I/O: the server loads [`jinxian_2023`] into its database, and tests and
//! benchmarks use it and [`synthetic_parcels`] directly.

mod area;
mod campaign;
mod dataset;
mod draft;
mod grs80;
mod jinxian_campaign;
mod jinxian_regions;
mod layout;
mod list_plans;
mod parcel;
mod parcel_builder;
mod portable_trig;
mod random;
mod regions;
mod sizes;
mod slots;
mod star_shape;
mod synthetic;
mod users;
mod village_names;

#[cfg(test)]
mod tests;

pub use area::{AreaMu, SQUARE_METRES_PER_MU};
pub use campaign::{CampaignSpec, ListDeadline, ListTarget, PhaseSpec};
pub use dataset::{DEMO_SEED, DemoDataset, jinxian_2023};
pub use parcel::{ParcelSpec, code_prefix};
pub use regions::{LonLatBox, RegionSpec, TownshipSpec};
pub use synthetic::synthetic_parcels;
pub use users::DemoUser;
