//! The HTTP layer shared by every feature: the application and its routes, the middleware
//! that observes requests, error rendering, pagination, probes and the OpenAPI document.

mod app;
pub mod errors;
pub mod health;
pub mod metrics;
mod observe;
pub mod openapi;
pub mod pagination;
pub mod request_id;

pub use app::{OpenApiJson, build_app, openapi_document};
pub use observe::REQUEST_ID_HEADER;
