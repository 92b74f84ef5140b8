//! A rectification campaign as data: its phases, due dates and targets. Later years bring new
//! lists, windows and targets without new code.

use chrono::NaiveDate;

use crate::campaigns::SourceList;
use crate::demo::generate::area::AreaMu;

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignSpec {
    pub name: String,
    /// The document that sets the campaign up, e.g. `进府办发〔2023〕43号`.
    pub source_document: String,
    /// The county the campaign runs in.
    pub county_code: String,
    /// In calendar order; windows include both end dates.
    pub phases: Vec<PhaseSpec>,
    pub deadlines: Vec<ListDeadline>,
    pub targets: Vec<ListTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseSpec {
    /// A stable key for code, e.g. `spot_check`.
    pub key: String,
    /// The phase as the plan names it, e.g. `抽查阶段`.
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// The date by which every case of a list must be rectified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListDeadline {
    pub source_list: SourceList,
    pub due_on: NaiveDate,
}

/// What a list must add up to: a number of patches, an area, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListTarget {
    pub source_list: SourceList,
    pub patch_count: Option<usize>,
    pub area: AreaMu,
}

impl CampaignSpec {
    pub fn deadline_for(&self, list: SourceList) -> Option<NaiveDate> {
        self.deadlines
            .iter()
            .find(|deadline| deadline.source_list == list)
            .map(|deadline| deadline.due_on)
    }

    pub fn target_for(&self, list: SourceList) -> Option<ListTarget> {
        self.targets
            .iter()
            .copied()
            .find(|target| target.source_list == list)
    }
}
