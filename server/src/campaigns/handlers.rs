//! `/api/v1/campaigns`: everyone sees the campaigns of their county; admins create them.

use actix_web::{HttpResponse, get, post, web};

use super::model::{Campaign, CampaignSpec};
use super::repo::{self, CampaignError};
use crate::auth::{Caller, Scope};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(list_campaigns)
        .service(get_campaign)
        .service(create_campaign);
}

/// Whether the caller works in the campaign's county.
pub fn visible_to(caller: &Caller, county_code: &str) -> bool {
    match &caller.scope {
        Scope::Everything => true,
        Scope::Region { path, .. } => path.starts_with(&format!("/{county_code}/")),
    }
}

/// The campaigns of the caller's county, newest first.
#[utoipa::path(
    tag = "campaigns",
    responses((status = 200, body = Vec<Campaign>)),
    security(("bearer" = []))
)]
#[get("/campaigns")]
async fn list_campaigns(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<web::Json<Vec<Campaign>>> {
    let rows = state
        .db
        .read(|conn| repo::list(conn).map_err(ApiError::from))
        .await?;
    let campaigns = rows
        .into_iter()
        .filter(|row| visible_to(&caller, &row.county_code))
        .map(Campaign::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(campaigns))
}

#[utoipa::path(
    tag = "campaigns",
    params(("id" = String, Path)),
    responses((status = 200, body = Campaign)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}")]
async fn get_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<Campaign>> {
    let id = id.into_inner();
    let row = state
        .db
        .read(move |conn| repo::find(conn, &id).map_err(ApiError::from))
        .await?
        .filter(|row| visible_to(&caller, &row.county_code))
        .ok_or(ApiError::NotFound("campaign"))?;
    Ok(web::Json(Campaign::try_from(row)?))
}

/// Creates a campaign (admins of the whole installation or of its county).
#[utoipa::path(
    tag = "campaigns",
    request_body = CampaignSpec,
    responses((status = 201, body = Campaign)),
    security(("bearer" = []))
)]
#[post("/campaigns")]
async fn create_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CampaignSpec>,
) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let spec = body.into_inner();
    spec.validate().map_err(ApiError::Validation)?;
    if !caller.sees(&format!("/{}/", spec.county_code)) {
        return Err(ApiError::Forbidden);
    }
    let row = state
        .db
        .write(move |conn| repo::add(conn, &spec).map_err(campaign_error))
        .await?;
    Ok(HttpResponse::Created().json(Campaign::try_from(row)?))
}

pub fn campaign_error(error: CampaignError) -> ApiError {
    match error {
        CampaignError::NameTaken(_) => ApiError::conflict("campaign_exists", error.to_string()),
        CampaignError::NotACounty(_) => ApiError::validation("county_code", error.to_string()),
        CampaignError::Query(e) => e.into(),
        CampaignError::Json(e) => ApiError::Internal(e.into()),
    }
}
