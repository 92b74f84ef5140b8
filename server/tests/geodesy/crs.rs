//! Recognising and refusing coordinate reference systems: EPSG codes, `.prj`
//! WKT (as PROJ 9.1.1's `projinfo` writes it for every code) and GeoJSON names.

use tianzhang_server::parcels::geodesy::{CrsError, Datum, GaussKrugerZone, SourceCrs};

const WKT_FIXTURE: &str = include_str!("../fixtures/geodesy/wkt.tsv");

/// ESRI's zone 39 `.prj`, as in the brief; variations below are edits of it.
const ZONE_39_ESRI: &str = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_39",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",39500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

fn variant(error: &CrsError) -> String {
    let debug = format!("{error:?}");
    debug
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn zone(crs: SourceCrs) -> GaussKrugerZone {
    match crs {
        SourceCrs::GaussKruger(zone) => zone,
        SourceCrs::Geographic { .. } => panic!("expected a Gauss-Kruger CRS"),
    }
}

#[test]
fn every_accepted_epsg_code_resolves() {
    assert_eq!(
        SourceCrs::from_epsg(4490),
        Ok(SourceCrs::Geographic {
            datum: Datum::Cgcs2000
        })
    );
    assert_eq!(
        SourceCrs::from_epsg(4326),
        Ok(SourceCrs::Geographic {
            datum: Datum::Wgs84
        })
    );
    for code in 4491..=4554 {
        let zone = zone(SourceCrs::from_epsg(code).unwrap());
        let (cm, fe) = (zone.central_meridian_deg(), zone.false_easting_m());
        let expected = match code {
            4491..=4501 => (
                f64::from(75 + 6 * (code - 4491)),
                f64::from(13 + code - 4491) * 1e6 + 5e5,
            ),
            4502..=4512 => (f64::from(75 + 6 * (code - 4502)), 5e5),
            4513..=4533 => (
                f64::from(75 + 3 * (code - 4513)),
                f64::from(25 + code - 4513) * 1e6 + 5e5,
            ),
            _ => (f64::from(75 + 3 * (code - 4534)), 5e5),
        };
        assert_eq!((cm, fe), expected, "EPSG:{code}");
    }
}

#[test]
fn epsg_codes_round_trip() {
    for code in [4490, 4326]
        .into_iter()
        .chain(4491..=4501)
        .chain(4513..=4554)
    {
        assert_eq!(SourceCrs::from_epsg(code).unwrap().epsg_code(), code);
    }
    // Plain-easting 6-degree zones are the 3-degree zones on the same meridian.
    for code in 4502..=4512 {
        let same = 4534 + 2 * (code - 4502);
        assert_eq!(SourceCrs::from_epsg(code).unwrap().epsg_code(), same);
    }
}

#[test]
fn jinxian_codes_have_the_documented_parameters() {
    let prefixed = zone(SourceCrs::from_epsg(4527).unwrap());
    assert_eq!(
        (
            prefixed.central_meridian_deg(),
            prefixed.false_easting_m(),
            prefixed.zone_prefix()
        ),
        (117.0, 39_500_000.0, Some(39))
    );
    let plain = zone(SourceCrs::from_epsg(4548).unwrap());
    assert_eq!(
        (
            plain.central_meridian_deg(),
            plain.false_easting_m(),
            plain.zone_prefix()
        ),
        (117.0, 500_000.0, None)
    );
}

#[test]
fn other_epsg_codes_are_refused() {
    for code in [
        0,
        4214,
        4479,
        4480,
        4489,
        4555,
        2383,
        2436,
        3857,
        32650,
        u32::MAX,
    ] {
        let error = SourceCrs::from_epsg(code).unwrap_err();
        assert_eq!(error, CrsError::UnsupportedEpsg { code });
        let message = error.to_string();
        assert!(
            message.contains(&format!("EPSG:{code}")) && message.contains("4513-4533"),
            "{message}"
        );
    }
}

#[test]
fn projinfo_wkt_is_read_or_refused() {
    let mut accepted = 0;
    for line in WKT_FIXTURE.lines().filter(|line| !line.starts_with('#')) {
        let [expected, flavour, wkt] = line.splitn(3, '\t').collect::<Vec<_>>()[..] else {
            panic!("bad fixture line {line}");
        };
        let result = SourceCrs::from_wkt(wkt);
        if let Some(code) = expected.strip_prefix("EPSG:") {
            let code: u32 = code.parse().unwrap();
            assert_eq!(
                result,
                SourceCrs::from_epsg(code),
                "{flavour} WKT of EPSG:{code}"
            );
            accepted += 1;
        } else {
            let error = result.expect_err(wkt);
            assert_eq!(variant(&error), expected, "{flavour}: {wkt}");
        }
    }
    assert_eq!(accepted, 2 * 66);
}

#[test]
fn brief_examples_are_read() {
    let zone_39 = SourceCrs::from_wkt(ZONE_39_ESRI).unwrap();
    assert_eq!(zone_39.epsg_code(), 4527);
    let cm_117 = ZONE_39_ESRI
        .replace("Zone_39", "CM_117E")
        .replace("39500000.0", "500000.0");
    assert_eq!(SourceCrs::from_wkt(&cm_117).unwrap().epsg_code(), 4548);
    let six_degree_zone_20 = ZONE_39_ESRI.replace("39500000.0", "20500000.0");
    assert_eq!(
        SourceCrs::from_wkt(&six_degree_zone_20)
            .unwrap()
            .epsg_code(),
        4498
    );
}

#[test]
fn unsupported_wkt_is_refused_with_what_was_found() {
    let cases: [(&str, &str, &str, &str); 16] = [
        (
            "Meter\",1.0]]",
            "Foot_US\",0.3048006096012192]]",
            "UnsupportedLinearUnit",
            "Foot_US",
        ),
        (
            "Gauss_Kruger",
            "Lambert_Conformal_Conic",
            "UnsupportedProjection",
            "Lambert_Conformal_Conic",
        ),
        (
            "\"Scale_Factor\",1.0",
            "\"Scale_Factor\",0.9996",
            "UnsupportedParameterValue",
            "0.9996",
        ),
        (
            "\"False_Northing\",0.0",
            "\"False_Northing\",10000000.0",
            "UnsupportedParameterValue",
            "False_Northing",
        ),
        (
            "\"Latitude_Of_Origin\",0.0",
            "\"Latitude_Of_Origin\",30.0",
            "UnsupportedParameterValue",
            "Latitude_Of_Origin",
        ),
        (
            "\"Central_Meridian\",117.0",
            "\"Central_Meridian\",116.5",
            "UnsupportedCentralMeridian",
            "116.5",
        ),
        (
            "\"Central_Meridian\",117.0",
            "\"Central_Meridian\",138.0",
            "UnsupportedCentralMeridian",
            "138",
        ),
        (
            "39500000.0",
            "38500000.0",
            "UnsupportedFalseEasting",
            "38500000",
        ),
        ("39500000.0", "0.0", "UnsupportedFalseEasting", "117E"),
        (
            "PARAMETER[\"Scale_Factor\"",
            "PARAMETER[\"Azimuth\",1.0],PARAMETER[\"Scale_Factor\"",
            "UnsupportedParameter",
            "Azimuth",
        ),
        (
            "\"Degree\",0.0174532925199433",
            "\"Grad\",0.01570796326794897",
            "UnsupportedAngularUnit",
            "Grad",
        ),
        (
            "\"Greenwich\",0.0",
            "\"Paris\",2.33722917",
            "UnsupportedPrimeMeridian",
            "Paris",
        ),
        (
            "\"CGCS2000\",6378137.0,298.257222101",
            "\"Krasovsky_1940\",6378245.0,298.3",
            "UnsupportedSpheroid",
            "6378245",
        ),
        (
            "D_China_2000",
            "D_Beijing_1954",
            "UnsupportedDatum",
            "D_Beijing_1954",
        ),
        (
            "PROJECTION[\"Gauss_Kruger\"],",
            "",
            "MissingWktElement",
            "PROJECTION",
        ),
        (
            "PARAMETER[\"Central_Meridian\",117.0],",
            "",
            "MissingWktElement",
            "Central_Meridian",
        ),
    ];
    for (original, replacement, expected_variant, mentioned) in cases {
        assert!(ZONE_39_ESRI.contains(original), "{original}");
        let wkt = ZONE_39_ESRI.replace(original, replacement);
        let error = SourceCrs::from_wkt(&wkt).unwrap_err();
        assert_eq!(variant(&error), expected_variant, "{replacement}");
        let message = error.to_string();
        assert!(
            message.contains(mentioned),
            "{message:?} should mention {mentioned:?}"
        );
        assert!(
            message.contains("accepted") || message.contains("use") || message.contains("no "),
            "{message}"
        );
    }
}

#[test]
fn geographic_wkt_accepts_both_datums_and_refuses_others() {
    let cgcs2000 = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
    assert_eq!(
        SourceCrs::from_wkt(cgcs2000),
        Ok(SourceCrs::Geographic {
            datum: Datum::Cgcs2000
        })
    );
    let xian = cgcs2000.replace("D_China_2000", "D_Xian_1980");
    let error = SourceCrs::from_wkt(&xian).unwrap_err();
    assert_eq!(
        error.to_string(),
        "datum \"D_Xian_1980\" is not supported; accepted: China 2000 (CGCS2000) or WGS 84"
    );
    // WGS 84 is fine for longitude/latitude but not under a Gauss-Krüger grid.
    let wgs84_grid = ZONE_39_ESRI.replace("D_China_2000", "D_WGS_1984");
    assert_eq!(
        variant(&SourceCrs::from_wkt(&wgs84_grid).unwrap_err()),
        "UnsupportedDatum"
    );
}

#[test]
fn non_wkt1_and_malformed_text_is_refused() {
    for (text, expected) in [
        (
            r#"GEOGCRS["WGS 84",DATUM["World Geodetic System 1984"]]"#,
            "UnsupportedWktRoot",
        ),
        (
            r#"COMPD_CS["x",PROJCS["y"],VERT_CS["z"]]"#,
            "UnsupportedWktRoot",
        ),
        ("", "WktSyntax"),
        ("EPSG:4527", "WktSyntax"),
        (&ZONE_39_ESRI[..200], "WktSyntax"),
        (r#"GEOGCS["no datum"]"#, "MissingWktElement"),
    ] {
        assert_eq!(
            variant(&SourceCrs::from_wkt(text).unwrap_err()),
            expected,
            "{text}"
        );
    }
}

#[test]
fn geojson_crs_names() {
    let wgs84 = SourceCrs::Geographic {
        datum: Datum::Wgs84,
    };
    assert_eq!(SourceCrs::from_geojson_crs_name(None), Ok(wgs84));
    for (name, code) in [
        ("EPSG:4490", 4490),
        ("epsg:4326", 4326),
        ("urn:ogc:def:crs:EPSG::4527", 4527),
        ("urn:ogc:def:crs:EPSG:6.6:4548", 4548),
        ("http://www.opengis.net/def/crs/EPSG/0/4490", 4490),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", 4326),
        (" urn:ogc:def:crs:OGC::CRS84 ", 4326),
    ] {
        assert_eq!(
            SourceCrs::from_geojson_crs_name(Some(name)).map(|crs| crs.epsg_code()),
            Ok(code),
            "{name}"
        );
    }
    for name in [
        "EPSG:3857",
        "urn:ogc:def:crs:EPSG::2383",
        "EPSG:",
        "urn:ogc:def:crs:EPSG:x:4490",
        "WGS84",
        "",
    ] {
        let error = SourceCrs::from_geojson_crs_name(Some(name)).unwrap_err();
        assert_eq!(
            error,
            CrsError::UnsupportedCrsName {
                found: name.to_owned()
            }
        );
        assert!(error.to_string().contains("urn:ogc:def:crs:EPSG::CODE"));
    }
}

#[test]
fn sample_eastings_settle_the_zone_prefix() {
    let plain = SourceCrs::from_epsg(4548).unwrap();
    let prefixed = SourceCrs::from_epsg(4527).unwrap();
    assert_eq!(plain.disambiguate_by_easting(39_431_401.7), Ok(prefixed));
    assert_eq!(prefixed.disambiguate_by_easting(431_401.7), Ok(plain));
    assert_eq!(prefixed.disambiguate_by_easting(39_431_401.7), Ok(prefixed));
    // 6-degree zone 20 shares the 117°E meridian.
    assert_eq!(
        plain
            .disambiguate_by_easting(20_431_401.7)
            .map(|crs| crs.epsg_code()),
        Ok(4498)
    );
    assert_eq!(
        plain.disambiguate_by_easting(38_431_401.7),
        Err(CrsError::ZoneMismatch {
            x: 38_431_401.7,
            zone: 38,
            zone_central_meridian_deg: 114.0,
            declared_central_meridian_deg: 117.0,
        })
    );
    for x in [
        f64::NAN,
        -5.0,
        0.0,
        24_500_000.0,
        99_000_000.0,
        f64::INFINITY,
    ] {
        assert_eq!(
            variant(&plain.disambiguate_by_easting(x).unwrap_err()),
            "ImplausibleSampleX",
            "{x}"
        );
    }
    let geographic = SourceCrs::from_epsg(4490).unwrap();
    assert_eq!(geographic.disambiguate_by_easting(116.3), Ok(geographic));
    assert_eq!(
        variant(
            &geographic
                .disambiguate_by_easting(39_431_401.7)
                .unwrap_err()
        ),
        "ImplausibleSampleX"
    );
}

#[test]
fn zone_constructors_validate() {
    assert_eq!(
        GaussKrugerZone::from_zone_number(39).map(|z| z.central_meridian_deg()),
        Some(117.0)
    );
    assert_eq!(
        GaussKrugerZone::from_zone_number(20).map(|z| z.central_meridian_deg()),
        Some(117.0)
    );
    for zone in [0, 12, 24, 46] {
        assert_eq!(GaussKrugerZone::from_zone_number(zone), None);
    }
    assert!(GaussKrugerZone::from_central_meridian(116.5).is_none());
    assert!(GaussKrugerZone::from_central_meridian(72.0).is_none());
    assert_eq!(
        GaussKrugerZone::new(117.000_000_000_1, 39_500_000.000_000_1),
        GaussKrugerZone::new(117.0, 39_500_000.0)
    );
    assert_eq!(
        GaussKrugerZone::new(114.0, 39_500_000.0),
        Err(CrsError::UnsupportedFalseEasting {
            found: 39_500_000.0,
            central_meridian_deg: 114.0
        })
    );
}
