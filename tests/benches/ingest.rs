//! Photo ingest end to end against the real server over HTTP: 12-megapixel phone photos with
//! EXIF uploaded through tus (one creation-with-upload request each, from several client
//! threads), each verified against its SHA-256, checked as a JPEG and stored, then analysed in
//! the background (EXIF, thumbnail, screen preview, perceptual hash) and checked against its
//! record (pushed beforehand). The clock stops when the last photo's checks have looked at its
//! file.
//!
//! Run with `cargo bench -p tianzhang-tests --bench ingest` (SQLite), or with
//! `TIANZHANG_TEST_POSTGRES_URL=postgres://...` for PostgreSQL. `INGEST_BENCH_RUNS=n` (default
//! 3) and `INGEST_BENCH_PHOTOS=n` (default 40) set the runs and the photos per run. The target
//! on this 2-core machine is 20 photos/s; docs/benchmarks.md has our figures.

// A benchmark fails loudly on set-up errors; that is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::{FixedOffset, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use tianzhang_server::auth::Role;
use tianzhang_server::db::schema::{photo_checks, photo_files};
use tianzhang_server::parcels::geodesy::GaussKrugerZone;
use tianzhang_sync::messages::OutcomeStatus;
use tianzhang_sync::mutation::MutationBody;
use tianzhang_sync::records::{Photo as PhotoRecord, Position, PositionCrs};
use tianzhang_tests::TestApp;
use tianzhang_tests::exif::{ExifTags, with_exif};
use tianzhang_tests::large_photos::twelve_megapixel_set;
use tianzhang_tests::parcels::{slot, with_nine_parcels};
use tianzhang_tests::photos::{Photo, metadata};
use tianzhang_tests::simulation::{blocking_http_client, runtime};
use tianzhang_tests::sync::{Outbox, parcel_ids, push, register};
use uuid::Uuid;

/// Client threads uploading at once (a township's phones coming back into coverage).
const UPLOADERS: usize = 4;

fn main() {
    let runs = env_number("INGEST_BENCH_RUNS", 3);
    let count = env_number("INGEST_BENCH_PHOTOS", 40);
    let backend =
        if std::env::var(tianzhang_tests::db::POSTGRES_URL_VAR).is_ok_and(|v| !v.is_empty()) {
            "postgres"
        } else {
            "sqlite"
        };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "ingest benchmark on {backend}: {cores} cores, {runs} runs of {count} distinct 12-MP \
         photos (4000×3000, with EXIF), {UPLOADERS} client threads; each run on a fresh server \
         with the default configuration"
    );
    let files = twelve_megapixel_set(count);
    let mut per_second = Vec::new();
    for run in 1..=runs {
        let figures = ingest(&files);
        println!(
            "run {run}: {count} photos ({:.0} MB) uploaded in {:.2} s, analysed and checked by \
             {:.2} s: {:.1} photos/s, {:.1} MB/s",
            figures.megabytes,
            figures.uploaded.as_secs_f64(),
            figures.done.as_secs_f64(),
            count as f64 / figures.done.as_secs_f64(),
            figures.megabytes / figures.done.as_secs_f64(),
        );
        per_second.push(count as f64 / figures.done.as_secs_f64());
    }
    per_second.sort_by(f64::total_cmp);
    println!(
        "summary on {backend}: {:.1} photos/s median ({:.1}–{:.1}) of {runs} runs",
        per_second[per_second.len() / 2],
        per_second[0],
        per_second[per_second.len() - 1]
    );
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Figures {
    megabytes: f64,
    uploaded: Duration,
    done: Duration,
}

fn ingest(files: &[Vec<u8>]) -> Figures {
    let rt = runtime();
    let app = rt.block_on(TestApp::builder().config(|c| c.workers = None).spawn());
    rt.block_on(app.seed_regions());
    let (admin, _) = rt.block_on(with_nine_parcels(&app));
    let parcels = rt.block_on(parcel_ids(&app, &admin.access_token));
    let (_, chief) = rt.block_on(app.signed_in(Role::FieldChief));
    let device = Uuid::now_v7();
    rt.block_on(register(&app, &chief.access_token, device));

    // Each photo taken in one of the chief's parcels, its record pushed before the clock starts.
    let taken_at = Utc::now().with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap());
    let zone = GaussKrugerZone::from_zone_number(39).unwrap();
    let mut outbox = Outbox::default();
    let mut photos = Vec::with_capacity(files.len());
    let mut mutations = Vec::with_capacity(files.len());
    for (i, bytes) in files.iter().enumerate() {
        let (x, y) = slot(i % 3);
        let (lon, lat) = zone.to_lon_lat(x + 50.0, y + 50.0);
        let tags = ExifTags::phone(lon, lat, taken_at.naive_local());
        let photo = Photo::from_bytes(with_exif(bytes, &tags));
        let record = PhotoRecord {
            id: Uuid::now_v7(),
            parcel_id: parcels[["P1", "P2", "P3"][i % 3]].clone(),
            visit_id: None,
            sha256: photo.hash.clone(),
            size_bytes: photo.size(),
            media_type: "image/jpeg".into(),
            taken_at,
            position: Some(Position {
                lon,
                lat,
                accuracy_m: Some(4.0),
                crs: PositionCrs::Wgs84,
                mock_location: false,
            }),
            heading_deg: None,
            pitch_deg: None,
            supersedes: None,
        };
        mutations.push(outbox.mutation(MutationBody::CreatePhoto(record)));
        photos.push(photo);
    }
    let pushed = rt.block_on(push(&app, &chief.access_token, device, &mutations));
    assert!(
        pushed
            .outcomes
            .iter()
            .all(|o| o.status == OutcomeStatus::Applied)
    );
    // Let the checks of the records alone settle, so that the clock measures the files.
    wait_until(&rt, &app, |progress| progress.pending_checks == 0);

    let megabytes = photos.iter().map(|p| p.bytes.len()).sum::<usize>() as f64 / 1e6;
    let url = app.url("/api/v1/uploads");
    let started = Instant::now();
    std::thread::scope(|scope| {
        for mine in 0..UPLOADERS {
            let (url, token) = (&url, &chief.access_token);
            let photos = &photos;
            scope.spawn(move || {
                let http = blocking_http_client();
                for photo in photos.iter().skip(mine).step_by(UPLOADERS) {
                    let response = http
                        .post(url)
                        .bearer_auth(token)
                        .header("tus-resumable", "1.0.0")
                        .header("upload-length", photo.size().to_string())
                        .header("upload-metadata", metadata(&photo.hash))
                        .header("content-type", "application/offset+octet-stream")
                        .body(photo.bytes.clone())
                        .send()
                        .unwrap();
                    assert_eq!(response.status(), StatusCode::CREATED);
                }
            });
        }
    });
    let uploaded = started.elapsed();
    let total = photos.len() as i64;
    wait_until(&rt, &app, |progress| {
        progress.analysed == total && progress.checked_with_file == total
    });
    Figures {
        megabytes,
        uploaded,
        done: started.elapsed(),
    }
}

/// Where the background work stands.
struct Progress {
    analysed: i64,
    checked_with_file: i64,
    pending_checks: i64,
}

/// Polls the work (every 10 ms) until `done` says so.
fn wait_until(rt: &tokio::runtime::Runtime, app: &TestApp, done: impl Fn(&Progress) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let progress = rt.block_on(app.state.db.read(|conn| {
            Ok::<_, tianzhang_server::db::DbError>(Progress {
                analysed: photo_files::table
                    .filter(photo_files::state.eq("ready"))
                    .count()
                    .get_result(conn)?,
                checked_with_file: photo_checks::table
                    .filter(photo_checks::state.eq("done"))
                    .filter(photo_checks::file_checked.eq(true))
                    .count()
                    .get_result(conn)?,
                pending_checks: photo_checks::table
                    .filter(photo_checks::state.eq("pending"))
                    .count()
                    .get_result(conn)?,
            })
        }));
        if done(&progress.unwrap()) {
            return;
        }
        assert!(Instant::now() < deadline, "ingest did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
}
