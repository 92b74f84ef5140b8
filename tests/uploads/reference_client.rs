//! The reference client (`tianzhang_sync::client`) uploads photo files to the real server:
//! several photos, one cut in the middle of a chunk and resumed after a restart from the
//! server's offset, a file another user already sent, and broken files refused for good. The
//! client blocks: each step runs on a blocking thread, with a transport that counts what it
//! sends and can cut a chunk's connection.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tianzhang_server::auth::Role;
use tianzhang_sync::client::{
    ChunkAnswer, Client, CreatedUpload, HttpTransport, NewUpload, PhotoFileState, TransportError,
    UploadOptions, UploadReport, UploadTransport,
};
use tianzhang_tests::TestApp;
use tianzhang_tests::simulation::{blocking_http_client, http_transport};

use crate::{CHUNK, Photo, TUS, photo, stored_bytes};

const CHUNK_SIZE: usize = 16 * 1024;

fn options() -> UploadOptions {
    UploadOptions {
        chunk_size: CHUNK_SIZE,
        ..UploadOptions::default()
    }
}

/// What a phone's transport sent.
#[derive(Debug, Default, Clone)]
struct Sent {
    missing: usize,
    created: usize,
    heads: usize,
    /// (offset, length) of each chunk.
    chunks: Vec<(u64, usize)>,
}

/// The reference client's HTTP transport, counting its requests. With `cut` set to
/// `(k, n)`, the chunk after `k` others goes out without its checksum on a connection that
/// drops after `n` of its bytes: the server keeps those, as it keeps what arrived of any
/// chunk sent without a checksum, so its offset ends up inside the chunk.
struct Net {
    http: HttpTransport,
    raw: reqwest::blocking::Client,
    token: String,
    cut: Option<(usize, usize)>,
    sent: Sent,
}

impl Net {
    fn cut_chunk(&self, url: &str, offset: u64, chunk: &[u8], arrived: usize) -> TransportError {
        let body = CutShort {
            bytes: chunk[..arrived.min(chunk.len())].to_vec(),
            at: 0,
        };
        let sent = self
            .raw
            .patch(url)
            .bearer_auth(&self.token)
            .header(TUS.0, TUS.1)
            .header("upload-offset", offset)
            .header("content-type", CHUNK)
            .body(reqwest::blocking::Body::sized(body, chunk.len() as u64))
            .send();
        assert!(sent.is_err(), "the chunk was cut");
        TransportError::Network("the connection dropped".into())
    }
}

/// A body that gives its bytes, then fails as a dropped connection does.
struct CutShort {
    bytes: Vec<u8>,
    at: usize,
}

impl Read for CutShort {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.bytes.len() {
            // Time for the bytes to reach the server before the connection goes.
            std::thread::sleep(Duration::from_millis(300));
            return Err(std::io::Error::other("the network went away"));
        }
        let n = buf.len().min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl UploadTransport for Net {
    fn missing(&mut self, hashes: &[String]) -> Result<Vec<String>, TransportError> {
        self.sent.missing += 1;
        self.http.missing(hashes)
    }

    fn create_upload(&mut self, upload: &NewUpload<'_>) -> Result<CreatedUpload, TransportError> {
        self.sent.created += 1;
        self.http.create_upload(upload)
    }

    fn upload_offset(&mut self, url: &str) -> Result<u64, TransportError> {
        self.sent.heads += 1;
        self.http.upload_offset(url)
    }

    fn upload_chunk(
        &mut self,
        url: &str,
        offset: u64,
        chunk: &[u8],
        sha256: &[u8; 32],
    ) -> Result<ChunkAnswer, TransportError> {
        self.sent.chunks.push((offset, chunk.len()));
        match self.cut {
            Some((0, arrived)) => {
                self.cut = None;
                Err(self.cut_chunk(url, offset, chunk, arrived))
            }
            Some((before, arrived)) => {
                self.cut = Some((before - 1, arrived));
                self.http.upload_chunk(url, offset, chunk, sha256)
            }
            None => self.http.upload_chunk(url, offset, chunk, sha256),
        }
    }
}

/// Runs `step` on a blocking thread with the client of the store at `store` (opened anew, as
/// after a restart of the app) and a transport as the holder of `token`; the blocking HTTP
/// client is dropped there too, outside the runtime.
async fn on_phone<R: Send + 'static>(
    app: &TestApp,
    token: &str,
    store: &Path,
    cut: Option<(usize, usize)>,
    step: impl FnOnce(&mut Client, &mut Net) -> R + Send + 'static,
) -> (R, Sent) {
    let (address, token, store) = (app.address.clone(), token.to_owned(), store.to_owned());
    tokio::task::spawn_blocking(move || {
        let raw = blocking_http_client();
        let mut net = Net {
            http: http_transport(&address, &token, &raw),
            raw,
            token,
            cut,
            sent: Sent::default(),
        };
        let mut client = Client::open(&store).unwrap();
        let result = step(&mut client, &mut net);
        (result, net.sent)
    })
    .await
    .unwrap()
}

/// Writes the photos where the camera would and adds them to the client; returns their paths.
async fn take(
    app: &TestApp,
    token: &str,
    store: &Path,
    folder: &Path,
    photos: &[(&str, &[u8])],
) -> Vec<String> {
    let files: Vec<(PathBuf, Vec<u8>)> = photos
        .iter()
        .map(|(name, bytes)| (folder.join(name), bytes.to_vec()))
        .collect();
    let (hashes, _) = on_phone(app, token, store, None, move |client, _| {
        files
            .iter()
            .map(|(path, bytes)| {
                std::fs::write(path, bytes).unwrap();
                client.add_photo_file(path).unwrap()
            })
            .collect()
    })
    .await;
    hashes
}

async fn upload(
    app: &TestApp,
    token: &str,
    store: &Path,
    cut: Option<(usize, usize)>,
) -> (UploadReport, Sent) {
    on_phone(app, token, store, cut, |client, net| {
        client.upload_photos(net, &options()).unwrap()
    })
    .await
}

/// The server's offset of an upload, once the bytes of a cut chunk have all been taken in.
async fn settled_offset(app: &TestApp, token: &str, url: &str, expected: u64) -> u64 {
    let head = || async {
        let response = app
            .client
            .head(url)
            .bearer_auth(token)
            .header(TUS.0, TUS.1)
            .send()
            .await
            .unwrap();
        crate::offset_of(&response)
    };
    let started = Instant::now();
    let mut offset = head().await;
    while offset != expected && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        offset = head().await;
    }
    offset
}

#[tokio::test]
async fn the_reference_client_uploads_photos_and_resumes_a_cut_one() {
    let app = TestApp::spawn().await;
    let (_, tokens) = app.signed_in(Role::FieldChief).await;
    let token = tokens.access_token;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("client.sqlite");
    let photos: Vec<Photo> = [(640, 480, 1), (400, 300, 2), (800, 600, 3)]
        .into_iter()
        .map(|(w, h, seed)| photo(w, h, seed, 60))
        .collect();
    assert!(photos[0].bytes.len() > 3 * CHUNK_SIZE, "several chunks");
    let names = ["田块-1.jpg", "田块-2.jpg", "田块-3.jpg"];
    let taken: Vec<(&str, &[u8])> = names
        .iter()
        .zip(&photos)
        .map(|(name, p)| (*name, &p.bytes[..]))
        .collect();
    let hashes = take(&app, &token, &store, dir.path(), &taken).await;
    let expected: Vec<&str> = photos.iter().map(|p| p.hash.as_str()).collect();
    assert_eq!(hashes, expected, "the client hashes as the server does");

    // The first photo's second chunk is cut after 5000 bytes; then the app is killed.
    let (report, sent) = upload(&app, &token, &store, Some((1, 5000))).await;
    assert!(
        matches!(report.stopped, Some(TransportError::Network(_))),
        "{report:?}"
    );
    assert_eq!((report.uploaded, sent.created), (0, 1));
    assert_eq!(
        sent.chunks,
        [(0, CHUNK_SIZE), (CHUNK_SIZE as u64, CHUNK_SIZE)]
    );
    let (files, _) = on_phone(&app, &token, &store, None, |c, _| c.photo_files().unwrap()).await;
    let url = files[0]
        .upload_url
        .clone()
        .expect("the upload is remembered");
    assert!(url.starts_with(&app.url("/api/v1/uploads/")), "{url}");
    let cut_at = (CHUNK_SIZE + 5000) as u64;
    assert_eq!(settled_offset(&app, &token, &url, cut_at).await, cut_at);
    assert_eq!(stored_bytes(&app, &photos[0].hash).await, None);

    // Restarted, the client asks the server's offset and goes on from there.
    let (report, sent) = upload(&app, &token, &store, None).await;
    assert_eq!(report.stopped, None);
    assert_eq!((report.uploaded, report.resumed), (3, 1));
    assert!(report.failed.is_empty());
    assert_eq!((sent.heads, sent.created), (1, 2));
    assert_eq!(sent.chunks[0], (cut_at, CHUNK_SIZE));
    let total: u64 = photos.iter().map(Photo::size).sum();
    assert_eq!(report.bytes_sent, total - CHUNK_SIZE as u64 - 5000);
    for p in &photos {
        assert_eq!(
            stored_bytes(&app, &p.hash).await.as_deref(),
            Some(&p.bytes[..]),
            "stored byte for byte"
        );
    }
    let (files, _) = on_phone(&app, &token, &store, None, |c, _| c.photo_files().unwrap()).await;
    assert!(files.iter().all(|f| f.state == PhotoFileState::Uploaded));

    // Nothing is left to do.
    let (report, sent) = upload(&app, &token, &store, None).await;
    assert_eq!(report, UploadReport::default());
    assert_eq!(sent.missing, 0);
}

#[tokio::test]
async fn a_file_another_user_sent_is_not_sent_again() {
    let app = TestApp::spawn().await;
    let p = photo(480, 360, 7, 60);
    let mut sends = Vec::new();
    for person in ["one", "other"] {
        let (_, tokens) = app.signed_in(Role::FieldChief).await;
        let token = tokens.access_token;
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("client.sqlite");
        let name = format!("{person}.jpg");
        take(&app, &token, &store, dir.path(), &[(&name, &p.bytes[..])]).await;
        sends.push(upload(&app, &token, &store, None).await);
    }
    let (first, sent) = &sends[0];
    assert_eq!((first.uploaded, first.already_held), (1, 0));
    assert_eq!(sent.created, 1);
    let (second, sent) = &sends[1];
    assert_eq!((second.uploaded, second.already_held), (0, 1));
    assert_eq!(
        (sent.missing, sent.created, sent.heads, sent.chunks.len()),
        (1, 0, 0, 0),
        "the server said it holds the file: nothing was sent"
    );
    assert_eq!(
        stored_bytes(&app, &p.hash).await.as_deref(),
        Some(&p.bytes[..])
    );
}

#[tokio::test]
async fn broken_jpegs_are_refused_reported_and_not_sent_again() {
    let app = TestApp::spawn().await;
    let (_, tokens) = app.signed_in(Role::FieldChief).await;
    let token = tokens.access_token;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("client.sqlite");
    let good = photo(400, 300, 11, 60);
    let source = photo(640, 480, 12, 60);
    // Cut short, and cut short with another format's header.
    let truncated = source.bytes[..source.bytes.len() / 2].to_vec();
    let mut wrong_header = truncated.clone();
    wrong_header[..4].copy_from_slice(b"\x89PNG");
    let hashes = take(
        &app,
        &token,
        &store,
        dir.path(),
        &[
            ("wrong-header.jpg", &wrong_header[..]),
            ("truncated.jpg", &truncated[..]),
            ("good.jpg", &good.bytes[..]),
        ],
    )
    .await;

    let (report, _) = upload(&app, &token, &store, None).await;
    assert_eq!((report.uploaded, report.stopped.clone()), (1, None));
    let refused: Vec<(&str, &str)> = report
        .failed
        .iter()
        .map(|f| (f.sha256.as_str(), f.code.as_str()))
        .collect();
    assert_eq!(
        refused,
        [
            (hashes[0].as_str(), "unsupported_media_type"),
            (hashes[1].as_str(), "invalid_image"),
        ]
    );
    for hash in &hashes[..2] {
        assert_eq!(stored_bytes(&app, hash).await, None);
    }
    let (files, _) = on_phone(&app, &token, &store, None, |c, _| c.photo_files().unwrap()).await;
    let codes: Vec<Option<String>> = files
        .into_iter()
        .map(|f| match f.state {
            PhotoFileState::Failed { code, .. } => Some(code),
            _ => None,
        })
        .collect();
    assert_eq!(
        codes,
        [
            Some("unsupported_media_type".to_owned()),
            Some("invalid_image".to_owned()),
            None
        ]
    );

    // Not tried again: nothing is pending.
    let (report, sent) = upload(&app, &token, &store, None).await;
    assert_eq!(report, UploadReport::default());
    assert_eq!((sent.missing, sent.created), (0, 0));
}
