//! A stock tus client, unchanged: tuspy (the tus project's Python client) uploads a photo in
//! chunks with SHA-1 chunk checksums, stops half-way, and a new client resumes from the
//! server's offset. CI installs tuspy (scripts/install-deps.sh --with-test-tools); without it
//! this test fails and says so.

use std::path::Path;
use std::process::Command;

use tianzhang_server::auth::Role;
use tianzhang_tests::TestApp;

use crate::{Uploader, photo, stored_bytes};

const SCRIPT: &str = r#"
import os, sys
from tusclient import client
url, path, sha256, stop_at, resume = sys.argv[1:6]
c = client.TusClient(url, headers={"Authorization": "Bearer " + os.environ["TIANZHANG_TOKEN"]})
u = c.uploader(
    file_path=path,
    url=resume or None,
    chunk_size=4096,
    upload_checksum=True,
    metadata={"sha256": sha256, "filetype": "image/jpeg", "filename": os.path.basename(path)},
)
u.upload(stop_at=int(stop_at) or None)
print(u.url)
print(u.offset)
"#;

fn tuspy(token: &str, args: &[&str]) -> (String, u64) {
    let output = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .args(args)
        .env("TIANZHANG_TOKEN", token)
        .output()
        .unwrap_or_else(|e| panic!("python3 cannot run ({e}): install it with scripts/install-deps.sh --with-test-tools"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named 'tusclient'"),
        "tuspy is not installed: run scripts/install-deps.sh --with-test-tools (pip install tuspy)"
    );
    assert!(output.status.success(), "tuspy failed: {stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut lines = stdout.lines();
    let url = lines.next().unwrap().to_owned();
    let offset = lines.next().unwrap().parse().unwrap();
    (url, offset)
}

#[tokio::test]
async fn tuspy_uploads_and_resumes_a_photo() {
    let app = TestApp::spawn().await;
    let chief = Uploader::signed_in(&app, Role::FieldChief).await;
    let p = photo(400, 300, 40, 80);
    assert!(p.bytes.len() > 3 * 4096, "several chunks");
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("田块.jpg");
    std::fs::write(&file, &p.bytes).unwrap();
    let file = file.to_str().unwrap().to_owned();
    let endpoint = app.url("/api/v1/uploads");
    let token = chief.token.clone();

    // Half-way, then stop (as an app killed in the field would).
    let (hash, half) = (p.hash.clone(), (p.size() / 2).to_string());
    let (args_endpoint, args_file, args_token) = (endpoint.clone(), file.clone(), token.clone());
    let (url, offset) = tokio::task::spawn_blocking(move || {
        tuspy(&args_token, &[&args_endpoint, &args_file, &hash, &half, ""])
    })
    .await
    .unwrap();
    assert!(url.starts_with(&endpoint), "{url}");
    assert!(
        offset >= p.size() / 2 && offset < p.size(),
        "stopped at {offset}"
    );
    assert_eq!(stored_bytes(&app, &p.hash).await, None);

    // A new client on the same URL asks the server's offset (HEAD) and finishes.
    let (hash, resume) = (p.hash.clone(), url.clone());
    let (url2, offset) = tokio::task::spawn_blocking(move || {
        tuspy(&token, &[&endpoint, &file, &hash, "0", &resume])
    })
    .await
    .unwrap();
    assert_eq!(url2, url);
    assert_eq!(offset, p.size());
    assert_eq!(
        stored_bytes(&app, &p.hash).await.as_deref(),
        Some(&p.bytes[..])
    );
    assert!(Path::new(&folder.path().join("田块.jpg")).exists());
}
