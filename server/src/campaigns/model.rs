use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::campaigns;
use crate::error::FieldError;
use crate::parcels::import::FieldMapping;

/// The list a parcel comes from: what went wrong on it, and so what restoring it means.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SourceList {
    /// 卫片执法: non-agricultural occupation found by satellite-image law enforcement.
    SatelliteEnforcement,
    /// 耕地流出: farmland turned into forest, orchard or pond.
    FarmlandOutflow,
    /// 耕地恢复: parcels chosen to close the county's restoration gap.
    Restoration,
    /// 补充耕地: farmland created under the occupation-compensation balance.
    SupplementaryFarmland,
    /// 设施农业用地: facility-agriculture land whose use must stay within its approval.
    FacilityAgriculture,
}

impl SourceList {
    pub const ALL: [SourceList; 5] = [
        SourceList::SatelliteEnforcement,
        SourceList::FarmlandOutflow,
        SourceList::Restoration,
        SourceList::SupplementaryFarmland,
        SourceList::FacilityAgriculture,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceList::SatelliteEnforcement => "satellite_enforcement",
            SourceList::FarmlandOutflow => "farmland_outflow",
            SourceList::Restoration => "restoration",
            SourceList::SupplementaryFarmland => "supplementary_farmland",
            SourceList::FacilityAgriculture => "facility_agriculture",
        }
    }

    /// The list's name in the county's documents.
    pub fn chinese_name(self) -> &'static str {
        match self {
            SourceList::SatelliteEnforcement => "卫片执法",
            SourceList::FarmlandOutflow => "耕地流出",
            SourceList::Restoration => "耕地恢复",
            SourceList::SupplementaryFarmland => "补充耕地",
            SourceList::FacilityAgriculture => "设施农业用地",
        }
    }

    /// Reads the English name, the Chinese one, or a common short form of it.
    pub fn parse_any(text: &str) -> Option<SourceList> {
        let text = text.trim();
        SourceList::ALL
            .into_iter()
            .find(|s| s.as_str() == text || s.chinese_name() == text)
            .or(match text {
                "卫片" | "卫片执法图斑" => Some(SourceList::SatelliteEnforcement),
                "流出" => Some(SourceList::FarmlandOutflow),
                "恢复" => Some(SourceList::Restoration),
                "占补平衡" => Some(SourceList::SupplementaryFarmland),
                "设施农用地" => Some(SourceList::FacilityAgriculture),
                _ => None,
            })
    }
}

impl fmt::Display for SourceList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceList {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceList::parse_any(s).ok_or_else(|| format!("unknown source list {s:?}"))
    }
}

/// Permanent basic farmland may never be converted; general farmland only with an in-out
/// balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LandClass {
    /// 永久基本农田
    PermanentBasicFarmland,
    /// 一般耕地
    GeneralFarmland,
}

impl LandClass {
    pub fn as_str(self) -> &'static str {
        match self {
            LandClass::PermanentBasicFarmland => "permanent_basic_farmland",
            LandClass::GeneralFarmland => "general_farmland",
        }
    }

    /// Reads the English name, the Chinese one, or a yes/no "is basic farmland" flag.
    pub fn parse_any(text: &str) -> Option<LandClass> {
        match text.trim() {
            "permanent_basic_farmland" | "永久基本农田" | "基本农田" | "是" | "1" | "Y" | "y" => {
                Some(LandClass::PermanentBasicFarmland)
            }
            "general_farmland" | "一般耕地" | "耕地" | "否" | "0" | "N" | "n" | "" => {
                Some(LandClass::GeneralFarmland)
            }
            _ => None,
        }
    }
}

impl FromStr for LandClass {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LandClass::parse_any(s).ok_or_else(|| format!("unknown land class {s:?}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    /// 自查
    SelfCheck,
    /// 整改
    Rectification,
    /// 县级抽查
    SpotCheck,
    /// 总结
    Summary,
}

/// A phase of the campaign and its date window (both days included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub kind: PhaseKind,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// When the parcels of one list must be rectified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    pub source_list: SourceList,
    pub due_on: NaiveDate,
}

/// What the campaign must achieve for one list: a number of patches, an area, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub source_list: SourceList,
    pub patches: Option<u32>,
    pub area_mu: Option<f64>,
    #[serde(default)]
    pub description: String,
}

/// A campaign as an administrator writes it (JSON over the API, JSON or TOML on the command
/// line).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    pub name: String,
    /// The county the campaign runs in.
    pub county_code: String,
    pub phases: Vec<Phase>,
    #[serde(default)]
    pub deadlines: Vec<Deadline>,
    #[serde(default)]
    pub targets: Vec<Target>,
    /// How this campaign's parcel lists name their fields; the defaults cover the common
    /// 三调 and change-survey names.
    #[serde(default)]
    pub field_mapping: Option<FieldMapping>,
}

impl CampaignSpec {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let chars = self.name.trim().chars().count();
        if chars == 0 || chars > 200 {
            errors.push(FieldError::new("name", "must have 1 to 200 characters"));
        }
        for (i, phase) in self.phases.iter().enumerate() {
            if phase.ends_on < phase.starts_on {
                errors.push(FieldError::new(
                    format!("phases[{i}]"),
                    "ends before it starts",
                ));
            }
        }
        for (i, target) in self.targets.iter().enumerate() {
            if target.patches.is_none() && target.area_mu.is_none() {
                errors.push(FieldError::new(
                    format!("targets[{i}]"),
                    "needs patches or area_mu",
                ));
            }
            if target.area_mu.is_some_and(|a| !a.is_finite() || a < 0.0) {
                errors.push(FieldError::new(
                    format!("targets[{i}].area_mu"),
                    "must be a positive number",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The deadline of a list, if the campaign sets one.
    pub fn deadline_for(&self, list: SourceList) -> Option<NaiveDate> {
        self.deadlines
            .iter()
            .find(|d| d.source_list == list)
            .map(|d| d.due_on)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
pub struct CampaignRow {
    pub id: String,
    pub name: String,
    pub county_code: String,
    pub phases: String,
    pub deadlines: String,
    pub targets: String,
    pub field_mapping: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A stored campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Campaign {
    pub id: String,
    #[serde(flatten)]
    pub spec: CampaignSpec,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<CampaignRow> for Campaign {
    type Error = anyhow::Error;

    fn try_from(row: CampaignRow) -> Result<Self, Self::Error> {
        Ok(Campaign {
            spec: CampaignSpec {
                name: row.name,
                county_code: row.county_code,
                phases: serde_json::from_str(&row.phases)?,
                deadlines: serde_json::from_str(&row.deadlines)?,
                targets: serde_json::from_str(&row.targets)?,
                field_mapping: row
                    .field_mapping
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()?,
            },
            id: row.id,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_classes_read_chinese_names() {
        assert_eq!(
            SourceList::parse_any("耕地流出"),
            Some(SourceList::FarmlandOutflow)
        );
        assert_eq!(
            SourceList::parse_any(" 卫片执法 "),
            Some(SourceList::SatelliteEnforcement)
        );
        assert_eq!(
            "restoration".parse::<SourceList>(),
            Ok(SourceList::Restoration)
        );
        assert_eq!(
            LandClass::parse_any("永久基本农田"),
            Some(LandClass::PermanentBasicFarmland)
        );
        assert_eq!(
            LandClass::parse_any("一般耕地"),
            Some(LandClass::GeneralFarmland)
        );
        assert_eq!(LandClass::parse_any("水田"), None);
    }
}
