//! The checks of one photo: position, time, EXIF, software and mock location, each raised as
//! a flag (never as a rejection), and nothing raised for a good photo.

use chrono::TimeDelta;
use tianzhang_server::parcels::geodesy::gcj02;
use tianzhang_sync::records::PositionCrs;
use tianzhang_tests::exif::ExifTags;
use tianzhang_tests::photos::Photo;

use crate::{
    Field, an_hour_ago, encode, flag, flag_codes, move_to, parcel_point, phone_photo,
    phone_photo_with, scene,
};

#[tokio::test]
async fn a_good_photo_raises_no_flag_and_shows_its_exif() {
    let mut field = Field::new().await;
    let at = parcel_point("P1", 50.0, 50.0);
    let file = phone_photo(1, at);
    field.upload(&file).await;
    let id = field.record("P1", &file, |_| {}).await;

    let view = field.checked(&id, true).await;
    assert_eq!(flag_codes(&view), Vec::<String>::new(), "{view:#}");
    let report = &view["checks"]["report"];
    assert_eq!(report["distance_to_parcel_m"], 0.0);
    assert_eq!(report["position"]["source"], "device");
    let exif = &view["file"]["exif"];
    assert_eq!(exif["make"], "Xiaomi");
    assert_eq!(exif["model"], "Redmi Note 12");
    assert_eq!(exif["orientation"], 1);
    assert!((exif["position"]["lon"].as_f64().unwrap() - at.0).abs() < 1e-6);
    assert!((exif["position"]["lat"].as_f64().unwrap() - at.1).abs() < 1e-6);
    assert_eq!(exif["altitude_m"], 45.0);
    assert_eq!(view["file"]["state"], "ready");
    assert_eq!(view["record"]["pitch_deg"], -10.0);
}

#[tokio::test]
async fn outside_the_parcel_is_flagged_with_the_distance_beyond_the_accuracy() {
    let mut field = Field::new().await;
    // 40 m east of P1's east edge: in the gap between parcels.
    let outside = parcel_point("P1", 140.0, 50.0);
    let near = field
        .record("P1", &phone_photo(2, outside), |p| {
            move_to(p, outside);
            p.position.as_mut().unwrap().accuracy_m = Some(50.0);
        })
        .await;
    let far = field
        .record("P1", &phone_photo(3, outside), |p| {
            move_to(p, outside);
            p.position.as_mut().unwrap().accuracy_m = Some(8.0);
        })
        .await;

    let near = field.checked(&near, false).await;
    assert!(!flag_codes(&near).contains(&"outside_parcel".to_owned()));
    let far = field.checked(&far, false).await;
    let outside = flag(&far, "outside_parcel");
    let distance = outside["distance_m"].as_f64().unwrap();
    assert!((distance - 40.0).abs() < 1.0, "{distance}");
    assert_eq!(outside["accuracy_m"], 8.0);
    assert_eq!(outside["source"], "device");
    // Before its file arrives a photo is judged on its record alone.
    assert_eq!(far["checks"]["report"]["file_checked"], false);
    assert_eq!(far["file"]["state"], "missing");
}

#[tokio::test]
async fn a_gcj02_position_is_converted_to_wgs84_before_any_check() {
    let mut field = Field::new().await;
    let inside = parcel_point("P1", 50.0, 50.0);
    let shifted = gcj02::wgs84_to_gcj02(inside.0, inside.1);
    let file = phone_photo(4, inside);
    field.upload(&file).await;
    let declared = field
        .record("P1", &file, |p| {
            move_to(p, shifted);
            p.position.as_mut().unwrap().crs = PositionCrs::Gcj02;
        })
        .await;
    // The same numbers taken as WGS-84 lie hundreds of metres away.
    let mistaken = field.record("P1", &file, |p| move_to(p, shifted)).await;

    let declared = field.checked(&declared, true).await;
    let codes = flag_codes(&declared);
    assert!(!codes.contains(&"outside_parcel".to_owned()), "{codes:?}");
    assert!(
        !codes.contains(&"position_mismatch".to_owned()),
        "{codes:?}"
    );
    let judged = &declared["checks"]["report"]["position"];
    assert_eq!(judged["converted_from"], "gcj02");
    assert!((judged["lon"].as_f64().unwrap() - inside.0).abs() < 1e-7);
    assert!((judged["lat"].as_f64().unwrap() - inside.1).abs() < 1e-7);

    let mistaken = field.checked(&mistaken, true).await;
    let codes = flag_codes(&mistaken);
    assert!(codes.contains(&"outside_parcel".to_owned()), "{codes:?}");
    let mismatch = flag(&mistaken, "position_mismatch")["distance_m"]
        .as_f64()
        .unwrap();
    assert!((100.0..1000.0).contains(&mismatch), "{mismatch}");
}

#[tokio::test]
async fn exif_disagreeing_with_the_device_an_editor_and_a_mock_fix_are_flagged() {
    let mut field = Field::new().await;
    let inside = parcel_point("P2", 50.0, 50.0);
    let elsewhere = parcel_point("P9", 50.0, 50.0);
    let mut tags = ExifTags::phone(elsewhere.0, elsewhere.1, an_hour_ago().naive_local());
    tags.taken_at = Some((an_hour_ago() - TimeDelta::hours(3)).naive_local());
    tags.software = Some("Adobe Photoshop Lightroom Classic 13.0");
    let file = phone_photo_with(5, tags);
    field.upload(&file).await;
    let id = field
        .record("P2", &file, |p| {
            move_to(p, inside);
            p.position.as_mut().unwrap().mock_location = true;
        })
        .await;

    let view = field.checked(&id, true).await;
    assert_eq!(
        flag_codes(&view),
        [
            "editing_software",
            "mock_location",
            "position_mismatch",
            "time_mismatch"
        ]
    );
    assert_eq!(
        flag(&view, "editing_software")["software"],
        "Adobe Photoshop Lightroom Classic 13.0"
    );
    // Three hours, give or take the second the clock may have ticked between the two times.
    let seconds = flag(&view, "time_mismatch")["seconds"].as_i64().unwrap();
    assert!(
        (-3 * 3600 - 2..=-3 * 3600 + 2).contains(&seconds),
        "{seconds}"
    );
    let apart = flag(&view, "position_mismatch")["distance_m"]
        .as_f64()
        .unwrap();
    // P2 and P9 lie 7 × 300 m apart.
    assert!((2050.0..2150.0).contains(&apart), "{apart}");
}

#[tokio::test]
async fn missing_exif_is_flagged_and_a_position_from_exif_is_used_when_the_device_gave_none() {
    let mut field = Field::new().await;
    let bare = Photo::from_bytes(encode(&scene(6), 90));
    field.upload(&bare).await;
    let no_exif = field.record("P1", &bare, |p| p.position = None).await;

    let outside = parcel_point("P1", 250.0, 50.0);
    let mut tags = ExifTags::phone(outside.0, outside.1, an_hour_ago().naive_local());
    tags.taken_at = None;
    let exif_only = phone_photo_with(7, tags);
    field.upload(&exif_only).await;
    let from_exif = field.record("P1", &exif_only, |p| p.position = None).await;

    let view = field.checked(&no_exif, true).await;
    assert_eq!(flag_codes(&view), ["exif_missing", "no_position"]);
    assert_eq!(
        flag(&view, "exif_missing")["missing"],
        serde_json::json!(["all"])
    );

    let view = field.checked(&from_exif, true).await;
    assert_eq!(flag_codes(&view), ["exif_missing", "outside_parcel"]);
    assert_eq!(
        flag(&view, "exif_missing")["missing"],
        serde_json::json!(["time"])
    );
    assert_eq!(flag(&view, "outside_parcel")["source"], "exif");
    assert_eq!(view["checks"]["report"]["position"]["source"], "exif");
}

#[tokio::test]
async fn capture_times_outside_the_campaign_in_the_future_or_long_before_upload_are_flagged() {
    let mut field = Field::new().await;
    let at = parcel_point("P3", 50.0, 50.0);
    let record = |offset: TimeDelta| {
        move |p: &mut tianzhang_sync::records::Photo| p.taken_at = an_hour_ago() + offset
    };
    let future = field
        .record("P3", &phone_photo(8, at), record(TimeDelta::hours(3)))
        .await;
    let late = field
        .record("P3", &phone_photo(9, at), record(-TimeDelta::days(20)))
        .await;
    let before = field
        .record("P3", &phone_photo(10, at), record(-TimeDelta::days(40)))
        .await;

    let future = field.checked(&future, false).await;
    assert_eq!(flag_codes(&future), ["taken_in_future"]);
    let late = field.checked(&late, false).await;
    assert_eq!(flag_codes(&late), ["late_upload"]);
    let days = flag(&late, "late_upload")["days"].as_f64().unwrap();
    assert!((19.9..20.1).contains(&days), "{days}");
    let before = field.checked(&before, false).await;
    assert_eq!(flag_codes(&before), ["before_campaign", "late_upload"]);
}
