//! Probes for orchestrators and monitoring, outside `/api/v1`.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up and serving (liveness). Touches nothing else.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// The database answers (readiness); `503` otherwise.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> ApiResult<web::Json<Health>> {
    state.db.ping().await.map_err(|error| {
        tracing::warn!(%error, "readiness check failed");
        ApiError::Unavailable
    })?;
    Ok(web::Json(Health { status: "ready" }))
}

/// Request counts and latencies by route and status, in the Prometheus text format.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, content_type = "text/plain; version=0.0.4", body = String))
)]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.encode())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(healthz).service(readyz).service(metrics);
}
