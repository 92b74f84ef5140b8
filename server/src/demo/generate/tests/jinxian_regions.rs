use std::collections::HashSet;

use super::DEMO;

/// The township-level units of the plan's task-force list (进府办发〔2023〕43号), in its order,
/// with the development zone (经开区) the plan names beside them.
const PLAN_TOWNSHIPS: [&str; 21] = [
    "民和镇",
    "白圩乡",
    "长山晏乡",
    "李渡镇",
    "文港镇",
    "温圳镇",
    "架桥镇",
    "泉岭乡",
    "张公镇",
    "罗溪镇",
    "七里乡",
    "前坊镇",
    "三阳集乡",
    "梅庄镇",
    "二塘乡",
    "钟陵乡",
    "南台乡",
    "池溪乡",
    "下埠集乡",
    "衙前乡",
    "经开区",
];

#[test]
fn the_county_is_jinxian() {
    assert_eq!(DEMO.county.code, "360124");
    assert_eq!(DEMO.county.name, "进贤县");
}

#[test]
fn townships_are_the_real_ones_with_codes_by_the_division_rules() {
    let names: Vec<&str> = DEMO.townships.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, PLAN_TOWNSHIPS);
    let codes: HashSet<&str> = DEMO.townships.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes.len(), 21);
    for township in &DEMO.townships {
        let code = &township.code;
        assert_eq!(code.len(), 9, "{code}");
        assert!(code.starts_with("360124") && code.bytes().all(|b| b.is_ascii_digit()));
        // Towns (镇) take 100–199, townships (乡) 200–399, other units 400–599.
        let expected_series = match township.name.chars().last() {
            Some('镇') => '1',
            Some('乡') => '2',
            _ => '4',
        };
        assert_eq!(
            code.chars().nth(6),
            Some(expected_series),
            "{}",
            township.name
        );
    }
    assert_eq!(DEMO.townships[0].code, "360124100");
}

#[test]
fn every_township_has_several_uniquely_named_villages_coded_beneath_it() {
    let mut names = HashSet::new();
    let mut codes = HashSet::new();
    for township in &DEMO.townships {
        assert!(
            (3..=8).contains(&township.villages.len()),
            "{}",
            township.name
        );
        for village in &township.villages {
            assert_eq!(village.code.len(), 12);
            assert!(village.code.starts_with(&township.code));
            assert!(village.code.bytes().all(|b| b.is_ascii_digit()));
            assert!(village.name.ends_with('村'));
            assert!(names.insert(village.name.as_str()), "{}", village.name);
            assert!(codes.insert(village.code.as_str()));
        }
    }
}

#[test]
fn township_extents_tile_the_county_box() {
    let county = crate::demo::generate::jinxian_regions::COUNTY_EXTENT;
    let area =
        |b: &crate::demo::generate::LonLatBox| (b.max_lon - b.min_lon) * (b.max_lat - b.min_lat);
    let extents: Vec<_> = DEMO.townships.iter().map(|t| t.extent).collect();
    for extent in &extents {
        assert!(county.contains((extent.min_lon, extent.min_lat)));
        assert!(county.contains((extent.max_lon, extent.max_lat)));
        assert!(extent.min_lon < extent.max_lon && extent.min_lat < extent.max_lat);
    }
    for (i, a) in extents.iter().enumerate() {
        for b in &extents[i + 1..] {
            let interiors_meet = a.min_lon < b.max_lon
                && b.min_lon < a.max_lon
                && a.min_lat < b.max_lat
                && b.min_lat < a.max_lat;
            assert!(!interiors_meet, "{a:?} {b:?}");
        }
    }
    let covered: f64 = extents.iter().map(area).sum();
    assert!((covered - area(&county)).abs() < 1e-12);
}
