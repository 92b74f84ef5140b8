//! `/api/v1/users`: account management by admins.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tianzhang_server::auth::Role;
use tianzhang_tests::fixtures::{COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE};
use tianzhang_tests::{TestApp, TestUser, expect_problem};

#[tokio::test]
async fn an_admin_creates_users_whose_region_fits_their_role() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let cases = [
        ("field_chief", Some(VILLAGE), StatusCode::CREATED),
        (
            "field_chief",
            Some(TOWNSHIP),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("township_reviewer", Some(TOWNSHIP), StatusCode::CREATED),
        (
            "township_reviewer",
            Some(COUNTY),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("county_auditor", Some(COUNTY), StatusCode::CREATED),
        ("county_auditor", None, StatusCode::UNPROCESSABLE_ENTITY),
        ("admin", None, StatusCode::CREATED),
        ("admin", Some(TOWNSHIP), StatusCode::CREATED),
        (
            "field_chief",
            Some("111111111111"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (i, (role, region, expected)) in cases.into_iter().enumerate() {
        let response = app
            .authed(Method::POST, "/api/v1/users", &admin.access_token)
            .json(&json!({
                "username": format!("user{i}"), "password": "a good long password",
                "role": role, "region_code": region, "display_name": "王田长"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected, "{role} in {region:?}");
        if expected == StatusCode::CREATED {
            let user: Value = response.json().await.unwrap();
            assert_eq!(user["role"], role);
            assert_eq!(user["display_name"], "王田长");
            assert!(user.get("password_hash").is_none() && user.get("password").is_none());
            // The new account can sign in.
            let login = app
                .try_login(&format!("user{i}"), "a good long password")
                .await;
            assert_eq!(login.status(), StatusCode::OK);
        }
    }
}

#[tokio::test]
async fn usernames_are_unique_and_passwords_have_a_minimum_length() {
    let app = TestApp::spawn().await;
    let (admin_user, admin) = app.signed_in(Role::Admin).await;
    let taken = app
        .authed(Method::POST, "/api/v1/users", &admin.access_token)
        .json(&json!({"username": admin_user.username, "password": "a good long password", "role": "admin"}))
        .send()
        .await
        .unwrap();
    expect_problem(taken, StatusCode::CONFLICT, "username_taken").await;
    let short = app
        .authed(Method::POST, "/api/v1/users", &admin.access_token)
        .json(&json!({"username": "shorty", "password": "short", "role": "admin"}))
        .send()
        .await
        .unwrap();
    let body = expect_problem(short, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "password");
}

#[tokio::test]
async fn admins_list_and_read_users_in_pages() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    for role in [
        Role::FieldChief,
        Role::TownshipReviewer,
        Role::CountyAuditor,
    ] {
        app.create_user(role, None).await;
    }
    let mut names = Vec::new();
    let mut path = "/api/v1/users?limit=2".to_owned();
    loop {
        let page: Value = app.get_json(&path, &admin.access_token).await;
        for user in page["items"].as_array().unwrap() {
            names.push(user["username"].as_str().unwrap().to_owned());
            let one = app
                .authed(
                    Method::GET,
                    &format!("/api/v1/users/{}", user["id"].as_str().unwrap()),
                    &admin.access_token,
                )
                .send()
                .await
                .unwrap();
            assert_eq!(one.status(), StatusCode::OK);
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/users?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(names.len(), 4);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[tokio::test]
async fn a_scoped_admin_sees_and_manages_only_users_in_scope() {
    let app = TestApp::spawn().await;
    let admin = app.create_user(Role::Admin, Some(TOWNSHIP)).await;
    let tokens = app.login(&admin).await;
    let inside = app.create_user(Role::FieldChief, Some(VILLAGE)).await;
    let outside = app.create_user(Role::FieldChief, Some(OTHER_VILLAGE)).await;
    let page: Value = app.get_json("/api/v1/users", &tokens.access_token).await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(names.contains(&inside.username.as_str()));
    assert!(!names.contains(&outside.username.as_str()));
    let hidden = app
        .authed(
            Method::GET,
            &format!("/api/v1/users/{}", outside.id),
            &tokens.access_token,
        )
        .send()
        .await
        .unwrap();
    expect_problem(hidden, StatusCode::NOT_FOUND, "not_found").await;
    let moved_out = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/users/{}", inside.id),
            &tokens.access_token,
        )
        .json(&json!({"region_code": OTHER_VILLAGE}))
        .send()
        .await
        .unwrap();
    expect_problem(moved_out, StatusCode::FORBIDDEN, "forbidden").await;
}

async fn patch(app: &TestApp, token: &str, user: &TestUser, body: Value) -> reqwest::Response {
    app.authed(Method::PATCH, &format!("/api/v1/users/{}", user.id), token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn changing_role_region_and_password() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let chief = app.create_user(Role::FieldChief, None).await;
    let old_session = app.login(&chief).await;

    let promoted = patch(
        &app,
        &admin.access_token,
        &chief,
        json!({"role": "township_reviewer", "region_code": TOWNSHIP}),
    )
    .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    let user: Value = promoted.json().await.unwrap();
    assert_eq!(
        (user["role"].as_str(), user["region_code"].as_str()),
        (Some("township_reviewer"), Some(TOWNSHIP))
    );

    let misfit = patch(
        &app,
        &admin.access_token,
        &chief,
        json!({"role": "field_chief"}),
    )
    .await;
    expect_problem(
        misfit,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    let new_password = patch(
        &app,
        &admin.access_token,
        &chief,
        json!({"password": "a brand new password"}),
    )
    .await;
    assert_eq!(new_password.status(), StatusCode::OK);
    // A new password signs the user out everywhere.
    let refresh = app
        .request(Method::POST, "/api/v1/auth/refresh")
        .json(&json!({"refresh_token": old_session.refresh_token}))
        .send()
        .await
        .unwrap();
    expect_problem(refresh, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    let login = app.try_login(&chief.username, "a brand new password").await;
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_admin_cannot_lock_themselves_out() {
    let app = TestApp::spawn().await;
    let (admin_user, admin) = app.signed_in(Role::Admin).await;
    for body in [
        json!({"disabled": true}),
        json!({"role": "county_auditor", "region_code": COUNTY}),
    ] {
        let response = patch(&app, &admin.access_token, &admin_user, body).await;
        expect_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    let missing = app
        .authed(
            Method::PATCH,
            "/api/v1/users/no-such-id",
            &admin.access_token,
        )
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    expect_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
}
