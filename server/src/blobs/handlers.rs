//! `/api/v1/uploads`: photo uploads over tus 1.0 (core, creation, creation-with-upload,
//! termination, expiration, checksum), and which photos the server lacks. See docs/uploads.md.

use std::collections::HashSet;

use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, delete, head, options, patch, post, web};
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::digest::Sha256Ref;
use super::error::UploadError;
use super::repo::{self, UploadRow};
use super::tus::{self, ChunkChecksum, Metadata, TusResumable};
use super::upload::{self, Progress};
use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;

/// Bytes of the file, from the upload's offset on (for the OpenAPI document).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
struct ChunkBytes(Vec<u8>);

/// Who uploads photos: the people who take them in the field.
const UPLOADERS: [Role; 2] = [Role::FieldChief, Role::TownshipReviewer];
/// The longest `filename` kept from the metadata.
const MAX_FILENAME_CHARS: usize = 255;

/// The uploads scope. Chunks are read as a stream (`web::Payload`), which the app's
/// `PayloadConfig` does not limit: a chunk is bounded by what remains of its upload's
/// `Upload-Length`, itself at most `uploads.max_bytes`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(
        utoipa_actix_web::scope("/uploads")
            .service(discover)
            .service(create_upload)
            .service(missing)
            .service(discover_upload)
            .service(upload_offset)
            .service(append_chunk)
            .service(terminate_upload)
            .wrap(from_fn(tus::headers)),
    );
}

fn tus_options(state: &AppState) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((tus::TUS_VERSION.clone(), tus::VERSION))
        .insert_header((tus::TUS_EXTENSION.clone(), tus::EXTENSIONS))
        .insert_header((tus::TUS_MAX_SIZE.clone(), state.config.uploads.max_bytes))
        .insert_header((
            tus::TUS_CHECKSUM_ALGORITHM.clone(),
            tus::checksum_algorithms(),
        ))
        .finish()
}

/// What this server speaks of tus: its version, extensions, largest file and checksum
/// algorithms. Needs no token.
#[utoipa::path(
    tag = "uploads",
    responses((status = 204, description = "The server's tus capabilities", headers(
        ("Tus-Version" = String, description = "`1.0.0`"),
        ("Tus-Extension" = String, description = "`creation,creation-with-upload,termination,expiration,checksum`"),
        ("Tus-Max-Size" = u64, description = "The largest file accepted, in bytes"),
        ("Tus-Checksum-Algorithm" = String, description = "`sha1,sha256`"),
    )))
)]
#[options("")]
async fn discover(state: web::Data<AppState>) -> HttpResponse {
    tus_options(&state)
}

/// The same as `OPTIONS /api/v1/uploads`, on an upload's URL.
#[utoipa::path(
    tag = "uploads",
    params(("id" = String, Path)),
    responses((status = 204, description = "The server's tus capabilities"))
)]
#[options("/{id}")]
async fn discover_upload(state: web::Data<AppState>) -> HttpResponse {
    tus_options(&state)
}

/// Starts an upload of one photo (tus creation). `Upload-Metadata` must carry `sha256`: the
/// base64 of `sha256:<64 lowercase hex digits>`, the hash of the whole file, which the server
/// checks before it stores anything. A body in `application/offset+octet-stream` is the first
/// chunk (creation-with-upload). If the server has the file already, the upload is created
/// complete: `Upload-Offset` equals `Upload-Length` and nothing needs sending.
#[utoipa::path(
    tag = "uploads",
    params(
        ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
        ("Upload-Length" = u64, Header, description = "The file's size in bytes"),
        ("Upload-Metadata" = String, Header, description = "Comma-separated `key base64(value)` pairs: `sha256` (required), `filetype` and `filename` (optional)"),
        ("Upload-Checksum" = Option<String>, Header, description = "`sha1 <base64>` or `sha256 <base64>` of the body, if one is sent"),
    ),
    request_body(content = Option<ChunkBytes>, content_type = "application/offset+octet-stream", description = "Optional: the first bytes of the file"),
    responses((status = 201, description = "The upload was created", headers(
        ("Location" = String, description = "The upload's URL"),
        ("Upload-Offset" = u64, description = "Bytes the server has"),
        ("Upload-Expires" = String, description = "When an unfinished upload is removed (HTTP date)"),
    ))),
    security(("bearer" = []))
)]
#[post("")]
async fn create_upload(
    _tus: TusResumable,
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_role(&UPLOADERS)?;
    let headers = req.headers();
    let limits = &state.config.uploads;
    if headers.contains_key(&tus::UPLOAD_DEFER_LENGTH) {
        return Err(UploadError::InvalidHeader(
            "Upload-Defer-Length is not supported: send Upload-Length".to_owned(),
        )
        .into());
    }
    let length = tus::header_u64(headers, &tus::UPLOAD_LENGTH)?
        .ok_or_else(|| UploadError::InvalidHeader("Upload-Length is required".to_owned()))?;
    if length == 0 {
        return Err(
            UploadError::InvalidHeader("Upload-Length must be at least 1".to_owned()).into(),
        );
    }
    if length > limits.max_bytes {
        return Err(UploadError::TooLarge {
            length,
            limit: limits.max_bytes,
        }
        .into());
    }
    let raw_metadata = headers
        .get(&tus::UPLOAD_METADATA)
        .map(|v| v.to_str())
        .transpose()
        .map_err(|_| UploadError::InvalidMetadata("Upload-Metadata must be ASCII".to_owned()))?
        .filter(|v| !v.trim().is_empty());
    let metadata = Metadata::parse(raw_metadata.unwrap_or_default())?;
    let declared = declared_hash(&metadata)?;
    let filetype = metadata.text("filetype")?.map(str::to_owned);
    if let Some(filetype) = &filetype
        && !limits
            .media_types
            .iter()
            .any(|accepted| accepted.eq_ignore_ascii_case(filetype))
    {
        return Err(UploadError::UnsupportedMediaType(format!(
            "filetype {filetype} is not accepted; accepted: {}",
            limits.media_types.join(", ")
        ))
        .into());
    }
    let filename = metadata.text("filename")?.map(str::to_owned);
    if filename
        .as_deref()
        .is_some_and(|f| f.chars().count() > MAX_FILENAME_CHARS)
    {
        return Err(UploadError::InvalidMetadata(format!(
            "filename: at most {MAX_FILENAME_CHARS} characters"
        ))
        .into());
    }
    let with_body = tus::is_chunk(headers);
    let content_length = tus::header_u64(headers, &header::CONTENT_LENGTH)?;
    if !with_body && content_length.unwrap_or(0) > 0 {
        return Err(UploadError::WrongContentType.into());
    }
    let checksum = ChunkChecksum::from_headers(headers)?.filter(|_| with_body);

    let now = Utc::now().naive_utc();
    let row = UploadRow {
        id: Uuid::now_v7().to_string(),
        user_id: caller.user_id.clone(),
        declared_sha256: declared.as_str().to_owned(),
        upload_length: i64::try_from(length).unwrap_or(i64::MAX),
        upload_offset: 0,
        media_type: filetype,
        filename,
        metadata: raw_metadata.map(str::to_owned),
        width: None,
        height: None,
        created_at: now,
        expires_at: upload::expires_from(&state, now),
        completed_at: None,
    };
    let row = state.db.write(move |conn| create(conn, row)).await?;
    upload::sweep_now_and_then(&state);

    let progress = if with_body && row.completed_at.is_none() {
        let chunk = upload::Chunk {
            checksum,
            content_length,
        };
        match upload::receive(&state, &row, payload, chunk).await {
            Ok(progress) => progress,
            Err(error) => {
                // Nobody knows this upload's URL yet: it goes with its first chunk.
                if !error.is_final()
                    && let Err(cleanup) = upload::discard(&state, &row.id).await
                {
                    tracing::warn!(upload = %row.id, error = %cleanup, "cannot discard an upload");
                }
                return Err(error.into());
            }
        }
    } else {
        Progress {
            offset: row.offset(),
            expires_at: row.expires_at,
        }
    };
    let location = format!("{}/{}", req.path().trim_end_matches('/'), row.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((tus::UPLOAD_OFFSET.clone(), progress.offset))
        .insert_header((tus::UPLOAD_EXPIRES.clone(), expires(progress.expires_at)))
        .finish())
}

/// Records a new upload; one of a file the server has is complete from the start.
fn create(conn: &mut crate::db::DbConn, mut row: UploadRow) -> Result<UploadRow, UploadError> {
    if let Some(blob) = repo::find_blob(conn, &row.declared_sha256)? {
        if blob.size_bytes != row.upload_length {
            return Err(UploadError::HashMismatch(format!(
                "the server has {} with {} bytes, not {}",
                row.declared_sha256, blob.size_bytes, row.upload_length
            )));
        }
        row.upload_offset = row.upload_length;
        row.completed_at = Some(row.created_at);
    }
    repo::insert_upload(conn, &row)?;
    Ok(row)
}

fn declared_hash(metadata: &Metadata) -> Result<Sha256Ref, UploadError> {
    let refused = || {
        UploadError::InvalidMetadata(
            "Upload-Metadata must carry sha256: the base64 of \"sha256:\" and the file's 64 \
             lowercase hex digits"
                .to_owned(),
        )
    };
    let value = metadata.text("sha256")?.ok_or_else(refused)?;
    Sha256Ref::parse(value).ok_or_else(refused)
}

fn expires(at: NaiveDateTime) -> String {
    tus::http_date(at.and_utc())
}

/// Where an upload stands (tus core): its offset, length, metadata and expiry.
#[utoipa::path(
    tag = "uploads",
    params(
        ("id" = String, Path),
        ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
    ),
    responses(
        (status = 200, description = "The upload", headers(
            ("Upload-Offset" = u64, description = "Bytes the server has; resume from here"),
            ("Upload-Length" = u64),
            ("Upload-Metadata" = String, description = "As sent at creation"),
            ("Upload-Expires" = String),
        )),
        (status = 410, description = "The upload expired and was removed"),
    ),
    security(("bearer" = []))
)]
#[head("/{id}")]
async fn upload_offset(
    _tus: TusResumable,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_role(&UPLOADERS)?;
    let upload = upload::load_own(&state, &caller, id.into_inner()).await?;
    let mut response = HttpResponse::Ok();
    response
        .insert_header((tus::UPLOAD_OFFSET.clone(), upload.offset()))
        .insert_header((tus::UPLOAD_LENGTH.clone(), upload.length()))
        .insert_header((tus::UPLOAD_EXPIRES.clone(), expires(upload.expires_at)))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(metadata) = upload.metadata.as_deref() {
        response.insert_header((tus::UPLOAD_METADATA.clone(), metadata));
    }
    Ok(response.finish())
}

/// Sends the next chunk (tus core). `Upload-Offset` must be the server's offset (`409` with
/// the right one otherwise). With `Upload-Checksum`, a chunk that does not match is discarded
/// (`460`). The last chunk completes the upload: the whole file is hashed and checked, then
/// stored once, or refused and discarded.
#[utoipa::path(
    tag = "uploads",
    params(
        ("id" = String, Path),
        ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
        ("Upload-Offset" = u64, Header, description = "Where this chunk starts"),
        ("Upload-Checksum" = Option<String>, Header, description = "`sha1 <base64>` or `sha256 <base64>` of the chunk"),
    ),
    request_body(content = ChunkBytes, content_type = "application/offset+octet-stream"),
    responses((status = 204, description = "The chunk was stored", headers(
        ("Upload-Offset" = u64, description = "Bytes the server has now"),
        ("Upload-Expires" = String),
    ))),
    security(("bearer" = []))
)]
#[patch("/{id}")]
async fn append_chunk(
    _tus: TusResumable,
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_role(&UPLOADERS)?;
    let headers = req.headers();
    if !tus::is_chunk(headers) {
        return Err(UploadError::WrongContentType.into());
    }
    let offset = tus::header_u64(headers, &tus::UPLOAD_OFFSET)?
        .ok_or_else(|| UploadError::InvalidHeader("Upload-Offset is required".to_owned()))?;
    let checksum = ChunkChecksum::from_headers(headers)?;
    let content_length = tus::header_u64(headers, &header::CONTENT_LENGTH)?;
    let upload = upload::load_own(&state, &caller, id.into_inner()).await?;
    if offset != upload.offset() {
        return Err(UploadError::OffsetMismatch {
            offset: upload.offset(),
        }
        .into());
    }
    let chunk = upload::Chunk {
        checksum,
        content_length,
    };
    let progress = upload::receive(&state, &upload, payload, chunk).await?;
    Ok(HttpResponse::NoContent()
        .insert_header((tus::UPLOAD_OFFSET.clone(), progress.offset))
        .insert_header((tus::UPLOAD_EXPIRES.clone(), expires(progress.expires_at)))
        .finish())
}

/// Abandons an upload (tus termination): its parts are deleted. A photo it stored stays.
#[utoipa::path(
    tag = "uploads",
    params(
        ("id" = String, Path),
        ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
    ),
    responses((status = 204, description = "The upload is gone")),
    security(("bearer" = []))
)]
#[delete("/{id}")]
async fn terminate_upload(
    _tus: TusResumable,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_role(&UPLOADERS)?;
    let upload = upload::load_own(&state, &caller, id.into_inner()).await?;
    upload::discard(&state, &upload.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Photo hashes a device asks about.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingRequest {
    /// `sha256:<64 lowercase hex digits>` each; at most `uploads.missing_hashes` of them.
    pub hashes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissingResponse {
    /// The hashes asked about that the server has not stored, once each, in the order asked:
    /// the photos to upload.
    pub missing: Vec<String>,
}

/// Which of these photos the server lacks (never upload what it has).
#[utoipa::path(
    tag = "uploads",
    request_body = MissingRequest,
    responses((status = 200, body = MissingResponse)),
    security(("bearer" = []))
)]
#[post("/missing")]
async fn missing(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<MissingRequest>,
) -> ApiResult<web::Json<MissingResponse>> {
    caller.require_role(&UPLOADERS)?;
    let hashes = body.into_inner().hashes;
    let limit = state.config.uploads.missing_hashes;
    if hashes.len() > limit {
        return Err(ApiError::validation(
            "hashes",
            format!("at most {limit} hashes per request"),
        ));
    }
    let errors: Vec<FieldError> = hashes
        .iter()
        .enumerate()
        .filter(|(_, h)| Sha256Ref::parse(h).is_none())
        .map(|(i, _)| {
            FieldError::new(
                format!("hashes[{i}]"),
                "\"sha256:\" and 64 lowercase hex digits",
            )
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut seen = HashSet::new();
    let asked: Vec<String> = hashes
        .into_iter()
        .filter(|h| seen.insert(h.clone()))
        .collect();
    let query = asked.clone();
    let stored = state
        .db
        .read(move |conn| repo::stored(conn, &query).map_err(ApiError::from))
        .await?;
    let missing = asked.into_iter().filter(|h| !stored.contains(h)).collect();
    Ok(web::Json(MissingResponse { missing }))
}
