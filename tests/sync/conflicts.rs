//! Concurrent edits of parcel attributes: resolved by the server's order, visible, with both
//! values kept, and settled by a later edit from someone who saw them.

use diesel::prelude::*;
use serde_json::Value;
use tianzhang_server::auth::Role;
use tianzhang_server::db::schema::attribute_history;
use tianzhang_sync::messages::{AttributesData, OutcomeStatus, RecordKind};
use tianzhang_sync::mutation::MutationBody;
use tianzhang_sync::records::{AttributeEdit, AttributeField};
use tianzhang_tests::parcels::app_with_parcels;
use tianzhang_tests::sync::{Outbox, parcel_ids, pull_all, push, register};
use tianzhang_tests::{TestApp, Tokens};
use uuid::Uuid;

/// A phone of a field chief of the fixture village.
struct Phone {
    tokens: Tokens,
    device: Uuid,
    outbox: Outbox,
}

impl Phone {
    async fn new(app: &TestApp) -> Phone {
        let (_, tokens) = app.signed_in(Role::FieldChief).await;
        let device = Uuid::now_v7();
        register(app, &tokens.access_token, device).await;
        Phone {
            tokens,
            device,
            outbox: Outbox::default(),
        }
    }

    async fn set(
        &mut self,
        app: &TestApp,
        parcel: &str,
        base_seq: u64,
        field: AttributeField,
        value: &str,
    ) -> tianzhang_sync::messages::Outcome {
        let edit = AttributeEdit {
            parcel_id: parcel.to_owned(),
            base_seq,
            fields: [(field, Some(value.to_owned()))].into(),
        };
        let mutation = self.outbox.mutation(MutationBody::SetAttributes(edit));
        let response = push(app, &self.tokens.access_token, self.device, &[mutation]).await;
        response.outcomes.into_iter().next().unwrap()
    }

    /// The parcel's attributes as pulled, with their change number.
    async fn attributes(&self, app: &TestApp, parcel: &str) -> (u64, AttributesData) {
        let (changes, _) = pull_all(app, &self.tokens.access_token, None, 100).await;
        let change = changes
            .into_iter()
            .find(|c| c.kind == RecordKind::Attributes && c.id == parcel)
            .unwrap();
        let data: Value = change.data.unwrap();
        (change.seq, serde_json::from_value(data).unwrap())
    }
}

#[tokio::test]
async fn concurrent_edits_are_flagged_with_both_values_and_settled_by_a_later_edit() {
    let (app, admin, _) = app_with_parcels().await;
    let p1 = parcel_ids(&app, &admin.access_token).await["P1"].clone();
    let mut a = Phone::new(&app).await;
    let mut b = Phone::new(&app).await;
    let mut c = Phone::new(&app).await;

    // Both start from nothing and set the crop without seeing each other.
    let first = a.set(&app, &p1, 0, AttributeField::Crop, "小麦").await;
    assert_eq!(first.status, OutcomeStatus::Applied);
    let second = b.set(&app, &p1, 0, AttributeField::Crop, "水稻").await;
    assert_eq!(second.status, OutcomeStatus::AppliedWithConflict);
    assert_eq!(second.conflicts.len(), 1);
    // The same value, concurrently, is no conflict; nor is another field.
    let same = c.set(&app, &p1, 0, AttributeField::Crop, "水稻").await;
    assert_eq!(same.status, OutcomeStatus::Applied);
    let other_field = c
        .set(&app, &p1, 0, AttributeField::Notes, "东侧已平整")
        .await;
    assert_eq!(other_field.status, OutcomeStatus::Applied);
    // A device never conflicts with its own earlier edit, pulled or not.
    let own = b
        .set(&app, &p1, 0, AttributeField::Crop, "水稻（晚稻）")
        .await;
    assert_eq!(own.status, OutcomeStatus::Applied);

    // Reviewers see the conflict on the parcel, with every value written so far.
    let (_, reviewer) = app.signed_in(Role::TownshipReviewer).await;
    let shown = app
        .get_json(
            &format!("/api/v1/parcels/{p1}/attributes"),
            &reviewer.access_token,
        )
        .await;
    assert_eq!(shown["open_conflicts"][0]["kept"], "水稻");
    assert_eq!(shown["open_conflicts"][0]["overwritten"], "小麦");
    assert_eq!(shown["history"].as_array().unwrap().len(), 4);
    assert!(shown["history"][1]["conflict_id"].is_string());
    let outsider = app
        .create_user(
            Role::FieldChief,
            Some(tianzhang_tests::fixtures::OTHER_VILLAGE),
        )
        .await;
    let outsider = app.login(&outsider).await;
    let hidden = app
        .authed(
            reqwest::Method::GET,
            &format!("/api/v1/parcels/{p1}/attributes"),
            &outsider.access_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), reqwest::StatusCode::NOT_FOUND);

    let (seq, attributes) = a.attributes(&app, &p1).await;
    assert_eq!(attributes.fields[&AttributeField::Crop], "水稻（晚稻）");
    assert_eq!(attributes.fields[&AttributeField::Notes], "东侧已平整");
    let [conflict] = attributes.open_conflicts.as_slice() else {
        panic!("one open conflict: {attributes:?}")
    };
    assert_eq!(conflict.id, second.conflicts[0]);
    assert_eq!(conflict.field, AttributeField::Crop);
    assert_eq!(conflict.kept.as_deref(), Some("水稻"));
    assert_eq!(conflict.overwritten.as_deref(), Some("小麦"));

    // A edits again having seen the conflict: settled, and sequential edits are never flagged.
    let settle = a.set(&app, &p1, seq, AttributeField::Crop, "小麦").await;
    assert_eq!(settle.status, OutcomeStatus::Applied);
    let (seq, attributes) = a.attributes(&app, &p1).await;
    assert!(attributes.open_conflicts.is_empty());
    assert_eq!(attributes.fields[&AttributeField::Crop], "小麦");
    let next = c.set(&app, &p1, seq, AttributeField::Crop, "玉米").await;
    assert_eq!(next.status, OutcomeStatus::Applied);

    // Nothing written is lost: every value is in the history, in the server's order.
    let parcel = p1.clone();
    let history: Vec<Option<String>> = app
        .state
        .db
        .read(move |conn| {
            attribute_history::table
                .filter(attribute_history::parcel_id.eq(parcel))
                .filter(attribute_history::field.eq("crop"))
                .order(attribute_history::seq.asc())
                .select(attribute_history::value)
                .load(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .unwrap();
    let history: Vec<&str> = history.iter().map(|v| v.as_deref().unwrap()).collect();
    assert_eq!(history, ["小麦", "水稻", "水稻（晚稻）", "小麦", "玉米"]);
}
