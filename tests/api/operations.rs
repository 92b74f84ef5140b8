use reqwest::{Method, StatusCode};
use tianzhang_tests::TestApp;

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = TestApp::spawn().await;
    let health = app.request(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(
        health.json::<serde_json::Value>().await.unwrap()["status"],
        "ok"
    );
    let ready = app.request(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap()["status"],
        "ready"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        app.request(Method::GET, "/healthz").send().await.unwrap();
    }
    app.request(Method::GET, "/api/v1/regions/999999")
        .send()
        .await
        .unwrap();
    let response = app.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"} 3"#),
        "{text}"
    );
    // The pattern, not the raw path, so clients cannot create unbounded series.
    assert!(
        text.contains(r#"route="/api/v1/regions/{code}",status="401""#),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_a_sane_incoming_one() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::GET, "/healthz").send().await.unwrap();
    let generated = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 36);
    let response = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", "from-the-proxy-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "from-the-proxy-42");
}
