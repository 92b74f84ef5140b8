//! The tus profile: discovery, creation, resumption, offsets, checksums, termination,
//! expiration, and which photos the server lacks.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tianzhang_server::auth::Role;
use tianzhang_tests::{TestApp, expect_problem};

use crate::{
    CHUNK, TUS, UPLOADS, Uploader, b64, blob_count, blob_path, header, location, metadata, objects,
    offset_of, photo, stored_bytes,
};

#[tokio::test]
async fn options_advertise_the_profile_without_a_token() {
    let app = TestApp::spawn().await;
    for path in [UPLOADS.to_owned(), format!("{UPLOADS}/anything")] {
        let response = app.request(Method::OPTIONS, &path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
        assert_eq!(header(&response, "tus-resumable"), Some("1.0.0"));
        assert_eq!(header(&response, "tus-version"), Some("1.0.0"));
        assert_eq!(
            header(&response, "tus-extension"),
            Some("creation,creation-with-upload,termination,expiration,checksum")
        );
        assert_eq!(header(&response, "tus-max-size"), Some("33554432"));
        assert_eq!(
            header(&response, "tus-checksum-algorithm"),
            Some("sha1,sha256")
        );
    }
}

#[tokio::test]
async fn a_request_of_another_version_is_refused_with_412() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let p = photo(32, 24, 1, 40);
    for version in [None, Some("0.2.2")] {
        let mut request = app
            .authed(Method::POST, UPLOADS, &chief.token)
            .header("upload-length", p.size().to_string())
            .header("upload-metadata", metadata(&p.hash));
        if let Some(version) = version {
            request = request.header("tus-resumable", version);
        }
        let response = request.send().await.unwrap();
        assert_eq!(header(&response, "tus-version"), Some("1.0.0"));
        assert_eq!(header(&response, "tus-resumable"), Some("1.0.0"));
        expect_problem(
            response,
            StatusCode::PRECONDITION_FAILED,
            "tus_version_unsupported",
        )
        .await;
    }
    let response = app
        .authed(Method::HEAD, &format!("{UPLOADS}/x"), &chief.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn a_whole_photo_in_one_post_is_stored_byte_for_byte() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let p = photo(320, 240, 2, 60);
    let response = chief.create_with_body(&p, &p.hash, &p.bytes).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "tus-resumable"), Some("1.0.0"));
    assert_eq!(offset_of(&response), p.size());
    let expires = header(&response, "upload-expires").unwrap().to_owned();
    assert!(expires.ends_with(" GMT"), "{expires}");
    let location = location(&response);

    assert_eq!(
        stored_bytes(&app, &p.hash).await.as_deref(),
        Some(&p.bytes[..])
    );
    // Nothing of the upload is left but the file, under its hash.
    assert_eq!(objects(&app).await, vec![blob_path(&p.hash)]);
    let head = chief.head(&location).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(offset_of(&head), p.size());
    assert_eq!(
        header(&head, "upload-length"),
        Some(p.size().to_string().as_str())
    );
    assert_eq!(
        header(&head, "upload-metadata"),
        Some(metadata(&p.hash).as_str())
    );
    assert_eq!(header(&head, "cache-control"), Some("no-store"));
    assert!(chief.missing(&[&p.hash]).await.is_empty());
}

#[tokio::test]
async fn an_upload_cut_anywhere_resumes_from_the_servers_offset() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let p = photo(400, 300, 3, 80);
    let len = p.size();
    let location = chief.start(&p).await;
    assert_eq!(offset_of(&chief.head(&location).await), 0);
    let mut offset = 0;
    for cut in [1, 2, 3, 4, 100, 1000, len / 2, len - 1, len] {
        // A client that lost its state asks the server where it stands.
        let head = chief.head(&location).await;
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(offset_of(&head), offset);
        let response = chief
            .patch(&location, offset, &p.bytes[offset as usize..cut as usize])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::NO_CONTENT,
            "chunk {offset}..{cut}"
        );
        assert_eq!(offset_of(&response), cut);
        offset = cut;
    }
    assert_eq!(
        stored_bytes(&app, &p.hash).await.as_deref(),
        Some(&p.bytes[..])
    );
    // A repeated last PATCH with nothing left to send changes nothing.
    let again = chief.patch(&location, len, &[]).await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
    assert_eq!(offset_of(&again), len);
}

#[tokio::test]
async fn a_chunk_cut_by_a_dropped_connection_keeps_what_arrived() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let p = photo(400, 300, 4, 80);
    let location = chief.start(&p).await;
    let first = p.bytes[..5000].to_vec();
    let body = futures_util::stream::iter([Ok::<_, std::io::Error>(first)]).chain(
        futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Err(std::io::Error::other("the network went away"))
        }),
    );
    let sent = chief
        .request(Method::PATCH, &location)
        .header("upload-offset", "0")
        .header("content-type", CHUNK)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await;
    assert!(sent.is_err(), "the request was cut");
    // The server keeps the bytes that arrived; resume from its offset.
    let started = Instant::now();
    let mut offset = offset_of(&chief.head(&location).await);
    while offset != 5000 && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        offset = offset_of(&chief.head(&location).await);
    }
    assert_eq!(offset, 5000, "the bytes before the cut were kept");
    let response = chief
        .patch(&location, offset, &p.bytes[offset as usize..])
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        stored_bytes(&app, &p.hash).await.as_deref(),
        Some(&p.bytes[..])
    );
}

#[tokio::test]
async fn a_wrong_offset_gets_409_with_the_right_one() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let p = photo(64, 48, 5, 50);
    let location = chief.start(&p).await;
    assert_eq!(
        chief.patch(&location, 0, &p.bytes[..100]).await.status(),
        StatusCode::NO_CONTENT
    );
    for wrong in [0, 50, 101, p.size()] {
        let response = chief
            .patch(&location, wrong, &p.bytes[wrong.min(100) as usize..])
            .await;
        assert_eq!(offset_of(&response), 100, "offered {wrong}");
        let body = expect_problem(response, StatusCode::CONFLICT, "upload_offset_mismatch").await;
        assert!(body["detail"].as_str().unwrap().contains("100"));
    }
    let response = chief.patch(&location, 100, &p.bytes[100..]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn malformed_requests_are_refused_before_any_byte_is_kept() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let p = photo(64, 48, 6, 50);
    let location = chief.start(&p).await;
    // Not the chunk content type.
    let response = chief
        .request(Method::PATCH, &location)
        .header("upload-offset", "0")
        .header("content-type", "image/jpeg")
        .body(p.bytes.clone())
        .send()
        .await
        .unwrap();
    expect_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    // No offset.
    let response = chief
        .request(Method::PATCH, &location)
        .header("content-type", CHUNK)
        .body(p.bytes.clone())
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "invalid_upload_header").await;
    // Past the declared length.
    let mut longer = p.bytes.clone();
    longer.push(0);
    let response = chief.patch(&location, 0, &longer).await;
    expect_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "upload_too_large").await;
    // An unknown checksum algorithm.
    let response = chief
        .patch_with(&location, 0, &p.bytes, Some("md5 AAAA".to_owned()))
        .await;
    expect_problem(
        response,
        StatusCode::BAD_REQUEST,
        "unsupported_checksum_algorithm",
    )
    .await;
    assert_eq!(offset_of(&chief.head(&location).await), 0);
    // Creation without a length, with a deferred one, or without the declared hash.
    let response = chief
        .request(Method::POST, UPLOADS)
        .header("upload-metadata", metadata(&p.hash))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "invalid_upload_header").await;
    let response = chief
        .request(Method::POST, UPLOADS)
        .header("upload-defer-length", "1")
        .header("upload-metadata", metadata(&p.hash))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "invalid_upload_header").await;
    let hex = p.hash.trim_start_matches("sha256:").to_owned();
    for bad in [
        format!("filetype {}", b64("image/jpeg")),
        format!("sha256 {}", b64(&hex)),
        format!("sha256 {}", b64(&p.hash.to_uppercase())),
        format!("sha256 {}", b64("sha256:1234")),
        "sha256 not-base64!".to_owned(),
    ] {
        let response = chief.create(p.size(), &bad).await;
        expect_problem(response, StatusCode::BAD_REQUEST, "invalid_upload_metadata").await;
    }
}

#[tokio::test]
async fn a_chunk_that_fails_its_checksum_is_discarded_with_460() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let p = photo(200, 150, 7, 70);
    let location = chief.start(&p).await;
    let (first, rest) = p.bytes.split_at(1000);
    let wrong = format!("sha1 {}", b64_bytes(&Sha1::digest(rest)));
    let response = chief.patch_with(&location, 0, first, Some(wrong)).await;
    assert_eq!(header(&response, "tus-resumable"), Some("1.0.0"));
    let body = expect_problem(
        response,
        StatusCode::from_u16(460).unwrap(),
        "checksum_mismatch",
    )
    .await;
    assert_eq!(body["title"], "Checksum Mismatch");
    assert_eq!(offset_of(&chief.head(&location).await), 0);

    let sha1 = format!("sha1 {}", b64_bytes(&Sha1::digest(first)));
    let response = chief.patch_with(&location, 0, first, Some(sha1)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let sha256 = format!("sha256 {}", b64_bytes(&Sha256::digest(rest)));
    let response = chief.patch_with(&location, 1000, rest, Some(sha256)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        stored_bytes(&app, &p.hash).await.as_deref(),
        Some(&p.bytes[..])
    );
    // The discarded chunk left nothing behind.
    assert_eq!(objects(&app).await, vec![blob_path(&p.hash)]);
}

fn b64_bytes(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn the_same_bytes_are_stored_once_whoever_uploads_them() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let reviewer = Uploader::signed_in(&app, Role::TownshipReviewer).await;
    let p = photo(160, 120, 8, 60);
    // Two uploads of the same file on their way at once: both complete, one file is stored.
    let first = chief.start(&p).await;
    let second = reviewer.start(&p).await;
    assert_eq!(
        chief.patch(&first, 0, &p.bytes).await.status(),
        StatusCode::NO_CONTENT
    );
    let response = reviewer.patch(&second, 0, &p.bytes).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(offset_of(&response), p.size());
    // Once stored, a new upload of it is complete at creation: nothing needs sending.
    let response = chief.create(p.size(), &metadata(&p.hash)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(offset_of(&response), p.size());
    let third = location(&response);
    assert_eq!(offset_of(&chief.head(&third).await), p.size());
    // A body sent along is not needed and changes nothing.
    let response = reviewer.create_with_body(&p, &p.hash, &p.bytes).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(offset_of(&response), p.size());
    assert_eq!(blob_count(&app).await, 1);
    assert_eq!(objects(&app).await, vec![blob_path(&p.hash)]);
    // The same hash with another length cannot be the same file.
    let response = chief.create(p.size() + 1, &metadata(&p.hash)).await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "hash_mismatch").await;
}

#[tokio::test]
async fn missing_lists_what_the_server_lacks_before_and_after() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let (a, b) = (photo(64, 48, 9, 50), photo(64, 48, 10, 50));
    let asked = [a.hash.as_str(), b.hash.as_str(), a.hash.as_str()];
    assert_eq!(
        chief.missing(&asked).await,
        vec![a.hash.clone(), b.hash.clone()]
    );
    chief.upload_in_chunks(&a, 1000).await;
    assert_eq!(chief.missing(&asked).await, vec![b.hash.clone()]);
    chief.upload_in_chunks(&b, 100_000).await;
    assert!(chief.missing(&asked).await.is_empty());
    assert!(chief.missing(&[]).await.is_empty());

    let response = app
        .authed(Method::POST, "/api/v1/uploads/missing", &chief.token)
        .json(&serde_json::json!({"hashes": [a.hash, "sha256:XYZ", "md5:00"]}))
        .send()
        .await
        .unwrap();
    let body = expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["hashes[1]", "hashes[2]"]);
}

#[tokio::test]
async fn missing_is_bounded() {
    let app = TestApp::builder()
        .config(|c| c.uploads.missing_hashes = 3)
        .spawn()
        .await;
    app.seed_regions().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let hash = photo(8, 8, 11, 0).hash;
    let response = app
        .authed(Method::POST, "/api/v1/uploads/missing", &chief.token)
        .json(&serde_json::json!({"hashes": [hash, hash, hash, hash]}))
        .send()
        .await
        .unwrap();
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn termination_removes_an_upload_and_its_parts() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let p = photo(64, 48, 12, 50);
    let location = chief.start(&p).await;
    assert_eq!(
        chief.patch(&location, 0, &p.bytes[..500]).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(objects(&app).await.len(), 1, "one part");
    let response = chief.delete(&location).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "tus-resumable"), Some("1.0.0"));
    assert!(objects(&app).await.is_empty());
    expect_problem(
        chief.patch(&location, 500, &p.bytes[500..]).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(chief.head(&location).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        chief.delete(&location).await.status(),
        StatusCode::NOT_FOUND
    );

    // Terminating a completed upload leaves its photo stored.
    let done = chief.upload_in_chunks(&p, 10_000).await;
    assert_eq!(chief.delete(&done).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        stored_bytes(&app, &p.hash).await.as_deref(),
        Some(&p.bytes[..])
    );
}

#[tokio::test]
async fn expired_uploads_answer_410_then_404_and_are_swept() {
    let app = TestApp::builder()
        .config(|c| c.uploads.expiry_secs = 1)
        .spawn()
        .await;
    app.seed_regions().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let (p, q) = (photo(64, 48, 13, 50), photo(64, 48, 14, 50));
    let touched = chief.start(&p).await;
    assert_eq!(
        chief.patch(&touched, 0, &p.bytes[..200]).await.status(),
        StatusCode::NO_CONTENT
    );
    let forgotten = chief.start(&q).await;
    assert_eq!(
        chief.patch(&forgotten, 0, &q.bytes[..300]).await.status(),
        StatusCode::NO_CONTENT
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;

    // On access: gone (410), then not found.
    let response = chief.patch(&touched, 200, &p.bytes[200..]).await;
    expect_problem(response, StatusCode::GONE, "upload_expired").await;
    assert_eq!(chief.head(&touched).await.status(), StatusCode::NOT_FOUND);

    // Without access: a later creation sweeps it, with its parts.
    let fresh = chief.start(&p).await;
    let started = Instant::now();
    while !objects(&app).await.is_empty() && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        objects(&app).await.is_empty(),
        "parts of expired uploads are deleted"
    );
    assert_eq!(chief.head(&forgotten).await.status(), StatusCode::NOT_FOUND);
    let head = chief.head(&fresh).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert!(header(&head, "upload-expires").is_some());
    assert_eq!(chief.missing(&[&p.hash, &q.hash]).await.len(), 2);
}

#[tokio::test]
async fn any_instance_takes_any_request_of_an_upload() {
    let first = TestApp::spawn().await;
    let second = TestApp::builder().sharing_database_of(&first).spawn().await;
    let chief = Uploader::signed_in(&first, Role::FieldChief).await;
    let on_second = Uploader {
        app: &second,
        token: chief.token.clone(),
    };
    let p = photo(300, 200, 15, 70);
    let location = chief.start(&p).await;
    assert_eq!(
        chief.patch(&location, 0, &p.bytes[..3000]).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(offset_of(&on_second.head(&location).await), 3000);
    let response = on_second.patch(&location, 3000, &p.bytes[3000..6000]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = chief.patch(&location, 6000, &p.bytes[6000..]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        stored_bytes(&second, &p.hash).await.as_deref(),
        Some(&p.bytes[..])
    );
    assert!(on_second.missing(&[&p.hash]).await.is_empty());
}

#[tokio::test]
async fn tus_headers_come_with_errors_too() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, UPLOADS)
        .header(TUS.0, TUS.1)
        .header("upload-length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "tus-resumable"), Some("1.0.0"));
    expect_problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn a_file_larger_than_the_write_buffer_is_streamed_in_parts() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    // A real JPEG with 9 MiB after its end-of-image marker, as phones append trailers: larger
    // than the 8 MiB a chunk buffers, so that the chunk and the assembled file go to the store
    // as multipart uploads.
    let mut bytes = photo(64, 48, 16, 50).bytes;
    let mut state = 0x9E37_79B9_u32;
    bytes.extend((0..9 * 1024 * 1024).map(|_| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state >> 24) as u8
    }));
    let p = crate::Photo::from_bytes(bytes);
    let location = chief.start(&p).await;
    let response = chief.patch(&location, 0, &p.bytes[..4096]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = chief.patch(&location, 4096, &p.bytes[4096..]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(offset_of(&response), p.size());
    assert_eq!(
        stored_bytes(&app, &p.hash).await.as_deref(),
        Some(&p.bytes[..])
    );
    assert_eq!(objects(&app).await, vec![blob_path(&p.hash)]);
}
