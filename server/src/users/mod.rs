//! User accounts: who they are, their role and the region they act in.

pub mod handlers;
pub mod model;
pub mod repo;

pub use model::{NewUser, User, UserRow};
