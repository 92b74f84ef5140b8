//! A parcel (图斑) on one of the campaign's problem lists.

use chrono::NaiveDate;

use crate::campaigns::{LandClass, SourceList};
use crate::demo::generate::area::AreaMu;

/// The list a parcel comes from; each list has its own kind of problem and of restoration.
#[derive(Debug, Clone, PartialEq)]
pub struct ParcelSpec {
    /// Unique within the data set, e.g. `LC2023-360124-00001`.
    pub patch_code: String,
    /// The 12-digit code of the village whose field chief walks this parcel.
    pub village_code: String,
    pub source_list: SourceList,
    pub land_class: LandClass,
    /// What is wrong on the parcel, in Chinese as the lists say it, e.g. `耕地改林地`.
    pub problem_type: String,
    pub declared_area: AreaMu,
    /// When the rectification is due; `None` for lists the plan gives no date for.
    pub deadline: Option<NaiveDate>,
    /// Exterior ring as (longitude, latitude) in degrees, CGCS2000 (WGS-84 to centimetres):
    /// closed, counter-clockwise, simple, 5 to 12 distinct vertices.
    pub polygon: Vec<(f64, f64)>,
}

/// The patch-code prefix of a list in the demo: the pinyin initials of its Chinese name.
pub fn code_prefix(list: SourceList) -> &'static str {
    match list {
        SourceList::SatelliteEnforcement => "WP",
        SourceList::FarmlandOutflow => "LC",
        SourceList::Restoration => "HF",
        SourceList::SupplementaryFarmland => "BC",
        SourceList::FacilityAgriculture => "SS",
    }
}
