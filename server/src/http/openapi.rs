//! The OpenAPI document. Paths are collected from the routes actually registered (see
//! [`super::app`]); this adds what cannot be derived from them.

use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tianzhang",
        description = "Evidence of restored farmland, from the field to the county. Every error \
                       is an RFC 9457 problem document (`application/problem+json`) with a \
                       stable `code`; see docs/errors.md.",
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-in, tokens and the current user"),
        (name = "regions", description = "The county, township and village hierarchy"),
        (name = "users", description = "Accounts, for administrators"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "uploads", description = "Resumable photo uploads (tus 1.0) and which photos the server lacks"),
        (name = "photos", description = "Photos with their EXIF, renditions and the checks reviewers see as flags"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    Http::builder()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        }
    }
}

/// The parts of the document not derived from routes.
pub fn base() -> OpenApiDoc {
    ApiDoc::openapi()
}

/// Adds what every operation shares: problem documents for `4XX` and `5XX`.
pub fn finish(mut document: OpenApiDoc) -> OpenApiDoc {
    let problem = utoipa::openapi::Response::builder()
        .description("A problem document (RFC 9457); branch on `code`")
        .content(
            crate::error::PROBLEM_JSON,
            utoipa::openapi::content::Content::new(Some(utoipa::openapi::Ref::from_schema_name(
                "Problem",
            ))),
        )
        .build();
    for item in document.paths.paths.values_mut() {
        for operation in item_operations(item) {
            for status in ["4XX", "5XX"] {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem.clone().into());
            }
        }
    }
    document
}

fn item_operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}
