//! `POST /api/v1/reviews`: a township reviewer decides on a submission.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use tianzhang_sync::messages::ReviewData;
use tianzhang_sync::records::Decision;
use utoipa::ToSchema;
use uuid::Uuid;

use super::decide::{self, DecisionRequest};
use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(create_review);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    /// Optional; a retry with the same id records the decision once.
    pub id: Option<Uuid>,
    pub submission_id: Uuid,
    /// The manifest hash of the submission as the reviewer saw it.
    pub manifest_hash: String,
    pub decision: Decision,
    /// Required for a rejection or a return: the field chief needs to know what to fix.
    #[serde(default)]
    pub reason: String,
}

/// Approves, rejects or returns a submission waiting for review.
#[utoipa::path(
    tag = "review",
    request_body = NewReview,
    responses(
        (status = 201, body = ReviewData, description = "decision recorded"),
        (status = 200, body = ReviewData, description = "the same decision, already recorded"),
    ),
    security(("bearer" = []))
)]
#[post("/reviews")]
async fn create_review(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewReview>,
) -> ApiResult<HttpResponse> {
    caller.require_role(&[Role::TownshipReviewer])?;
    let body = body.into_inner();
    if body.decision != Decision::Approved && body.reason.trim().is_empty() {
        return Err(ApiError::validation(
            "reason",
            "a rejection or a return needs a reason",
        ));
    }
    let request = DecisionRequest {
        id: body.id,
        submission_id: body.submission_id,
        manifest_hash: body.manifest_hash,
        decision: body.decision,
        reason: body.reason,
    };
    let (review, created) = state
        .db
        .write(move |conn| decide::decide(conn, &caller, &request))
        .await?;
    Ok(if created {
        HttpResponse::Created().json(review)
    } else {
        HttpResponse::Ok().json(review)
    })
}
