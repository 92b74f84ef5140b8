//! Photos for reviewers and auditors: a photo with what its file says and the flags its checks
//! raised, a parcel's photos, and the files themselves (the original byte for byte, and the
//! upright renditions). Everything is scoped like the parcel the photo belongs to.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use futures_util::TryStreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use super::analysis::{PREVIEW, THUMBNAIL};
use super::checks::CheckReport;
use super::exif::ExifSummary;
use super::repo::{self, CheckRow, FileRow};
use crate::auth::Caller;
use crate::blobs::repo as blobs_repo;
use crate::blobs::{BlobStore, Sha256Ref};
use crate::db::DbConn;
use crate::db::schema::field_records;
use crate::error::{ApiError, ApiResult};
use crate::parcels::repo as parcels_repo;
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(get_photo)
        .service(parcel_photos)
        .service(original)
        .service(thumbnail)
        .service(preview);
}

/// A photo as a reviewer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoView {
    pub id: String,
    pub parcel_id: String,
    /// The record as the field chief's phone pushed it (`photo.create`).
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
    pub withdrawn: bool,
    pub file: FileView,
    pub checks: ChecksView,
}

/// Where the photo's file stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileView {
    pub sha256: String,
    /// `missing` (not uploaded yet), `analysing`, `ready`, or `failed` (stored, but its
    /// renditions could not be made: `error` says why).
    pub state: FileState,
    pub size_bytes: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub exif: Option<ExifSummary>,
    pub exif_error: Option<String>,
    pub error: Option<String>,
    pub thumbnail: Option<Rendition>,
    pub preview: Option<Rendition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    Missing,
    Analysing,
    Ready,
    Failed,
}

/// An upright JPEG rendition of the photo, without EXIF.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rendition {
    pub url: String,
    pub width: i64,
    pub height: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChecksView {
    /// `pending` while the checks are being (re)computed; the report then is the previous one.
    pub state: String,
    pub checked_at: Option<DateTime<Utc>>,
    pub report: Option<CheckReport>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParcelPhotos {
    pub parcel_id: String,
    /// In the order they reached the server.
    pub photos: Vec<PhotoView>,
}

#[derive(Debug, Clone, Queryable)]
struct PhotoRow {
    id: String,
    parcel_id: String,
    record: String,
    withdrawn: bool,
    sha256: Option<String>,
}

fn photo_rows(conn: &mut DbConn, filter: RowFilter<'_>) -> QueryResult<Vec<PhotoRow>> {
    let query = field_records::table
        .filter(field_records::kind.eq("photo"))
        .select((
            field_records::id,
            field_records::parcel_id,
            field_records::record,
            field_records::withdrawn,
            field_records::sha256,
        ))
        .order((field_records::created_at, field_records::id))
        .into_boxed();
    match filter {
        RowFilter::Photo(id) => query.filter(field_records::id.eq(id)).load(conn),
        RowFilter::Parcel(id) => query.filter(field_records::parcel_id.eq(id)).load(conn),
    }
}

enum RowFilter<'a> {
    Photo(&'a str),
    Parcel(&'a str),
}

/// A photo record the caller may see.
fn visible_photo(conn: &mut DbConn, caller: &Caller, id: &str) -> ApiResult<PhotoRow> {
    let row = photo_rows(conn, RowFilter::Photo(id))?
        .pop()
        .ok_or(ApiError::NotFound("photo"))?;
    parcels_repo::place(conn, &row.parcel_id)?
        .filter(|p| caller.sees(&p.region_path))
        .ok_or(ApiError::NotFound("photo"))?;
    Ok(row)
}

/// The views of these photos, with three queries whatever their number.
fn views(conn: &mut DbConn, rows: Vec<PhotoRow>) -> ApiResult<Vec<PhotoView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let hashes: Vec<String> = rows.iter().filter_map(|r| r.sha256.clone()).collect();
    let checks = repo::find_checks(conn, &ids)?;
    let files = repo::find_files(conn, &hashes)?;
    let blobs = blobs_repo::find_blobs(conn, &hashes)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let sha256 = row.sha256.as_deref();
            let file = files.iter().find(|f| Some(f.sha256.as_str()) == sha256);
            let blob = blobs.iter().find(|b| Some(b.sha256.as_str()) == sha256);
            let check = checks.iter().find(|c| c.photo_id == row.id);
            view(row, file, blob, check)
        })
        .collect())
}

fn view(
    row: PhotoRow,
    analysis: Option<&FileRow>,
    blob: Option<&blobs_repo::BlobRow>,
    check: Option<&CheckRow>,
) -> PhotoView {
    let sha256 = row.sha256.clone().unwrap_or_default();
    let state = match (blob, analysis.map(|a| a.state.as_str())) {
        (None, _) => FileState::Missing,
        (Some(_), Some("ready")) => FileState::Ready,
        (Some(_), Some("failed")) => FileState::Failed,
        (Some(_), _) => FileState::Analysing,
    };
    let rendition = |name: &str, size: Option<(i64, i64)>| {
        size.filter(|_| state == FileState::Ready)
            .map(|(width, height)| Rendition {
                url: format!("/api/v1/photos/{}/{name}", row.id),
                width,
                height,
            })
    };
    let file = FileView {
        state,
        size_bytes: blob.map(|b| b.size_bytes),
        width: blob.map(|b| b.width),
        height: blob.map(|b| b.height),
        exif: analysis
            .and_then(|a| a.exif.as_deref())
            .and_then(|json| serde_json::from_str(json).ok()),
        exif_error: analysis.and_then(|a| a.exif_error.clone()),
        error: analysis.and_then(|a| a.error.clone()),
        thumbnail: rendition(
            THUMBNAIL,
            analysis.and_then(|a| a.thumbnail_width.zip(a.thumbnail_height)),
        ),
        preview: rendition(
            PREVIEW,
            analysis.and_then(|a| a.preview_width.zip(a.preview_height)),
        ),
        sha256,
    };
    PhotoView {
        record: serde_json::from_str(&row.record).unwrap_or(serde_json::Value::Null),
        id: row.id,
        parcel_id: row.parcel_id,
        withdrawn: row.withdrawn,
        file,
        checks: ChecksView {
            state: check.map_or("pending", |c| c.state.as_str()).to_owned(),
            checked_at: check.and_then(|c| c.checked_at).map(|t| t.and_utc()),
            report: check
                .and_then(|c| c.report.as_deref())
                .and_then(|json| serde_json::from_str(json).ok()),
        },
    }
}

/// A photo with what its file says and the flags its checks raised; `404` outside the
/// caller's scope.
#[utoipa::path(
    tag = "photos",
    params(("id" = String, Path)),
    responses((status = 200, body = PhotoView)),
    security(("bearer" = []))
)]
#[get("/photos/{id}")]
async fn get_photo(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<PhotoView>> {
    let id = id.into_inner();
    let mut views = state
        .db
        .read(move |conn| {
            let row = visible_photo(conn, &caller, &id)?;
            views(conn, vec![row])
        })
        .await?;
    views
        .pop()
        .map(web::Json)
        .ok_or(ApiError::NotFound("photo"))
}

/// Every photo of a parcel (withdrawn ones included, marked), with their checks.
#[utoipa::path(
    tag = "photos",
    params(("id" = String, Path)),
    responses((status = 200, body = ParcelPhotos)),
    security(("bearer" = []))
)]
#[get("/parcels/{id}/photos")]
async fn parcel_photos(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<ParcelPhotos>> {
    let id = id.into_inner();
    let photos = state
        .db
        .read(move |conn| {
            let parcel = parcels_repo::place(conn, &id)?
                .filter(|p| caller.sees(&p.region_path))
                .ok_or(ApiError::NotFound("parcel"))?;
            let rows = photo_rows(conn, RowFilter::Parcel(&parcel.id))?;
            Ok::<_, ApiError>((parcel.id, views(conn, rows)?))
        })
        .await?;
    Ok(web::Json(ParcelPhotos {
        parcel_id: photos.0,
        photos: photos.1,
    }))
}

/// The photo's file byte for byte, EXIF and all; `409 not_ready` until it is uploaded.
#[utoipa::path(
    tag = "photos",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>)),
    security(("bearer" = []))
)]
#[get("/photos/{id}/original")]
async fn original(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let hash = file_of(&state, caller, id.into_inner(), None).await?;
    let stream = state
        .blobs
        .read_blob(&hash)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(image_response(&hash, "original")
        .streaming(stream.map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))))
}

/// The upright thumbnail (400 pixels on the long edge by default); `409 not_ready` until made.
#[utoipa::path(
    tag = "photos",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>)),
    security(("bearer" = []))
)]
#[get("/photos/{id}/thumbnail")]
async fn thumbnail(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    rendition(state, caller, id.into_inner(), THUMBNAIL).await
}

/// The upright screen preview (1280 pixels on the long edge by default); `409 not_ready`
/// until made.
#[utoipa::path(
    tag = "photos",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>)),
    security(("bearer" = []))
)]
#[get("/photos/{id}/preview")]
async fn preview(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    rendition(state, caller, id.into_inner(), PREVIEW).await
}

async fn rendition(
    state: web::Data<AppState>,
    caller: Caller,
    id: String,
    name: &'static str,
) -> ApiResult<HttpResponse> {
    let hash = file_of(&state, caller, id, Some(name)).await?;
    let bytes = state
        .blobs
        .read_all(&BlobStore::rendition_path(&hash, name))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(image_response(&hash, name).body(bytes))
}

/// The hash of a visible photo's stored file; with a rendition name, only once the renditions
/// are made.
async fn file_of(
    state: &AppState,
    caller: Caller,
    id: String,
    rendition: Option<&'static str>,
) -> ApiResult<Sha256Ref> {
    let (sha256, ready) = state
        .db
        .read(move |conn| {
            let row = visible_photo(conn, &caller, &id)?;
            let sha256 = row.sha256.ok_or(ApiError::NotFound("photo file"))?;
            let ready = match rendition {
                None => blobs_repo::find_blob(conn, &sha256)?.is_some(),
                Some(_) => repo::find_file(conn, &sha256)?.is_some_and(|f| f.state == "ready"),
            };
            Ok::<_, ApiError>((sha256, ready))
        })
        .await?;
    if !ready {
        let what = rendition.unwrap_or("file");
        return Err(ApiError::conflict(
            "not_ready",
            format!("the photo's {what} is not on the server yet; try again later"),
        ));
    }
    Sha256Ref::parse(&sha256).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("bad stored hash")))
}

/// Content addressed: a file never changes under its URL.
fn image_response(hash: &Sha256Ref, name: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type("image/jpeg")
        .insert_header((header::ETAG, format!("\"{}-{name}\"", hash.hex())))
        .insert_header((
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        ));
    response
}
