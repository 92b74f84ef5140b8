//! `/api/v1/sync`: info, device registration, push and pull.

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use serde::Deserialize;
use tianzhang_sync::messages::{
    DeviceState, PullResponse, PushRequest, PushResponse, RegisterDevice, SyncInfo,
};
use tianzhang_sync::version::{V1, VersionRange};
use utoipa::IntoParams;
use uuid::Uuid;

use super::cursor::Cursor;
use super::{devices, pull, push};
use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(sync_info)
        .service(register_device)
        .service(push_mutations)
        .service(pull_changes);
}

fn check_protocol(version: u16) -> Result<(), ApiError> {
    let supported = VersionRange::SUPPORTED;
    if (supported.min..=supported.max).contains(&version) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "unsupported_protocol",
            format!(
                "protocol {version} is not supported; this server speaks {}..={}",
                supported.min, supported.max
            ),
        ))
    }
}

/// The protocol versions and limits of this server.
#[utoipa::path(tag = "sync", responses((status = 200, body = SyncInfo)), security(("bearer" = [])))]
#[get("/sync/info")]
async fn sync_info(state: web::Data<AppState>, _caller: Caller) -> web::Json<SyncInfo> {
    web::Json(SyncInfo {
        protocol: VersionRange::SUPPORTED,
        max_push_mutations: state.config.limits.push_mutations,
        max_pull_limit: state.config.limits.pull_changes,
        max_request_bytes: state.config.limits.json_body_bytes as u64,
        server_time: Utc::now(),
    })
}

/// Binds a device id, generated at install, to the caller. Registering again is harmless and
/// answers how far the device's pushes have been applied.
#[utoipa::path(
    tag = "sync",
    request_body = RegisterDevice,
    responses((status = 200, body = DeviceState)),
    security(("bearer" = []))
)]
#[post("/sync/devices")]
async fn register_device(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<RegisterDevice>,
) -> ApiResult<web::Json<DeviceState>> {
    let body = body.into_inner();
    check_protocol(body.protocol)?;
    if body.name.chars().count() > 200 {
        return Err(ApiError::validation("name", "at most 200 characters"));
    }
    let device_id = body.device_id;
    let acked = state
        .db
        .write(move |conn| devices::register(conn, device_id, &caller.user_id, &body.name))
        .await?;
    let acked = u64::try_from(acked).unwrap_or(0);
    Ok(web::Json(DeviceState {
        device_id,
        acked_through_seq: acked,
        expected_seq: acked + 1,
    }))
}

/// Applies a device's mutations in its sequence order, each exactly once. Each mutation gets
/// an outcome; a rejected one never blocks the ones after it.
#[utoipa::path(
    tag = "sync",
    request_body = PushRequest,
    responses((status = 200, body = PushResponse)),
    security(("bearer" = []))
)]
#[post("/sync/push")]
async fn push_mutations(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<PushRequest>,
) -> ApiResult<web::Json<PushResponse>> {
    caller.require_role(&[Role::FieldChief, Role::TownshipReviewer])?;
    let request = body.into_inner();
    check_protocol(request.protocol)?;
    let limit = state.config.limits.push_mutations;
    if request.mutations.len() > limit as usize {
        return Err(ApiError::bad_request(
            "too_many_mutations",
            format!("a push carries at most {limit} mutations"),
        ));
    }
    let response = state
        .db
        .write(move |conn| push::push(conn, &caller, &request))
        .await?;
    // New photo records wait for their checks.
    state.photo_work.notify_one();
    Ok(web::Json(response))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// The `next_cursor` of the previous pull; none for the first.
    pub cursor: Option<String>,
    /// The most changes to return (at most the server's `max_pull_limit`, which is the
    /// default).
    pub limit: Option<u32>,
    /// The pulling device: the answer then says how far its pushes have been applied.
    pub device_id: Option<Uuid>,
}

/// The changes of the caller's scope after a cursor, in order. Read-only: repeating a pull
/// returns the same page.
#[utoipa::path(
    tag = "sync",
    params(PullQuery),
    responses((status = 200, body = PullResponse)),
    security(("bearer" = []))
)]
#[get("/sync/pull")]
async fn pull_changes(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PullQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let max = state.config.limits.pull_changes;
    let limit = i64::from(query.limit.unwrap_or(max).clamp(1, max));
    let cursor = query.cursor.as_deref().map(Cursor::parse).transpose()?;
    let scope = caller.scope.clone();
    let device = query.device_id;
    let page = state
        .db
        .read_snapshot(move |conn| pull::pull(conn, &caller, cursor, limit, device))
        .await?;
    Ok(HttpResponse::Ok().json(PullResponse {
        protocol: V1,
        reset: page.reset,
        changes: page.changes,
        next_cursor: Cursor::new(&scope, page.last_seq).encode(),
        has_more: page.has_more,
        device_acked_through_seq: page.device_acked,
    }))
}
