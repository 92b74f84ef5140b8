use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::regions;
use crate::error::FieldError;

/// The three levels of the field-chief hierarchy (田长制).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    County,
    Township,
    Village,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
        }
    }

    /// The level of a region's children, if it may have any.
    pub fn child(self) -> Option<Level> {
        match self {
            Level::County => Some(Level::Township),
            Level::Township => Some(Level::Village),
            Level::Village => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "county" => Ok(Level::County),
            "township" => Ok(Level::Township),
            "village" => Ok(Level::Village),
            other => Err(format!("unknown region level {other:?}")),
        }
    }
}

/// A stored region.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = regions)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub path: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A region as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Region {
    /// The administrative division code (统计用区划代码), e.g. `360124` for Jinxian county.
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent_code: Option<String>,
    /// The codes from the county down to this region, `/360124/360124100/`.
    pub path: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<RegionRow> for Region {
    type Error = anyhow::Error;

    fn try_from(row: RegionRow) -> Result<Self, Self::Error> {
        Ok(Region {
            level: row.level.parse().map_err(anyhow::Error::msg)?,
            code: row.code,
            name: row.name,
            parent_code: row.parent_code,
            path: row.path,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// What it takes to add a region; its level follows from its parent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegion {
    pub code: String,
    pub name: String,
    /// Absent for a county.
    pub parent_code: Option<String>,
}

impl NewRegion {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if !is_division_code(&self.code) {
            errors.push(FieldError::new("code", "must be 6 to 12 digits"));
        }
        if let Err(message) = validate_name(&self.name) {
            errors.push(FieldError::new("name", message));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Chinese statistical division codes: 6 digits for a county, 9 for a township, 12 for a
/// village; shorter or longer local codes are accepted within that range.
fn is_division_code(code: &str) -> bool {
    (6..=12).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

pub fn validate_name(name: &str) -> Result<(), &'static str> {
    let chars = name.trim().chars().count();
    if chars == 0 || chars > 100 {
        Err("must have 1 to 100 characters")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_digits_of_division_length() {
        assert!(is_division_code("360124"));
        assert!(is_division_code("360124100201"));
        assert!(!is_division_code("36012"));
        assert!(!is_division_code("36012410020100"));
        assert!(!is_division_code("36012a"));
    }

    #[test]
    fn levels_nest_three_deep() {
        assert_eq!(Level::County.child(), Some(Level::Township));
        assert_eq!(Level::Township.child(), Some(Level::Village));
        assert_eq!(Level::Village.child(), None);
    }
}
