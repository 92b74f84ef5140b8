//! The regions every test starts from: Jinxian county with two townships and their villages.

use tianzhang_server::auth::{Role, Scope};
use tianzhang_server::db::Database;
use tianzhang_server::regions::NewRegion;
use tianzhang_server::regions::repo as regions_repo;

pub const COUNTY: &str = "360124";
/// 民和镇 Minhe, with two villages.
pub const TOWNSHIP: &str = "360124100";
pub const VILLAGE: &str = "360124100201";
pub const NEIGHBOUR_VILLAGE: &str = "360124100202";
/// 白圩乡 Baixu, another township of the same county.
pub const OTHER_TOWNSHIP: &str = "360124101";
pub const OTHER_VILLAGE: &str = "360124101201";

const REGIONS: [(&str, &str, Option<&str>); 6] = [
    (COUNTY, "进贤县", None),
    (TOWNSHIP, "民和镇", Some(COUNTY)),
    (VILLAGE, "民和村", Some(TOWNSHIP)),
    (NEIGHBOUR_VILLAGE, "新光村", Some(TOWNSHIP)),
    (OTHER_TOWNSHIP, "白圩乡", Some(COUNTY)),
    (OTHER_VILLAGE, "白圩村", Some(OTHER_TOWNSHIP)),
];

pub async fn seed_regions(db: &Database) {
    db.write(|conn| {
        for (code, name, parent) in REGIONS {
            let new = NewRegion {
                code: code.to_owned(),
                name: name.to_owned(),
                parent_code: parent.map(str::to_owned),
            };
            regions_repo::add(conn, &new, &Scope::Everything)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok::<_, anyhow::Error>(())
    })
    .await
    .expect("seed regions");
}

/// The fixture region a user of `role` acts in.
pub fn home_region(role: Role) -> Option<&'static str> {
    match role {
        Role::FieldChief => Some(VILLAGE),
        Role::TownshipReviewer => Some(TOWNSHIP),
        Role::CountyAuditor => Some(COUNTY),
        Role::Admin => None,
    }
}
