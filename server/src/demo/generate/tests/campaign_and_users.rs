use chrono::NaiveDate;

use super::DEMO;
use crate::auth::Role;
use crate::campaigns::SourceList;
use crate::demo::generate::AreaMu;

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, month, day).unwrap()
}

#[test]
fn the_campaign_has_the_plans_name_phases_deadlines_and_targets() {
    let campaign = &DEMO.campaign;
    assert_eq!(campaign.name, "进贤县2023年耕地保护突出问题整改");
    assert_eq!(campaign.county_code, "360124");
    let phases: Vec<_> = campaign
        .phases
        .iter()
        .map(|p| (p.key.as_str(), p.name.as_str(), p.starts_on, p.ends_on))
        .collect();
    assert_eq!(
        phases,
        [
            ("self_check", "自查阶段", date(7, 25), date(7, 28)),
            ("rectification", "整改阶段", date(7, 29), date(8, 20)),
            ("spot_check", "抽查阶段", date(8, 21), date(8, 25)),
            ("summary", "总结阶段", date(8, 26), date(9, 1)),
        ]
    );
    for list in SourceList::ALL {
        let expected = match list {
            SourceList::Restoration | SourceList::FacilityAgriculture => None,
            _ => Some(date(8, 25)),
        };
        assert_eq!(campaign.deadline_for(list), expected, "{list:?}");
    }
    let outflow = campaign.target_for(SourceList::FarmlandOutflow).unwrap();
    assert_eq!(
        (outflow.patch_count, outflow.area.to_string()),
        (Some(2_220), "3980.79".into())
    );
    let restoration = campaign.target_for(SourceList::Restoration).unwrap();
    assert_eq!(restoration.area, AreaMu::from_hundredths(130_000));
}

#[test]
fn there_is_one_account_per_role_at_its_level() {
    let users = &DEMO.users;
    let roles: Vec<Role> = users.iter().map(|u| u.role).collect();
    assert_eq!(
        roles,
        [
            Role::FieldChief,
            Role::TownshipReviewer,
            Role::CountyAuditor,
            Role::Admin
        ]
    );
    for user in users {
        assert!(user.username.starts_with("demo-"));
        assert!(user.password.chars().count() >= 8);
        let code_length = user.region_code.as_ref().map(String::len);
        let expected = match user.role {
            Role::FieldChief => Some(12),
            Role::TownshipReviewer => Some(9),
            Role::CountyAuditor => Some(6),
            Role::Admin => None,
        };
        assert_eq!(code_length, expected, "{}", user.username);
    }
    let chief_village = users[0].region_code.as_deref().unwrap();
    let reviewer_township = users[1].region_code.as_deref().unwrap();
    assert!(chief_village.starts_with(reviewer_township));
    assert!(
        DEMO.townships
            .iter()
            .any(|t| t.villages.iter().any(|v| v.code == chief_village))
    );
}

#[test]
fn the_demo_chief_has_outflow_parcels_to_walk() {
    let chief_village = DEMO.users[0].region_code.as_deref().unwrap();
    let outflow_parcels = DEMO
        .parcels
        .iter()
        .filter(|p| p.village_code == chief_village)
        .filter(|p| p.source_list == SourceList::FarmlandOutflow)
        .count();
    assert!(outflow_parcels >= 5, "{outflow_parcels}");
}
