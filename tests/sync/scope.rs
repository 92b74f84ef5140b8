//! Scope changes: records follow a parcel moved to another village, and a user moved to
//! another village starts over, without losing anything unsent.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tianzhang_server::auth::Role;
use tianzhang_sync::messages::{ChangeOp, RecordKind};
use tianzhang_sync::mutation::MutationBody;
use tianzhang_sync::records::{AttributeEdit, AttributeField};
use tianzhang_tests::fixtures::NEIGHBOUR_VILLAGE;
use tianzhang_tests::parcels::{LIST_VILLAGES, app_with_parcels, import_rows, nine_parcels};
use tianzhang_tests::sync::{
    Outbox, materialise, parcel_ids, pull_all, pull_page, push, register, visit,
};
use uuid::Uuid;

#[tokio::test]
async fn a_parcel_moved_to_another_village_takes_its_records_along() {
    let (app, admin, campaign) = app_with_parcels().await;
    let ids = parcel_ids(&app, &admin.access_token).await;
    let p1 = ids["P1"].clone();
    let (_, chief) = app.signed_in(Role::FieldChief).await;
    let neighbour = app
        .create_user(Role::FieldChief, Some(NEIGHBOUR_VILLAGE))
        .await;
    let neighbour = app.login(&neighbour).await;
    let (_, reviewer) = app.signed_in(Role::TownshipReviewer).await;
    let device = Uuid::now_v7();
    register(&app, &chief.access_token, device).await;
    let mut outbox = Outbox::default();
    let recorded = visit(&p1);
    let edit = AttributeEdit {
        parcel_id: p1.clone(),
        base_seq: 0,
        fields: [(AttributeField::Crop, Some("水稻".to_owned()))].into(),
    };
    push(
        &app,
        &chief.access_token,
        device,
        &[
            outbox.mutation(MutationBody::CreateVisit(recorded.clone())),
            outbox.mutation(MutationBody::SetAttributes(edit)),
        ],
    )
    .await;
    let (mine, my_cursor) = pull_all(&app, &chief.access_token, None, 100).await;
    let (theirs, their_cursor) = pull_all(&app, &neighbour.access_token, None, 100).await;
    let (township, township_cursor) = pull_all(&app, &reviewer.access_token, None, 100).await;

    // A corrected list puts P1 in the neighbour village.
    let mut rows = nine_parcels();
    rows[0].village = LIST_VILLAGES[1];
    import_rows(&app, &admin, &campaign, rows).await;

    // The neighbour receives P1 with its visit and attributes, though they are older than
    // the neighbour's cursor.
    let (gained, _) = pull_all(&app, &neighbour.access_token, Some(&their_cursor), 100).await;
    let gained_keys: Vec<(RecordKind, ChangeOp)> = gained.iter().map(|c| (c.kind, c.op)).collect();
    for kind in [
        RecordKind::Parcel,
        RecordKind::Visit,
        RecordKind::Attributes,
    ] {
        assert!(
            gained_keys.contains(&(kind, ChangeOp::Put)),
            "{kind:?} arrives: {gained_keys:?}"
        );
    }
    // The chief loses them: removals, never silence.
    let (lost, _) = pull_all(&app, &chief.access_token, Some(&my_cursor), 100).await;
    let removed: Vec<(RecordKind, &str)> = lost
        .iter()
        .filter(|c| c.op == ChangeOp::Remove)
        .map(|c| (c.kind, c.id.as_str()))
        .collect();
    let visit_id = recorded.id.to_string();
    assert!(removed.contains(&(RecordKind::Parcel, p1.as_str())));
    assert!(removed.contains(&(RecordKind::Visit, visit_id.as_str())));
    assert!(removed.contains(&(RecordKind::Attributes, p1.as_str())));

    // Every device ends where a fresh pull of its scope ends.
    let mut all_mine = mine;
    all_mine.extend(lost);
    let mut all_theirs = theirs;
    all_theirs.extend(gained);
    let (more, _) = pull_all(&app, &reviewer.access_token, Some(&township_cursor), 100).await;
    let mut all_township = township;
    all_township.extend(more);
    for (token, incremental) in [
        (&chief.access_token, &all_mine),
        (&neighbour.access_token, &all_theirs),
        (&reviewer.access_token, &all_township),
    ] {
        let (fresh, _) = pull_all(&app, token, None, 100).await;
        assert_eq!(materialise(incremental), materialise(&fresh));
    }
    assert!(materialise(&all_township).contains_key(&("visit".to_owned(), visit_id)));
}

#[tokio::test]
async fn a_user_moved_to_another_village_starts_over_and_keeps_pushing() {
    let (app, admin, _) = app_with_parcels().await;
    let ids = parcel_ids(&app, &admin.access_token).await;
    let (user, chief) = app.signed_in(Role::FieldChief).await;
    let device = Uuid::now_v7();
    register(&app, &chief.access_token, device).await;
    let (_, cursor) = pull_all(&app, &chief.access_token, None, 100).await;

    let response = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/users/{}", user.id),
            &admin.access_token,
        )
        .json(&json!({"region_code": NEIGHBOUR_VILLAGE}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let chief = app.login(&user).await;

    let page = pull_page(&app, &chief.access_token, Some(&cursor), 100, Some(device)).await;
    assert!(page.reset, "the old village's records must be dropped");
    let parcels: Vec<&str> = page
        .changes
        .iter()
        .filter(|c| c.kind == RecordKind::Parcel)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(parcels, [&ids["P4"], &ids["P5"], &ids["P6"]]);
    // The device keeps its registration and its numbering: the outbox goes on.
    let mut outbox = Outbox::default();
    let pushed = push(
        &app,
        &chief.access_token,
        device,
        &[outbox.mutation(MutationBody::CreateVisit(visit(&ids["P4"])))],
    )
    .await;
    assert_eq!(pushed.acked_through_seq, 1);
}
