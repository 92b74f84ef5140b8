//! `/api/v1/parcels`: the parcels in the caller's scope, one parcel with its history, and the
//! parcel under a point.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::model::{Parcel, ParcelChange, ParcelDetail, feature};
use super::repo::{self, After, ParcelFilter, SortKey};
use super::{geometry, index::IndexedParcel};
use crate::auth::Caller;
use crate::campaigns::{LandClass, SourceList};
use crate::error::{ApiError, ApiResult};
use crate::http::pagination::PageQuery;
use crate::regions::repo as regions_repo;
use crate::state::AppState;

pub const GEOJSON: &str = "application/geo+json";

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    // `locate` before `{id}`, which would otherwise take it.
    cfg.service(locate_parcel)
        .service(list_parcels)
        .service(get_parcel);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParcelQuery {
    pub campaign: Option<String>,
    /// A township code: its parcels only.
    pub township: Option<String>,
    /// A village code: its parcels only.
    pub village: Option<String>,
    pub source: Option<SourceList>,
    pub land_class: Option<LandClass>,
    pub status: Option<String>,
    /// `true`: only parcels past their deadline and not restored.
    pub overdue: Option<bool>,
    /// `patch_code` (default), `measured_area` or `updated_at`; a leading `-` sorts descending.
    pub sort: Option<String>,
}

/// One page of parcels (JSON); with `Accept: application/geo+json`, a FeatureCollection with
/// the same `next_cursor`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParcelPage {
    pub items: Vec<Parcel>,
    pub next_cursor: Option<String>,
}

/// The parcels in the caller's scope, filtered, sorted and paged.
#[utoipa::path(
    tag = "parcels",
    params(ParcelQuery, PageQuery),
    responses(
        (status = 200, body = ParcelPage, content_type = "application/json"),
        (status = 200, description = "a GeoJSON FeatureCollection", content_type = "application/geo+json"),
    ),
    security(("bearer" = []))
)]
#[get("/parcels")]
async fn list_parcels(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<ParcelQuery>,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let (sort, descending) = parse_sort(query.sort.as_deref())?;
    let limit = page.limit()?;
    let after = page.after()?.map(|c| parse_after(&c, sort)).transpose()?;
    let geojson = wants_geojson(&req);
    let today = Utc::now().date_naive();
    let rows = state
        .db
        .read(move |conn| {
            let region = query.village.as_deref().or(query.township.as_deref());
            let region_prefix = match region {
                Some(code) => Some(
                    regions_repo::find(conn, code)?
                        .filter(|r| caller.sees(&r.path))
                        .ok_or(ApiError::NotFound("region"))?
                        .path,
                ),
                None => None,
            };
            let filter = ParcelFilter {
                campaign_id: query.campaign,
                region_prefix,
                source_list: query.source,
                land_class: query.land_class,
                status: query.status,
                overdue_on: query.overdue.unwrap_or(false).then_some(today),
                sort,
                descending,
                after,
                limit,
            };
            Ok::<_, ApiError>(repo::list(conn, &caller.scope, &filter, geojson)?)
        })
        .await?;
    let next_cursor = (i64::try_from(rows.len()).unwrap_or(i64::MAX) >= limit)
        .then(|| rows.last().map(|(row, _)| cursor_for(sort, row)))
        .flatten();
    let parcels = rows
        .into_iter()
        .map(|(row, geometry)| Ok::<_, anyhow::Error>((row.to_api(today)?, geometry)))
        .collect::<Result<Vec<_>, _>>()?;
    if geojson {
        let features = parcels
            .iter()
            .map(|(parcel, geometry)| feature(parcel, geometry.as_deref().unwrap_or_default()))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(HttpResponse::Ok().content_type(GEOJSON).json(json!({
            "type": "FeatureCollection",
            "features": features,
            "next_cursor": next_cursor,
        })));
    }
    Ok(HttpResponse::Ok().json(ParcelPage {
        items: parcels.into_iter().map(|(parcel, _)| parcel).collect(),
        next_cursor,
    }))
}

fn wants_geojson(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(GEOJSON))
}

fn parse_sort(sort: Option<&str>) -> Result<(SortKey, bool), ApiError> {
    let sort = sort.unwrap_or("patch_code");
    let (descending, name) = match sort.strip_prefix('-') {
        Some(name) => (true, name),
        None => (false, sort),
    };
    let key = match name {
        "patch_code" => SortKey::PatchCode,
        "measured_area" => SortKey::MeasuredArea,
        "updated_at" => SortKey::UpdatedAt,
        other => {
            return Err(ApiError::InvalidQuery(format!(
                "cannot sort by {other:?}: use patch_code, measured_area or updated_at"
            )));
        }
    };
    Ok((key, descending))
}

const CURSOR_SEPARATOR: char = '\u{1f}';

fn cursor_for(sort: SortKey, row: &super::model::ParcelRow) -> String {
    let key = match sort {
        SortKey::PatchCode => row.patch_code.clone(),
        SortKey::MeasuredArea => row.measured_area_m2.to_string(),
        SortKey::UpdatedAt => row.updated_at.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
    };
    URL_SAFE_NO_PAD.encode(format!("{key}{CURSOR_SEPARATOR}{}", row.id))
}

fn parse_after(cursor: &str, sort: SortKey) -> Result<After, ApiError> {
    let invalid = || ApiError::InvalidQuery("cursor does not fit this sort order".into());
    let (key, id) = cursor.split_once(CURSOR_SEPARATOR).ok_or_else(invalid)?;
    let id = id.to_owned();
    Ok(match sort {
        SortKey::PatchCode => After::PatchCode(key.to_owned(), id),
        SortKey::MeasuredArea => After::MeasuredArea(key.parse().map_err(|_| invalid())?, id),
        SortKey::UpdatedAt => After::UpdatedAt(
            NaiveDateTime::parse_from_str(key, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| invalid())?,
            id,
        ),
    })
}

/// One parcel with its geometry, source attributes and import history; `404` outside the
/// caller's scope.
#[utoipa::path(
    tag = "parcels",
    params(("id" = String, Path)),
    responses((status = 200, body = ParcelDetail)),
    security(("bearer" = []))
)]
#[get("/parcels/{id}")]
async fn get_parcel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<ParcelDetail>> {
    let id = id.into_inner();
    let (row, wkb, history) = state
        .db
        .read(move |conn| {
            let (row, wkb) = repo::find(conn, &id)?
                .filter(|(row, _)| caller.sees(&row.region_path))
                .ok_or(ApiError::NotFound("parcel"))?;
            let history = repo::history(conn, &row.id)?;
            Ok::<_, ApiError>((row, wkb, history))
        })
        .await?;
    let shape = geometry::from_wkb(&wkb).map_err(anyhow::Error::from)?;
    Ok(web::Json(ParcelDetail {
        parcel: row.to_api(Utc::now().date_naive())?,
        geometry: geometry::to_geojson(&shape),
        attributes: serde_json::from_str(&row.attributes).map_err(anyhow::Error::from)?,
        history: history
            .into_iter()
            .map(ParcelChange::try_from)
            .collect::<Result<_, _>>()?,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocateQuery {
    /// Longitude in degrees (WGS-84 / CGCS2000, never GCJ-02).
    pub lon: f64,
    pub lat: f64,
    /// Only this campaign's parcels.
    pub campaign: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NearestParcel {
    pub parcel: Parcel,
    /// Metres from the point to the parcel's edge.
    pub distance_m: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Location {
    /// The parcels the point lies in (on the boundary counts as in).
    pub containing: Vec<Parcel>,
    /// When it lies in none: the nearest parcel within 50 km.
    pub nearest: Option<NearestParcel>,
}

/// Which of the caller's parcels contains a point, or which is nearest and how far.
#[utoipa::path(
    tag = "parcels",
    params(LocateQuery),
    responses((status = 200, body = Location)),
    security(("bearer" = []))
)]
#[get("/parcels/locate")]
async fn locate_parcel(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<LocateQuery>,
) -> ApiResult<web::Json<Location>> {
    let LocateQuery { lon, lat, campaign } = query.into_inner();
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::InvalidQuery(
            "lon must be in [-180, 180] and lat in [-90, 90]".into(),
        ));
    }
    let index = state
        .parcels
        .current(&state.db)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let keep = |p: &IndexedParcel| {
        caller.sees(&p.region_path) && campaign.as_deref().is_none_or(|c| *p.campaign_id == *c)
    };
    let located = index.locate(lon, lat, keep);
    let ids: Vec<String> = located
        .containing
        .iter()
        .chain(located.nearest.iter().map(|(p, _)| p))
        .map(|p| p.id.to_string())
        .collect();
    let rows = state
        .db
        .read(move |conn| {
            ids.iter()
                .map(|id| repo::find(conn, id))
                .collect::<Result<Vec<_>, _>>()
                .map_err(ApiError::from)
        })
        .await?;
    let today = Utc::now().date_naive();
    let mut parcels = rows
        .into_iter()
        .flatten()
        .map(|(row, _)| row.to_api(today))
        .collect::<Result<Vec<_>, _>>()?;
    let nearest = match located.nearest {
        Some((_, distance_m)) => parcels.pop().map(|parcel| NearestParcel {
            parcel,
            distance_m: (distance_m * 10.0).round() / 10.0,
        }),
        None => None,
    };
    Ok(web::Json(Location {
        containing: parcels,
        nearest,
    }))
}
