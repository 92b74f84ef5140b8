//! Photo evidence end to end: records pushed through sync, files uploaded through tus, and
//! what reviewers then see (EXIF, renditions, the flags of the checks), against a real server
//! on SQLite or PostgreSQL. The photos are real JPEGs with real EXIF, made in the test.

// Test helpers panic on unexpected values: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod duplicates;
mod flags;
mod renditions;
mod travel;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use reqwest::Method;
use serde_json::Value;
use tianzhang_server::auth::Role;
use tianzhang_server::parcels::geodesy::GaussKrugerZone;
use tianzhang_sync::messages::OutcomeStatus;
use tianzhang_sync::mutation::MutationBody;
use tianzhang_sync::records::{Photo as PhotoRecord, Position, PositionCrs};
use tianzhang_tests::exif::{ExifTags, with_exif};
use tianzhang_tests::parcels::{create_campaign_in, import_rows, nine_parcels, slot};
use tianzhang_tests::photos::{Photo, upload};
use tianzhang_tests::sync::{Outbox, parcel_ids, push, register};
use tianzhang_tests::{TestApp, Tokens};
use uuid::Uuid;

/// China Standard Time, in which field chiefs' phones report times.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// A campaign running around today, nine parcels (P1–P3 in the field chief's village), and a
/// field chief with a registered phone.
pub struct Field {
    pub app: TestApp,
    pub admin: Tokens,
    pub chief: Tokens,
    pub device: Uuid,
    pub campaign: String,
    pub parcels: HashMap<String, String>,
    outbox: Outbox,
}

impl Field {
    pub async fn new() -> Field {
        Field::on(TestApp::spawn().await).await
    }

    pub async fn on(app: TestApp) -> Field {
        let campaign = campaign_around_today(&app, "本年整改").await;
        let (_, admin) = app.signed_in(Role::Admin).await;
        import_rows(&app, &admin, &campaign, nine_parcels()).await;
        let parcels = parcel_ids(&app, &admin.access_token).await;
        let (_, chief) = app.signed_in(Role::FieldChief).await;
        let device = Uuid::now_v7();
        register(&app, &chief.access_token, device).await;
        Field {
            app,
            admin,
            chief,
            device,
            campaign,
            parcels,
            outbox: Outbox::default(),
        }
    }

    pub fn parcel(&self, code: &str) -> &str {
        &self.parcels[code]
    }

    /// Pushes a photo record for `file` on parcel `code`, taken an hour ago at the parcel's
    /// centre, after `adjust`; asserts it was applied and returns its id.
    pub async fn record(
        &mut self,
        code: &str,
        file: &Photo,
        adjust: impl FnOnce(&mut PhotoRecord),
    ) -> String {
        let mut record = photo_record(self.parcel(code), file, parcel_point(code, 50.0, 50.0));
        adjust(&mut record);
        let id = record.id.to_string();
        let mutation = self.outbox.mutation(MutationBody::CreatePhoto(record));
        let response = push(
            &self.app,
            &self.chief.access_token,
            self.device,
            &[mutation],
        )
        .await;
        assert_eq!(
            response.outcomes[0].status,
            OutcomeStatus::Applied,
            "{:?}",
            response.outcomes[0]
        );
        id
    }

    pub async fn upload(&self, file: &Photo) {
        upload(&self.app, &self.chief.access_token, file).await;
    }

    /// The photo as the admin sees it once its checks are done, and, with `file`, once its
    /// file is analysed and the checks have looked at it.
    pub async fn checked(&self, photo_id: &str, file: bool) -> Value {
        checked(&self.app, &self.admin.access_token, photo_id, file).await
    }
}

/// Waits (up to 30 s) for a photo's checks, with or without its file.
pub async fn checked(app: &TestApp, token: &str, photo_id: &str, file: bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = app
            .get_json(&format!("/api/v1/photos/{photo_id}"), token)
            .await;
        let done = view["checks"]["state"] == "done"
            && (!file || view["checks"]["report"]["file_checked"] == true);
        if done {
            return view;
        }
        assert!(Instant::now() < deadline, "checks never finished: {view:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The codes of the flags raised on a photo, sorted.
pub fn flag_codes(view: &Value) -> Vec<String> {
    let mut codes: Vec<String> = view["checks"]["report"]["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    codes
}

/// The first flag with this code.
pub fn flag<'a>(view: &'a Value, code: &str) -> &'a Value {
    view["checks"]["report"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} flag in {view:#}"))
}

async fn campaign_around_today(app: &TestApp, name: &str) -> String {
    let today = Utc::now().with_timezone(&cst()).date_naive();
    let phase = (today - TimeDelta::days(30), today + TimeDelta::days(30));
    create_campaign_in(app, name, phase, today + TimeDelta::days(35)).await
}

/// WGS-84 longitude and latitude of a point `east`, `north` metres from the south-west corner
/// of parcel `code` (`P1`–`P9`, or a name ending in one: 100 m squares, 300 m apart).
pub fn parcel_point(code: &str, east: f64, north: f64) -> (f64, f64) {
    let index: usize = code.rsplit('P').next().unwrap().parse::<usize>().unwrap() - 1;
    let (x, y) = slot(index);
    GaussKrugerZone::from_zone_number(39)
        .unwrap()
        .to_lon_lat(x + east, y + north)
}

/// An hour ago, China time, to the second.
pub fn an_hour_ago() -> DateTime<FixedOffset> {
    let now = Utc::now().with_timezone(&cst()) - TimeDelta::hours(1);
    now - TimeDelta::nanoseconds(i64::from(now.timestamp_subsec_nanos()))
}

/// A photo record for `file` taken an hour ago at `at`, 5 m accuracy.
pub fn photo_record(parcel_id: &str, file: &Photo, at: (f64, f64)) -> PhotoRecord {
    PhotoRecord {
        id: Uuid::now_v7(),
        parcel_id: parcel_id.to_owned(),
        visit_id: None,
        sha256: file.hash.clone(),
        size_bytes: file.size(),
        media_type: "image/jpeg".into(),
        taken_at: an_hour_ago(),
        position: Some(Position {
            lon: at.0,
            lat: at.1,
            accuracy_m: Some(5.0),
            crs: PositionCrs::Wgs84,
            mock_location: false,
        }),
        heading_deg: Some(90.0),
        pitch_deg: Some(-10.0),
        supersedes: None,
    }
}

/// Puts a record's position (WGS-84) at `at`.
pub fn move_to(record: &mut PhotoRecord, at: (f64, f64)) {
    let position = record.position.as_mut().unwrap();
    (position.lon, position.lat) = at;
}

/// A 640×480 scene of its own (coloured blocks on a gradient, placed by `seed`): different
/// seeds look different to a perceptual hash.
pub fn scene(seed: u64) -> RgbImage {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut image = RgbImage::from_fn(640, 480, |x, y| Rgb([(x / 3) as u8, (y / 2) as u8, 96]));
    for _ in 0..12 {
        let (x0, y0) = ((next() % 560) as u32, (next() % 400) as u32);
        let (w, h) = (40 + (next() % 160) as u32, 40 + (next() % 160) as u32);
        let colour = Rgb([next() as u8, next() as u8, next() as u8]);
        for y in y0..(y0 + h).min(480) {
            for x in x0..(x0 + w).min(640) {
                image.put_pixel(x, y, colour);
            }
        }
    }
    image
}

pub fn encode(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .unwrap();
    bytes
}

/// A phone photo of scene `seed` with EXIF matching a record made by [`photo_record`] at
/// `at`.
pub fn phone_photo(seed: u64, at: (f64, f64)) -> Photo {
    phone_photo_with(
        seed,
        ExifTags::phone(at.0, at.1, an_hour_ago().naive_local()),
    )
}

pub fn phone_photo_with(seed: u64, tags: ExifTags) -> Photo {
    Photo::from_bytes(with_exif(&encode(&scene(seed), 90), &tags))
}

/// `GET path` as `token`, the raw response.
pub async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.authed(Method::GET, path, token).send().await.unwrap()
}
