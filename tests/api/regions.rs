//! `/api/v1/regions`: everyone sees their part of the tree; admins shape it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tianzhang_server::auth::Role;
use tianzhang_tests::fixtures::{
    COUNTY, NEIGHBOUR_VILLAGE, OTHER_TOWNSHIP, OTHER_VILLAGE, TOWNSHIP, VILLAGE,
};
use tianzhang_tests::{TestApp, expect_problem};

async fn visible_codes(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let page: Value = app
        .get_json(&format!("/api/v1/regions{query}"), token)
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_role_sees_its_own_subtree() {
    let app = TestApp::spawn().await;
    let everything = [
        COUNTY,
        TOWNSHIP,
        VILLAGE,
        NEIGHBOUR_VILLAGE,
        OTHER_TOWNSHIP,
        OTHER_VILLAGE,
    ];
    let expectations: [(Role, &[&str]); 4] = [
        (Role::FieldChief, &[VILLAGE]),
        (
            Role::TownshipReviewer,
            &[TOWNSHIP, VILLAGE, NEIGHBOUR_VILLAGE],
        ),
        (Role::CountyAuditor, &everything),
        (Role::Admin, &everything),
    ];
    for (role, expected) in expectations {
        let (_, tokens) = app.signed_in(role).await;
        let mut codes = visible_codes(&app, &tokens.access_token, "").await;
        codes.sort();
        let mut expected: Vec<&str> = expected.to_vec();
        expected.sort_unstable();
        assert_eq!(codes, expected, "{role}");
    }
}

#[tokio::test]
async fn regions_outside_the_scope_do_not_exist_for_the_caller() {
    let app = TestApp::spawn().await;
    let (_, reviewer) = app.signed_in(Role::TownshipReviewer).await;
    let own = app
        .authed(
            Method::GET,
            &format!("/api/v1/regions/{VILLAGE}"),
            &reviewer.access_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    let region: Value = own.json().await.unwrap();
    assert_eq!(region["level"], "village");
    assert_eq!(region["parent_code"], TOWNSHIP);
    for code in [OTHER_VILLAGE, COUNTY, "999999999"] {
        let response = app
            .authed(
                Method::GET,
                &format!("/api/v1/regions/{code}"),
                &reviewer.access_token,
            )
            .send()
            .await
            .unwrap();
        expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn filters_and_pages_concatenate_to_the_whole_list() {
    let app = TestApp::spawn().await;
    let (_, auditor) = app.signed_in(Role::CountyAuditor).await;
    let villages = visible_codes(&app, &auditor.access_token, "?level=village").await;
    assert_eq!(villages, [VILLAGE, NEIGHBOUR_VILLAGE, OTHER_VILLAGE]);
    let children = visible_codes(&app, &auditor.access_token, &format!("?parent={COUNTY}")).await;
    assert_eq!(children, [TOWNSHIP, OTHER_TOWNSHIP]);

    let all = visible_codes(&app, &auditor.access_token, "").await;
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("/api/v1/regions?limit=2&cursor={c}"),
            None => "/api/v1/regions?limit=2".to_owned(),
        };
        let page: Value = app.get_json(&query, &auditor.access_token).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        paged.extend(items.iter().map(|r| r["code"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, all);
}

#[tokio::test]
async fn admins_build_the_tree_and_levels_follow_from_parents() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let create = |body: Value| {
        app.authed(Method::POST, "/api/v1/regions", &admin.access_token)
            .json(&body)
            .send()
    };
    let township = create(json!({"code": "360124102", "name": "长山晏乡", "parent_code": COUNTY}))
        .await
        .unwrap();
    assert_eq!(township.status(), StatusCode::CREATED);
    let township: Value = township.json().await.unwrap();
    assert_eq!(township["level"], "township");
    assert_eq!(township["path"], "/360124/360124102/");

    let village =
        create(json!({"code": "360124102201", "name": "晏村", "parent_code": "360124102"}))
            .await
            .unwrap();
    assert_eq!(village.json::<Value>().await.unwrap()["level"], "village");

    let below_village =
        create(json!({"code": "3601241022011", "name": "组", "parent_code": "360124102201"}))
            .await
            .unwrap();
    expect_problem(
        below_village,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let duplicate = create(json!({"code": COUNTY, "name": "again"}))
        .await
        .unwrap();
    expect_problem(duplicate, StatusCode::CONFLICT, "region_exists").await;
    let unknown_parent = create(json!({"code": "360124999", "name": "x", "parent_code": "111111"}))
        .await
        .unwrap();
    expect_problem(
        unknown_parent,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let bad = create(json!({"code": "12ab", "name": ""})).await.unwrap();
    let body = expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["code", "name"]);
}

#[tokio::test]
async fn admins_rename_regions() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let response = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/regions/{TOWNSHIP}"),
            &admin.access_token,
        )
        .json(&json!({"name": "民和镇（新）"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap()["name"],
        "民和镇（新）"
    );
    let missing = app
        .authed(Method::PATCH, "/api/v1/regions/999999", &admin.access_token)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    expect_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn a_township_scoped_admin_cannot_reach_outside_the_township() {
    let app = TestApp::spawn().await;
    let admin = app.create_user(Role::Admin, Some(TOWNSHIP)).await;
    let tokens = app.login(&admin).await;
    let inside = app
        .authed(Method::POST, "/api/v1/regions", &tokens.access_token)
        .json(&json!({"code": "360124100203", "name": "新村", "parent_code": TOWNSHIP}))
        .send()
        .await
        .unwrap();
    assert_eq!(inside.status(), StatusCode::CREATED);
    let outside = app
        .authed(Method::POST, "/api/v1/regions", &tokens.access_token)
        .json(&json!({"code": "360124101203", "name": "外村", "parent_code": OTHER_TOWNSHIP}))
        .send()
        .await
        .unwrap();
    expect_problem(outside, StatusCode::FORBIDDEN, "forbidden").await;
    let county = app
        .authed(Method::POST, "/api/v1/regions", &tokens.access_token)
        .json(&json!({"code": "360125", "name": "东乡区"}))
        .send()
        .await
        .unwrap();
    expect_problem(county, StatusCode::FORBIDDEN, "forbidden").await;
}
