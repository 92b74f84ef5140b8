//! `/api/v1/regions`: everyone sees the regions of their scope; admins add and rename them.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::model::{Level, NewRegion, Region, validate_name};
use super::repo::{self, AddRegionError, RegionFilter};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::http::pagination::{Page, PageQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(list_regions)
        .service(get_region)
        .service(create_region)
        .service(update_region);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// Only regions of this level.
    pub level: Option<Level>,
    /// Only the direct children of this region.
    pub parent: Option<String>,
}

/// The regions in the caller's scope, in tree order.
#[utoipa::path(
    tag = "regions",
    params(RegionQuery, PageQuery),
    responses((status = 200, body = Page<Region>)),
    security(("bearer" = []))
)]
#[get("/regions")]
async fn list_regions(
    state: web::Data<AppState>,
    caller: Caller,
    filter: web::Query<RegionQuery>,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Region>>> {
    let filter = RegionFilter {
        level: filter.level,
        parent_code: filter.parent.clone(),
        after_path: page.after()?,
        limit: page.limit()?,
    };
    let limit = filter.limit;
    let rows = state
        .db
        .read(move |conn| repo::list(conn, &caller.scope, &filter).map_err(ApiError::from))
        .await?;
    let regions = rows
        .into_iter()
        .map(Region::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(Page::new(regions, limit, |r| r.path.as_str())))
}

/// One region; `404` when it does not exist or lies outside the caller's scope.
#[utoipa::path(
    tag = "regions",
    params(("code" = String, Path, description = "administrative division code")),
    responses((status = 200, body = Region)),
    security(("bearer" = []))
)]
#[get("/regions/{code}")]
async fn get_region(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> ApiResult<web::Json<Region>> {
    let code = code.into_inner();
    let row = state
        .db
        .read(move |conn| repo::find(conn, &code).map_err(ApiError::from))
        .await?
        .filter(|row| caller.sees(&row.path))
        .ok_or(ApiError::NotFound("region"))?;
    Ok(web::Json(Region::try_from(row)?))
}

/// Adds a region (admins only). The level follows from the parent: none makes a county.
#[utoipa::path(
    tag = "regions",
    request_body = NewRegion,
    responses((status = 201, body = Region)),
    security(("bearer" = []))
)]
#[post("/regions")]
async fn create_region(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewRegion>,
) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let new = body.into_inner();
    new.validate().map_err(ApiError::Validation)?;
    let row = state
        .db
        .write(move |conn| repo::add(conn, &new, &caller.scope).map_err(add_error))
        .await?;
    Ok(HttpResponse::Created().json(Region::try_from(row)?))
}

fn add_error(error: AddRegionError) -> ApiError {
    match error {
        AddRegionError::Exists(_) => ApiError::conflict("region_exists", error.to_string()),
        AddRegionError::UnknownParent(_) | AddRegionError::ParentIsVillage => {
            ApiError::validation("parent_code", error.to_string())
        }
        AddRegionError::OutsideScope => ApiError::Forbidden,
        AddRegionError::Query(e) => e.into(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionUpdate {
    pub name: String,
}

/// Renames a region (admins only). Codes and parents never change: they are identities.
#[utoipa::path(
    tag = "regions",
    params(("code" = String, Path, description = "administrative division code")),
    request_body = RegionUpdate,
    responses((status = 200, body = Region)),
    security(("bearer" = []))
)]
#[patch("/regions/{code}")]
async fn update_region(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<RegionUpdate>,
) -> ApiResult<web::Json<Region>> {
    caller.require_admin()?;
    validate_name(&body.name).map_err(|m| ApiError::validation("name", m))?;
    let code = code.into_inner();
    let name = body.into_inner().name;
    let row = state
        .db
        .write(move |conn| {
            let visible = repo::find(conn, &code)?.filter(|row| caller.sees(&row.path));
            if visible.is_none() {
                return Err(ApiError::NotFound("region"));
            }
            repo::rename(conn, &code, &name)?;
            repo::find(conn, &code)?.ok_or(ApiError::NotFound("region"))
        })
        .await?;
    Ok(web::Json(Region::try_from(row)?))
}
