//! Parcel benchmarks: importing a 100,000-parcel Shapefile end to end, and point lookups on
//! 100,000 parcels. Run with `cargo bench -p tianzhang-tests --bench parcels` (add
//! `TIANZHANG_TEST_POSTGRES_URL=...` to time the import on PostgreSQL as well). Figures are
//! printed for comparison with a peer run on the same machine; docs/benchmarks.md has ours.

// A benchmark fails loudly on set-up errors; that is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use tianzhang_server::campaigns::model::CampaignSpec;
use tianzhang_server::campaigns::repo as campaigns_repo;
use tianzhang_server::db::{Database, DatabaseUrl, DbError};
use tianzhang_server::demo::generate::{self, ParcelSpec};
use tianzhang_server::demo::{self as demo_data};
use tianzhang_server::parcels::geodesy::SourceCrs;
use tianzhang_server::parcels::import::read::{self, ReadOptions};
use tianzhang_server::parcels::import::{self, ImportOptions, ImportOutcome, ImportSource};
use tianzhang_server::parcels::index::ParcelIndex;
use tianzhang_server::parcels::repo;
use tianzhang_tests::TestDb;
use tianzhang_tests::parcels::ZONE_39_PRJ;
use tianzhang_tests::shapefile::{Layer, Shape, field};

const PARCELS: usize = 100_000;
const LOOKUPS: usize = 1_000_000;

#[tokio::main]
async fn main() {
    let parcels = generate::synthetic_parcels(7, PARCELS);
    let folder = tempfile::tempdir().unwrap();
    let shp = write_shapefile(&parcels, folder.path());
    let size_mb = std::fs::metadata(&shp).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!(
        "parcels benchmark: {PARCELS} parcels, a {size_mb:.0} MB GBK Shapefile in EPSG:4527, {} cores",
        cores()
    );

    let sqlite_dir = tempfile::tempdir().unwrap();
    let sqlite = DatabaseUrl::sqlite_in(sqlite_dir.path());
    let db = import_bench("sqlite", &sqlite, &shp).await;
    lookup_bench(&db, &parcels).await;

    if std::env::var(tianzhang_tests::db::POSTGRES_URL_VAR).is_ok_and(|v| !v.is_empty()) {
        let test_db = TestDb::new().await;
        import_bench("postgres", &DatabaseUrl::parse(&test_db.url()), &shp).await;
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The parcels as a county would hand them out: Gauss-Krüger zone 39, GBK attributes.
fn write_shapefile(parcels: &[ParcelSpec], folder: &std::path::Path) -> std::path::PathBuf {
    let zone = SourceCrs::from_epsg(4527).unwrap();
    let mut layer = Layer::new(
        encoding_rs::GBK,
        vec![
            field("图斑编号", b'C', 24, 0),
            field("ZLDWDM", b'C', 19, 0),
            field("来源", b'C', 12, 0),
            field("地类", b'C', 12, 0),
            field("问题类型", b'C', 40, 0),
            field("TBMJ", b'N', 14, 2),
        ],
    )
    .cpg("GBK")
    .prj(ZONE_39_PRJ);
    for parcel in parcels {
        // Shapefile exteriors run clockwise.
        let ring: Vec<(f64, f64)> = parcel
            .polygon
            .iter()
            .rev()
            .map(|&(lon, lat)| zone.to_xy(lon, lat))
            .collect();
        let location = format!("{}0000000", parcel.village_code);
        let area = format!("{:.2}", parcel.declared_area.square_metres());
        layer = layer.record(
            Shape::Polygon(vec![ring]),
            &[
                &parcel.patch_code,
                &location,
                parcel.source_list.chinese_name(),
                if parcel.land_class.as_str() == "permanent_basic_farmland" {
                    "永久基本农田"
                } else {
                    "一般耕地"
                },
                &parcel.problem_type,
                &area,
            ],
        );
    }
    layer.write(folder, "tb")
}

async fn import_bench(backend: &str, url: &DatabaseUrl, shp: &std::path::Path) -> Database {
    let db = Database::connect(url, 4).unwrap();
    db.migrate().await.unwrap();
    // The demo's regions and campaign; its 2,510 parcels are in another campaign.
    demo_data::load_into_empty(&db).await.unwrap();
    let spec = CampaignSpec {
        name: "benchmark".to_owned(),
        county_code: "360124".to_owned(),
        phases: Vec::new(),
        deadlines: Vec::new(),
        targets: Vec::new(),
        field_mapping: None,
    };
    let campaign = db
        .write(move |conn| campaigns_repo::add(conn, &spec).map_err(|e| anyhow::anyhow!("{e}")))
        .await
        .unwrap();

    for run in ["first import", "same list again"] {
        let started = Instant::now();
        let dataset = read::read_path(shp, &ReadOptions::default(), &mut |_, _| {}).unwrap();
        let read_s = started.elapsed().as_secs_f64();
        let source = ImportSource {
            dataset,
            file_name: "tb.shp".to_owned(),
            file_sha256: String::new(),
        };
        let options = ImportOptions {
            imported_by: "bench".to_owned(),
            ..ImportOptions::default()
        };
        let report = import::import(&db, campaign.clone(), source, options)
            .await
            .unwrap();
        assert_eq!(
            report.outcome,
            ImportOutcome::Imported,
            "{:?}",
            report.problems.first()
        );
        let total_s = started.elapsed().as_secs_f64();
        println!(
            "import {backend:<8} {run:<16} {:>8.0} parcels/s end to end ({total_s:.2} s: read {read_s:.2} s, check and write {:.2} s; {} new, {} unchanged)",
            PARCELS as f64 / total_s,
            total_s - read_s,
            report.created,
            report.unchanged,
        );
    }
    db
}

/// A deterministic stream of numbers in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

async fn lookup_bench(db: &Database, parcels: &[ParcelSpec]) {
    let started = Instant::now();
    let generation = db
        .read(|conn| repo::current_generation(conn).map_err(DbError::from))
        .await
        .unwrap();
    let rows = db
        .read(move |conn| repo::changed_between(conn, 0, generation).map_err(DbError::from))
        .await
        .unwrap();
    let index = ParcelIndex::build(rows, generation).unwrap();
    println!(
        "index    {} parcels loaded and indexed in {:.2} s",
        index.len(),
        started.elapsed().as_secs_f64()
    );

    // Half the points near a parcel's first vertex (as photos are), half anywhere in the county.
    let mut random = Lcg(42);
    let points: Vec<(f64, f64)> = (0..LOOKUPS)
        .map(|i| {
            if i % 2 == 0 {
                let p = &parcels[(random.next() * parcels.len() as f64) as usize];
                let (lon, lat) = p.polygon[0];
                (
                    lon + (random.next() - 0.5) * 0.001,
                    lat + (random.next() - 0.5) * 0.001,
                )
            } else {
                (116.03 + random.next() * 0.55, 28.10 + random.next() * 0.62)
            }
        })
        .collect();

    let started = Instant::now();
    let hits: usize = points
        .iter()
        .map(|&(lon, lat)| index.containing(lon, lat, |_| true).count())
        .sum();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "lookup   point in parcel   {:>10.0} lookups/s on one core ({LOOKUPS} points, {hits} hits)",
        LOOKUPS as f64 / seconds
    );

    let near: Vec<(f64, f64)> = points.iter().step_by(2).take(100_000).copied().collect();
    let started = Instant::now();
    let found = near
        .iter()
        .filter(|&&(lon, lat)| {
            let located = index.locate(lon, lat, |_| true);
            !located.containing.is_empty() || located.nearest.is_some()
        })
        .count();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "lookup   containing or nearest {:>6.0} lookups/s on one core ({} points, {found} answered)",
        near.len() as f64 / seconds,
        near.len()
    );
}
