use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Role, Scope};
use crate::db::schema::users;
use crate::error::FieldError;
use crate::regions::Level;
use crate::regions::model::RegionRow;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub region_code: Option<String>,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region_code: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = anyhow::Error;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        Ok(User {
            role: row.role.parse()?,
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            region_code: row.region_code,
            disabled: row.disabled,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// What it takes to create an account.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    /// Shown in the apps; defaults to the username.
    pub display_name: Option<String>,
    pub password: String,
    pub role: Role,
    /// A village for a field chief, a township for a reviewer, the county for an auditor;
    /// optional for an admin (none means the whole installation).
    pub region_code: Option<String>,
}

impl NewUser {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(message) = validate_username(&self.username) {
            errors.push(FieldError::new("username", message));
        }
        if let Some(Err(message)) = self.display_name.as_deref().map(validate_display_name) {
            errors.push(FieldError::new("display_name", message));
        }
        if let Err(e) = crate::auth::password::check_policy(&self.password) {
            errors.push(FieldError::new("password", e.to_string()));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Usernames are what people type on a phone keyboard at login: short, no spaces.
pub fn validate_username(username: &str) -> Result<(), &'static str> {
    let chars = username.chars().count();
    if !(2..=64).contains(&chars) {
        return Err("must have 2 to 64 characters");
    }
    if username
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("must not contain spaces or control characters");
    }
    Ok(())
}

pub fn validate_display_name(name: &str) -> Result<(), &'static str> {
    let chars = name.trim().chars().count();
    if chars == 0 || chars > 100 {
        Err("must have 1 to 100 characters")
    } else {
        Ok(())
    }
}

/// The region level each role acts at.
pub fn required_level(role: Role) -> Option<Level> {
    match role {
        Role::FieldChief => Some(Level::Village),
        Role::TownshipReviewer => Some(Level::Township),
        Role::CountyAuditor => Some(Level::County),
        Role::Admin => None,
    }
}

/// Checks that a role and a region fit together and returns the scope they give.
pub fn scope_for(role: Role, region: Option<&RegionRow>) -> Result<Scope, String> {
    match (required_level(role), region) {
        (None, None) => Ok(Scope::Everything),
        (Some(level), None) => Err(format!("a {role} needs a {level} as region")),
        (required, Some(region)) => {
            if let Some(level) = required
                && region.level != level.as_str()
            {
                return Err(format!(
                    "a {role} acts in a {level}, but {} is a {}",
                    region.code, region.level
                ));
            }
            Ok(Scope::Region {
                code: region.code.clone(),
                path: region.path.clone(),
            })
        }
    }
}
