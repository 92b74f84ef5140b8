//! Listing parcels by scope, one parcel, and the parcel under a point.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tianzhang_server::auth::Role;
use tianzhang_server::demo::{self, DemoLoad};
use tianzhang_tests::fixtures::{NEIGHBOUR_VILLAGE, OTHER_TOWNSHIP, TOWNSHIP};
use tianzhang_tests::parcels::{
    app_with_parcels, create_campaign, nine_parcels, outflow_list, slot,
};
use tianzhang_tests::shapefile::{zip, zip_entries};
use tianzhang_tests::{TestApp, Tokens, expect_problem};

fn codes(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["patch_code"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn each_role_sees_the_parcels_of_its_region() {
    let (app, admin, _) = app_with_parcels().await;
    let (_, chief) = app.signed_in(Role::FieldChief).await;
    let (_, reviewer) = app.signed_in(Role::TownshipReviewer).await;
    let (_, auditor) = app.signed_in(Role::CountyAuditor).await;
    assert_eq!(
        codes(&app.get_json("/api/v1/parcels", &chief.access_token).await),
        ["P1", "P2", "P3"]
    );
    assert_eq!(
        codes(
            &app.get_json("/api/v1/parcels", &reviewer.access_token)
                .await
        )
        .len(),
        6
    );
    assert_eq!(
        codes(&app.get_json("/api/v1/parcels", &auditor.access_token).await).len(),
        9
    );
    assert_eq!(
        codes(&app.get_json("/api/v1/parcels", &admin.access_token).await).len(),
        9
    );

    let other = app
        .get_json("/api/v1/parcels?village=360124101201", &admin.access_token)
        .await;
    let hidden_id = other["items"][0]["id"].as_str().unwrap();
    let response = app
        .authed(
            Method::GET,
            &format!("/api/v1/parcels/{hidden_id}"),
            &chief.access_token,
        )
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    let outside = app
        .authed(
            Method::GET,
            &format!("/api/v1/parcels?township={OTHER_TOWNSHIP}"),
            &reviewer.access_token,
        )
        .send()
        .await
        .unwrap();
    expect_problem(outside, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn filters_sorting_and_pages() {
    let (app, admin, campaign) = app_with_parcels().await;
    let token = &admin.access_token;
    let village = app
        .get_json(
            &format!("/api/v1/parcels?village={NEIGHBOUR_VILLAGE}"),
            token,
        )
        .await;
    assert_eq!(codes(&village), ["P4", "P5", "P6"]);
    let township = app
        .get_json(
            &format!("/api/v1/parcels?township={TOWNSHIP}&campaign={campaign}"),
            token,
        )
        .await;
    assert_eq!(codes(&township).len(), 6);
    let basic = app
        .get_json("/api/v1/parcels?land_class=permanent_basic_farmland", token)
        .await;
    assert_eq!(codes(&basic), ["P1", "P3", "P5", "P7", "P9"]);
    let satellite = app
        .get_json("/api/v1/parcels?source=satellite_enforcement", token)
        .await;
    assert!(codes(&satellite).is_empty());
    let overdue = app.get_json("/api/v1/parcels?overdue=true", token).await;
    assert_eq!(codes(&overdue).len(), 9, "due 2023-08-25");
    let mismatched = app
        .get_json("/api/v1/parcels?sort=-patch_code", token)
        .await;
    assert_eq!(codes(&mismatched)[0], "P9");

    for sort in [
        "patch_code",
        "-patch_code",
        "measured_area",
        "-measured_area",
        "updated_at",
        "-updated_at",
    ] {
        let whole = codes(
            &app.get_json(&format!("/api/v1/parcels?sort={sort}"), token)
                .await,
        )
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        for size in [1, 2, 4, 9] {
            let mut paged = Vec::new();
            let mut path = format!("/api/v1/parcels?sort={sort}&limit={size}");
            loop {
                let page = app.get_json(&path, token).await;
                paged.extend(codes(&page).into_iter().map(str::to_owned));
                match page["next_cursor"].as_str() {
                    Some(cursor) => {
                        path = format!("/api/v1/parcels?sort={sort}&limit={size}&cursor={cursor}")
                    }
                    None => break,
                }
            }
            assert_eq!(paged, whole, "sort {sort}, pages of {size}");
        }
    }
    let bad_sort = app
        .authed(Method::GET, "/api/v1/parcels?sort=colour", token)
        .send()
        .await
        .unwrap();
    expect_problem(bad_sort, StatusCode::BAD_REQUEST, "invalid_query").await;
}

#[tokio::test]
async fn parcels_come_as_geojson_when_asked() {
    let (app, admin, _) = app_with_parcels().await;
    let response = app
        .authed(Method::GET, "/api/v1/parcels?limit=2", &admin.access_token)
        .header("accept", "application/geo+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let collection: Value = response.json().await.unwrap();
    assert_eq!(collection["type"], "FeatureCollection");
    let feature = &collection["features"][0];
    assert_eq!(feature["type"], "Feature");
    assert_eq!(feature["properties"]["patch_code"], "P1");
    assert_eq!(feature["geometry"]["type"], "MultiPolygon");
    let ring = feature["geometry"]["coordinates"][0][0].as_array().unwrap();
    assert_eq!(ring.len(), 5);
    let lon = ring[0][0].as_f64().unwrap();
    assert!((116.2..116.4).contains(&lon), "{lon}");
    assert!(collection["next_cursor"].is_string());
}

/// The longitude/latitude of a point `dx`, `dy` metres from slot `i`'s corner.
fn lon_lat(i: usize, dx: f64, dy: f64) -> (f64, f64) {
    let (x, y) = slot(i);
    tianzhang_server::parcels::geodesy::SourceCrs::from_epsg(4527)
        .unwrap()
        .to_lon_lat(x + dx, y + dy)
}

#[tokio::test]
async fn locate_finds_the_parcel_under_a_point_or_the_nearest() {
    let (app, _, _) = app_with_parcels().await;
    let (_, chief) = app.signed_in(Role::FieldChief).await;
    let (lon, lat) = lon_lat(1, 50.0, 50.0);
    let inside = app
        .get_json(
            &format!("/api/v1/parcels/locate?lon={lon}&lat={lat}"),
            &chief.access_token,
        )
        .await;
    assert_eq!(inside["containing"][0]["patch_code"], "P2");
    assert!(inside["nearest"].is_null());

    let (lon, lat) = lon_lat(1, 150.0, 50.0);
    let between = app
        .get_json(
            &format!("/api/v1/parcels/locate?lon={lon}&lat={lat}"),
            &chief.access_token,
        )
        .await;
    assert!(between["containing"].as_array().unwrap().is_empty());
    let nearest = &between["nearest"];
    assert_eq!(nearest["parcel"]["patch_code"], "P2");
    let distance = nearest["distance_m"].as_f64().unwrap();
    assert!((distance - 50.0).abs() < 0.5, "{distance}");

    // Slot 4 is a neighbouring village's parcel: the chief is pointed to their own instead.
    let (lon, lat) = lon_lat(4, 50.0, 50.0);
    let elsewhere = app
        .get_json(
            &format!("/api/v1/parcels/locate?lon={lon}&lat={lat}"),
            &chief.access_token,
        )
        .await;
    assert!(elsewhere["containing"].as_array().unwrap().is_empty());
    assert_eq!(elsewhere["nearest"]["parcel"]["patch_code"], "P3");

    let bad = app
        .authed(
            Method::GET,
            "/api/v1/parcels/locate?lon=200&lat=28",
            &chief.access_token,
        )
        .send()
        .await
        .unwrap();
    expect_problem(bad, StatusCode::BAD_REQUEST, "invalid_query").await;
}

#[tokio::test]
async fn an_import_on_one_instance_is_seen_by_the_next_lookup_on_another() {
    let first = TestApp::spawn().await;
    let second = TestApp::builder().sharing_database_of(&first).spawn().await;
    let (_, auditor) = second.signed_in(Role::CountyAuditor).await;
    let (lon, lat) = lon_lat(0, 50.0, 50.0);
    let path = format!("/api/v1/parcels/locate?lon={lon}&lat={lat}");
    let before = second.get_json(&path, &auditor.access_token).await;
    assert!(before["containing"].as_array().unwrap().is_empty());

    let campaign = create_campaign(&first, "2023 整改").await;
    let (_, admin) = first.signed_in(Role::Admin).await;
    let body = zip(&zip_entries(&outflow_list(nine_parcels()), "", "tb"));
    first
        .upload_list(&admin.access_token, &campaign, "", "application/zip", body)
        .await;
    let after = second.get_json(&path, &auditor.access_token).await;
    assert_eq!(after["containing"][0]["patch_code"], "P1");
}

#[tokio::test]
async fn the_demo_loads_jinxian_2023_with_its_real_totals() {
    let app = TestApp::builder().spawn().await;
    let DemoLoad::Loaded { users, parcels } = demo::load_into_empty(&app.state.db).await.unwrap()
    else {
        panic!("the demo loads into an empty database");
    };
    assert_eq!(parcels, 2510);
    assert!(matches!(
        demo::load_into_empty(&app.state.db).await.unwrap(),
        DemoLoad::Skipped
    ));

    let auditor = users
        .iter()
        .find(|u| u.role == Role::CountyAuditor)
        .unwrap();
    let login: Tokens = app
        .try_login(&auditor.username, &auditor.password)
        .await
        .json()
        .await
        .unwrap();
    let mut count = 0;
    let mut hundredths = 0_i64;
    let mut path = "/api/v1/parcels?source=farmland_outflow&limit=2000".to_owned();
    loop {
        let page = app.get_json(&path, &login.access_token).await;
        for parcel in page["items"].as_array().unwrap() {
            count += 1;
            hundredths += (parcel["declared_area_mu"].as_f64().unwrap() * 100.0).round() as i64;
            assert_eq!(parcel["area_mismatch"], false);
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/v1/parcels?source=farmland_outflow&limit=2000&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(count, 2220);
    assert_eq!(hundredths, 398_079, "3,980.79 mu");

    let townships = app
        .get_json("/api/v1/regions?level=township", &login.access_token)
        .await;
    let names: Vec<&str> = townships["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 21);
    assert!(names.contains(&"民和镇") && names.contains(&"经开区"));
    let campaigns = app.get_json("/api/v1/campaigns", &login.access_token).await;
    assert_eq!(
        campaigns[0]["targets"][0]["source_list"],
        "farmland_outflow"
    );
}
