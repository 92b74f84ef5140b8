//! The one route table, used by the server and by every test.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, Error, HttpResponse, web};
use utoipa::openapi::OpenApi;
use utoipa_actix_web::AppExt;

use super::{errors, health, observe, openapi};
use crate::state::AppState;
use crate::{blobs, campaigns, evidence, parcels, photos, regions, review, sessions, sync, users};

/// The OpenAPI document, serialised once at start-up.
#[derive(Clone)]
pub struct OpenApiJson(pub String);

/// The versioned API; every feature adds its routes here.
fn api_v1() -> utoipa_actix_web::scope::Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/api/v1")
        .configure(sessions::handlers::configure)
        .configure(regions::handlers::configure)
        .configure(users::handlers::configure)
        .configure(campaigns::handlers::configure)
        .configure(parcels::handlers::configure)
        .configure(parcels::import::handlers::configure)
        .configure(evidence::handlers::configure)
        .configure(sync::handlers::configure)
        .configure(review::handlers::configure)
        .configure(blobs::handlers::configure)
        .configure(photos::handlers::configure)
        .route("/openapi.json", web::get().to(serve_openapi))
}

/// The OpenAPI document of the routes [`build_app`] registers.
pub fn openapi_document() -> OpenApi {
    let (_, document) = App::new()
        .into_utoipa_app()
        .openapi(openapi::base())
        .configure(health::configure)
        .service(api_v1())
        .split_for_parts();
    openapi::finish(document)
}

pub fn build_app(
    state: web::Data<AppState>,
    openapi_json: web::Data<OpenApiJson>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let json_limit = state.config.limits.json_body_bytes;
    let import_limit = state.config.limits.import_bytes;
    App::new()
        .into_utoipa_app()
        .app_data(state)
        .app_data(openapi_json)
        .app_data(errors::json_config(json_limit))
        .app_data(errors::query_config())
        .app_data(errors::path_config())
        .app_data(web::PayloadConfig::new(import_limit))
        .configure(health::configure)
        .service(api_v1())
        .default_service(web::to(errors::route_not_found))
        .into_app()
        .wrap(errors::problem_for_plain_errors())
        .wrap(Compress::default())
        .wrap(from_fn(observe::observe))
}

async fn serve_openapi(document: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.0.clone())
}
