//! Pull: resumable, complete at every page boundary, read-only, scoped.

use reqwest::{Method, StatusCode};
use tianzhang_server::auth::Role;
use tianzhang_sync::messages::{Change, RecordKind};
use tianzhang_sync::mutation::MutationBody;
use tianzhang_tests::expect_problem;
use tianzhang_tests::fixtures::NEIGHBOUR_VILLAGE;
use tianzhang_tests::parcels::app_with_parcels;
use tianzhang_tests::sync::{
    Outbox, materialise, parcel_ids, pull_all, pull_page, push, register, visit,
};
use tianzhang_tests::{TestApp, Tokens};
use uuid::Uuid;

/// Pushes `n` visits on P1 and P2 as a new chief of the fixture village.
async fn chief_with_visits(app: &TestApp, admin: &Tokens, n: usize) -> (Tokens, Uuid) {
    let ids = parcel_ids(app, &admin.access_token).await;
    let (_, chief) = app.signed_in(Role::FieldChief).await;
    let device = Uuid::now_v7();
    register(app, &chief.access_token, device).await;
    let mut outbox = Outbox::default();
    let batch: Vec<_> = (0..n)
        .map(|i| {
            let parcel = if i % 2 == 0 { &ids["P1"] } else { &ids["P2"] };
            outbox.mutation(MutationBody::CreateVisit(visit(parcel)))
        })
        .collect();
    push(app, &chief.access_token, device, &batch).await;
    (chief, device)
}

fn seqs(changes: &[Change]) -> Vec<u64> {
    changes.iter().map(|c| c.seq).collect()
}

#[tokio::test]
async fn pages_of_every_size_concatenate_to_the_unpaged_result() {
    let (app, admin, _) = app_with_parcels().await;
    let (chief, _) = chief_with_visits(&app, &admin, 7).await;
    let (whole, end) = pull_all(&app, &chief.access_token, None, 1000).await;
    // The campaign, the village's three parcels and the seven visits.
    assert_eq!(whole.len(), 11);
    assert!(
        seqs(&whole).windows(2).all(|w| w[0] < w[1]),
        "in change order"
    );
    for limit in 1..=whole.len() as u32 + 1 {
        let (paged, cursor) = pull_all(&app, &chief.access_token, None, limit).await;
        assert_eq!(paged, whole, "page size {limit}");
        assert_eq!(cursor, end, "page size {limit}");
    }
    // Resuming from any point gives exactly the rest.
    let mut cursor: Option<String> = None;
    for (taken, _) in whole.iter().enumerate() {
        let (rest, _) = pull_all(&app, &chief.access_token, cursor.as_deref(), 3).await;
        assert_eq!(rest, whole[taken..], "resumed after {taken}");
        cursor = Some(
            pull_page(&app, &chief.access_token, cursor.as_deref(), 1, None)
                .await
                .next_cursor,
        );
    }
    // At the end: an empty page that keeps the cursor.
    let last = pull_page(&app, &chief.access_token, Some(&end), 5, None).await;
    assert!(last.changes.is_empty() && !last.has_more && !last.reset);
    assert_eq!(last.next_cursor, end);
}

#[tokio::test]
async fn a_pull_is_read_only_and_reports_the_devices_own_progress() {
    let (app, admin, _) = app_with_parcels().await;
    let (chief, device) = chief_with_visits(&app, &admin, 3).await;
    let first = pull_page(&app, &chief.access_token, None, 4, Some(device)).await;
    let again = pull_page(&app, &chief.access_token, None, 4, Some(device)).await;
    assert_eq!(first, again);
    assert!(first.has_more);
    // Read-your-writes: the pull says how far this device's pushes are applied.
    assert_eq!(first.device_acked_through_seq, Some(3));
    let without = pull_page(&app, &chief.access_token, None, 4, None).await;
    assert_eq!(without.device_acked_through_seq, None);
}

#[tokio::test]
async fn each_role_pulls_its_own_region_and_the_campaign_above_it() {
    let (app, admin, _) = app_with_parcels().await;
    chief_with_visits(&app, &admin, 2).await;
    let ids = parcel_ids(&app, &admin.access_token).await;
    let parcels_of = |changes: &[Change]| {
        let mut codes: Vec<&str> = changes
            .iter()
            .filter(|c| c.kind == RecordKind::Parcel)
            .filter_map(|c| {
                ids.iter()
                    .find(|(_, id)| **id == c.id)
                    .map(|(code, _)| code.as_str())
            })
            .collect();
        codes.sort_unstable();
        codes
    };
    let count = |changes: &[Change], kind| changes.iter().filter(|c| c.kind == kind).count();
    let neighbour = app
        .create_user(Role::FieldChief, Some(NEIGHBOUR_VILLAGE))
        .await;
    let neighbour = app.login(&neighbour).await;
    let (_, chief) = app.signed_in(Role::FieldChief).await;
    let (_, reviewer) = app.signed_in(Role::TownshipReviewer).await;
    let (_, auditor) = app.signed_in(Role::CountyAuditor).await;

    let (mine, _) = pull_all(&app, &chief.access_token, None, 100).await;
    assert_eq!(parcels_of(&mine), ["P1", "P2", "P3"]);
    assert_eq!(count(&mine, RecordKind::Visit), 2);
    let (theirs, _) = pull_all(&app, &neighbour.access_token, None, 100).await;
    assert_eq!(parcels_of(&theirs), ["P4", "P5", "P6"]);
    assert_eq!(count(&theirs, RecordKind::Visit), 0);
    let (township, _) = pull_all(&app, &reviewer.access_token, None, 100).await;
    assert_eq!(parcels_of(&township), ["P1", "P2", "P3", "P4", "P5", "P6"]);
    assert_eq!(count(&township, RecordKind::Visit), 2);
    let (county, _) = pull_all(&app, &auditor.access_token, None, 100).await;
    assert_eq!(parcels_of(&county).len(), 9);
    for changes in [&mine, &theirs, &township, &county] {
        assert_eq!(
            count(changes, RecordKind::Campaign),
            1,
            "everyone sees the campaign"
        );
    }
    assert_eq!(materialise(&mine).len(), 6);
}

#[tokio::test]
async fn a_cursor_this_server_did_not_issue_is_refused_and_a_foreign_one_resets() {
    let (app, admin, _) = app_with_parcels().await;
    let (chief, _) = chief_with_visits(&app, &admin, 2).await;
    let response = app
        .authed(
            Method::GET,
            "/api/v1/sync/pull?cursor=bogus",
            &chief.access_token,
        )
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "invalid_cursor").await;
    let (_, reviewer) = app.signed_in(Role::TownshipReviewer).await;
    let (_, reviewer_cursor) = pull_all(&app, &reviewer.access_token, None, 100).await;
    // A cursor issued for another scope starts over: the whole scope, flagged as a reset.
    let page = pull_page(&app, &chief.access_token, Some(&reviewer_cursor), 100, None).await;
    assert!(page.reset);
    let (fresh, _) = pull_all(&app, &chief.access_token, None, 100).await;
    assert_eq!(page.changes, fresh);
    // So does a cursor from beyond the last change (a server restored from an older backup).
    let (_, end) = pull_all(&app, &chief.access_token, None, 100).await;
    let (prefix, seq) = end.rsplit_once('.').unwrap();
    let ahead = format!("{prefix}.{}", seq.parse::<u64>().unwrap() + 1000);
    let page = pull_page(&app, &chief.access_token, Some(&ahead), 100, None).await;
    assert!(page.reset);
    assert_eq!(page.changes, fresh);
}
