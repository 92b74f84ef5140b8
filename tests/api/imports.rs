//! Importing parcel lists over the API: checked as a whole, idempotent, history kept.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tianzhang_server::auth::Role;
use tianzhang_tests::fixtures::VILLAGE;
use tianzhang_tests::parcels::{Row, create_campaign, outflow_list, square_parcel};
use tianzhang_tests::shapefile::{Shape, zip, zip_entries};
use tianzhang_tests::{TestApp, Tokens, expect_problem};

/// 民和村's code as the 19-digit 坐落单位代码 of a 三调 layer.
const VILLAGE_LOCATION_CODE: &str = "3601241002010000000";

fn row(
    code: &'static str,
    village: &'static str,
    land: &'static str,
    area: &'static str,
    slot: usize,
) -> Row {
    Row {
        code,
        village,
        land_class: land,
        area_m2: area,
        shape: square_parcel(slot),
    }
}

fn three_parcels() -> Vec<Row> {
    vec![
        row("LC-0001", VILLAGE_LOCATION_CODE, "永久基本农田", "10000", 0),
        // By name instead of code, and declaring twice its real area.
        row("LC-0002", "新光村", "一般耕地", "20000", 1),
        row("LC-0003", "白圩村", "一般耕地", "10000", 2),
    ]
}

fn zipped(rows: Vec<Row>) -> Vec<u8> {
    zip(&zip_entries(&outflow_list(rows), "图斑/", "流出图斑"))
}

async fn upload(
    app: &TestApp,
    admin: &Tokens,
    campaign: &str,
    body: Vec<u8>,
    query: &str,
) -> reqwest::Response {
    app.upload_list(
        &admin.access_token,
        campaign,
        query,
        "application/zip",
        body,
    )
    .await
}

/// A report's (created, updated, unchanged).
fn counts(report: &Value) -> (u64, u64, u64) {
    let count = |key: &str| report[key].as_u64().unwrap();
    (count("created"), count("updated"), count("unchanged"))
}

async fn parcel_codes(app: &TestApp, token: &str) -> Vec<String> {
    let page: Value = app.get_json("/api/v1/parcels", token).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["patch_code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_gbk_shapefile_in_gauss_kruger_imports_and_measures_in_mu() {
    let app = TestApp::spawn().await;
    let campaign = create_campaign(&app, "2023 整改").await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let response = upload(&app, &admin, &campaign, zipped(three_parcels()), "").await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["outcome"], "imported");
    assert_eq!(report["source_crs"], "EPSG:4527");
    assert_eq!(report["text_encoding"], "GBK");
    assert_eq!(report["created"], 3);
    assert_eq!(report["columns"]["patch_code"], "图斑编号");
    assert_eq!(report["columns"]["village"], "ZLDWDM");
    // LC-0002 declares 30 mu for a 15 mu square: flagged, not refused.
    assert_eq!(report["area_mismatches"].as_array().unwrap().len(), 1);
    assert_eq!(report["area_mismatches"][0]["patch_code"], "LC-0002");

    let page: Value = app.get_json("/api/v1/parcels", &admin.access_token).await;
    let first = &page["items"][0];
    assert_eq!(first["patch_code"], "LC-0001");
    assert_eq!(first["village_code"], VILLAGE);
    assert_eq!(first["source_list"], "farmland_outflow");
    assert_eq!(first["land_class"], "permanent_basic_farmland");
    assert_eq!(first["problem_type"], "耕地改林地");
    assert_eq!(
        first["deadline"], "2023-08-25",
        "the campaign's deadline for the list"
    );
    assert_eq!(first["overdue"], true);
    // A 100 m grid square 68.6 km from the central meridian is 0.99988 ha on the ellipsoid.
    assert_eq!(first["measured_area_mu"], 15.0);
    assert_eq!(first["declared_area_mu"], 15.0);
    assert_eq!(first["area_mismatch"], false);
}

#[tokio::test]
async fn importing_again_changes_nothing_and_a_corrected_list_is_recorded() {
    let app = TestApp::spawn().await;
    let campaign = create_campaign(&app, "2023 整改").await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    upload(&app, &admin, &campaign, zipped(three_parcels()), "").await;
    let again: Value = upload(&app, &admin, &campaign, zipped(three_parcels()), "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counts(&again), (0, 0, 3));

    let mut corrected = three_parcels();
    corrected[0].land_class = "一般耕地";
    corrected.push(row(
        "LC-0004",
        VILLAGE_LOCATION_CODE,
        "一般耕地",
        "10000",
        3,
    ));
    let report: Value = upload(&app, &admin, &campaign, zipped(corrected), "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counts(&report), (1, 1, 2));

    let page: Value = app
        .get_json("/api/v1/parcels?limit=1", &admin.access_token)
        .await;
    let id = page["items"][0]["id"].as_str().unwrap();
    let detail: Value = app
        .get_json(&format!("/api/v1/parcels/{id}"), &admin.access_token)
        .await;
    assert_eq!(detail["version"], 2);
    assert_eq!(detail["land_class"], "general_farmland");
    let change = &detail["history"][0];
    assert_eq!(change["version"], 2);
    assert_eq!(change["import_id"], report["import_id"]);
    assert_eq!(
        change["changes"]["land_class"]["from"],
        "permanent_basic_farmland"
    );
    assert_eq!(change["changes"]["land_class"]["to"], "general_farmland");
    assert_eq!(change["changes"]["attributes"]["to"]["地类"], "一般耕地");
    assert_eq!(detail["geometry"]["type"], "MultiPolygon");
    assert_eq!(detail["attributes"]["图斑编号"], "LC-0001");
}

#[tokio::test]
async fn a_list_with_problems_is_refused_whole_with_every_problem_reported() {
    let app = TestApp::spawn().await;
    let campaign = create_campaign(&app, "2023 整改").await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    upload(&app, &admin, &campaign, zipped(three_parcels()), "").await;

    let bow_tie = {
        let (x, y) = tianzhang_tests::parcels::slot(5);
        Shape::Polygon(vec![vec![
            (x, y),
            (x + 100.0, y + 100.0),
            (x + 100.0, y),
            (x, y + 100.0),
            (x, y),
        ]])
    };
    let rows = vec![
        row("LC-0001", VILLAGE_LOCATION_CODE, "一般耕地", "10000", 0),
        row("LC-0010", "无名村", "一般耕地", "10000", 4),
        Row {
            code: "LC-0011",
            village: "新光村",
            land_class: "一般耕地",
            area_m2: "10000",
            shape: bow_tie,
        },
        row("LC-0010", "新光村", "一般耕地", "10000", 6),
        row("", "新光村", "一般耕地", "10000", 7),
        row("LC-0012", "新光村", "水田", "10000", 8),
    ];
    let response = upload(&app, &admin, &campaign, zipped(rows), "").await;
    let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "import_refused").await;
    let report = &body["report"];
    assert_eq!(report["outcome"], "refused");
    let problems: Vec<(u64, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["feature"].as_u64().unwrap(), p["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            (2, "village"),
            (3, "geometry"),
            (4, "patch_code"),
            (5, "patch_code"),
            (6, "land_class")
        ],
        "{report}"
    );
    assert_eq!(report["problems"][0]["patch_code"], "LC-0010");
    // Nothing changed: LC-0001 keeps its land class, nothing was added.
    assert_eq!(
        parcel_codes(&app, &admin.access_token).await,
        ["LC-0001", "LC-0002", "LC-0003"]
    );
}

#[tokio::test]
async fn a_dry_run_compares_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let campaign = create_campaign(&app, "2023 整改").await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let report: Value = upload(
        &app,
        &admin,
        &campaign,
        zipped(three_parcels()),
        "?dry_run=true",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(report["outcome"], "dry_run");
    assert_eq!(report["created"], 3);
    assert!(report["import_id"].is_null());
    assert!(parcel_codes(&app, &admin.access_token).await.is_empty());
}

#[tokio::test]
async fn a_shapefile_without_prj_needs_the_crs_named() {
    let app = TestApp::spawn().await;
    let campaign = create_campaign(&app, "2023 整改").await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let entries: Vec<(Vec<u8>, Vec<u8>)> = zip_entries(&outflow_list(three_parcels()), "", "tb")
        .into_iter()
        .filter(|(name, _)| !name.ends_with(b".prj"))
        .collect();
    let refused = upload(&app, &admin, &campaign, zip(&entries), "").await;
    let body = expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "import_refused").await;
    assert_eq!(body["report"]["problems"][0]["field"], "crs");
    assert!(
        body["report"]["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains(".prj")
    );
    let named = upload(&app, &admin, &campaign, zip(&entries), "?crs=4527").await;
    assert_eq!(named.status(), StatusCode::OK);
    // The plain-easting variant of the same zone cannot fit zone-prefixed eastings.
    let wrong = upload(&app, &admin, &campaign, zip(&entries), "?crs=4490").await;
    expect_problem(wrong, StatusCode::UNPROCESSABLE_ENTITY, "import_refused").await;
}

#[tokio::test]
async fn geojson_lists_import_too() {
    let app = TestApp::spawn().await;
    let campaign = create_campaign(&app, "2023 整改").await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let geojson = serde_json::json!({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": [{
            "type": "Feature",
            "properties": {"图斑编号": "WP-1", "村名": "民和村", "source_list": "卫片执法", "land_class": "一般耕地", "问题类型": "违法占地建房"},
            "geometry": {"type": "Polygon", "coordinates": [[[116.30, 28.40], [116.301, 28.40], [116.301, 28.401], [116.30, 28.401], [116.30, 28.40]]]}
        }]
    });
    let response = app
        .upload_list(
            &admin.access_token,
            &campaign,
            "",
            "application/geo+json",
            geojson.to_string().into(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["source_crs"], "EPSG:4490");
    assert_eq!(report["created"], 1);
    let codes = parcel_codes(&app, &admin.access_token).await;
    assert_eq!(codes, ["WP-1"]);
}

#[tokio::test]
async fn bad_uploads_are_refused_clearly() {
    let app = TestApp::spawn().await;
    let campaign = create_campaign(&app, "2023 整改").await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let broken = upload(
        &app,
        &admin,
        &campaign,
        b"PK\x03\x04 not really a zip".to_vec(),
        "",
    )
    .await;
    expect_problem(
        broken,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let text = app
        .upload_list(&admin.access_token, &campaign, "", "text/csv", "a,b".into())
        .await;
    expect_problem(
        text,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let unknown = upload(
        &app,
        &admin,
        "no-such-campaign",
        zipped(three_parcels()),
        "",
    )
    .await;
    expect_problem(unknown, StatusCode::NOT_FOUND, "not_found").await;
    let bad_crs = upload(
        &app,
        &admin,
        &campaign,
        zipped(three_parcels()),
        "?crs=2383",
    )
    .await;
    expect_problem(
        bad_crs,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let (_, reviewer) = app.signed_in(Role::TownshipReviewer).await;
    let forbidden = upload(&app, &reviewer, &campaign, zipped(three_parcels()), "").await;
    expect_problem(forbidden, StatusCode::FORBIDDEN, "forbidden").await;
}

/// More features than one planning chunk (5,000): the first chunks are written before the
/// problem in the last one is found, and the whole import still leaves nothing behind.
#[tokio::test]
async fn a_problem_in_a_late_chunk_rolls_back_the_chunks_already_written() {
    let app = TestApp::spawn().await;
    let campaign = create_campaign(&app, "2023 整改").await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let codes: Vec<&'static str> = (0..5_200).map(|i| &*format!("BIG-{i:05}").leak()).collect();
    let rows: Vec<Row> = codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let (x, y) = (
                39_431_400.0 + 150.0 * (i % 100) as f64,
                3_142_970.0 + 150.0 * (i / 100) as f64,
            );
            Row {
                code,
                village: if i == 5_199 { "无名村" } else { "民和村" },
                land_class: "一般耕地",
                area_m2: "10000",
                shape: Shape::Polygon(vec![vec![
                    (x, y),
                    (x, y + 100.0),
                    (x + 100.0, y + 100.0),
                    (x + 100.0, y),
                    (x, y),
                ]]),
            }
        })
        .collect();
    let response = upload(&app, &admin, &campaign, zipped(rows), "").await;
    let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "import_refused").await;
    assert_eq!(body["report"]["problems"][0]["feature"], 5_200);
    assert!(parcel_codes(&app, &admin.access_token).await.is_empty());
}

#[tokio::test]
async fn a_zip_bomb_is_refused_before_it_unpacks() {
    let app = TestApp::builder()
        .config(|c| c.limits.import_bytes = 64 * 1024)
        .spawn()
        .await;
    app.seed_regions().await;
    let campaign = create_campaign(&app, "2023 整改").await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    // 1 MiB of zeros deflates to about a kilobyte: far below the upload limit, but it would
    // unpack to 16 times what the server allows.
    let bomb = zip(&[
        (b"tb.dbf".to_vec(), vec![0u8; 1 << 20]),
        (b"tb.shp".to_vec(), vec![0u8; 100]),
    ]);
    assert!(bomb.len() < 64 * 1024);
    let response = upload(&app, &admin, &campaign, bomb, "").await;
    let body = expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("limit"),
        "{body}"
    );
    let health = app.request(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_upload_over_the_limit_is_413() {
    let app = TestApp::builder()
        .config(|c| c.limits.import_bytes = 4 * 1024)
        .spawn()
        .await;
    app.seed_regions().await;
    let campaign = create_campaign(&app, "2023 整改").await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let response = upload(&app, &admin, &campaign, vec![7u8; 64 * 1024], "").await;
    expect_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}
