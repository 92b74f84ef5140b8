//! `GET /api/v1/parcels/{id}/attributes`: what field chiefs observed on a parcel, the conflicts
//! a reviewer should settle, and every value ever written.

use std::collections::BTreeMap;

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tianzhang_sync::messages::ConflictData;
use tianzhang_sync::records::AttributeField;
use utoipa::ToSchema;

use super::attributes;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::parcels::repo as parcels_repo;
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(get_attributes);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParcelAttributes {
    pub parcel_id: String,
    pub fields: BTreeMap<AttributeField, String>,
    /// Concurrent edits not yet settled: the value kept and the one it replaced.
    pub open_conflicts: Vec<ConflictData>,
    /// Every value written, in the server's order.
    pub history: Vec<AttributeChange>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeChange {
    pub field: String,
    pub value: Option<String>,
    pub previous: Option<String>,
    /// The change number that wrote it.
    pub seq: i64,
    pub author: String,
    /// Set when this write overwrote a concurrent edit.
    pub conflict_id: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// A parcel's field-observed attributes with their conflicts and history; `404` outside the
/// caller's scope.
#[utoipa::path(
    tag = "parcels",
    params(("id" = String, Path)),
    responses((status = 200, body = ParcelAttributes)),
    security(("bearer" = []))
)]
#[get("/parcels/{id}/attributes")]
async fn get_attributes(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<ParcelAttributes>> {
    let id = id.into_inner();
    let (parcel_id, (state, open_conflicts, history)) = state
        .db
        .read(move |conn| {
            let parcel = parcels_repo::place(conn, &id)?
                .filter(|p| caller.sees(&p.region_path))
                .ok_or(ApiError::NotFound("parcel"))?;
            Ok::<_, ApiError>((
                parcel.id.clone(),
                attributes::with_history(conn, &parcel.id)?,
            ))
        })
        .await?;
    Ok(web::Json(ParcelAttributes {
        parcel_id,
        fields: state
            .fields
            .into_iter()
            .filter_map(|(field, state)| state.value.map(|v| (field, v)))
            .collect(),
        open_conflicts,
        history: history
            .into_iter()
            .map(|h| AttributeChange {
                field: h.field,
                value: h.value,
                previous: h.previous,
                seq: h.seq,
                author: h.author,
                conflict_id: h.conflict_id,
                recorded_at: h.recorded_at.and_utc(),
            })
            .collect(),
    }))
}
