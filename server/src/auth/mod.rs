//! Who is calling and what they may do: roles, region scopes, password hashing, the JWT key
//! ring and the [`Caller`] extractor through which every authorization decision goes.

mod caller;
pub mod keys;
pub mod password;
pub mod refresh;
mod role;
mod scope;
pub mod throttle;

pub use caller::Caller;
pub use keys::{AccessClaims, KeyRing};
pub use role::{Role, UnknownRole};
pub use scope::{Scope, path_range};
