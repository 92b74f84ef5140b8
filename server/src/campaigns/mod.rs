//! Campaigns: a county's rectification drive, with its phases, deadlines and targets. A
//! campaign is data: later years bring new lists, windows and targets, not new code.

pub mod handlers;
pub mod model;
pub mod repo;

pub use model::{Campaign, CampaignSpec, LandClass, SourceList};
