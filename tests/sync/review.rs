//! Review decisions: bound to a submission's manifest hash, pulled by devices, never changed
//! by late field activity; only a new submission reopens review.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tianzhang_server::auth::Role;
use tianzhang_sync::messages::{
    OutcomeStatus, ParcelData, PhotoData, RecordKind, RejectReason, SubmissionData,
};
use tianzhang_sync::mutation::MutationBody;
use tianzhang_sync::records::{
    AttributeEdit, AttributeField, ParcelStatus, Photo, SubmissionStatus, WithdrawableKind,
    Withdrawal,
};
use tianzhang_tests::parcels::app_with_parcels;
use tianzhang_tests::photos;
use tianzhang_tests::sync::{
    Outbox, materialise, parcel_ids, photo, pull_all, push, register, submission, visit,
};
use tianzhang_tests::{TestApp, Tokens, expect_problem};
use uuid::Uuid;

fn record<T: serde::de::DeserializeOwned>(
    state: &std::collections::HashMap<(String, String), Value>,
    kind: &str,
    id: &str,
) -> T {
    serde_json::from_value(state[&(kind.to_owned(), id.to_owned())].clone()).unwrap()
}

async fn decide(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.authed(Method::POST, "/api/v1/reviews", token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn state_of(
    app: &TestApp,
    tokens: &Tokens,
) -> std::collections::HashMap<(String, String), Value> {
    materialise(&pull_all(app, &tokens.access_token, None, 1000).await.0)
}

#[tokio::test]
async fn a_decision_binds_to_the_manifest_and_late_field_work_only_raises_a_flag() {
    let (app, admin, _) = app_with_parcels().await;
    let p1 = parcel_ids(&app, &admin.access_token).await["P1"].clone();
    let (_, chief) = app.signed_in(Role::FieldChief).await;
    let (_, reviewer) = app.signed_in(Role::TownshipReviewer).await;
    let device = Uuid::now_v7();
    register(&app, &chief.access_token, device).await;
    let mut outbox = Outbox::default();
    let seen = visit(&p1);
    let jpeg = photos::photo(64, 48, 1, 30);
    let shot = Photo {
        sha256: jpeg.hash.clone(),
        ..photo(&p1, Some(seen.id), 'a')
    };
    let claim = submission(&p1, vec![shot.id]);
    let response = push(
        &app,
        &chief.access_token,
        device,
        &[
            outbox.mutation(MutationBody::CreateVisit(seen)),
            outbox.mutation(MutationBody::CreatePhoto(shot.clone())),
            outbox.mutation(MutationBody::CreateSubmission(claim.clone())),
        ],
    )
    .await;
    assert!(
        response
            .outcomes
            .iter()
            .all(|o| o.status == OutcomeStatus::Applied)
    );

    // The photo's file has not arrived: the submission waits, visibly, and cannot be decided.
    let state = state_of(&app, &reviewer).await;
    let parcel: ParcelData = record(&state, "parcel", &p1);
    assert_eq!(parcel.status, ParcelStatus::Submitted);
    let waiting: SubmissionData = record(&state, "submission", &claim.id.to_string());
    assert_eq!(waiting.status, Some(SubmissionStatus::AwaitingPhotos));
    let manifest = waiting.manifest_hash.unwrap();
    let lacking: PhotoData = record(&state, "photo", &shot.id.to_string());
    assert_eq!(lacking.file_received, Some(false));
    let early =
        json!({"submission_id": claim.id, "manifest_hash": manifest, "decision": "approved"});
    expect_problem(
        decide(&app, &reviewer.access_token, early).await,
        StatusCode::CONFLICT,
        "not_reviewable",
    )
    .await;
    // The file arrives: the photo says so and the submission enters review.
    photos::upload(&app, &chief.access_token, &jpeg).await;
    let state = state_of(&app, &reviewer).await;
    let received: PhotoData = record(&state, "photo", &shot.id.to_string());
    assert_eq!(received.file_received, Some(true));
    let pending: SubmissionData = record(&state, "submission", &claim.id.to_string());
    assert_eq!(pending.status, Some(SubmissionStatus::ReadyForReview));
    assert_eq!(pending.manifest_hash.as_deref(), Some(manifest.as_str()));

    // Only a reviewer decides, only on the manifest they saw, and a return needs a reason.
    let approve = json!({"id": Uuid::now_v7(), "submission_id": claim.id,
                         "manifest_hash": manifest, "decision": "approved"});
    expect_problem(
        decide(&app, &chief.access_token, approve.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let stale = json!({"submission_id": claim.id, "manifest_hash": format!("sha256:{}", "0".repeat(64)),
                       "decision": "approved"});
    expect_problem(
        decide(&app, &reviewer.access_token, stale).await,
        StatusCode::CONFLICT,
        "manifest_mismatch",
    )
    .await;
    let no_reason =
        json!({"submission_id": claim.id, "manifest_hash": manifest, "decision": "returned"});
    expect_problem(
        decide(&app, &reviewer.access_token, no_reason).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let created = decide(&app, &reviewer.access_token, approve.clone()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let decision: Value = created.json().await.unwrap();
    // A retried request records the decision once.
    let retried = decide(&app, &reviewer.access_token, approve.clone()).await;
    assert_eq!(retried.status(), StatusCode::OK);
    assert_eq!(retried.json::<Value>().await.unwrap(), decision);
    let again = json!({"submission_id": claim.id, "manifest_hash": manifest, "decision": "rejected", "reason": "照片不清"});
    expect_problem(
        decide(&app, &reviewer.access_token, again).await,
        StatusCode::CONFLICT,
        "not_reviewable",
    )
    .await;

    // The field chief's phone pulls the decision.
    let state = state_of(&app, &chief).await;
    let parcel: ParcelData = record(&state, "parcel", &p1);
    assert_eq!(parcel.status, ParcelStatus::Approved);
    assert!(!parcel.post_decision_activity);
    assert_eq!(
        state[&(
            "review".to_owned(),
            decision["id"].as_str().unwrap().to_owned()
        )]["decision"],
        "approved"
    );

    // Late field work is kept and flagged; the decision stands. A device cannot un-approve.
    let late = push(
        &app,
        &chief.access_token,
        device,
        &[
            outbox.mutation(MutationBody::CreateVisit(visit(&p1))),
            outbox.mutation(MutationBody::SetAttributes(AttributeEdit {
                parcel_id: p1.clone(),
                base_seq: 0,
                fields: [(AttributeField::LandUse, Some("园地".to_owned()))].into(),
            })),
            outbox.mutation(MutationBody::CreateWithdrawal(Withdrawal {
                id: Uuid::now_v7(),
                target_kind: WithdrawableKind::Submission,
                target_id: claim.id,
                reason: "误报".into(),
            })),
        ],
    )
    .await;
    assert_eq!(late.outcomes[0].status, OutcomeStatus::Applied);
    assert_eq!(late.outcomes[1].status, OutcomeStatus::Applied);
    assert_eq!(late.outcomes[2].reason, Some(RejectReason::NotAllowed));
    let mut forged = outbox.mutation(MutationBody::CreateVisit(visit(&p1)));
    forged.kind = "review.create".into();
    let forged = push(&app, &chief.access_token, device, &[forged]).await;
    assert_eq!(
        forged.outcomes[0].reason,
        Some(RejectReason::UnsupportedKind)
    );

    let state = state_of(&app, &reviewer).await;
    let parcel: ParcelData = record(&state, "parcel", &p1);
    assert_eq!(parcel.status, ParcelStatus::Approved);
    assert!(parcel.post_decision_activity);
    let approved: SubmissionData = record(&state, "submission", &claim.id.to_string());
    assert_eq!(approved.status, Some(SubmissionStatus::Approved));
    let listed = app
        .get_json(&format!("/api/v1/parcels/{p1}"), &reviewer.access_token)
        .await;
    assert_eq!(listed["status"], "approved");
    assert_eq!(listed["post_decision_activity"], true);
    assert!(!approved.withdrawn);

    // A new submission reopens review and supersedes the approved one, which keeps its decision.
    let renewed = submission(&p1, Vec::new());
    let renewed = tianzhang_sync::records::Submission {
        claim: tianzhang_sync::records::Claim::InProgress,
        supersedes: Some(claim.id),
        ..renewed
    };
    let response = push(
        &app,
        &chief.access_token,
        device,
        &[outbox.mutation(MutationBody::CreateSubmission(renewed.clone()))],
    )
    .await;
    assert_eq!(response.outcomes[0].status, OutcomeStatus::Applied);
    let state = state_of(&app, &reviewer).await;
    let parcel: ParcelData = record(&state, "parcel", &p1);
    assert_eq!(parcel.status, ParcelStatus::Submitted);
    assert!(!parcel.post_decision_activity);
    let old: SubmissionData = record(&state, "submission", &claim.id.to_string());
    assert_eq!(old.status, Some(SubmissionStatus::Superseded));
    assert_eq!(old.stale_base, Some(false));
    // It named the approved submission but not its decision: flagged for the reviewer.
    let new: SubmissionData = record(&state, "submission", &renewed.id.to_string());
    assert_eq!(new.stale_base, Some(true));
    assert_eq!(old.manifest_hash.as_deref(), Some(manifest.as_str()));
    assert!(state.contains_key(&(
        "review".to_owned(),
        decision["id"].as_str().unwrap().to_owned()
    )));
    let _ = RecordKind::Review;
}

#[tokio::test]
async fn submissions_rest_on_live_evidence_of_their_own_parcel_and_reviewers_on_their_township() {
    let (app, admin, _) = app_with_parcels().await;
    let ids = parcel_ids(&app, &admin.access_token).await;
    let (_, chief) = app.signed_in(Role::FieldChief).await;
    let other = app
        .create_user(
            Role::TownshipReviewer,
            Some(tianzhang_tests::fixtures::OTHER_TOWNSHIP),
        )
        .await;
    let other = app.login(&other).await;
    let device = Uuid::now_v7();
    register(&app, &chief.access_token, device).await;
    let mut outbox = Outbox::default();
    let on_p2 = photo(&ids["P2"], None, 'b');
    let withdrawn = photo(&ids["P1"], None, 'c');
    let response = push(
        &app,
        &chief.access_token,
        device,
        &[
            outbox.mutation(MutationBody::CreatePhoto(on_p2.clone())),
            outbox.mutation(MutationBody::CreatePhoto(withdrawn.clone())),
            outbox.mutation(MutationBody::CreateWithdrawal(Withdrawal {
                id: Uuid::now_v7(),
                target_kind: WithdrawableKind::Photo,
                target_id: withdrawn.id,
                reason: "拍错地块".into(),
            })),
            outbox.mutation(MutationBody::CreateSubmission(submission(
                &ids["P1"],
                vec![on_p2.id],
            ))),
            outbox.mutation(MutationBody::CreateSubmission(submission(
                &ids["P1"],
                vec![withdrawn.id],
            ))),
            outbox.mutation(MutationBody::CreateSubmission(submission(
                &ids["P1"],
                vec![Uuid::now_v7()],
            ))),
        ],
    )
    .await;
    let reasons: Vec<_> = response.outcomes.iter().map(|o| o.reason).collect();
    assert_eq!(
        reasons,
        [
            None,
            None,
            None,
            Some(RejectReason::ReferenceNotFound),
            Some(RejectReason::ReferenceNotFound),
            Some(RejectReason::ReferenceNotFound)
        ]
    );
    // The withdrawn photo is kept, marked.
    let state = state_of(&app, &chief).await;
    assert_eq!(
        state[&("photo".to_owned(), withdrawn.id.to_string())]["withdrawn"],
        true
    );

    let good = submission(&ids["P2"], vec![on_p2.id]);
    push(
        &app,
        &chief.access_token,
        device,
        &[outbox.mutation(MutationBody::CreateSubmission(good.clone()))],
    )
    .await;
    let state = state_of(&app, &chief).await;
    let manifest = state[&("submission".to_owned(), good.id.to_string())]["manifest_hash"].clone();
    // Evidence a standing submission rests on cannot be withdrawn from under it.
    let retract = push(
        &app,
        &chief.access_token,
        device,
        &[outbox.mutation(MutationBody::CreateWithdrawal(Withdrawal {
            id: Uuid::now_v7(),
            target_kind: WithdrawableKind::Photo,
            target_id: on_p2.id,
            reason: "重拍".into(),
        }))],
    )
    .await;
    assert_eq!(retract.outcomes[0].reason, Some(RejectReason::NotAllowed));
    // A reviewer of another township does not see the submission at all.
    let body = json!({"submission_id": good.id, "manifest_hash": manifest, "decision": "approved"});
    expect_problem(
        decide(&app, &other.access_token, body).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}
