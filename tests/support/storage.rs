//! Blob storage for a test server: the local disk (the test's own data folder) by default, or,
//! when `TIANZHANG_TEST_S3_ENDPOINT` names an S3-compatible server on loopback (moto, started
//! by `scripts/start-s3.sh`), a fresh bucket of the test's own.

use tianzhang_server::config::{S3Config, Secret, StorageConfig};

/// The variable naming the S3-compatible server the suites store blobs in.
pub const S3_ENDPOINT_VAR: &str = "TIANZHANG_TEST_S3_ENDPOINT";

/// Storage for one test: a new bucket when an S3 endpoint is configured.
pub async fn for_test() -> StorageConfig {
    let Some(endpoint) = std::env::var(S3_ENDPOINT_VAR)
        .ok()
        .filter(|v| !v.is_empty())
    else {
        return StorageConfig::default();
    };
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    let bucket = format!("tz-{}", uuid::Uuid::new_v4().simple());
    create_bucket(&endpoint, &bucket).await;
    StorageConfig {
        s3: Some(S3Config {
            endpoint: Some(endpoint),
            bucket,
            region: "us-east-1".to_owned(),
            access_key_id: Some("tianzhang-test".to_owned()),
            secret_access_key: Some(Secret::new("tianzhang-test-secret")),
            allow_http: true,
        }),
    }
}

/// Creates a bucket. object_store cannot; moto accepts an unsigned `PUT /<bucket>` (a server
/// that checks signatures would need a signed one).
async fn create_bucket(endpoint: &str, bucket: &str) {
    let response = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!("{S3_ENDPOINT_VAR}={endpoint} does not answer ({e}); start it with scripts/start-s3.sh")
        });
    assert!(
        response.status().is_success(),
        "creating bucket {bucket} at {endpoint}: {}",
        response.status()
    );
}
