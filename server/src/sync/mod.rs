//! The sync protocol's server side (`/api/v1/sync`): devices register, push their mutations
//! and pull the changes of their scope. The wire types and merge rules live in the
//! `tianzhang-sync` crate; the rules for each kind of mutation in [`crate::evidence`].

mod cursor;
mod devices;
pub mod handlers;
mod outcomes;
mod pull;
mod push;
