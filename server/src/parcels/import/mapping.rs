//! Which attribute of a parcel list holds which parcel field. Each parcel field lists candidate
//! attribute names in order of preference; the first one the file has is used for every
//! feature. The defaults cover the common names of the third national land survey (三调), the
//! change surveys and the provincial rectification lists.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::campaigns::{LandClass, SourceList};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FieldMapping {
    /// The patch code (图斑编号), unique within a campaign.
    pub patch_code: Vec<String>,
    /// The village: a 12-digit code, a longer 坐落单位代码 that starts with one, or a name.
    pub village: Vec<String>,
    pub source_list: Vec<String>,
    /// Used when the file has no source-list attribute (a list file is usually one list).
    pub default_source_list: Option<SourceList>,
    pub land_class: Vec<String>,
    pub default_land_class: Option<LandClass>,
    pub problem_type: Vec<String>,
    /// A declared area in mu.
    pub declared_area_mu: Vec<String>,
    /// A declared area in m² (used when no mu attribute is found).
    pub declared_area_m2: Vec<String>,
    pub deadline: Vec<String>,
    /// The largest relative difference between declared and measured area that is not
    /// flagged (0.05 = 5 %).
    pub area_tolerance: f64,
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for FieldMapping {
    fn default() -> Self {
        Self {
            patch_code: names(&[
                "patch_code",
                "图斑编号",
                "TBBH",
                "JCBH",
                "JCTBBH",
                "TBYBH",
                "BSM",
            ]),
            village: names(&[
                "village_code",
                "village",
                "村代码",
                "村名",
                "行政村",
                "ZLDWDM",
                "QSDWDM",
                "ZLDWMC",
                "QSDWMC",
            ]),
            source_list: names(&["source_list", "来源", "清单", "图斑来源", "TBLY"]),
            default_source_list: None,
            land_class: names(&[
                "land_class",
                "耕地类型",
                "地类",
                "是否永久基本农田",
                "永久基本农田",
                "YJJBNT",
                "JBNT",
            ]),
            default_land_class: None,
            problem_type: names(&[
                "problem_type",
                "问题类型",
                "WTLX",
                "BGHDL",
                "现状地类",
                "DLMC",
            ]),
            declared_area_mu: names(&["area_mu", "面积亩", "亩", "MJ_MU", "TBMJM"]),
            declared_area_m2: names(&["area_m2", "TBMJ", "面积", "MJ", "BGMJ"]),
            deadline: names(&["deadline", "整改期限", "整改时限", "ZGQX"]),
            area_tolerance: 0.05,
        }
    }
}

/// The attribute each parcel field was read from in one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ResolvedColumns {
    pub patch_code: Option<String>,
    pub village: Option<String>,
    pub source_list: Option<String>,
    pub land_class: Option<String>,
    pub problem_type: Option<String>,
    pub declared_area_mu: Option<String>,
    pub declared_area_m2: Option<String>,
    pub deadline: Option<String>,
}

impl FieldMapping {
    /// Picks, for each field, the first candidate among `available` (compared without regard
    /// to ASCII case, since DBF names are often upper case).
    pub fn resolve(&self, available: &[String]) -> ResolvedColumns {
        let pick = |candidates: &[String]| {
            candidates.iter().find_map(|candidate| {
                available
                    .iter()
                    .find(|name| name.trim().eq_ignore_ascii_case(candidate))
                    .cloned()
            })
        };
        ResolvedColumns {
            patch_code: pick(&self.patch_code),
            village: pick(&self.village),
            source_list: pick(&self.source_list),
            land_class: pick(&self.land_class),
            problem_type: pick(&self.problem_type),
            declared_area_mu: pick(&self.declared_area_mu),
            declared_area_m2: pick(&self.declared_area_m2),
            deadline: pick(&self.deadline),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_candidate_present_wins_whatever_its_case() {
        let available = names(&["tbbh", "ZLDWDM", "村名", "TBMJ"]);
        let columns = FieldMapping::default().resolve(&available);
        assert_eq!(columns.patch_code.as_deref(), Some("tbbh"));
        assert_eq!(columns.village.as_deref(), Some("村名"));
        assert_eq!(columns.declared_area_m2.as_deref(), Some("TBMJ"));
        assert_eq!(columns.declared_area_mu, None);
    }

    #[test]
    fn a_custom_mapping_reads_from_toml() {
        let mapping: FieldMapping = toml::from_str(
            "patch_code = [\"编号\"]\ndefault_source_list = \"farmland_outflow\"\narea_tolerance = 0.1\n",
        )
        .unwrap();
        assert_eq!(mapping.patch_code, ["编号"]);
        assert_eq!(
            mapping.default_source_list,
            Some(SourceList::FarmlandOutflow)
        );
        assert_eq!(mapping.village, FieldMapping::default().village);
    }
}
