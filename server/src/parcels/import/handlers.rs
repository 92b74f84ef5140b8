//! `POST /api/v1/campaigns/{id}/imports`: an administrator uploads a parcel list (a zipped
//! Shapefile or GeoJSON) for a campaign.

use actix_web::http::header;
use actix_web::{HttpRequest, post, web};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use super::read::{self, ReadOptions};
use super::{ImportOptions, ImportOutcome, ImportReport, ImportSource, import};
use crate::auth::Caller;
use crate::campaigns::handlers::visible_to;
use crate::campaigns::repo as campaigns_repo;
use crate::error::{ApiError, ApiResult};
use crate::parcels::geodesy::SourceCrs;
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(import_parcels);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check and compare only; write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// An EPSG code that replaces the coordinate system the file declares (or lacks).
    pub crs: Option<u32>,
    /// The DBF text encoding, when the file's own declaration is wrong (`GBK`, `UTF-8`, ...).
    pub encoding: Option<String>,
    /// A name for the upload in the import record.
    pub file_name: Option<String>,
}

/// Imports a parcel list (admins only). The body is a zip of `.shp/.shx/.dbf/.prj/.cpg`
/// (`application/zip`) or a GeoJSON FeatureCollection (`application/geo+json`). Nothing is
/// written when any feature has a problem: the `422` problem carries the full report.
#[utoipa::path(
    tag = "parcels",
    params(("id" = String, Path, description = "campaign id"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/zip"),
    responses((status = 200, body = ImportReport)),
    security(("bearer" = []))
)]
#[post("/campaigns/{id}/imports")]
async fn import_parcels(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> ApiResult<web::Json<ImportReport>> {
    caller.require_admin()?;
    let id = id.into_inner();
    let campaign = state
        .db
        .read(move |conn| campaigns_repo::find(conn, &id).map_err(ApiError::from))
        .await?
        .filter(|c| {
            visible_to(&caller, &c.county_code) && caller.sees(&format!("/{}/", c.county_code))
        })
        .ok_or(ApiError::NotFound("campaign"))?;
    let query = query.into_inner();
    let crs = query
        .crs
        .map(SourceCrs::from_epsg)
        .transpose()
        .map_err(|e| ApiError::validation("crs", e.to_string()))?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let options = ReadOptions {
        dbf_encoding: query.encoding,
        // A zip may unpack to at most twice the upload limit: a decompression bomb is refused
        // before it fills the memory.
        max_unzipped_bytes: 2 * state.config.limits.import_bytes as u64,
    };
    let file_sha256: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dataset = tokio::task::spawn_blocking(move || {
        let mut no_progress = |_: usize, _: usize| {};
        if content_type.starts_with("application/zip") {
            Ok(read::read_bytes_zip(&body, &options, &mut no_progress))
        } else if content_type.starts_with("application/geo+json")
            || content_type.starts_with("application/json")
        {
            Ok(read::read_geojson_bytes(&body, &mut no_progress))
        } else {
            Err(ApiError::UnsupportedMediaType {
                expected: "application/zip or application/geo+json",
            })
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))??
    .map_err(|e| ApiError::validation("file", e.to_string()))?;

    let source = ImportSource {
        dataset,
        file_name: query.file_name.unwrap_or_else(|| "upload".to_owned()),
        file_sha256,
    };
    let options = ImportOptions {
        mapping: None,
        crs,
        dry_run: query.dry_run,
        imported_by: caller.username.clone(),
    };
    let report = import(&state.db, campaign, source, options)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if report.outcome == ImportOutcome::Refused {
        return Err(ApiError::ImportRefused(Box::new(report)));
    }
    Ok(web::Json(report))
}
