//! What the server refuses, and that it refuses it before work is spent: files over the size
//! limit, other formats, broken JPEGs, decompression bombs, files that are not what their
//! declared hash says. Nothing stored changes, and the server stays healthy.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use tianzhang_server::auth::Role;
use tianzhang_tests::{TestApp, expect_problem};

use crate::{
    Photo, Uploader, b64, blob_count, blob_path, metadata, objects, offset_of, photo, stored_bytes,
};

/// A tiny real JPEG whose frame header declares `width`×`height` pixels instead.
fn bomb(width: u16, height: u16) -> Photo {
    let mut bytes = photo(16, 16, 99, 30).bytes;
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    Photo::from_bytes(bytes)
}

/// The server answers and still takes a good photo.
async fn still_healthy(app: &TestApp, uploader: &Uploader<'_>) {
    let ready = app.request(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let good = photo(64, 48, 98, 50);
    uploader.upload_in_chunks(&good, 700).await;
    assert_eq!(
        stored_bytes(app, &good.hash).await.as_deref(),
        Some(&good.bytes[..])
    );
}

#[tokio::test]
async fn a_file_over_the_size_limit_is_refused_at_creation() {
    let app = TestApp::builder()
        .config(|c| c.uploads.max_bytes = 10_000)
        .spawn()
        .await;
    app.seed_regions().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let p = photo(64, 48, 20, 50);
    let response = chief.create(10_001, &metadata(&p.hash)).await;
    let body = expect_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "upload_too_large").await;
    assert!(body["detail"].as_str().unwrap().contains("10000"));
    let options = app
        .request(Method::OPTIONS, "/api/v1/uploads")
        .send()
        .await
        .unwrap();
    assert_eq!(crate::header(&options, "tus-max-size"), Some("10000"));
    assert!(
        chief
            .create(10_000, &metadata(&p.hash))
            .await
            .status()
            .is_success()
    );
}

#[tokio::test]
async fn another_format_is_refused_by_its_bytes_and_by_its_declared_type() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let png = Photo::from_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR not really a jpeg".to_vec());
    // Declared as a JPEG, sniffed as something else: refused at the first chunk, discarded.
    let location = chief.start(&png).await;
    let response = chief.patch(&location, 0, &png.bytes).await;
    expect_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert_eq!(chief.head(&location).await.status(), StatusCode::NOT_FOUND);
    // A later chunk cannot fix the magic bytes either.
    let fake = Photo::from_bytes([&[0xFF, 0xD8][..], b"GIF89a"].concat());
    let location = chief.start(&fake).await;
    assert_eq!(
        chief.patch(&location, 0, &fake.bytes[..1]).await.status(),
        StatusCode::NO_CONTENT
    );
    let response = chief.patch(&location, 1, &fake.bytes[1..]).await;
    expect_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    // Declared as another type: refused at creation.
    let declared = format!("sha256 {},filetype {}", b64(&png.hash), b64("image/png"));
    let response = chief.create(png.size(), &declared).await;
    expect_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    // In one POST.
    let response = chief.create_with_body(&png, &png.hash, &png.bytes).await;
    expect_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert!(objects(&app).await.is_empty());
    assert_eq!(blob_count(&app).await, 0);
    still_healthy(&app, &chief).await;
}

#[tokio::test]
async fn a_truncated_or_garbled_jpeg_is_refused_and_nothing_is_kept() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let whole = photo(320, 240, 21, 60);
    let truncated = Photo::from_bytes(whole.bytes[..whole.bytes.len() - 300].to_vec());
    let location = chief.start(&truncated).await;
    assert_eq!(
        chief
            .patch(&location, 0, &truncated.bytes[..2000])
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let response = chief.patch(&location, 2000, &truncated.bytes[2000..]).await;
    let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_image").await;
    assert!(
        body["detail"].as_str().unwrap().contains("truncated"),
        "{body}"
    );
    assert_eq!(chief.head(&location).await.status(), StatusCode::NOT_FOUND);

    // JPEG magic, then garbage where the segments should be.
    let mut garbled = whole.bytes[..4].to_vec();
    garbled.extend(std::iter::repeat_n(0x41, 5000));
    let garbled = Photo::from_bytes(garbled);
    let response = chief
        .create_with_body(&garbled, &garbled.hash, &garbled.bytes)
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_image").await;

    assert!(objects(&app).await.is_empty());
    assert_eq!(
        chief.missing(&[&truncated.hash, &garbled.hash]).await.len(),
        2
    );
    still_healthy(&app, &chief).await;
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_at_its_first_chunk_quickly() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let bomb = bomb(60_000, 60_000);
    assert!(bomb.bytes.len() < 2000, "a tiny file");
    let started = Instant::now();
    let response = chief.create_with_body(&bomb, &bomb.hash, &bomb.bytes).await;
    let body = expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "image_too_large",
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        body["detail"].as_str().unwrap().contains("60000×60000"),
        "{body}"
    );

    // Sent in small chunks, it is refused as soon as its frame header has arrived.
    let location = chief.start(&bomb).await;
    let response = chief.patch(&location, 0, &bomb.bytes[..10]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = chief.patch(&location, 10, &bomb.bytes[10..400]).await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "image_too_large",
    )
    .await;
    assert_eq!(chief.head(&location).await.status(), StatusCode::NOT_FOUND);
    assert!(objects(&app).await.is_empty());
    still_healthy(&app, &chief).await;
}

#[tokio::test]
async fn the_pixel_limit_is_configured() {
    let app = TestApp::builder()
        .config(|c| c.uploads.max_pixels = 100 * 100)
        .spawn()
        .await;
    app.seed_regions().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let fits = photo(100, 100, 22, 50);
    let response = chief.create_with_body(&fits, &fits.hash, &fits.bytes).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let over = photo(101, 100, 23, 50);
    let response = chief.create_with_body(&over, &over.hash, &over.bytes).await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "image_too_large",
    )
    .await;
}

#[tokio::test]
async fn a_file_that_is_not_its_declared_hash_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let (p, other) = (photo(200, 150, 24, 60), photo(200, 150, 25, 60));
    // The declared hash is another photo's.
    let response = chief.create(p.size(), &metadata(&other.hash)).await;
    let location = crate::location(&response);
    assert_eq!(
        chief.patch(&location, 0, &p.bytes[..1000]).await.status(),
        StatusCode::NO_CONTENT
    );
    let response = chief.patch(&location, 1000, &p.bytes[1000..]).await;
    let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "hash_mismatch").await;
    assert!(body["detail"].as_str().unwrap().contains(&p.hash), "{body}");
    assert_eq!(chief.head(&location).await.status(), StatusCode::NOT_FOUND);
    assert!(objects(&app).await.is_empty());
    assert_eq!(blob_count(&app).await, 0);
    assert_eq!(stored_bytes(&app, &p.hash).await, None);
    assert_eq!(chief.missing(&[&p.hash, &other.hash]).await.len(), 2);

    // A stored photo cannot be overwritten: an upload naming it is complete at once, and
    // whatever it sends along is ignored.
    chief.upload_in_chunks(&other, 4096).await;
    let response = chief
        .create_with_body(&other, &other.hash, &p.bytes[..100])
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(offset_of(&response), other.size());
    assert_eq!(
        stored_bytes(&app, &other.hash).await.as_deref(),
        Some(&other.bytes[..])
    );
    assert_eq!(objects(&app).await, vec![blob_path(&other.hash)]);
    still_healthy(&app, &chief).await;
}
