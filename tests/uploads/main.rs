//! Photo uploads end to end: tus 1.0 against a real server over HTTP, on SQLite or PostgreSQL,
//! with blobs on the local disk or, when `TIANZHANG_TEST_S3_ENDPOINT` is set, in a bucket of
//! an S3-compatible server.

// Test helpers panic on unexpected values: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod checks;
mod protocol;
mod reference_client;
mod stock_client;
mod throughput;

use futures_util::TryStreamExt;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tianzhang_server::auth::Role;
use tianzhang_server::blobs::{BlobStore, Sha256Ref};
use tianzhang_tests::TestApp;
pub use tianzhang_tests::photos::{Photo, b64, hash_of, metadata, photo};

pub const TUS: (&str, &str) = ("tus-resumable", "1.0.0");
pub const CHUNK: &str = "application/offset+octet-stream";
pub const UPLOADS: &str = "/api/v1/uploads";

pub fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

pub fn offset_of(response: &Response) -> u64 {
    header(response, "upload-offset")
        .unwrap_or_else(|| panic!("no Upload-Offset in {}", response.status()))
        .parse()
        .unwrap()
}

/// A signed-in uploader and the calls of a tus client.
pub struct Uploader<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl<'a> Uploader<'a> {
    pub async fn signed_in(app: &'a TestApp, role: Role) -> Uploader<'a> {
        let (_, tokens) = app.signed_in(role).await;
        Uploader {
            app,
            token: tokens.access_token,
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .authed(method, path, &self.token)
            .header(TUS.0, TUS.1)
    }

    /// `POST /api/v1/uploads` without a body.
    pub async fn create(&self, length: u64, metadata: &str) -> Response {
        self.request(Method::POST, UPLOADS)
            .header("upload-length", length.to_string())
            .header("upload-metadata", metadata)
            .send()
            .await
            .unwrap()
    }

    /// Creates an upload for `photo` and returns its location.
    pub async fn start(&self, photo: &Photo) -> String {
        let response = self.create(photo.size(), &metadata(&photo.hash)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        location(&response)
    }

    /// `POST /api/v1/uploads` with the first bytes in the body (creation-with-upload).
    pub async fn create_with_body(&self, photo: &Photo, declared: &str, body: &[u8]) -> Response {
        self.request(Method::POST, UPLOADS)
            .header("upload-length", photo.size().to_string())
            .header("upload-metadata", metadata(declared))
            .header("content-type", CHUNK)
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, location: &str, offset: u64, bytes: &[u8]) -> Response {
        self.patch_with(location, offset, bytes, None).await
    }

    pub async fn patch_with(
        &self,
        location: &str,
        offset: u64,
        bytes: &[u8],
        checksum: Option<String>,
    ) -> Response {
        let mut request = self
            .request(Method::PATCH, location)
            .header("upload-offset", offset.to_string())
            .header("content-type", CHUNK)
            .body(bytes.to_vec());
        if let Some(checksum) = checksum {
            request = request.header("upload-checksum", checksum);
        }
        request.send().await.unwrap()
    }

    pub async fn head(&self, location: &str) -> Response {
        self.request(Method::HEAD, location).send().await.unwrap()
    }

    pub async fn delete(&self, location: &str) -> Response {
        self.request(Method::DELETE, location).send().await.unwrap()
    }

    /// The whole photo in chunks of `chunk` bytes; returns the location.
    pub async fn upload_in_chunks(&self, photo: &Photo, chunk: usize) -> String {
        let location = self.start(photo).await;
        let mut offset = 0;
        for piece in photo.bytes.chunks(chunk) {
            let response = self.patch(&location, offset, piece).await;
            assert_eq!(
                response.status(),
                StatusCode::NO_CONTENT,
                "PATCH at {offset}"
            );
            offset += piece.len() as u64;
            assert_eq!(offset_of(&response), offset);
        }
        location
    }

    /// `POST /api/v1/uploads/missing`.
    pub async fn missing(&self, hashes: &[&str]) -> Vec<String> {
        let response = self
            .app
            .authed(Method::POST, "/api/v1/uploads/missing", &self.token)
            .json(&json!({ "hashes": hashes }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        serde_json::from_value(body["missing"].clone()).unwrap()
    }
}

pub fn location(response: &Response) -> String {
    let location = header(response, "location").expect("Location").to_owned();
    assert!(location.starts_with("/api/v1/uploads/"), "{location}");
    location
}

/// The stored bytes of a photo, from the server's own blob store.
pub async fn stored_bytes(app: &TestApp, hash: &str) -> Option<Vec<u8>> {
    let hash = Sha256Ref::parse(hash).unwrap();
    match app.state.blobs.read_blob(&hash).await {
        Ok(stream) => {
            let pieces: Vec<_> = stream.try_collect().await.unwrap();
            Some(pieces.concat())
        }
        Err(object_store::Error::NotFound { .. }) => None,
        Err(e) => panic!("reading {hash}: {e}"),
    }
}

/// Every object in the blob store, by path, but for the renditions the photo worker makes in
/// the background (tests/photos checks those).
pub async fn objects(app: &TestApp) -> Vec<String> {
    let store = app.state.blobs.object_store();
    let mut paths: Vec<String> = store
        .list(None)
        .map_ok(|meta| meta.location.to_string())
        .try_filter(|path| std::future::ready(!path.starts_with("renditions/")))
        .try_collect()
        .await
        .unwrap();
    paths.sort();
    paths
}

/// How many blob records the database holds.
pub async fn blob_count(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use tianzhang_server::db::schema::blobs;
    app.state
        .db
        .read(|conn| {
            blobs::table
                .count()
                .get_result::<i64>(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .unwrap()
}

/// Where a photo is stored.
pub fn blob_path(hash: &str) -> String {
    BlobStore::blob_path(&Sha256Ref::parse(hash).unwrap()).to_string()
}
