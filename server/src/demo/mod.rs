//! The demo: the Jinxian 2023 campaign with its regions, parcels and one user per role, loaded
//! by `tianzhang serve --demo` into an empty database. The parcels go through the same import
//! path as a real parcel list.

pub mod generate;
mod load;

pub use load::{DemoLoad, dataset_of, load_into_empty};
