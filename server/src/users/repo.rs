//! User queries.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use super::model::{NewUser, UserRow, scope_for};
use crate::auth::{Role, Scope};
use crate::db::DbConn;
use crate::db::schema::{regions, users};
use crate::regions::model::RegionRow;
use crate::regions::repo as regions_repo;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("username {0:?} is taken")]
    UsernameTaken(String),
    #[error("region {0} does not exist")]
    UnknownRegion(String),
    #[error("{0}")]
    RoleDoesNotFitRegion(String),
    #[error("that region is outside your scope")]
    OutsideScope,
    #[error("user not found")]
    NotFound,
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// The scope a stored user acts in, from their role and region.
pub fn scope_of(conn: &mut DbConn, user: &UserRow) -> Result<Scope, UserError> {
    let role = stored_role(user)?;
    let region = region_for(conn, user.region_code.as_deref())?;
    scope_for(role, region.as_ref()).map_err(UserError::RoleDoesNotFitRegion)
}

/// Creates a user whose region lies within `acting_scope`. The password is hashed already.
pub fn add(
    conn: &mut DbConn,
    new: &NewUser,
    password_hash: &str,
    acting_scope: &Scope,
) -> Result<UserRow, UserError> {
    let username = new.username.trim();
    if find_by_username(conn, username)?.is_some() {
        return Err(UserError::UsernameTaken(username.to_owned()));
    }
    let region = region_for(conn, new.region_code.as_deref())?;
    let scope = scope_for(new.role, region.as_ref()).map_err(UserError::RoleDoesNotFitRegion)?;
    check_within(acting_scope, &scope)?;
    let now = Utc::now().naive_utc();
    let row = UserRow {
        id: Uuid::now_v7().to_string(),
        username: username.to_owned(),
        display_name: new
            .display_name
            .as_deref()
            .map_or(username, str::trim)
            .to_owned(),
        password_hash: password_hash.to_owned(),
        role: new.role.as_str().to_owned(),
        region_code: new.region_code.clone(),
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&row.id),
            users::username.eq(&row.username),
            users::display_name.eq(&row.display_name),
            users::password_hash.eq(&row.password_hash),
            users::role.eq(&row.role),
            users::region_code.eq(&row.region_code),
            users::disabled.eq(row.disabled),
            users::created_at.eq(row.created_at),
            users::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(row)
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` removes the region (admins only).
    pub region_code: Option<Option<String>>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
}

/// Applies `changes` to the user `id`, who must lie within `acting_scope`, and returns the
/// updated row. The role and region that result must still fit together.
pub fn update(
    conn: &mut DbConn,
    id: &str,
    changes: &UserChanges,
    acting_scope: &Scope,
) -> Result<UserRow, UserError> {
    let current = find_by_id(conn, id)?.ok_or(UserError::NotFound)?;
    check_within(acting_scope, &scope_of(conn, &current)?)?;
    let role = match changes.role {
        Some(role) => role,
        None => stored_role(&current)?,
    };
    let region_code = changes
        .region_code
        .clone()
        .unwrap_or_else(|| current.region_code.clone());
    let region = region_for(conn, region_code.as_deref())?;
    let scope = scope_for(role, region.as_ref()).map_err(UserError::RoleDoesNotFitRegion)?;
    check_within(acting_scope, &scope)?;

    diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(changes
                .display_name
                .as_deref()
                .map_or(current.display_name.as_str(), str::trim)),
            users::role.eq(role.as_str()),
            users::region_code.eq(&region_code),
            users::disabled.eq(changes.disabled.unwrap_or(current.disabled)),
            users::password_hash.eq(changes
                .password_hash
                .as_deref()
                .unwrap_or(&current.password_hash)),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    find_by_id(conn, id)?.ok_or(UserError::NotFound)
}

/// Users whose region lies within `scope` (and, for the whole installation, users without
/// one), ordered by username, after `after_username`.
pub fn list(
    conn: &mut DbConn,
    scope: &Scope,
    after_username: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table
        .left_join(regions::table)
        .select(UserRow::as_select())
        .order(users::username.asc())
        .limit(limit)
        .into_boxed();
    if let Some((low, high)) = scope.path_range() {
        query = query.filter(regions::path.ge(low).and(regions::path.lt(high)));
    }
    if let Some(after) = after_username {
        query = query.filter(users::username.gt(after.to_owned()));
    }
    query.load(conn)
}

fn stored_role(user: &UserRow) -> Result<Role, UserError> {
    user.role
        .parse()
        .map_err(|e: crate::auth::UnknownRole| UserError::RoleDoesNotFitRegion(e.to_string()))
}

fn region_for(conn: &mut DbConn, code: Option<&str>) -> Result<Option<RegionRow>, UserError> {
    code.map(|code| {
        regions_repo::find(conn, code)?.ok_or_else(|| UserError::UnknownRegion(code.to_owned()))
    })
    .transpose()
}

fn check_within(acting: &Scope, target: &Scope) -> Result<(), UserError> {
    if acting.encloses(target) {
        Ok(())
    } else {
        Err(UserError::OutsideScope)
    }
}
