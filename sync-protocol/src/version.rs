//! Protocol versions. A client states the versions it speaks; the server answers with the
//! highest one both know, or refuses with the range it supports. A version, once released, is
//! never changed: new behaviour gets a new number.

use serde::{Deserialize, Serialize};

/// Version 1: the first release of the protocol.
pub const V1: u16 = 1;

/// The oldest version this build understands.
pub const PROTOCOL_MIN: u16 = V1;
/// The newest version this build understands.
pub const PROTOCOL_MAX: u16 = V1;

/// The range of versions one side supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionRange {
    pub min: u16,
    pub max: u16,
}

impl VersionRange {
    /// What this build of the crate supports.
    pub const SUPPORTED: VersionRange = VersionRange {
        min: PROTOCOL_MIN,
        max: PROTOCOL_MAX,
    };

    /// The highest version both ranges contain.
    pub fn negotiate(self, other: VersionRange) -> Result<u16, Unsupported> {
        let highest = self.max.min(other.max);
        if highest >= self.min.max(other.min) {
            Ok(highest)
        } else {
            Err(Unsupported {
                ours: self,
                theirs: other,
            })
        }
    }
}

/// Two sides share no protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "no common protocol version: we speak {}..={}, the other side {}..={}",
    ours.min, ours.max, theirs.min, theirs.max
)]
pub struct Unsupported {
    pub ours: VersionRange,
    pub theirs: VersionRange,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_highest_common_version() {
        let old_client = VersionRange { min: 1, max: 1 };
        let new_server = VersionRange { min: 1, max: 3 };
        assert_eq!(new_server.negotiate(old_client), Ok(1));
        let newer_client = VersionRange { min: 2, max: 4 };
        assert_eq!(new_server.negotiate(newer_client), Ok(3));
    }

    #[test]
    fn refuses_disjoint_ranges() {
        let ancient = VersionRange { min: 1, max: 1 };
        let future = VersionRange { min: 2, max: 2 };
        assert!(ancient.negotiate(future).is_err());
        assert_eq!(
            VersionRange::SUPPORTED.negotiate(VersionRange::SUPPORTED),
            Ok(PROTOCOL_MAX)
        );
    }
}
