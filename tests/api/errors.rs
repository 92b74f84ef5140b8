//! Bad input gets a clear problem document and changes nothing.

use reqwest::{Method, StatusCode};
use tianzhang_server::auth::Role;
use tianzhang_tests::{TestApp, expect_problem};

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(r#"{"username": "a", "password": "#)
        .send()
        .await
        .unwrap();
    let body = expect_problem(response, StatusCode::BAD_REQUEST, "malformed_json").await;
    assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_are_422_problems() {
    let app = TestApp::spawn().await;
    let wrong_type = app
        .request(Method::POST, "/api/v1/auth/login")
        .json(&serde_json::json!({"username": 42, "password": "x"}))
        .send()
        .await
        .unwrap();
    expect_problem(wrong_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    let unknown_field = app
        .request(Method::POST, "/api/v1/auth/login")
        .json(&serde_json::json!({"username": "a", "password": "x", "remember": true}))
        .send()
        .await
        .unwrap();
    expect_problem(
        unknown_field,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_parsing() {
    let app = TestApp::builder()
        .config(|c| c.limits.json_body_bytes = 2048)
        .spawn()
        .await;
    let huge = format!(
        r#"{{"username": "{}", "password": "x"}}"#,
        "a".repeat(10_000)
    );
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let body = expect_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert!(body["detail"].as_str().unwrap().contains("2048"));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .header("content-type", "text/plain")
        .body("username=a&password=b")
        .send()
        .await
        .unwrap();
    expect_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_and_bad_query_parameters_are_problems() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/api/v1/no-such-thing")
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::NOT_FOUND, "route_not_found").await;

    let (_, tokens) = app.signed_in(Role::Admin).await;
    let response = app
        .authed(
            Method::GET,
            "/api/v1/regions?limit=many",
            &tokens.access_token,
        )
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    let response = app
        .authed(
            Method::GET,
            "/api/v1/regions?level=hamlet",
            &tokens.access_token,
        )
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    let response = app
        .authed(
            Method::GET,
            "/api/v1/regions?cursor=not-ours!",
            &tokens.access_token,
        )
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "invalid_query").await;
}

#[tokio::test]
async fn a_refused_write_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, tokens) = app.signed_in(Role::Admin).await;
    let before: serde_json::Value = app.get_json("/api/v1/users", &tokens.access_token).await;
    // A field chief must act in a village; the county is refused as a whole.
    let response = app
        .authed(Method::POST, "/api/v1/users", &tokens.access_token)
        .json(&serde_json::json!({
            "username": "wrong-region", "password": "long enough password",
            "role": "field_chief", "region_code": "360124"
        }))
        .send()
        .await
        .unwrap();
    let body = expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "region_code");
    let after: serde_json::Value = app.get_json("/api/v1/users", &tokens.access_token).await;
    assert_eq!(before, after);
}
