//! One demo account per role, each scoped to the level its role works at.

use crate::auth::Role;
use crate::demo::generate::regions::{RegionSpec, TownshipSpec};

/// A demo account. Its password is fixed and printed by the server in demo mode, so it is
/// not a secret; it only has to pass the password policy (at least 8 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    /// The region the account works in; `None` for the administrator (the whole installation).
    pub region_code: Option<String>,
}

/// The chief walks the first village of the first township, which that township's reviewer
/// approves, so the demo can follow one parcel up the chain.
pub(crate) fn demo_users(county: &RegionSpec, townships: &[TownshipSpec]) -> Vec<DemoUser> {
    let township = townships.first();
    let village = township.and_then(|township| township.villages.first());
    vec![
        user(
            "demo-chief",
            "演示村级田长",
            Role::FieldChief,
            village.map(|v| &v.code),
        ),
        user(
            "demo-reviewer",
            "演示乡镇审核员",
            Role::TownshipReviewer,
            township.map(|t| &t.code),
        ),
        user(
            "demo-auditor",
            "演示县级专班",
            Role::CountyAuditor,
            Some(&county.code),
        ),
        user("demo-admin", "演示管理员", Role::Admin, None),
    ]
}

fn user(username: &str, display_name: &str, role: Role, region: Option<&String>) -> DemoUser {
    DemoUser {
        username: username.to_owned(),
        display_name: display_name.to_owned(),
        password: format!("{username}-2023"),
        role,
        region_code: region.cloned(),
    }
}
