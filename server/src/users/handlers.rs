//! `/api/v1/users`: account management, for admins.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::model::{NewUser, User, validate_display_name};
use super::repo::{self, UserChanges, UserError};
use crate::auth::{Caller, Role, password, refresh};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::pagination::{Page, PageQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(list_users)
        .service(get_user)
        .service(create_user)
        .service(update_user);
}

/// The accounts in the admin's scope, by username.
#[utoipa::path(
    tag = "users",
    params(PageQuery),
    responses((status = 200, body = Page<User>)),
    security(("bearer" = []))
)]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<User>>> {
    caller.require_admin()?;
    let (after, limit) = (page.after()?, page.limit()?);
    let rows = state
        .db
        .read(move |conn| {
            repo::list(conn, &caller.scope, after.as_deref(), limit).map_err(ApiError::from)
        })
        .await?;
    let users = rows
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(Page::new(users, limit, |u| u.username.as_str())))
}

#[utoipa::path(
    tag = "users",
    params(("id" = String, Path)),
    responses((status = 200, body = User)),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<User>> {
    caller.require_admin()?;
    let id = id.into_inner();
    let user = state
        .db
        .read(move |conn| {
            let user = repo::find_by_id(conn, &id)?.ok_or(ApiError::NotFound("user"))?;
            let scope = repo::scope_of(conn, &user).map_err(user_error)?;
            if caller.scope.encloses(&scope) {
                Ok(user)
            } else {
                Err(ApiError::NotFound("user"))
            }
        })
        .await?;
    Ok(web::Json(User::try_from(user)?))
}

/// Creates an account (admins only). The region must fit the role: a village for a field
/// chief, a township for a reviewer, the county for an auditor.
#[utoipa::path(
    tag = "users",
    request_body = NewUser,
    responses((status = 201, body = User)),
    security(("bearer" = []))
)]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewUser>,
) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let new = body.into_inner();
    new.validate().map_err(ApiError::Validation)?;
    let password_hash = hash_password(new.password.clone()).await?;
    let row = state
        .db
        .write(move |conn| repo::add(conn, &new, &password_hash, &caller.scope).map_err(user_error))
        .await?;
    Ok(HttpResponse::Created().json(User::try_from(row)?))
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `null` removes the region (administrators only).
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<String>)]
    pub region_code: Option<Option<String>>,
    /// A disabled user cannot sign in, and their refresh tokens stop working at once.
    pub disabled: Option<bool>,
    /// A new password; it also signs the user out everywhere.
    pub password: Option<String>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[utoipa::path(
    tag = "users",
    params(("id" = String, Path)),
    request_body = UserUpdate,
    responses((status = 200, body = User)),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: web::Json<UserUpdate>,
) -> ApiResult<web::Json<User>> {
    caller.require_admin()?;
    let id = id.into_inner();
    let update = body.into_inner();
    validate_update(&update, &caller, &id)?;
    let password_hash = match update.password {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    let signs_out = update.disabled == Some(true) || password_hash.is_some();
    let changes = UserChanges {
        display_name: update.display_name,
        role: update.role,
        region_code: update.region_code,
        disabled: update.disabled,
        password_hash,
    };
    let row = state
        .db
        .write(move |conn| {
            let row = repo::update(conn, &id, &changes, &caller.scope).map_err(user_error)?;
            if signs_out {
                refresh::revoke_user(conn, &row.id)?;
            }
            Ok::<_, ApiError>(row)
        })
        .await?;
    Ok(web::Json(User::try_from(row)?))
}

fn validate_update(update: &UserUpdate, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(Err(message)) = update.display_name.as_deref().map(validate_display_name) {
        errors.push(FieldError::new("display_name", message));
    }
    if let Some(Err(e)) = update.password.as_deref().map(password::check_policy) {
        errors.push(FieldError::new("password", e.to_string()));
    }
    // An admin cannot lock themselves out; another admin has to do it.
    if id == caller.user_id {
        if update.disabled == Some(true) {
            errors.push(FieldError::new(
                "disabled",
                "you cannot disable your own account",
            ));
        }
        if update.role.is_some_and(|role| role != Role::Admin) {
            errors.push(FieldError::new(
                "role",
                "you cannot remove your own admin role",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::validation("password", e.to_string()))
}

fn user_error(error: UserError) -> ApiError {
    match error {
        UserError::UsernameTaken(_) => ApiError::conflict("username_taken", error.to_string()),
        UserError::UnknownRegion(_) | UserError::RoleDoesNotFitRegion(_) => {
            ApiError::validation("region_code", error.to_string())
        }
        UserError::OutsideScope => ApiError::Forbidden,
        UserError::NotFound => ApiError::NotFound("user"),
        UserError::Query(e) => e.into(),
    }
}
