//! Sync fixtures: raw protocol calls over HTTP with the wire types of `tianzhang-sync`, and
//! records to push.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tianzhang_sync::messages::{
    Change, DeviceState, PullResponse, PushRequest, PushResponse, RegisterDevice,
};
use tianzhang_sync::mutation::{Mutation, MutationBody};
use tianzhang_sync::records::{Claim, Photo, Position, PositionCrs, Submission, Visit};
use uuid::Uuid;

use tianzhang_server::auth::Role;

use crate::{TestApp, Tokens};

/// Registers a device; asserts success.
pub async fn register(app: &TestApp, token: &str, device: Uuid) -> DeviceState {
    let response = app
        .authed(Method::POST, "/api/v1/sync/devices", token)
        .json(&RegisterDevice {
            protocol: 1,
            device_id: device,
            name: "test phone".into(),
        })
        .send()
        .await
        .expect("register request");
    assert_eq!(response.status(), StatusCode::OK, "register");
    response.json().await.expect("device state")
}

/// Sends a push and returns the raw response.
pub async fn send_push(
    app: &TestApp,
    token: &str,
    device: Uuid,
    mutations: &[Mutation],
) -> reqwest::Response {
    app.authed(Method::POST, "/api/v1/sync/push", token)
        .json(&PushRequest {
            protocol: 1,
            device_id: device,
            mutations: mutations.to_vec(),
        })
        .send()
        .await
        .expect("push request")
}

/// Pushes; asserts success.
pub async fn push(
    app: &TestApp,
    token: &str,
    device: Uuid,
    mutations: &[Mutation],
) -> PushResponse {
    let response = send_push(app, token, device, mutations).await;
    assert_eq!(response.status(), StatusCode::OK, "push");
    response.json().await.expect("push response")
}

/// One pull; asserts success.
pub async fn pull_page(
    app: &TestApp,
    token: &str,
    cursor: Option<&str>,
    limit: u32,
    device: Option<Uuid>,
) -> PullResponse {
    let mut query = vec![("limit", limit.to_string())];
    if let Some(cursor) = cursor {
        query.push(("cursor", cursor.to_owned()));
    }
    if let Some(device) = device {
        query.push(("device_id", device.to_string()));
    }
    let response = app
        .authed(Method::GET, "/api/v1/sync/pull", token)
        .query(&query)
        .send()
        .await
        .expect("pull request");
    assert_eq!(response.status(), StatusCode::OK, "pull");
    response.json().await.expect("pull response")
}

/// Pulls from `cursor` to the end in pages of `limit`; returns the changes and the last cursor.
pub async fn pull_all(
    app: &TestApp,
    token: &str,
    cursor: Option<&str>,
    limit: u32,
) -> (Vec<Change>, String) {
    let mut cursor = cursor.map(str::to_owned);
    let mut changes = Vec::new();
    loop {
        let page = pull_page(app, token, cursor.as_deref(), limit, None).await;
        assert!(page.changes.len() <= limit as usize);
        changes.extend(page.changes);
        cursor = Some(page.next_cursor);
        if !page.has_more {
            break;
        }
    }
    (changes, cursor.unwrap_or_default())
}

/// The latest state of each record in a list of changes, as a device would hold it.
pub fn materialise(changes: &[Change]) -> HashMap<(String, String), Value> {
    let mut state = HashMap::new();
    for change in changes {
        let key = (change.kind.as_str().to_owned(), change.id.clone());
        match &change.data {
            Some(data) => {
                state.insert(key, data.clone());
            }
            None => {
                state.remove(&key);
            }
        }
    }
    state
}

/// Parcel ids by patch code, as an admin sees them.
pub async fn parcel_ids(app: &TestApp, admin_token: &str) -> HashMap<String, String> {
    let page = app.get_json("/api/v1/parcels?limit=100", admin_token).await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| {
            (
                p["patch_code"].as_str().expect("code").to_owned(),
                p["id"].as_str().expect("id").to_owned(),
            )
        })
        .collect()
}

/// Numbers mutations for one device, from 1.
#[derive(Debug, Default)]
pub struct Outbox {
    next_seq: u64,
}

impl Outbox {
    pub fn mutation(&mut self, body: MutationBody) -> Mutation {
        self.next_seq += 1;
        body.into_mutation(Uuid::now_v7(), self.next_seq, Some(field_time()))
    }
}

pub fn field_time() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2023-08-02T09:15:00+08:00").expect("valid time")
}

pub fn visit(parcel_id: &str) -> Visit {
    Visit {
        id: Uuid::now_v7(),
        parcel_id: parcel_id.to_owned(),
        visited_at: field_time(),
        position: Some(Position {
            lon: 116.3,
            lat: 28.4,
            accuracy_m: Some(4.5),
            crs: PositionCrs::Wgs84,
            mock_location: false,
        }),
        note: "已翻耕".into(),
        supersedes: None,
    }
}

pub fn photo(parcel_id: &str, visit_id: Option<Uuid>, fill: char) -> Photo {
    Photo {
        id: Uuid::now_v7(),
        parcel_id: parcel_id.to_owned(),
        visit_id,
        sha256: format!("sha256:{}", fill.to_string().repeat(64)),
        size_bytes: 2_400_000,
        media_type: "image/jpeg".into(),
        taken_at: field_time(),
        position: None,
        heading_deg: Some(90.0),
        pitch_deg: None,
        supersedes: None,
    }
}

pub fn submission(parcel_id: &str, photo_ids: Vec<Uuid>) -> Submission {
    Submission {
        id: Uuid::now_v7(),
        parcel_id: parcel_id.to_owned(),
        claim: Claim::Restored,
        work_done: "拆除违建，复耕种植".into(),
        crop: Some("水稻".into()),
        restored_area_mu: Some(1.5),
        visit_ids: Vec::new(),
        photo_ids,
        supersedes: None,
        decision_seen: None,
    }
}

/// A user of `role` in the role's fixture region, signed in, with a registered device.
pub async fn signed_in_device(app: &TestApp, role: Role) -> (Tokens, Uuid) {
    let (_, tokens) = app.signed_in(role).await;
    let device = Uuid::now_v7();
    register(app, &tokens.access_token, device).await;
    (tokens, device)
}
