//! A measurement, not a check: a 5 MB photo sent in 1 MB chunks and in one request. Run it
//! with `cargo test --release -p tianzhang-tests --test uploads throughput -- --ignored
//! --nocapture` (add the PostgreSQL or S3 variable for those).

use std::time::Instant;

use tianzhang_server::auth::Role;
use tianzhang_tests::TestApp;

use crate::{Photo, Uploader, photo};

/// A noisy JPEG of about 5 MB (noise compresses badly, like a detailed photo).
fn five_megabytes() -> Photo {
    let p = photo(3000, 2200, 50, 255);
    assert!(p.bytes.len() > 4_500_000, "{} bytes", p.bytes.len());
    p
}

#[tokio::test]
#[ignore = "a measurement: run it on purpose, in release mode"]
async fn throughput_of_a_five_megabyte_photo() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let mut rounds = Vec::new();
    for round in 0..5 {
        // Distinct bytes each round, so that nothing is deduplicated.
        let mut p = five_megabytes();
        p.bytes.extend(format!("trailer {round}").as_bytes());
        let p = Photo::from_bytes(p.bytes);
        let started = Instant::now();
        chief.upload_in_chunks(&p, 1024 * 1024).await;
        let chunked = started.elapsed();

        let mut q = p.bytes.clone();
        q.extend(b" again");
        let q = Photo::from_bytes(q);
        let started = Instant::now();
        let response = chief.create_with_body(&q, &q.hash, &q.bytes).await;
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        let single = started.elapsed();
        rounds.push((p.size(), chunked, single));
    }
    for (bytes, chunked, single) in &rounds {
        let mb = *bytes as f64 / 1e6;
        println!(
            "{mb:.2} MB: 1 MB chunks {:.0} ms ({:.0} MB/s); one request {:.0} ms ({:.0} MB/s)",
            chunked.as_secs_f64() * 1000.0,
            mb / chunked.as_secs_f64(),
            single.as_secs_f64() * 1000.0,
            mb / single.as_secs_f64()
        );
    }
}
