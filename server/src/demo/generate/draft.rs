//! A parcel as first drawn: its list, size and outline, before it has a place on the map.

use crate::campaigns::SourceList;
use crate::demo::generate::area::AreaMu;
use crate::demo::generate::star_shape::StarShape;

pub(crate) struct Draft {
    pub(crate) list: SourceList,
    pub(crate) area: AreaMu,
    pub(crate) shape: StarShape,
}

impl Draft {
    /// How far the outline reaches from its centre at the declared area, in metres.
    pub(crate) fn reach(&self) -> f64 {
        self.shape.reach_at(self.area.square_metres())
    }
}
