//! Parcel-list fixtures: a campaign in the fixture county, and small GBK Shapefiles in the
//! CGCS2000 Gauss-Krüger zone 39 (EPSG:4527) the way county offices hand them out.

use tianzhang_server::campaigns::SourceList;
use tianzhang_server::campaigns::model::{CampaignSpec, Deadline, Phase, PhaseKind};
use tianzhang_server::campaigns::repo as campaigns_repo;

use reqwest::StatusCode;
use tianzhang_server::auth::Role;

use crate::fixtures::COUNTY;
use crate::shapefile::{Layer, Shape, field, zip, zip_entries};
use crate::{TestApp, Tokens};

/// What ArcGIS writes into the .prj of EPSG:4527.
pub const ZONE_39_PRJ: &str = "PROJCS[\"CGCS2000_3_Degree_GK_Zone_39\",GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\",DATUM[\"D_China_2000\",SPHEROID[\"CGCS2000\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Gauss_Kruger\"],PARAMETER[\"False_Easting\",39500000.0],PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",117.0],PARAMETER[\"Scale_Factor\",1.0],PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]";

/// The south-west corner of parcel slot `i`: 100 m squares, 300 m apart, near Jinxian.
pub fn slot(i: usize) -> (f64, f64) {
    (39_431_400.0 + 300.0 * i as f64, 3_142_970.0)
}

/// A 100 m × 100 m parcel in slot `i`, clockwise as Shapefile exteriors are.
pub fn square_parcel(i: usize) -> Shape {
    let (x, y) = slot(i);
    Shape::Polygon(vec![vec![
        (x, y),
        (x, y + 100.0),
        (x + 100.0, y + 100.0),
        (x + 100.0, y),
        (x, y),
    ]])
}

/// One row of a list: patch code, village (code or name), land class, declared m², shape.
pub struct Row {
    pub code: &'static str,
    pub village: &'static str,
    pub land_class: &'static str,
    pub area_m2: &'static str,
    pub shape: Shape,
}

/// An outflow list as a county hands it out: GBK text, Chinese field names, a .cpg and a .prj.
pub fn outflow_list(rows: Vec<Row>) -> Layer {
    let mut layer = Layer::new(
        encoding_rs::GBK,
        vec![
            field("图斑编号", b'C', 30, 0),
            field("ZLDWDM", b'C', 19, 0),
            field("来源", b'C', 20, 0),
            field("地类", b'C', 20, 0),
            field("问题类型", b'C', 40, 0),
            field("TBMJ", b'N', 14, 2),
        ],
    )
    .cpg("GBK")
    .prj(ZONE_39_PRJ);
    for row in rows {
        layer = layer.record(
            row.shape,
            &[
                row.code,
                row.village,
                "耕地流出",
                row.land_class,
                "耕地改林地",
                row.area_m2,
            ],
        );
    }
    layer
}

/// A campaign in the fixture county with outflow cases due on 2023-08-25; returns its id.
pub async fn create_campaign(app: &TestApp, name: &str) -> String {
    let rectification = (date(2023, 7, 29), date(2023, 8, 20));
    create_campaign_in(app, name, rectification, date(2023, 8, 25)).await
}

/// A campaign in the fixture county whose rectification phase runs from `phase.0` to
/// `phase.1` and whose outflow cases are due on `due_on`; returns its id.
pub async fn create_campaign_in(
    app: &TestApp,
    name: &str,
    phase: (chrono::NaiveDate, chrono::NaiveDate),
    due_on: chrono::NaiveDate,
) -> String {
    let spec = CampaignSpec {
        name: name.to_owned(),
        county_code: COUNTY.to_owned(),
        phases: vec![Phase {
            kind: PhaseKind::Rectification,
            starts_on: phase.0,
            ends_on: phase.1,
        }],
        deadlines: vec![Deadline {
            source_list: SourceList::FarmlandOutflow,
            due_on,
        }],
        targets: Vec::new(),
        field_mapping: None,
    };
    app.state
        .db
        .write(move |conn| campaigns_repo::add(conn, &spec).map_err(|e| anyhow::anyhow!("{e}")))
        .await
        .expect("create campaign")
        .id
}

fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// The divisions codes (19 digits, as lists write them) of the three fixture villages.
pub const LIST_VILLAGES: [&str; 3] = [
    "3601241002010000000",
    "3601241002020000000",
    "3601241012010000000",
];

/// Nine parcels P1–P9: three in each fixture village (village, neighbour village, the other
/// township's village), in slots 0–8.
pub fn nine_parcels() -> Vec<Row> {
    const CODES: [&str; 9] = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9"];
    const AREAS: [&str; 3] = ["10000", "10000", "30000"];
    (0..9)
        .map(|i| Row {
            code: CODES[i],
            village: LIST_VILLAGES[i / 3],
            land_class: if i % 2 == 0 {
                "永久基本农田"
            } else {
                "一般耕地"
            },
            area_m2: AREAS[i % 3],
            shape: square_parcel(i),
        })
        .collect()
}

/// Uploads a list as an admin; asserts it was imported.
pub async fn import_rows(app: &TestApp, admin: &Tokens, campaign: &str, rows: Vec<Row>) {
    let body = zip(&zip_entries(&outflow_list(rows), "", "tb"));
    let response = app
        .upload_list(&admin.access_token, campaign, "", "application/zip", body)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// A campaign with [`nine_parcels`], on a server whose regions are seeded; returns the
/// admin's tokens and the campaign.
pub async fn with_nine_parcels(app: &TestApp) -> (Tokens, String) {
    let campaign = create_campaign(app, "2023 整改").await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    import_rows(app, &admin, &campaign, nine_parcels()).await;
    (admin, campaign)
}

/// A server with a campaign and [`nine_parcels`]; returns the admin's tokens and the campaign.
pub async fn app_with_parcels() -> (TestApp, Tokens, String) {
    let app = TestApp::spawn().await;
    let (admin, campaign) = with_nine_parcels(&app).await;
    (app, admin, campaign)
}
