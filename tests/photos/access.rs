//! Who may see a photo, its file and its checks: everyone whose region holds the parcel;
//! anyone else is told it does not exist.

use reqwest::{Method, StatusCode};
use tianzhang_server::auth::Role;
use tianzhang_tests::expect_problem;
use tianzhang_tests::fixtures::{NEIGHBOUR_VILLAGE, OTHER_TOWNSHIP};

use crate::{Field, get, parcel_point, phone_photo};

#[tokio::test]
async fn photos_are_seen_role_by_role_within_the_region_of_their_parcel() {
    let mut field = Field::new().await;
    let file = phone_photo(40, parcel_point("P1", 50.0, 50.0));
    field.upload(&file).await;
    let id = field.record("P1", &file, |_| {}).await;
    field.checked(&id, true).await;
    let parcel = field.parcel("P1").to_owned();
    let paths = [
        format!("/api/v1/photos/{id}"),
        format!("/api/v1/photos/{id}/thumbnail"),
        format!("/api/v1/photos/{id}/preview"),
        format!("/api/v1/photos/{id}/original"),
        format!("/api/v1/parcels/{parcel}/photos"),
    ];

    let app = &field.app;
    let mut allowed = vec![
        field.chief.access_token.clone(),
        field.admin.access_token.clone(),
    ];
    for role in [Role::TownshipReviewer, Role::CountyAuditor] {
        allowed.push(app.signed_in(role).await.1.access_token);
    }
    let mut refused = Vec::new();
    for (role, region) in [
        (Role::FieldChief, NEIGHBOUR_VILLAGE),
        (Role::TownshipReviewer, OTHER_TOWNSHIP),
    ] {
        let user = app.create_user(role, Some(region)).await;
        refused.push(app.login(&user).await.access_token);
    }

    for path in &paths {
        for token in &allowed {
            let response = get(app, path, token).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
        }
        for token in &refused {
            expect_problem(
                get(app, path, token).await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
        }
        let anonymous = app.request(Method::GET, path).send().await.unwrap();
        expect_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        let forged = get(app, path, "not-a-token").await;
        expect_problem(forged, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
    let unknown = get(
        app,
        "/api/v1/photos/0192a0c4-0000-7000-8000-000000000000",
        &field.admin.access_token,
    )
    .await;
    expect_problem(unknown, StatusCode::NOT_FOUND, "not_found").await;
}
