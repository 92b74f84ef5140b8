//! Sync benchmarks against the real server over HTTP: push throughput (many devices pushing
//! batches of 100 visits at once), pull throughput (a new device pulling everything from an
//! empty cursor) and the first full pull of a 2,000-parcel township.
//!
//! Run with `cargo bench -p tianzhang-tests --bench sync` (SQLite), or with
//! `TIANZHANG_TEST_POSTGRES_URL=postgres://...` for PostgreSQL. `SYNC_BENCH_RUNS=n` sets the
//! number of runs (default 5), each on a fresh server and database. Figures are printed per run
//! and then as median (min–max), for comparison with a peer run on the same machine;
//! docs/benchmarks.md has ours.

// A benchmark fails loudly on set-up errors; that is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tianzhang_server::auth::Role;
use tianzhang_server::campaigns::model::CampaignSpec;
use tianzhang_server::campaigns::repo as campaigns_repo;
use tianzhang_server::demo::dataset_of;
use tianzhang_server::demo::generate;
use tianzhang_server::parcels::import::{self, ImportOptions, ImportOutcome, ImportSource};
use tianzhang_sync::client::Client;
use tianzhang_sync::messages::{OutcomeStatus, PullResponse, PushRequest, PushResponse};
use tianzhang_sync::mutation::MutationBody;
use tianzhang_tests::fixtures::{COUNTY, NEIGHBOUR_VILLAGE, VILLAGE};
use tianzhang_tests::parcels::with_nine_parcels;
use tianzhang_tests::simulation::{blocking_http_client, http_transport, runtime};
use tianzhang_tests::sync::{Outbox, parcel_ids, register, visit};
use tianzhang_tests::{TestApp, Tokens};
use uuid::Uuid;

/// Devices pushing at once, spread over [`USERS`] field chiefs of one village.
const DEVICES: usize = 20;
const USERS: usize = 4;
/// Push requests per device.
const BATCHES: usize = 50;
/// Visits per push request.
const BATCH_SIZE: usize = 100;
/// Client threads sending the pushes (each serves `DEVICES / SENDERS` devices in turn).
const SENDERS: usize = 4;
const TOWNSHIP_PARCELS: usize = 2_000;

fn main() {
    let runs: usize = std::env::var("SYNC_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let backend =
        if std::env::var(tianzhang_tests::db::POSTGRES_URL_VAR).is_ok_and(|v| !v.is_empty()) {
            "postgres"
        } else {
            "sqlite"
        };
    println!(
        "sync benchmark on {backend}: {} cores, {runs} runs; each run on a fresh server (the \
         server's defaults: 8 database connections, one HTTP worker per core)",
        cores()
    );
    println!(
        "push: {DEVICES} devices of {USERS} field chiefs, {BATCHES} pushes of {BATCH_SIZE} \
         visits each, from {SENDERS} client threads; pull: a new device of the same village, \
         from an empty cursor"
    );

    let mut figures = Figures::default();
    for run in 1..=runs {
        push_and_pull(run, &mut figures);
        township_first_pull(run, &mut figures);
    }
    println!();
    println!("summary on {backend}, median (min–max) of {runs} runs:");
    figures.print();
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The figures of every run, in the order printed.
#[derive(Default)]
struct Figures {
    series: Vec<(&'static str, &'static str, Vec<f64>)>,
}

impl Figures {
    fn add(&mut self, name: &'static str, unit: &'static str, value: f64) {
        match self.series.iter_mut().find(|(n, _, _)| *n == name) {
            Some((_, _, values)) => values.push(value),
            None => self.series.push((name, unit, vec![value])),
        }
    }

    fn print(&self) {
        for (name, unit, values) in &self.series {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let median = if sorted.len() % 2 == 1 {
                sorted[sorted.len() / 2]
            } else {
                (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
            };
            let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
            let digits = if median < 10.0 { 2 } else { 0 };
            println!(
                "  {name:<46} {median:>10.digits$} {unit:<10} ({min:.digits$}–{max:.digits$})"
            );
        }
    }
}

/// A server with the fixture regions, the nine fixture parcels and `USERS` signed-in field
/// chiefs of the fixture village.
struct Village {
    app: TestApp,
    chiefs: Vec<Tokens>,
    parcels: Vec<String>,
}

async fn village() -> Village {
    let app = TestApp::builder()
        .config(|c| {
            c.database_max_connections =
                tianzhang_server::config::Config::default().database_max_connections;
            c.workers = None;
        })
        .spawn()
        .await;
    app.seed_regions().await;
    let (admin, _) = with_nine_parcels(&app).await;
    let ids = parcel_ids(&app, &admin.access_token).await;
    let parcels = ["P1", "P2", "P3"].map(|c| ids[c].clone()).to_vec();
    let mut chiefs = Vec::new();
    for _ in 0..USERS {
        chiefs.push(app.signed_in(Role::FieldChief).await.1);
    }
    Village {
        app,
        chiefs,
        parcels,
    }
}

/// One device's pushes, serialised before the clock starts.
struct DevicePushes {
    token: String,
    bodies: Vec<Vec<u8>>,
}

fn push_and_pull(run: usize, figures: &mut Figures) {
    let rt = runtime();
    let village = rt.block_on(village());
    let app = &village.app;

    // Every device registered, every request body built and serialised up front.
    let devices: Vec<DevicePushes> = (0..DEVICES)
        .map(|d| {
            let token = village.chiefs[d % USERS].access_token.clone();
            let device = Uuid::now_v7();
            rt.block_on(register(app, &token, device));
            let mut outbox = Outbox::default();
            let bodies = (0..BATCHES)
                .map(|b| {
                    let mutations = (0..BATCH_SIZE)
                        .map(|k| {
                            let parcel = &village.parcels[(d + b + k) % village.parcels.len()];
                            outbox.mutation(MutationBody::CreateVisit(visit(parcel)))
                        })
                        .collect();
                    serde_json::to_vec(&PushRequest {
                        protocol: 1,
                        device_id: device,
                        mutations,
                    })
                    .unwrap()
                })
                .collect();
            DevicePushes { token, bodies }
        })
        .collect();
    let total = DEVICES * BATCHES * BATCH_SIZE;
    let megabytes: f64 = devices
        .iter()
        .flat_map(|d| d.bodies.iter().map(Vec::len))
        .sum::<usize>() as f64
        / 1e6;

    let push_url = app.url("/api/v1/sync/push");
    let started = Instant::now();
    let (applied, slowest) = std::thread::scope(|scope| {
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let mine: Vec<&DevicePushes> = devices.iter().skip(s).step_by(SENDERS).collect();
                let url = push_url.clone();
                scope.spawn(move || {
                    let http = blocking_http_client();
                    let mut applied = 0;
                    let mut slowest = Duration::ZERO;
                    for b in 0..BATCHES {
                        for device in &mine {
                            let sent = Instant::now();
                            let response = http
                                .post(&url)
                                .bearer_auth(&device.token)
                                .header("content-type", "application/json")
                                .body(device.bodies[b].clone())
                                .send()
                                .expect("push request");
                            assert_eq!(response.status(), StatusCode::OK, "push");
                            let response: PushResponse = response.json().expect("push response");
                            slowest = slowest.max(sent.elapsed());
                            applied += response
                                .outcomes
                                .iter()
                                .filter(|o| o.status == OutcomeStatus::Applied)
                                .count();
                        }
                    }
                    (applied, slowest)
                })
            })
            .collect();
        senders
            .into_iter()
            .map(|s| s.join().expect("sender"))
            .fold((0, Duration::ZERO), |(a, m), (b, n)| (a + b, m.max(n)))
    });
    let push_s = started.elapsed().as_secs_f64();
    assert_eq!(applied, total, "every visit applied");
    println!(
        "run {run}: push  {:>8.0} mutations/s ({total} visits in {push_s:.2} s, {:.0} pushes/s, \
         {megabytes:.0} MB of JSON; slowest push {:.0} ms)",
        total as f64 / push_s,
        (DEVICES * BATCHES) as f64 / push_s,
        slowest.as_secs_f64() * 1e3
    );
    figures.add("push, visits applied", "/s", total as f64 / push_s);

    // A new device of the village pulls everything: raw pages, then the reference client.
    let newcomer = rt.block_on(app.signed_in(Role::FieldChief)).1;
    let http = blocking_http_client();
    let raw = raw_pull(&http, &app.address, &newcomer.access_token);
    assert!(raw.changes >= total, "the pull brings every visit");
    println!(
        "run {run}: pull  {:>8.0} changes/s ({} changes in {} pages of the default size, \
         {:.2} s, {:.0} MB)",
        raw.changes as f64 / raw.seconds,
        raw.changes,
        raw.pages,
        raw.seconds,
        raw.bytes as f64 / 1e6
    );
    figures.add(
        "pull, raw pages decoded",
        "changes/s",
        raw.changes as f64 / raw.seconds,
    );

    let started = Instant::now();
    let mut client = Client::open_in_memory().unwrap();
    let mut transport = http_transport(&app.address, &newcomer.access_token, &http);
    client.negotiate(&mut transport).unwrap();
    let report = client.pull(&mut transport).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(report.changes, raw.changes);
    println!(
        "run {run}: pull  {:>8.0} changes/s into the reference client's store ({} pages, \
         {seconds:.2} s)",
        report.changes as f64 / seconds,
        report.pages
    );
    figures.add(
        "pull, reference client into its store",
        "changes/s",
        report.changes as f64 / seconds,
    );
    drop(http);
    drop(transport);
    drop(village);
}

struct RawPull {
    changes: usize,
    pages: usize,
    bytes: usize,
    seconds: f64,
}

/// Pulls from an empty cursor to the end with the server's default page size, decoding each
/// page as a device would.
fn raw_pull(http: &reqwest::blocking::Client, address: &str, token: &str) -> RawPull {
    let url = format!("{address}/api/v1/sync/pull");
    let started = Instant::now();
    let mut cursor: Option<String> = None;
    let (mut changes, mut pages, mut bytes) = (0, 0, 0);
    loop {
        let mut request = http.get(&url).bearer_auth(token);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let response = request.send().expect("pull request");
        assert_eq!(response.status(), StatusCode::OK, "pull");
        let body = response.bytes().expect("pull body");
        let page: PullResponse = serde_json::from_slice(&body).expect("pull response");
        changes += page.changes.len();
        pages += 1;
        bytes += body.len();
        if !page.has_more {
            break;
        }
        cursor = Some(page.next_cursor);
    }
    RawPull {
        changes,
        pages,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// `TOWNSHIP_PARCELS` parcels from the demo generator, moved into the two villages of the
/// fixture township, imported through the import path; then the township reviewer's first
/// sync (negotiate and pull to the end, into the reference client's store).
fn township_first_pull(run: usize, figures: &mut Figures) {
    let rt = runtime();
    let (app, reviewer) = rt.block_on(async {
        let app = TestApp::builder()
            .config(|c| {
                c.database_max_connections =
                    tianzhang_server::config::Config::default().database_max_connections;
                c.workers = None;
            })
            .spawn()
            .await;
        app.seed_regions().await;
        let spec = CampaignSpec {
            name: "township benchmark".to_owned(),
            county_code: COUNTY.to_owned(),
            phases: Vec::new(),
            deadlines: Vec::new(),
            targets: Vec::new(),
            field_mapping: None,
        };
        let campaign = app
            .state
            .db
            .write(move |conn| campaigns_repo::add(conn, &spec).map_err(|e| anyhow::anyhow!("{e}")))
            .await
            .unwrap();
        let mut parcels = generate::synthetic_parcels(7, TOWNSHIP_PARCELS);
        for (i, parcel) in parcels.iter_mut().enumerate() {
            parcel.village_code = [VILLAGE, NEIGHBOUR_VILLAGE][i % 2].to_owned();
        }
        let source = ImportSource {
            dataset: dataset_of(&parcels),
            file_name: "township.geojson".to_owned(),
            file_sha256: String::new(),
        };
        let options = ImportOptions {
            imported_by: "bench".to_owned(),
            ..ImportOptions::default()
        };
        let report = import::import(&app.state.db, campaign, source, options)
            .await
            .unwrap();
        assert_eq!(
            report.outcome,
            ImportOutcome::Imported,
            "{:?}",
            report.problems.first()
        );
        assert_eq!(report.created, TOWNSHIP_PARCELS);
        let (_, reviewer) = app.signed_in(Role::TownshipReviewer).await;
        (app, reviewer)
    });

    let http = blocking_http_client();
    // Warm the connection and the server's caches as an app's sign-in would.
    http.get(app.url("/api/v1/sync/info"))
        .bearer_auth(&reviewer.access_token)
        .send()
        .unwrap();
    let started = Instant::now();
    let mut client = Client::open_in_memory().unwrap();
    let mut transport = http_transport(&app.address, &reviewer.access_token, &http);
    client.negotiate(&mut transport).unwrap();
    let report = client.pull(&mut transport).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        report.changes,
        TOWNSHIP_PARCELS + 1,
        "the parcels and the campaign"
    );
    let raw = raw_pull(&http, &app.address, &reviewer.access_token);
    println!(
        "run {run}: first pull of a {TOWNSHIP_PARCELS}-parcel township {:>6.0} ms with the \
         reference client ({} pages), {:.0} ms raw ({:.1} MB)",
        seconds * 1e3,
        report.pages,
        raw.seconds * 1e3,
        raw.bytes as f64 / 1e6
    );
    figures.add(
        "first pull, 2,000-parcel township (client)",
        "ms",
        seconds * 1e3,
    );
    figures.add(
        "first pull, 2,000-parcel township (raw)",
        "ms",
        raw.seconds * 1e3,
    );
    drop(transport);
    drop(http);
    drop(app);
}
