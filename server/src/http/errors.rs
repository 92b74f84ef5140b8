//! Turns actix's own rejections (body, query and path extractors, unknown routes, wrong
//! methods) into the same problem documents as [`ApiError`].

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, PROBLEM_JSON, problem_for_status};

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |error, _req| json_error(error, limit).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _req| query_error(&error).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, _req| path_error(&error).into())
}

fn json_error(error: JsonPayloadError, limit: usize) -> ApiError {
    match error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::PayloadTooLarge { limit }
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType {
            expected: "application/json",
        },
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::InvalidBody(e.to_string()),
        JsonPayloadError::Deserialize(e) => ApiError::MalformedJson(e.to_string()),
        other => ApiError::MalformedJson(other.to_string()),
    }
}

fn query_error(error: &QueryPayloadError) -> ApiError {
    ApiError::InvalidQuery(error.to_string())
}

fn path_error(error: &PathError) -> ApiError {
    ApiError::InvalidPath(error.to_string())
}

/// The fallback service: any path no route matches.
pub async fn route_not_found(_req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}

/// Rewrites error responses that are not problem documents yet (actix's 405 for a known
/// path with the wrong method, for one) so that every error a client sees has one shape.
pub fn problem_for_plain_errors<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        let is_problem = res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
        if is_problem {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let (req, plain) = res.into_parts();
        let mut problem = problem_for_status(plain.status()).into_response();
        for (name, value) in plain.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                problem.headers_mut().append(name.clone(), value.clone());
            }
        }
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, problem).map_into_right_body(),
        ))
    })
}
