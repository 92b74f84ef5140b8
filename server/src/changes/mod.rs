//! The change feed devices pull: every change gets a number from one commit-ordered sequence,
//! and the feed keeps the latest state of each record in each region it is visible from.
//!
//! Every feature that changes something a device can see writes it here, inside its own
//! transaction; the sync feature reads it. Nothing in this module knows about any feature.

mod feed;
mod sequence;

pub use feed::{FeedRow, FeedWrite, Visibility, insert, move_parcel_records, read_feed, write};
pub use sequence::ChangeSequence;
