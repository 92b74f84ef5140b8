//! Who may upload: field chiefs and township reviewers; an upload is its creator's alone.

use reqwest::{Method, StatusCode};
use tianzhang_server::auth::Role;
use tianzhang_tests::{TestApp, expect_problem};

use crate::{Uploader, metadata, photo};

#[tokio::test]
async fn only_field_workers_upload() {
    let app = TestApp::spawn().await;
    let p = photo(32, 24, 30, 40);
    for (role, expected) in [
        (Role::FieldChief, StatusCode::CREATED),
        (Role::TownshipReviewer, StatusCode::CREATED),
        (Role::CountyAuditor, StatusCode::FORBIDDEN),
        (Role::Admin, StatusCode::FORBIDDEN),
    ] {
        let uploader = Uploader::signed_in(&app, role).await;
        let response = uploader.create(p.size(), &metadata(&p.hash)).await;
        assert_eq!(response.status(), expected, "{role}");
        let missing = app
            .authed(Method::POST, "/api/v1/uploads/missing", &uploader.token)
            .json(&serde_json::json!({"hashes": [p.hash]}))
            .send()
            .await
            .unwrap();
        let expected = if expected == StatusCode::CREATED {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(missing.status(), expected, "{role} asks what is missing");
    }
}

#[tokio::test]
async fn an_upload_belongs_to_its_creator() {
    let app = TestApp::spawn().await;
    let owner = Uploader::signed_in(&app, Role::FieldChief).await;
    let other = Uploader::signed_in(&app, Role::FieldChief).await;
    let reviewer = Uploader::signed_in(&app, Role::TownshipReviewer).await;
    let auditor = Uploader::signed_in(&app, Role::CountyAuditor).await;
    let p = photo(64, 48, 31, 50);
    let location = owner.start(&p).await;
    for stranger in [&other, &reviewer] {
        assert_eq!(
            stranger.head(&location).await.status(),
            StatusCode::NOT_FOUND
        );
        let response = stranger.patch(&location, 0, &p.bytes).await;
        expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(
            stranger.delete(&location).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    expect_problem(
        auditor.patch(&location, 0, &p.bytes).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let anonymous = app
        .request(Method::HEAD, &location)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(owner.head(&location).await.status(), StatusCode::OK);
    assert_eq!(
        owner.patch(&location, 0, &p.bytes).await.status(),
        StatusCode::NO_CONTENT
    );
}
