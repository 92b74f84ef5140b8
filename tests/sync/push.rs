//! Push: idempotent, ordered per device, one outcome per mutation.

use reqwest::StatusCode;
use serde_json::json;
use tianzhang_server::auth::Role;
use tianzhang_sync::messages::{OutcomeStatus, RecordKind, RejectReason};
use tianzhang_sync::mutation::{Mutation, MutationBody};
use tianzhang_tests::expect_problem;
use tianzhang_tests::parcels::app_with_parcels;
use tianzhang_tests::sync::{
    Outbox, materialise, parcel_ids, pull_all, push, register, send_push, signed_in_device, visit,
};
use uuid::Uuid;

fn visits(state: &std::collections::HashMap<(String, String), serde_json::Value>) -> usize {
    state.keys().filter(|(kind, _)| kind == "visit").count()
}

#[tokio::test]
async fn a_replayed_push_returns_the_stored_outcomes_and_applies_nothing_twice() {
    let (app, admin, _) = app_with_parcels().await;
    let ids = parcel_ids(&app, &admin.access_token).await;
    let (_, chief) = app.signed_in(Role::FieldChief).await;
    let device = Uuid::now_v7();
    assert_eq!(
        register(&app, &chief.access_token, device)
            .await
            .expected_seq,
        1
    );
    let mut outbox = Outbox::default();
    let batch: Vec<Mutation> = ["P1", "P2", "P1"]
        .iter()
        .map(|code| outbox.mutation(MutationBody::CreateVisit(visit(&ids[*code]))))
        .collect();

    let first = push(&app, &chief.access_token, device, &batch).await;
    assert_eq!(first.acked_through_seq, 3);
    assert_eq!(first.expected_seq, 4);
    assert!(
        first
            .outcomes
            .iter()
            .all(|o| o.status == OutcomeStatus::Applied)
    );
    let (changes, _) = pull_all(&app, &chief.access_token, None, 100).await;

    // The response was lost: the phone sends the same batch again, twice.
    for _ in 0..2 {
        let again = push(&app, &chief.access_token, device, &batch).await;
        assert_eq!(again, first);
    }
    // A partial replay with one new mutation: only the new one is applied.
    let mut tail = batch[1..].to_vec();
    tail.push(outbox.mutation(MutationBody::CreateVisit(visit(&ids["P3"]))));
    let extended = push(&app, &chief.access_token, device, &tail).await;
    assert_eq!(extended.acked_through_seq, 4);
    assert_eq!(extended.outcomes[..2], first.outcomes[1..]);

    let (after, _) = pull_all(&app, &chief.access_token, None, 100).await;
    assert_eq!(visits(&materialise(&changes)), 3);
    assert_eq!(visits(&materialise(&after)), 4);
}

#[tokio::test]
async fn a_gap_stops_the_push_and_names_the_expected_number() {
    let (app, admin, _) = app_with_parcels().await;
    let ids = parcel_ids(&app, &admin.access_token).await;
    let (chief, device) = signed_in_device(&app, Role::FieldChief).await;
    let mut outbox = Outbox::default();
    let all: Vec<Mutation> = (0..4)
        .map(|_| outbox.mutation(MutationBody::CreateVisit(visit(&ids["P1"]))))
        .collect();
    // Mutation 2 was lost on the way: 1, 3, 4 arrive.
    let response = push(
        &app,
        &chief.access_token,
        device,
        &[all[0].clone(), all[2].clone(), all[3].clone()],
    )
    .await;
    assert!(response.stopped_at_gap);
    assert_eq!(response.acked_through_seq, 1);
    assert_eq!(response.expected_seq, 2);
    assert_eq!(response.outcomes.len(), 1);
    let resumed = push(&app, &chief.access_token, device, &all[1..]).await;
    assert!(!resumed.stopped_at_gap);
    assert_eq!(resumed.acked_through_seq, 4);
}

#[tokio::test]
async fn an_invalid_mutation_is_rejected_with_its_reason_and_never_blocks_the_next() {
    let (app, admin, _) = app_with_parcels().await;
    let ids = parcel_ids(&app, &admin.access_token).await;
    let (chief, device) = signed_in_device(&app, Role::FieldChief).await;
    let mut outbox = Outbox::default();
    let mut unknown_kind = outbox.mutation(MutationBody::CreateVisit(visit(&ids["P1"])));
    unknown_kind.kind = "visit.delete".into();
    let mut malformed = outbox.mutation(MutationBody::CreateVisit(visit(&ids["P1"])));
    malformed.record = json!({"id": "not a uuid"});
    let mut out_of_range = visit(&ids["P1"]);
    out_of_range.position.as_mut().unwrap().lat = 123.0;
    let batch = vec![
        unknown_kind,
        malformed,
        outbox.mutation(MutationBody::CreateVisit(out_of_range)),
        // P4 is in the neighbour village: outside this chief's scope.
        outbox.mutation(MutationBody::CreateVisit(visit(&ids["P4"]))),
        outbox.mutation(MutationBody::CreateVisit(visit("no-such-parcel"))),
        outbox.mutation(MutationBody::CreateVisit(visit(&ids["P2"]))),
    ];
    let response = push(&app, &chief.access_token, device, &batch).await;
    let reasons: Vec<_> = response.outcomes.iter().map(|o| o.reason).collect();
    assert_eq!(
        reasons,
        vec![
            Some(RejectReason::UnsupportedKind),
            Some(RejectReason::InvalidRecord),
            Some(RejectReason::InvalidRecord),
            Some(RejectReason::ParcelNotFound),
            Some(RejectReason::ParcelNotFound),
            None,
        ]
    );
    assert!(
        response.outcomes[..5]
            .iter()
            .all(|o| o.status == OutcomeStatus::Rejected
                && o.message.as_deref().is_some_and(|m| !m.is_empty()))
    );
    assert_eq!(response.outcomes[5].status, OutcomeStatus::Applied);
    assert_eq!(response.acked_through_seq, 6);
    // Rejections are stored like any outcome: a replay gets them back unchanged.
    assert_eq!(
        push(&app, &chief.access_token, device, &batch).await,
        response
    );
}

#[tokio::test]
async fn a_device_that_lost_its_registration_resends_under_a_new_one_without_double_effects() {
    let (app, admin, _) = app_with_parcels().await;
    let ids = parcel_ids(&app, &admin.access_token).await;
    let (chief, old_device) = signed_in_device(&app, Role::FieldChief).await;
    let mut old = Outbox::default();
    let sent: Vec<Mutation> = (0..2)
        .map(|_| old.mutation(MutationBody::CreateVisit(visit(&ids["P1"]))))
        .collect();
    let first = push(&app, &chief.access_token, old_device, &sent).await;

    // The phone lost its registration (and the response): it registers a new device id and
    // re-sends its outbox, renumbered, with the same mutation ids, plus a new mutation.
    let new_device = Uuid::now_v7();
    register(&app, &chief.access_token, new_device).await;
    let mut renumbered: Vec<Mutation> = sent
        .iter()
        .enumerate()
        .map(|(i, m)| Mutation {
            device_seq: i as u64 + 1,
            ..m.clone()
        })
        .collect();
    let mut new = Outbox::default();
    new.mutation(MutationBody::CreateVisit(visit(&ids["P1"])));
    new.mutation(MutationBody::CreateVisit(visit(&ids["P1"])));
    renumbered.push(new.mutation(MutationBody::CreateVisit(visit(&ids["P2"]))));
    let response = push(&app, &chief.access_token, new_device, &renumbered).await;
    assert_eq!(response.acked_through_seq, 3);
    assert_eq!(response.outcomes[..2], first.outcomes[..]);
    let (changes, _) = pull_all(&app, &chief.access_token, None, 100).await;
    assert_eq!(visits(&materialise(&changes)), 3);
}

#[tokio::test]
async fn devices_are_bound_to_their_user() {
    let (app, admin, _) = app_with_parcels().await;
    let ids = parcel_ids(&app, &admin.access_token).await;
    let (_, chief) = app.signed_in(Role::FieldChief).await;
    let (_, other) = app.signed_in(Role::FieldChief).await;
    let device = Uuid::now_v7();
    let mut outbox = Outbox::default();
    let batch = vec![outbox.mutation(MutationBody::CreateVisit(visit(&ids["P1"])))];
    expect_problem(
        send_push(&app, &chief.access_token, device, &batch).await,
        StatusCode::CONFLICT,
        "device_unknown",
    )
    .await;
    register(&app, &chief.access_token, device).await;
    // Registering again is harmless; another user cannot take the id or push for it.
    register(&app, &chief.access_token, device).await;
    let taken = app
        .authed(
            reqwest::Method::POST,
            "/api/v1/sync/devices",
            &other.access_token,
        )
        .json(&json!({"protocol": 1, "device_id": device}))
        .send()
        .await
        .unwrap();
    expect_problem(taken, StatusCode::CONFLICT, "device_taken").await;
    expect_problem(
        send_push(&app, &other.access_token, device, &batch).await,
        StatusCode::CONFLICT,
        "device_unknown",
    )
    .await;
    let response = push(&app, &chief.access_token, device, &batch).await;
    assert_eq!(response.outcomes[0].status, OutcomeStatus::Applied);
    // A mutation id taken by another user's mutation is refused, not applied.
    let other_device = Uuid::now_v7();
    register(&app, &other.access_token, other_device).await;
    let stolen = push(&app, &other.access_token, other_device, &batch).await;
    assert_eq!(stolen.outcomes[0].reason, Some(RejectReason::IdReused));
}

#[tokio::test]
async fn protocol_versions_batch_sizes_and_roles_are_enforced() {
    let (app, admin, _) = app_with_parcels().await;
    let (_, chief) = app.signed_in(Role::FieldChief).await;
    let (_, auditor) = app.signed_in(Role::CountyAuditor).await;
    let device = Uuid::now_v7();
    register(&app, &chief.access_token, device).await;
    let response = app
        .authed(
            reqwest::Method::POST,
            "/api/v1/sync/push",
            &chief.access_token,
        )
        .json(&json!({"protocol": 99, "device_id": device, "mutations": []}))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "unsupported_protocol").await;
    let too_many: Vec<Mutation> = {
        let mut outbox = Outbox::default();
        (0..501)
            .map(|_| outbox.mutation(MutationBody::CreateVisit(visit("p"))))
            .collect()
    };
    expect_problem(
        send_push(&app, &chief.access_token, device, &too_many).await,
        StatusCode::BAD_REQUEST,
        "too_many_mutations",
    )
    .await;
    // Auditors and admins read; they do not push field records.
    for token in [&auditor.access_token, &admin.access_token] {
        register(&app, token, Uuid::now_v7()).await;
        expect_problem(
            send_push(&app, token, device, &[]).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let info = app.get_json("/api/v1/sync/info", &chief.access_token).await;
    assert_eq!(info["protocol"], json!({"min": 1, "max": 1}));
    assert_eq!(info["max_push_mutations"], 500);
    let _ = RecordKind::ALL;
}
