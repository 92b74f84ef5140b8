//! The access-token verifier accepts exactly the tokens the server signs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tianzhang_server::auth::Role;
use tianzhang_server::auth::keys;
use tianzhang_server::config::Secret;
use tianzhang_tests::{TestApp, expect_problem};

const SECRET: &str = "a test signing secret of at least 32 bytes";

async fn app_with_known_secret() -> TestApp {
    let app = TestApp::builder()
        .config(|c| c.auth.signing_secret = Some(Secret::new(SECRET)))
        .spawn()
        .await;
    app.seed_regions().await;
    app
}

/// The claims and `kid` of a token the server signed, to forge variants of it.
fn decode_parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let header = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    let claims = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    (
        serde_json::from_slice(&header).unwrap(),
        serde_json::from_slice(&claims).unwrap(),
    )
}

fn sign(algorithm: Algorithm, kid: Option<&str>, claims: &Value, secret: &str) -> String {
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.authed(Method::GET, "/api/v1/me", token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn tokens_carry_iss_aud_exp_and_kid() {
    let app = TestApp::spawn().await;
    let (user, tokens) = app.signed_in(Role::FieldChief).await;
    let (header, claims) = decode_parts(&tokens.access_token);
    assert_eq!(header["alg"], "HS256");
    assert!(header["kid"].as_str().is_some_and(|kid| !kid.is_empty()));
    assert_eq!(claims["iss"], "tianzhang");
    assert_eq!(claims["aud"], "tianzhang-api");
    assert_eq!(claims["sub"], user.id.as_str());
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 900);
}

#[tokio::test]
async fn a_correctly_forged_token_is_accepted_as_a_control() {
    let app = app_with_known_secret().await;
    let (_, tokens) = app.signed_in(Role::FieldChief).await;
    let (header, claims) = decode_parts(&tokens.access_token);
    let kid = header["kid"].as_str().unwrap();
    let resigned = sign(Algorithm::HS256, Some(kid), &claims, SECRET);
    assert_eq!(me_status(&app, &resigned).await, StatusCode::OK);
}

#[tokio::test]
async fn the_verifier_refuses_every_kind_of_bad_token() {
    let app = app_with_known_secret().await;
    let (_, tokens) = app.signed_in(Role::FieldChief).await;
    let (header, claims) = decode_parts(&tokens.access_token);
    let kid = header["kid"].as_str().unwrap();
    let now = Utc::now().timestamp();

    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
    );
    let other_algorithm = sign(Algorithm::HS512, Some(kid), &claims, SECRET);
    let wrong_secret = sign(
        Algorithm::HS256,
        Some(kid),
        &claims,
        "another secret of at least 32 bytes!!",
    );
    let mut tampered = tokens.access_token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let mut escalated = claims.clone();
    escalated["role"] = json!("admin");
    let escalated_unsigned = {
        let mut parts: Vec<&str> = tokens.access_token.split('.').collect();
        let body = URL_SAFE_NO_PAD.encode(escalated.to_string());
        parts[1] = &body;
        parts.join(".")
    };
    let with = |key: &str, value: Value| {
        let mut changed = claims.clone();
        changed[key] = value;
        sign(Algorithm::HS256, Some(kid), &changed, SECRET)
    };
    let without_kid = sign(Algorithm::HS256, None, &claims, SECRET);
    let unknown_kid = sign(Algorithm::HS256, Some("no-such-key"), &claims, SECRET);

    let cases = [
        ("alg none", alg_none),
        ("another algorithm", other_algorithm),
        ("another secret", wrong_secret),
        ("tampered signature", tampered),
        ("escalated claims", escalated_unsigned),
        ("wrong audience", with("aud", json!("someone-else"))),
        ("wrong issuer", with("iss", json!("someone-else"))),
        ("expired", with("exp", json!(now - 3600))),
        ("no kid", without_kid),
        ("unknown kid", unknown_kid),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (case, token) in cases {
        let response = app
            .authed(Method::GET, "/api/v1/me", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{case}");
        expect_problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
}

#[tokio::test]
async fn requests_without_a_bearer_token_are_401() {
    let app = TestApp::spawn().await;
    let missing = app.request(Method::GET, "/api/v1/me").send().await.unwrap();
    expect_problem(missing, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let basic = app
        .request(Method::GET, "/api/v1/me")
        .header("authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .unwrap();
    expect_problem(basic, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn instances_on_one_database_share_keys_and_survive_a_rotation() {
    let first = TestApp::spawn().await;
    let (_, before) = first.signed_in(Role::CountyAuditor).await;
    let (before_header, _) = decode_parts(&before.access_token);

    // A second instance, started later on the same database, accepts the first one's tokens.
    let second = TestApp::builder().sharing_database_of(&first).spawn().await;
    assert_eq!(
        me_status(&second, &before.access_token).await,
        StatusCode::OK
    );

    // Rotate, as `tianzhang keys rotate` does, then start a third instance: it signs with
    // the new key, and still accepts tokens of the retired one until they expire.
    first
        .state
        .db
        .write(|conn| keys::rotate(conn).map_err(anyhow::Error::from))
        .await
        .unwrap();
    let third = TestApp::builder().sharing_database_of(&first).spawn().await;
    let auditor = third.create_user(Role::CountyAuditor, None).await;
    let after = third.login(&auditor).await;
    let (after_header, _) = decode_parts(&after.access_token);
    assert_ne!(before_header["kid"], after_header["kid"]);
    assert_eq!(
        me_status(&third, &before.access_token).await,
        StatusCode::OK
    );
    // The first instance has never seen the new key: it looks it up on first sight (at most
    // once per reload interval, so wait that long for a deterministic test).
    tokio::time::sleep(keys::UNKNOWN_KID_RELOAD_INTERVAL).await;
    assert_eq!(me_status(&first, &after.access_token).await, StatusCode::OK);
}

#[tokio::test]
async fn a_key_retired_longer_than_a_token_lifetime_no_longer_verifies() {
    let first = TestApp::spawn().await;
    let (_, tokens) = first.signed_in(Role::FieldChief).await;
    first
        .state
        .db
        .write(|conn| {
            use diesel::prelude::*;
            use tianzhang_server::db::schema::signing_keys;
            keys::rotate(conn)?;
            let long_ago = Utc::now().naive_utc() - chrono::Duration::days(1);
            diesel::update(signing_keys::table.filter(signing_keys::retired_at.is_not_null()))
                .set(signing_keys::retired_at.eq(long_ago))
                .execute(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .unwrap();
    let later = TestApp::builder().sharing_database_of(&first).spawn().await;
    assert_eq!(
        me_status(&later, &tokens.access_token).await,
        StatusCode::UNAUTHORIZED
    );
}
