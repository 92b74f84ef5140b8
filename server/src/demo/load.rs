use diesel::prelude::*;

use super::generate::{self, DEMO_SEED, DemoDataset, DemoUser, ParcelSpec};
use crate::auth::{Scope, password};
use crate::campaigns::CampaignSpec;
use crate::campaigns::model::{Deadline, Phase, PhaseKind, Target};
use crate::campaigns::repo as campaigns_repo;
use crate::db::Database;
use crate::db::schema::regions;
use crate::parcels::import::read::{
    AttributeValue, CrsHint, SourceDataset, SourceFeature, SourceFormat, SourcePolygon,
    TextEncodingSource,
};
use crate::parcels::import::{self, ImportOptions, ImportOutcome, ImportSource};
use crate::regions::NewRegion;
use crate::regions::repo as regions_repo;
use crate::users::NewUser;
use crate::users::repo as users_repo;

/// What `--demo` did.
pub enum DemoLoad {
    /// The database already had regions: nothing was loaded.
    Skipped,
    Loaded {
        users: Vec<DemoUser>,
        parcels: usize,
    },
}

/// Loads the demo into a database that has no regions yet.
pub async fn load_into_empty(db: &Database) -> anyhow::Result<DemoLoad> {
    let has_regions: i64 = db
        .read(|conn| {
            regions::table
                .count()
                .get_result(conn)
                .map_err(anyhow::Error::from)
        })
        .await?;
    if has_regions > 0 {
        return Ok(DemoLoad::Skipped);
    }
    let data = generate::jinxian_2023(DEMO_SEED);
    let hashes = data
        .users
        .iter()
        .map(|u| password::hash(&u.password))
        .collect::<Result<Vec<_>, _>>()?;
    let campaign_spec = campaign_spec(&data);
    let campaign = {
        let data = data.clone();
        db.write(move |conn| {
            for new in regions_of(&data) {
                regions_repo::add(conn, &new, &Scope::Everything)?;
            }
            for (user, hash) in data.users.iter().zip(&hashes) {
                let new = NewUser {
                    username: user.username.clone(),
                    display_name: Some(user.display_name.clone()),
                    password: user.password.clone(),
                    role: user.role,
                    region_code: user.region_code.clone(),
                };
                users_repo::add(conn, &new, hash, &Scope::Everything)?;
            }
            Ok::<_, anyhow::Error>(campaigns_repo::add(conn, &campaign_spec)?)
        })
        .await?
    };
    let source = ImportSource {
        dataset: dataset_of(&data.parcels),
        file_name: "jinxian-2023-demo".to_owned(),
        file_sha256: String::new(),
    };
    let options = ImportOptions {
        imported_by: "demo".to_owned(),
        ..ImportOptions::default()
    };
    let report = import::import(db, campaign, source, options).await?;
    if report.outcome != ImportOutcome::Imported {
        anyhow::bail!(
            "the demo parcels did not import: {:?}",
            report.problems.first()
        );
    }
    Ok(DemoLoad::Loaded {
        users: data.users,
        parcels: report.created,
    })
}

fn regions_of(data: &DemoDataset) -> Vec<NewRegion> {
    let region = |code: &str, name: &str, parent: Option<&str>| NewRegion {
        code: code.to_owned(),
        name: name.to_owned(),
        parent_code: parent.map(str::to_owned),
    };
    let mut out = vec![region(&data.county.code, &data.county.name, None)];
    for township in &data.townships {
        out.push(region(
            &township.code,
            &township.name,
            Some(&data.county.code),
        ));
        for village in &township.villages {
            out.push(region(&village.code, &village.name, Some(&township.code)));
        }
    }
    out
}

fn campaign_spec(data: &DemoDataset) -> CampaignSpec {
    let source = &data.campaign;
    CampaignSpec {
        name: source.name.clone(),
        county_code: source.county_code.clone(),
        phases: source
            .phases
            .iter()
            .filter_map(|p| {
                let kind: PhaseKind =
                    serde_json::from_value(serde_json::Value::from(p.key.as_str())).ok()?;
                Some(Phase {
                    kind,
                    starts_on: p.starts_on,
                    ends_on: p.ends_on,
                })
            })
            .collect(),
        deadlines: source
            .deadlines
            .iter()
            .map(|d| Deadline {
                source_list: d.source_list,
                due_on: d.due_on,
            })
            .collect(),
        targets: source
            .targets
            .iter()
            .map(|t| Target {
                source_list: t.source_list,
                patches: t.patch_count.and_then(|n| u32::try_from(n).ok()),
                area_mu: Some(t.area.mu()),
                description: format!(
                    "{} ({})",
                    t.source_list.chinese_name(),
                    source.source_document
                ),
            })
            .collect(),
        field_mapping: None,
    }
}

/// The demo parcels as a GeoJSON-like list in CGCS2000 longitude/latitude, with attribute
/// names the default field mapping knows.
pub fn dataset_of(parcels: &[ParcelSpec]) -> SourceDataset {
    let features = parcels
        .iter()
        .enumerate()
        .map(|(i, p)| SourceFeature {
            number: i + 1,
            attributes: vec![
                (
                    "patch_code".to_owned(),
                    AttributeValue::Text(p.patch_code.clone()),
                ),
                (
                    "village_code".to_owned(),
                    AttributeValue::Text(p.village_code.clone()),
                ),
                (
                    "source_list".to_owned(),
                    AttributeValue::Text(p.source_list.as_str().to_owned()),
                ),
                (
                    "land_class".to_owned(),
                    AttributeValue::Text(p.land_class.as_str().to_owned()),
                ),
                (
                    "problem_type".to_owned(),
                    AttributeValue::Text(p.problem_type.clone()),
                ),
                (
                    "area_mu".to_owned(),
                    AttributeValue::Number(p.declared_area.mu()),
                ),
                (
                    "deadline".to_owned(),
                    p.deadline
                        .map_or(AttributeValue::Null, AttributeValue::Date),
                ),
            ],
            geometry: Ok(vec![SourcePolygon {
                exterior: p.polygon.clone(),
                holes: Vec::new(),
            }]),
        })
        .collect();
    SourceDataset {
        format: SourceFormat::GeoJson,
        crs: CrsHint::GeoJsonName("EPSG:4490".to_owned()),
        text_encoding: "UTF-8".to_owned(),
        text_encoding_source: TextEncodingSource::JsonStandard,
        undecodable_texts: 0,
        deleted_records_skipped: 0,
        features,
    }
}
