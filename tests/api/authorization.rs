//! Every endpoint against every role: the whole authorization table in one place.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tianzhang_server::auth::Role;
use tianzhang_tests::fixtures::{OTHER_VILLAGE, VILLAGE};
use tianzhang_tests::parcels::create_campaign;
use tianzhang_tests::{TestApp, Tokens};

/// Who calls: nobody, or a signed-in user of a role in the role's fixture region.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anonymous,
    As(Role),
}

const EVERYONE: [Who; 5] = [
    Who::Anonymous,
    Who::As(Role::FieldChief),
    Who::As(Role::TownshipReviewer),
    Who::As(Role::CountyAuditor),
    Who::As(Role::Admin),
];

struct Endpoint {
    method: Method,
    path: String,
    body: Option<Value>,
    /// Extra request headers (tus's).
    headers: Vec<(&'static str, String)>,
    /// The expected status for [anonymous, field chief, reviewer, auditor, admin].
    expected: [u16; 5],
}

fn endpoint(method: Method, path: &str, body: Option<Value>, expected: [u16; 5]) -> Endpoint {
    Endpoint {
        method,
        path: path.to_owned(),
        body,
        headers: Vec::new(),
        expected,
    }
}

/// A tus request (`Tus-Resumable: 1.0.0`) with more headers.
fn tus(
    method: Method,
    path: &str,
    headers: &[(&'static str, String)],
    expected: [u16; 5],
) -> Endpoint {
    let mut all = vec![("tus-resumable", "1.0.0".to_owned())];
    all.extend_from_slice(headers);
    Endpoint {
        headers: all,
        ..endpoint(method, path, None, expected)
    }
}

#[tokio::test]
async fn every_role_against_every_endpoint() {
    let app = TestApp::spawn().await;
    let mut tokens: Vec<(Who, Option<Tokens>)> = Vec::new();
    for who in EVERYONE {
        let t = match who {
            Who::Anonymous => None,
            Who::As(role) => Some(app.signed_in(role).await.1),
        };
        tokens.push((who, t));
    }
    let target = app.create_user(Role::FieldChief, Some(OTHER_VILLAGE)).await;
    let campaign = create_campaign(&app, "matrix").await;
    let list = json!({
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": {"patch_code": "M-1", "village_code": VILLAGE, "source_list": "restoration", "land_class": "一般耕地"},
            "geometry": {"type": "Polygon", "coordinates": [[[116.30, 28.40], [116.301, 28.40], [116.301, 28.401], [116.30, 28.401], [116.30, 28.40]]]}
        }]
    });
    let admin = tokens.last().and_then(|(_, t)| t.clone()).unwrap();
    let imported = app
        .authed(
            Method::POST,
            &format!("/api/v1/campaigns/{campaign}/imports"),
            &admin.access_token,
        )
        .json(&list)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), StatusCode::OK);
    let page: Value = app.get_json("/api/v1/parcels", &admin.access_token).await;
    let parcel = page["items"][0]["id"].as_str().unwrap().to_owned();
    let device = uuid::Uuid::now_v7();
    // An upload of the field chief's own, for the tus rows.
    let chief = tokens[1].1.clone().unwrap();
    let photo_hash = format!("sha256:{}", "ab".repeat(32));
    let upload_metadata = format!("sha256 {}", STANDARD.encode(&photo_hash));
    let created = app
        .authed(Method::POST, "/api/v1/uploads", &chief.access_token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", "1000")
        .header("upload-metadata", &upload_metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let upload = created.headers()["location"].to_str().unwrap().to_owned();

    let table = [
        endpoint(Method::GET, "/healthz", None, [200; 5]),
        endpoint(Method::GET, "/readyz", None, [200; 5]),
        endpoint(Method::GET, "/metrics", None, [200; 5]),
        endpoint(Method::GET, "/api/v1/openapi.json", None, [200; 5]),
        endpoint(Method::GET, "/api/v1/me", None, [401, 200, 200, 200, 200]),
        endpoint(
            Method::GET,
            "/api/v1/regions",
            None,
            [401, 200, 200, 200, 200],
        ),
        // The field chief's own village: visible to everyone above it.
        endpoint(
            Method::GET,
            &format!("/api/v1/regions/{VILLAGE}"),
            None,
            [401, 200, 200, 200, 200],
        ),
        // Another township's village: hidden (404) from the chief and the reviewer.
        endpoint(
            Method::GET,
            &format!("/api/v1/regions/{OTHER_VILLAGE}"),
            None,
            [401, 404, 404, 200, 200],
        ),
        endpoint(
            Method::PATCH,
            &format!("/api/v1/regions/{VILLAGE}"),
            Some(json!({"name": "改名村"})),
            [401, 403, 403, 403, 200],
        ),
        endpoint(
            Method::POST,
            "/api/v1/regions",
            Some(json!({"code": "360199", "name": "新县"})),
            [401, 403, 403, 403, 201],
        ),
        endpoint(
            Method::GET,
            "/api/v1/users",
            None,
            [401, 403, 403, 403, 200],
        ),
        endpoint(
            Method::GET,
            &format!("/api/v1/users/{}", target.id),
            None,
            [401, 403, 403, 403, 200],
        ),
        endpoint(
            Method::PATCH,
            &format!("/api/v1/users/{}", target.id),
            Some(json!({"display_name": "李田长"})),
            [401, 403, 403, 403, 200],
        ),
        endpoint(
            Method::POST,
            "/api/v1/users",
            Some(
                json!({"username": "matrix-new", "password": "a good long password", "role": "admin"}),
            ),
            [401, 403, 403, 403, 201],
        ),
        endpoint(
            Method::GET,
            "/api/v1/campaigns",
            None,
            [401, 200, 200, 200, 200],
        ),
        endpoint(
            Method::GET,
            &format!("/api/v1/campaigns/{campaign}"),
            None,
            [401, 200, 200, 200, 200],
        ),
        endpoint(
            Method::POST,
            "/api/v1/campaigns",
            Some(json!({"name": "new", "county_code": "360124", "phases": []})),
            [401, 403, 403, 403, 201],
        ),
        // A dry run, so that every allowed call sees the same database.
        endpoint(
            Method::POST,
            &format!("/api/v1/campaigns/{campaign}/imports?dry_run=true"),
            Some(list.clone()),
            [401, 403, 403, 403, 200],
        ),
        endpoint(
            Method::GET,
            "/api/v1/parcels",
            None,
            [401, 200, 200, 200, 200],
        ),
        endpoint(
            Method::GET,
            &format!("/api/v1/parcels/{parcel}"),
            None,
            [401, 200, 200, 200, 200],
        ),
        endpoint(
            Method::GET,
            "/api/v1/parcels/locate?lon=116.3005&lat=28.4005",
            None,
            [401, 200, 200, 200, 200],
        ),
        endpoint(
            Method::GET,
            &format!("/api/v1/parcels/{parcel}/attributes"),
            None,
            [401, 200, 200, 200, 200],
        ),
        // Photos: every role sees those of its region (tests/photos/access.rs has a photo).
        endpoint(
            Method::GET,
            &format!("/api/v1/parcels/{parcel}/photos"),
            None,
            [401, 200, 200, 200, 200],
        ),
        endpoint(
            Method::GET,
            &format!("/api/v1/photos/{}", uuid::Uuid::now_v7()),
            None,
            [401, 404, 404, 404, 404],
        ),
        endpoint(
            Method::GET,
            "/api/v1/sync/info",
            None,
            [401, 200, 200, 200, 200],
        ),
        // Everyone may register a device; the first to register an id owns it.
        endpoint(
            Method::POST,
            "/api/v1/sync/devices",
            Some(json!({"protocol": 1, "device_id": device})),
            [401, 200, 409, 409, 409],
        ),
        // Field chiefs and reviewers push field records, each from their own devices only;
        // auditors and admins do not write in the field.
        endpoint(
            Method::POST,
            "/api/v1/sync/push",
            Some(json!({"protocol": 1, "device_id": device, "mutations": []})),
            [401, 200, 409, 403, 403],
        ),
        endpoint(
            Method::GET,
            "/api/v1/sync/pull",
            None,
            [401, 200, 200, 200, 200],
        ),
        // Only reviewers decide; the submission does not exist.
        endpoint(
            Method::POST,
            "/api/v1/reviews",
            Some(
                json!({"submission_id": uuid::Uuid::now_v7(), "manifest_hash": "sha256:00", "decision": "approved"}),
            ),
            [401, 403, 404, 403, 403],
        ),
        // Photo uploads (tus): anyone may ask what the server speaks; field chiefs and
        // reviewers upload; an upload is its creator's alone (404 to anyone else).
        endpoint(Method::OPTIONS, "/api/v1/uploads", None, [204; 5]),
        tus(
            Method::POST,
            "/api/v1/uploads",
            &[
                ("upload-length", "1000".to_owned()),
                ("upload-metadata", upload_metadata.clone()),
            ],
            [401, 201, 201, 403, 403],
        ),
        endpoint(
            Method::POST,
            "/api/v1/uploads/missing",
            Some(json!({"hashes": [photo_hash]})),
            [401, 200, 200, 403, 403],
        ),
        tus(Method::HEAD, &upload, &[], [401, 200, 404, 403, 403]),
        // An empty chunk at the right offset changes nothing.
        tus(
            Method::PATCH,
            &upload,
            &[
                ("upload-offset", "0".to_owned()),
                ("content-type", "application/offset+octet-stream".to_owned()),
            ],
            [401, 204, 404, 403, 403],
        ),
        // Last: the owner's DELETE removes it.
        tus(Method::DELETE, &upload, &[], [401, 204, 404, 403, 403]),
    ];

    let mut failures = Vec::new();
    for endpoint in &table {
        for (i, (who, tokens)) in tokens.iter().enumerate() {
            let mut request = app.request(endpoint.method.clone(), &endpoint.path);
            if let Some(tokens) = tokens {
                request = request.bearer_auth(&tokens.access_token);
            }
            if let Some(body) = &endpoint.body {
                request = request.json(body);
            }
            for (name, value) in &endpoint.headers {
                request = request.header(*name, value);
            }
            let status = request.send().await.unwrap().status();
            if status != StatusCode::from_u16(endpoint.expected[i]).unwrap() {
                failures.push(format!(
                    "{} {} as {who:?}: expected {}, got {status}",
                    endpoint.method, endpoint.path, endpoint.expected[i]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
