//! Every endpoint against every role: the whole authorization table in one place.

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
    /// The expected status for [anonymous, field chief, reviewer, auditor, admin].
    expected: [u16; 5],
}

fn endpoint(method: Method, path: &str, body: Option<Value>, expected: [u16; 5]) -> Endpoint {
    Endpoint {
        method,
        path: path.to_owned(),
        body,
        expected,
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
