//! Impossible travel between a phone's consecutive photos.

use chrono::TimeDelta;

use crate::{Field, an_hour_ago, flag, flag_codes, move_to, parcel_point, phone_photo};

#[tokio::test]
async fn a_phone_cannot_be_two_kilometres_away_ten_seconds_later() {
    let mut field = Field::new().await;
    let here = parcel_point("P1", 50.0, 50.0);
    let there = parcel_point("P3", 50.0, 50.0);
    let start = an_hour_ago();
    let first = field
        .record("P1", &phone_photo(30, here), |p| p.taken_at = start)
        .await;
    // P3 is 600 m from P1: 600 m in 10 s is 216 km/h.
    let jump = field
        .record("P3", &phone_photo(31, there), |p| {
            p.taken_at = start + TimeDelta::seconds(10);
            move_to(p, there);
        })
        .await;
    // Half an hour later at the same place: a walk.
    let later = field
        .record("P3", &phone_photo(32, there), |p| {
            p.taken_at = start + TimeDelta::minutes(30);
            move_to(p, there);
        })
        .await;

    let view = field.checked(&jump, false).await;
    let travel = flag(&view, "impossible_travel");
    assert_eq!(travel["leg"]["other_photo_id"], first.as_str());
    assert_eq!(travel["leg"]["seconds"], 10.0);
    let speed = travel["speed_kmh"].as_f64().unwrap();
    // 600 m less the two 5 m accuracies, in 10 s.
    assert!((205.0..217.0).contains(&speed), "{speed}");
    assert!(
        !flag_codes(&field.checked(&later, false).await).contains(&"impossible_travel".to_owned())
    );

    // The first photo's next photo is the jump: it is flagged too, once checked again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let view = field.checked(&first, false).await;
        if flag_codes(&view).contains(&"impossible_travel".to_owned()) {
            assert_eq!(
                flag(&view, "impossible_travel")["leg"]["other_photo_id"],
                jump.as_str()
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{view:#}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
