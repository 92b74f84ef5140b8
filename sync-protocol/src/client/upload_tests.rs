//! Photo uploads of the reference client against the fake server's tus endpoint: resumption
//! from wherever the server's copy ends, across calls and restarts, and what is never sent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::fake::{Endpoint, FakeServer, Fault, UploadCall, hash_ref, problem};
use super::*;

const SIZE: usize = 10_000;

/// Bytes that pass for a JPEG with the fake server: they start as one does.
fn jpeg(seed: u8, len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF];
    bytes.extend((3..len).map(|i| (i % 251) as u8 ^ seed));
    bytes
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn chunks_of(chunk_size: usize) -> UploadOptions {
    UploadOptions {
        chunk_size,
        ..UploadOptions::default()
    }
}

fn states(client: &Client) -> Vec<PhotoFileState> {
    client
        .photo_files()
        .unwrap()
        .into_iter()
        .map(|f| f.state)
        .collect()
}

fn failed(code: &str) -> PhotoFileState {
    PhotoFileState::Failed {
        code: code.to_owned(),
        detail: String::new(),
    }
}

/// The states with failure details left out, to compare codes.
fn codes(client: &Client) -> Vec<PhotoFileState> {
    states(client)
        .into_iter()
        .map(|state| match state {
            PhotoFileState::Failed { code, .. } => failed(&code),
            other => other,
        })
        .collect()
}

fn creates(server: &FakeServer) -> usize {
    server
        .upload_calls
        .iter()
        .filter(|c| matches!(c, UploadCall::Create(_)))
        .count()
}

fn is_network(error: &Option<TransportError>) -> bool {
    matches!(error, Some(TransportError::Network(_)))
}

#[test]
fn adding_a_file_hashes_it_and_keeps_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = jpeg(1, SIZE);
    let path = write(&dir, "田块-1.jpg", &bytes);
    let mut client = Client::open_in_memory().unwrap();
    let sha256 = client.add_photo_file(&path).unwrap();
    assert_eq!(sha256, hash_ref(&bytes));
    assert!(crate::merge::is_sha256_ref(&sha256));

    // The same file under another name is one file.
    let moved = dir.path().join("moved.jpg");
    std::fs::rename(&path, &moved).unwrap();
    assert_eq!(client.add_photo_file(&moved).unwrap(), sha256);
    let files = client.photo_files().unwrap();
    assert_eq!(
        files,
        [PhotoFile {
            sha256,
            path: moved,
            size: SIZE as u64,
            upload_url: None,
            state: PhotoFileState::Pending,
        }]
    );

    let empty = write(&dir, "empty.jpg", b"");
    let error = client.add_photo_file(&empty).unwrap_err();
    assert!(matches!(error, ClientError::File { .. }), "{error}");
    let error = client
        .add_photo_file(dir.path().join("none.jpg"))
        .unwrap_err();
    assert!(matches!(error, ClientError::File { .. }), "{error}");
}

#[test]
fn photos_the_server_lacks_go_in_checksummed_chunks_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    let files: Vec<Vec<u8>> = (0..3).map(|i| jpeg(i, SIZE)).collect();
    for (i, bytes) in files.iter().enumerate() {
        client
            .add_photo_file(write(&dir, &format!("{i}.jpg"), bytes))
            .unwrap();
    }
    let transport: &mut dyn UploadTransport = &mut server;
    let report = client.upload_photos(transport, &chunks_of(4096)).unwrap();
    assert_eq!(
        report,
        UploadReport {
            uploaded: 3,
            bytes_sent: 3 * SIZE as u64,
            ..UploadReport::default()
        }
    );
    for bytes in &files {
        assert_eq!(server.files.get(&hash_ref(bytes)), Some(bytes));
    }
    let one_file = [(0, 4096), (4096, 4096), (8192, SIZE - 8192)];
    assert_eq!(server.chunks(), one_file.repeat(3));
    assert_eq!(states(&client), vec![PhotoFileState::Uploaded; 3]);
    assert!(client.photo_files().unwrap()[0].upload_url.is_none());

    // Nothing is pending: nothing is asked or sent.
    let calls = server.upload_calls.len();
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!(report, UploadReport::default());
    assert_eq!(server.upload_calls.len(), calls);
}

#[test]
fn an_upload_cut_anywhere_resumes_from_the_servers_offset() {
    for chunk_size in [1000, 4096, 1 << 20] {
        let dir = tempfile::tempdir().unwrap();
        let mut client = Client::open_in_memory().unwrap();
        let mut server = FakeServer::new();
        let bytes = jpeg(7, SIZE);
        client.add_photo_file(write(&dir, "p.jpg", &bytes)).unwrap();
        let options = chunks_of(chunk_size);

        // Each call's first chunk is cut after some of its bytes, which the server keeps.
        let mut offset = 0;
        for (call, arrived) in [0, 1, 2, 999, 1000, 4095, 1].into_iter().enumerate() {
            server.fault(Endpoint::UploadChunk, Fault::Cut(arrived));
            let report = client.upload_photos(&mut server, &options).unwrap();
            assert!(is_network(&report.stopped), "{report:?}");
            assert_eq!(report.resumed, usize::from(call > 0));
            // The chunk started where the server's copy ended.
            let sent = chunk_size.min(SIZE - offset);
            assert_eq!(server.chunks().last(), Some(&(offset as u64, sent)));
            offset += arrived.min(sent);
            let url = client.photo_files().unwrap()[0].upload_url.clone().unwrap();
            assert_eq!(server.upload_offset_of(&url), Some(offset as u64));
        }
        assert_eq!(creates(&server), 1, "one upload throughout");

        let report = client.upload_photos(&mut server, &options).unwrap();
        assert_eq!((report.uploaded, report.resumed), (1, 1));
        assert_eq!(report.bytes_sent, (SIZE - offset) as u64);
        assert_eq!(server.chunks()[7].0, offset as u64);
        assert_eq!(server.files.get(&hash_ref(&bytes)), Some(&bytes));
        assert_eq!(states(&client), [PhotoFileState::Uploaded]);
    }
}

#[test]
fn a_remembered_upload_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("client.sqlite");
    let bytes = jpeg(3, SIZE);
    let photo = write(&dir, "p.jpg", &bytes);
    let mut server = FakeServer::new();
    let url = {
        let mut client = Client::open(&store).unwrap();
        client.add_photo_file(&photo).unwrap();
        // The first chunk arrives, its answer does not; then the app is killed.
        server.fault(Endpoint::UploadChunk, Fault::DropResponse);
        let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
        assert!(is_network(&report.stopped));
        client.photo_files().unwrap()[0].upload_url.clone().unwrap()
    };
    assert_eq!(server.upload_offset_of(&url), Some(4096));

    let mut client = Client::open(&store).unwrap();
    assert_eq!(
        client.photo_files().unwrap()[0].upload_url.as_ref(),
        Some(&url)
    );
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!((report.uploaded, report.resumed), (1, 1));
    assert_eq!(creates(&server), 1);
    assert!(server.upload_calls.contains(&UploadCall::Head(url)));
    assert_eq!(server.chunks()[1..], [(4096, 4096), (8192, SIZE - 8192)]);
    assert_eq!(server.files.get(&hash_ref(&bytes)), Some(&bytes));
}

#[test]
fn a_chunk_the_server_took_twice_continues_from_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    let bytes = jpeg(4, SIZE);
    client.add_photo_file(write(&dir, "p.jpg", &bytes)).unwrap();
    // A chunk that reached the server twice: the second copy is answered 409 with the
    // server's offset, and the upload goes on from there in the same call.
    server.fault(Endpoint::UploadChunk, Fault::Duplicate);
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!((report.uploaded, report.stopped), (1, None));
    assert_eq!(
        server.chunks(),
        [(0, 4096), (0, 4096), (4096, 4096), (8192, SIZE - 8192)]
    );
    assert_eq!(server.files.get(&hash_ref(&bytes)), Some(&bytes));
}

#[test]
fn a_lost_answer_to_the_last_chunk_is_learnt_from_missing() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    client
        .add_photo_file(write(&dir, "p.jpg", &jpeg(5, SIZE)))
        .unwrap();
    server.fault(Endpoint::UploadChunk, Fault::DropResponse);
    let report = client.upload_photos(&mut server, &chunks_of(SIZE)).unwrap();
    assert!(is_network(&report.stopped));
    assert_eq!(states(&client), [PhotoFileState::Pending]);

    let calls = server.upload_calls.len();
    let report = client.upload_photos(&mut server, &chunks_of(SIZE)).unwrap();
    assert_eq!((report.already_held, report.uploaded), (1, 0));
    assert_eq!(server.upload_calls[calls..], [UploadCall::Missing(1)]);
    assert_eq!(states(&client), [PhotoFileState::Uploaded]);
}

#[test]
fn a_lost_or_expired_upload_starts_anew() {
    for lose in [FakeServer::forget_uploads, FakeServer::expire_uploads] {
        let dir = tempfile::tempdir().unwrap();
        let mut client = Client::open_in_memory().unwrap();
        let mut server = FakeServer::new();
        let bytes = jpeg(6, SIZE);
        client.add_photo_file(write(&dir, "p.jpg", &bytes)).unwrap();
        server.fault(Endpoint::UploadChunk, Fault::Cut(5000));
        client.upload_photos(&mut server, &chunks_of(SIZE)).unwrap();
        let old = client.photo_files().unwrap()[0].upload_url.clone().unwrap();
        lose(&mut server);

        let report = client.upload_photos(&mut server, &chunks_of(SIZE)).unwrap();
        assert_eq!((report.uploaded, report.resumed), (1, 0));
        assert_eq!(creates(&server), 2);
        assert_eq!(server.chunks().last(), Some(&(0, SIZE)));
        assert!(server.upload_calls.contains(&UploadCall::Head(old)));
        assert_eq!(server.files.get(&hash_ref(&bytes)), Some(&bytes));
    }
}

#[test]
fn an_upload_lost_mid_way_starts_anew_once_per_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    let bytes = jpeg(8, SIZE);
    client.add_photo_file(write(&dir, "p.jpg", &bytes)).unwrap();
    let gone = || Fault::Answer(problem(404, "not_found"));
    server.fault(Endpoint::UploadChunk, gone());
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!((report.uploaded, report.stopped), (1, None));
    assert_eq!(creates(&server), 2);

    // A server that keeps losing it is not chased in a loop.
    client
        .add_photo_file(write(&dir, "q.jpg", &jpeg(9, SIZE)))
        .unwrap();
    server.fault(Endpoint::UploadChunk, gone());
    server.fault(Endpoint::UploadChunk, gone());
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!(report.stopped, Some(problem(404, "not_found")));
    assert_eq!(creates(&server), 4);
    assert_eq!(
        states(&client),
        [PhotoFileState::Uploaded, PhotoFileState::Pending]
    );
    assert_eq!(
        client
            .upload_photos(&mut server, &chunks_of(4096))
            .unwrap()
            .uploaded,
        1
    );
}

#[test]
fn files_the_server_holds_are_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    let files: Vec<Vec<u8>> = (0..3).map(|i| jpeg(10 + i, SIZE)).collect();
    for (i, bytes) in files.iter().enumerate() {
        client
            .add_photo_file(write(&dir, &format!("{i}.jpg"), bytes))
            .unwrap();
    }
    // Another phone, or another user, sent two of them.
    for bytes in &files[..2] {
        server.files.insert(hash_ref(bytes), bytes.clone());
    }
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!((report.already_held, report.uploaded), (2, 1));
    assert_eq!(
        server.upload_calls[..2],
        [
            UploadCall::Missing(3),
            UploadCall::Create(hash_ref(&files[2]))
        ]
    );
    assert_eq!(creates(&server), 1);
    assert_eq!(states(&client), vec![PhotoFileState::Uploaded; 3]);
}

#[test]
fn refused_files_are_reported_and_not_tried_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    server.max_file_bytes = 20_000;
    let good = jpeg(20, SIZE);
    let gif = [&b"GIF89a"[..], &[0; 100]].concat();
    let original = jpeg(21, SIZE);
    let paths = [
        write(&dir, "gif.jpg", &gif),
        write(&dir, "large.jpg", &jpeg(22, 30_000)),
        write(&dir, "edited.jpg", &original),
        write(&dir, "grown.jpg", &jpeg(23, SIZE)),
        write(&dir, "deleted.jpg", &original[..SIZE - 1]),
        write(&dir, "good.jpg", &good),
    ];
    let hashes: Vec<String> = paths
        .iter()
        .map(|p| client.add_photo_file(p).unwrap())
        .collect();
    // After they were added: edited in place, grown, deleted.
    std::fs::write(&paths[2], jpeg(24, SIZE)).unwrap();
    std::fs::write(&paths[3], jpeg(23, SIZE + 1)).unwrap();
    std::fs::remove_file(&paths[4]).unwrap();

    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!((report.uploaded, report.stopped), (1, None));
    let refused: Vec<(&str, &str)> = report
        .failed
        .iter()
        .map(|f| (f.sha256.as_str(), f.code.as_str()))
        .collect();
    let expected = [
        "unsupported_media_type",
        "upload_too_large",
        "hash_mismatch",
        "file_changed",
        "file_missing",
    ];
    assert_eq!(
        refused,
        hashes
            .iter()
            .map(String::as_str)
            .zip(expected)
            .collect::<Vec<_>>()
    );
    assert!(report.failed.iter().all(|f| !f.detail.is_empty()));
    let mut expected_states: Vec<PhotoFileState> = expected.map(failed).to_vec();
    expected_states.push(PhotoFileState::Uploaded);
    assert_eq!(codes(&client), expected_states);
    assert!(
        client
            .photo_files()
            .unwrap()
            .iter()
            .all(|f| f.upload_url.is_none())
    );
    // Nothing was sent for the files that changed or went.
    assert_eq!(creates(&server), 4);

    // Not tried again.
    let calls = server.upload_calls.len();
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!(report, UploadReport::default());
    assert_eq!(server.upload_calls.len(), calls);

    // Unless the app adds the file again: the deleted one is back.
    std::fs::write(&paths[4], &original[..SIZE - 1]).unwrap();
    assert_eq!(client.add_photo_file(&paths[4]).unwrap(), hashes[4]);
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!((report.uploaded, report.failed.len()), (1, 0));
}

#[test]
fn a_chunk_failing_its_checksum_is_sent_again_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    let mismatch = || Fault::Answer(problem(460, "checksum_mismatch"));
    client
        .add_photo_file(write(&dir, "p.jpg", &jpeg(30, SIZE)))
        .unwrap();
    server.fault(Endpoint::UploadChunk, mismatch());
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!((report.uploaded, report.bytes_sent), (1, SIZE as u64));
    assert!(server.faults.is_empty(), "the first chunk was refused once");

    client
        .add_photo_file(write(&dir, "q.jpg", &jpeg(31, SIZE)))
        .unwrap();
    server.fault(Endpoint::UploadChunk, mismatch());
    server.fault(Endpoint::UploadChunk, mismatch());
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].code, "checksum_mismatch");
}

#[test]
fn a_transient_failure_stops_the_call_and_the_next_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    for i in 0..2 {
        client
            .add_photo_file(write(&dir, &format!("{i}.jpg"), &jpeg(40 + i, SIZE)))
            .unwrap();
    }
    server.fault(Endpoint::Missing, Fault::DropRequest);
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert!(is_network(&report.stopped));

    let unavailable = problem(503, "unavailable");
    server.fault(Endpoint::CreateUpload, Fault::Answer(unavailable.clone()));
    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!(report.stopped, Some(unavailable));
    assert!(report.stopped.as_ref().unwrap().is_transient());
    assert!(client.photo_files().unwrap()[0].upload_url.is_none());
    assert_eq!(states(&client), vec![PhotoFileState::Pending; 2]);

    let report = client.upload_photos(&mut server, &chunks_of(4096)).unwrap();
    assert_eq!((report.uploaded, report.stopped), (2, None));
}

#[test]
fn missing_is_asked_in_batches_within_the_servers_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    let add = |client: &mut Client, from: u8| {
        for i in from..from + 5 {
            let path = write(&dir, &format!("{i}.jpg"), &jpeg(i, 100));
            client.add_photo_file(path).unwrap();
        }
    };
    let missing_calls = |server: &FakeServer| -> Vec<usize> {
        server
            .upload_calls
            .iter()
            .filter_map(|c| match c {
                UploadCall::Missing(n) => Some(*n),
                _ => None,
            })
            .collect()
    };
    add(&mut client, 0);
    let options = UploadOptions {
        missing_batch: 2,
        ..UploadOptions::default()
    };
    assert_eq!(
        client
            .upload_photos(&mut server, &options)
            .unwrap()
            .uploaded,
        5
    );
    assert_eq!(missing_calls(&server), [2, 2, 1]);

    // A server with a lower limit than the client's batch: the batch is halved until it fits.
    server.upload_calls.clear();
    server.missing_limit = 2;
    add(&mut client, 5);
    let report = client
        .upload_photos(&mut server, &UploadOptions::default())
        .unwrap();
    assert_eq!((report.uploaded, report.stopped), (5, None));
    assert_eq!(missing_calls(&server), [5, 2, 2, 1]);
}

#[test]
fn a_version_1_store_gains_the_photo_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.sqlite");
    let device = Uuid::new_v4();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(store::SCHEMA_V1).unwrap();
        conn.execute("UPDATE meta SET device_id = ?1", [device.to_string()])
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    let mut client = Client::open(&path).unwrap();
    assert_eq!(client.device_id().unwrap(), Some(device));
    let photo = write(&dir, "p.jpg", &jpeg(50, 100));
    client.add_photo_file(&photo).unwrap();
    drop(client);
    let version: i64 = user_version(&path);
    assert_eq!(version, 2);
    assert_eq!(Client::open(&path).unwrap().photo_files().unwrap().len(), 1);

    // A store of a newer build is refused, not misread.
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 3)
        .unwrap();
    assert!(matches!(
        Client::open(&path),
        Err(ClientError::StoreVersion(3))
    ));
}

fn user_version(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}
