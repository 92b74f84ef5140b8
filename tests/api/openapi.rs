//! The OpenAPI document served is generated from the real routes, and `docs/openapi.json`
//! is its checked-in copy. Run with `UPDATE_OPENAPI=1` to refresh the copy after an API change.

use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tianzhang_tests::TestApp;

#[tokio::test]
async fn the_served_document_matches_docs_openapi_json() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let served: Value = response.json().await.unwrap();

    let paths = served["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/regions/{code}",
        "/healthz",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the document");
    }
    let login = &served["paths"]["/api/v1/auth/login"]["post"]["responses"];
    assert!(login["4XX"]["content"]["application/problem+json"].is_object());

    let copy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&copy, &pretty).unwrap();
    }
    let checked_in = std::fs::read_to_string(&copy).unwrap_or_default();
    assert!(
        checked_in == pretty,
        "docs/openapi.json differs from the routes; run UPDATE_OPENAPI=1 cargo test -p tianzhang-tests --test api openapi"
    );
}
