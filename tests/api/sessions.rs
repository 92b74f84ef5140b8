//! Login, refresh-token rotation, logout and `/me`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tianzhang_server::auth::Role;
use tianzhang_tests::fixtures::{COUNTY, TOWNSHIP, VILLAGE};
use tianzhang_tests::{TestApp, Tokens, expect_problem};

async fn refresh(app: &TestApp, refresh_token: &str) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn login_returns_an_oauth_token_response() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::FieldChief, None).await;
    let response = app.try_login(&user.username, &user.password).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Tokens = response.json().await.unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, 900);
    assert_eq!(tokens.access_token.split('.').count(), 3, "a JWT");
    assert!(tokens.refresh_token.len() >= 40);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_look_the_same() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::FieldChief, None).await;
    for (username, password) in [
        (user.username.as_str(), "wrong password"),
        ("nobody", "whatever1"),
    ] {
        let response = app.try_login(username, password).await;
        let body = expect_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
        assert_eq!(body["detail"], "wrong username or password");
    }
}

#[tokio::test]
async fn me_shows_the_user_and_their_region_chain() {
    let app = TestApp::spawn().await;
    let (user, tokens) = app.signed_in(Role::FieldChief).await;
    let me: Value = app.get_json("/api/v1/me", &tokens.access_token).await;
    assert_eq!(me["user"]["id"], user.id.as_str());
    assert_eq!(me["user"]["username"], user.username.as_str());
    assert_eq!(me["user"]["role"], "field_chief");
    assert!(me["user"].get("password_hash").is_none());
    let chain: Vec<&str> = me["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(chain, [COUNTY, TOWNSHIP, VILLAGE]);
    assert_eq!(me["regions"][0]["name"], "进贤县");
}

#[tokio::test]
async fn refresh_rotates_and_the_old_token_stops_working() {
    let app = TestApp::spawn().await;
    let (_, first) = app.signed_in(Role::TownshipReviewer).await;
    let response = refresh(&app, &first.refresh_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: Tokens = response.json().await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    let me = app
        .authed(Method::GET, "/api/v1/me", &second.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    // The second token can be used in turn.
    let third = refresh(&app, &second.refresh_token).await;
    assert_eq!(third.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_replayed_refresh_token_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    let (_, first) = app.signed_in(Role::FieldChief).await;
    let second: Tokens = refresh(&app, &first.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    // Someone replays the first token (a copy): refused, and the family is revoked...
    let replay = refresh(&app, &first.refresh_token).await;
    expect_problem(replay, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    // ...so the legitimate holder's newer token no longer works either.
    let legit = refresh(&app, &second.refresh_token).await;
    expect_problem(legit, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_yield_one_winner() {
    let app = TestApp::spawn().await;
    let (_, tokens) = app.signed_in(Role::FieldChief).await;
    let (a, b) = tokio::join!(
        refresh(&app, &tokens.refresh_token),
        refresh(&app, &tokens.refresh_token)
    );
    let statuses = [a.status(), b.status()];
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_and_is_idempotent() {
    let app = TestApp::spawn().await;
    let (_, tokens) = app.signed_in(Role::CountyAuditor).await;
    for _ in 0..2 {
        let response = app
            .request(Method::POST, "/api/v1/auth/logout")
            .json(&json!({"refresh_token": tokens.refresh_token}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    let after = refresh(&app, &tokens.refresh_token).await;
    expect_problem(after, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    let garbage = refresh(&app, "not-a-token").await;
    expect_problem(garbage, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
}

#[tokio::test]
async fn a_disabled_user_is_stopped_at_the_next_refresh_and_login() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let chief = app.create_user(Role::FieldChief, None).await;
    let tokens = app.login(&chief).await;
    let disable = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/users/{}", chief.id),
            &admin.access_token,
        )
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(disable.status(), StatusCode::OK);
    let refreshed = refresh(&app, &tokens.refresh_token).await;
    expect_problem(refreshed, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    let login = app.try_login(&chief.username, &chief.password).await;
    expect_problem(login, StatusCode::FORBIDDEN, "account_disabled").await;
}

#[tokio::test]
async fn a_user_disabled_in_the_database_alone_is_refused_at_refresh() {
    // Even without the revocation the admin endpoint does, refresh checks the account.
    let app = TestApp::spawn().await;
    let (chief, tokens) = app.signed_in(Role::FieldChief).await;
    let id = chief.id.clone();
    app.state
        .db
        .write(move |conn| {
            use diesel::prelude::*;
            use tianzhang_server::db::schema::users;
            diesel::update(users::table.find(id))
                .set(users::disabled.eq(true))
                .execute(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .unwrap();
    let refreshed = refresh(&app, &tokens.refresh_token).await;
    expect_problem(refreshed, StatusCode::FORBIDDEN, "account_disabled").await;
}

#[tokio::test]
async fn repeated_failures_for_one_user_are_throttled() {
    let app = TestApp::builder()
        .config(|c| c.auth.login_max_failures_per_user = 3)
        .spawn()
        .await;
    app.seed_regions().await;
    let user = app.create_user(Role::FieldChief, None).await;
    for _ in 0..3 {
        let response = app.try_login(&user.username, "guess guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits: the guesser cannot tell which was right.
    let response = app.try_login(&user.username, &user.password).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60, "{retry_after}");
    expect_problem(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    // Another user is not affected.
    let other = app.create_user(Role::FieldChief, None).await;
    app.login(&other).await;
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled_across_usernames() {
    let app = TestApp::builder()
        .config(|c| c.auth.login_max_failures_per_address = 4)
        .spawn()
        .await;
    app.seed_regions().await;
    for i in 0..4 {
        let response = app.try_login(&format!("user{i}"), "guess guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let user = app.create_user(Role::FieldChief, None).await;
    let response = app.try_login(&user.username, &user.password).await;
    expect_problem(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
}

#[tokio::test]
async fn a_successful_login_forgives_earlier_failures() {
    let app = TestApp::builder()
        .config(|c| c.auth.login_max_failures_per_user = 3)
        .spawn()
        .await;
    app.seed_regions().await;
    let user = app.create_user(Role::FieldChief, None).await;
    for _ in 0..3 {
        for _ in 0..2 {
            let response = app.try_login(&user.username, "typo typo").await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        app.login(&user).await;
    }
}
