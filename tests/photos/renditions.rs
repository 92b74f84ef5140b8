//! The renditions reviewers look at: upright, the right size, made in the background; the
//! original stays byte for byte what the phone took.

use reqwest::StatusCode;
use tianzhang_tests::exif::ExifTags;
use tianzhang_tests::expect_problem;

use crate::{Field, an_hour_ago, get, parcel_point, phone_photo, phone_photo_with};

#[tokio::test]
async fn renditions_are_upright_and_the_original_is_byte_for_byte() {
    let mut field = Field::new().await;
    let at = parcel_point("P1", 50.0, 50.0);
    // Stored landscape (640×480), shown rotated a quarter turn clockwise (orientation 6).
    let mut tags = ExifTags::phone(at.0, at.1, an_hour_ago().naive_local());
    tags.orientation = Some(6);
    let file = phone_photo_with(11, tags);
    field.upload(&file).await;
    let id = field.record("P1", &file, |_| {}).await;
    let view = field.checked(&id, true).await;

    let thumbnail = &view["file"]["thumbnail"];
    assert_eq!(
        (thumbnail["width"].as_i64(), thumbnail["height"].as_i64()),
        (Some(300), Some(400))
    );
    // Never enlarged: the preview keeps the photo's own size, upright.
    let preview = &view["file"]["preview"];
    assert_eq!(
        (preview["width"].as_i64(), preview["height"].as_i64()),
        (Some(480), Some(640))
    );
    assert_eq!(view["file"]["width"], 640);

    let token = &field.admin.access_token;
    for (url, size) in [(thumbnail, (300, 400)), (preview, (480, 640))] {
        let response = get(&field.app, url["url"].as_str().unwrap(), token).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        let image = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
        assert_eq!((image.width(), image.height()), size);
    }
    let original = get(&field.app, &format!("/api/v1/photos/{id}/original"), token).await;
    assert_eq!(original.status(), StatusCode::OK);
    assert_eq!(
        original.bytes().await.unwrap().as_ref(),
        file.bytes.as_slice()
    );
}

#[tokio::test]
async fn a_photo_waits_visibly_for_its_file_and_is_checked_again_when_it_arrives() {
    let mut field = Field::new().await;
    let file = phone_photo(12, parcel_point("P1", 50.0, 50.0));
    let id = field.record("P1", &file, |_| {}).await;
    let view = field.checked(&id, false).await;
    assert_eq!(view["file"]["state"], "missing");
    assert_eq!(view["checks"]["report"]["file_checked"], false);
    let token = &field.admin.access_token;
    for what in ["thumbnail", "preview", "original"] {
        let response = get(&field.app, &format!("/api/v1/photos/{id}/{what}"), token).await;
        expect_problem(response, StatusCode::CONFLICT, "not_ready").await;
    }

    field.upload(&file).await;
    let view = field.checked(&id, true).await;
    assert_eq!(view["file"]["state"], "ready");
    assert_eq!(view["file"]["exif"]["make"], "Xiaomi");
    let thumbnail = get(&field.app, &format!("/api/v1/photos/{id}/thumbnail"), token).await;
    assert_eq!(thumbnail.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_parcel_lists_its_photos_with_their_checks() {
    let mut field = Field::new().await;
    let at = parcel_point("P2", 50.0, 50.0);
    let first = phone_photo(13, at);
    let second = phone_photo(14, at);
    field.upload(&first).await;
    let a = field.record("P2", &first, |_| {}).await;
    let b = field.record("P2", &second, |_| {}).await;
    field.checked(&a, true).await;
    field.checked(&b, false).await;

    let parcel = field.parcel("P2").to_owned();
    let list = field
        .app
        .get_json(
            &format!("/api/v1/parcels/{parcel}/photos"),
            &field.admin.access_token,
        )
        .await;
    let photos = list["photos"].as_array().unwrap();
    let ids: Vec<&str> = photos.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [a.as_str(), b.as_str()]);
    assert_eq!(photos[0]["file"]["state"], "ready");
    assert_eq!(photos[1]["file"]["state"], "missing");
    assert!(photos.iter().all(|p| p["checks"]["state"] == "done"));
}
