//! The field-chief hierarchy (田长制): county, townships, villages.

/// A region of the hierarchy by its statistical division code (统计用区划代码).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionSpec {
    /// 6 digits for a county, 9 for a township, 12 for a village.
    pub code: String,
    pub name: String,
}

/// A township (or the development zone, which the plan treats like one) with its villages.
#[derive(Debug, Clone, PartialEq)]
pub struct TownshipSpec {
    pub code: String,
    pub name: String,
    pub villages: Vec<RegionSpec>,
    /// Where the township's parcels lie. A schematic cell of the county, not the real boundary.
    pub extent: LonLatBox,
}

/// A longitude/latitude box in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLatBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl LonLatBox {
    pub fn contains(&self, (lon, lat): (f64, f64)) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }
}
