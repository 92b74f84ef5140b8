use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a user does in the campaign (see docs/architecture.md for who is who).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A village field chief (村级田长): walks and photographs the parcels of one village.
    FieldChief,
    /// A township reviewer: approves or rejects the evidence of one township.
    TownshipReviewer,
    /// A county auditor: spot-checks, dashboards and evidence packs for the county.
    CountyAuditor,
    /// IT staff: users, regions, imports and keys.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::FieldChief,
        Role::TownshipReviewer,
        Role::CountyAuditor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::FieldChief => "field_chief",
            Role::TownshipReviewer => "township_reviewer",
            Role::CountyAuditor => "county_auditor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}: expected field_chief, township_reviewer, county_auditor or admin")]
pub struct UnknownRole(String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{role}\""));
        }
        assert!("superuser".parse::<Role>().is_err());
    }
}
