//! Review: township reviewers approve, reject or return restoration submissions. A decision
//! binds to the submission's manifest hash, so what was approved stays provable; devices pull
//! decisions like any other record.

pub mod decide;
pub mod handlers;
