//! The same photo, or one that looks the same, used as evidence on another parcel or in an
//! earlier campaign.

use image::imageops::{FilterType, resize};
use serde_json::Value;
use tianzhang_tests::exif::{ExifTags, with_exif};
use tianzhang_tests::parcels::{import_rows, nine_parcels};
use tianzhang_tests::photos::Photo;

use crate::{
    Field, an_hour_ago, campaign_around_today, encode, flag, flag_codes, move_to, parcel_point,
    phone_photo, phone_photo_with, scene,
};

fn photo_ids(flag: &Value) -> Vec<&str> {
    let mut ids: Vec<&str> = flag["photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["photo_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

/// Scene `seed` shrunk to 90 % and saved again at `quality`, as a re-shared copy is.
fn recompressed(seed: u64, at: (f64, f64), quality: u8) -> Photo {
    let image = resize(&scene(seed), 576, 432, FilterType::Triangle);
    let tags = ExifTags::phone(at.0, at.1, an_hour_ago().naive_local());
    Photo::from_bytes(with_exif(&encode(&image, quality), &tags))
}

#[tokio::test]
async fn the_same_file_on_two_parcels_is_flagged_on_both() {
    let mut field = Field::new().await;
    let file = phone_photo(20, parcel_point("P1", 50.0, 50.0));
    field.upload(&file).await;
    let first = field.record("P1", &file, |_| {}).await;
    field.checked(&first, true).await;
    let second = field
        .record("P2", &file, |p| move_to(p, parcel_point("P2", 50.0, 50.0)))
        .await;

    let view = field.checked(&second, true).await;
    let codes = flag_codes(&view);
    assert!(
        codes.contains(&"same_file_elsewhere".to_owned()),
        "{codes:?}"
    );
    let same = flag(&view, "same_file_elsewhere");
    assert_eq!(photo_ids(same), [first.as_str()]);
    assert_eq!(same["photos"][0]["parcel_id"], field.parcel("P1"));
    assert_eq!(same["photos"][0]["distance_bits"], 0);

    // The first photo learns of the second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let view = field.checked(&first, true).await;
        if flag_codes(&view).contains(&"same_file_elsewhere".to_owned()) {
            assert_eq!(
                photo_ids(flag(&view, "same_file_elsewhere")),
                [second.as_str()]
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{view:#}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_near_duplicate_on_another_parcel_or_from_an_earlier_campaign_is_flagged() {
    let mut field = Field::new().await;
    let at = parcel_point("P1", 50.0, 50.0);
    let original = phone_photo(21, at);
    field.upload(&original).await;
    let old = field.record("P1", &original, |_| {}).await;
    field.checked(&old, true).await;
    // Same parcel, same campaign, same scene: a retake, not a duplicate.
    let retake = recompressed(21, at, 70);
    field.upload(&retake).await;
    let retake = field.record("P1", &retake, |_| {}).await;
    let retake = field.checked(&retake, true).await;
    assert!(!flag_codes(&retake).contains(&"near_duplicate".to_owned()));

    // A later campaign over the same land.
    let later = campaign_around_today(&field.app, "次年整改").await;
    import_rows(&field.app, &field.admin, &later, nine_parcels()).await;
    let page = field
        .app
        .get_json(
            &format!("/api/v1/parcels?campaign={later}&limit=100"),
            &field.admin.access_token,
        )
        .await;
    let later_p1 = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["patch_code"] == "P1")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    field
        .parcels
        .insert("later P1".to_owned(), later_p1.clone());

    let copy = recompressed(21, at, 60);
    assert_ne!(copy.hash, original.hash);
    field.upload(&copy).await;
    let reused = field.record("later P1", &copy, |_| {}).await;
    // Taken at P2 well before the others: a walk from P2 to P1, not a jump.
    let two_hours_ago = an_hour_ago() - chrono::TimeDelta::hours(1);
    let p2 = parcel_point("P2", 50.0, 50.0);
    let unrelated = phone_photo_with(22, ExifTags::phone(p2.0, p2.1, two_hours_ago.naive_local()));
    field.upload(&unrelated).await;
    let other = field
        .record("P2", &unrelated, |p| {
            move_to(p, p2);
            p.taken_at = two_hours_ago;
        })
        .await;

    let view = field.checked(&reused, true).await;
    let near = flag(&view, "near_duplicate");
    let photos = near["photos"].as_array().unwrap();
    let on_old = photos
        .iter()
        .find(|p| p["photo_id"] == old.as_str())
        .unwrap();
    assert_eq!(on_old["earlier_campaign"], true);
    assert_eq!(on_old["campaign_id"], field.campaign.as_str());
    assert!(on_old["distance_bits"].as_u64().unwrap() <= 8);

    let other = field.checked(&other, true).await;
    assert_eq!(flag_codes(&other), Vec::<String>::new(), "{other:#}");
}
