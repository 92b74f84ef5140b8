//! Made-up but plausible village names (村), unique within a county.
//!
//! The names join a common surname or place word to a word for a clan seat or a landscape; any
//! match with a real village is chance.

use rand_chacha::ChaCha8Rng;

use crate::demo::generate::random::shuffle_front;

const SURNAMES: [&str; 26] = [
    "胡", "万", "熊", "徐", "吴", "李", "张", "陈", "罗", "邓", "付", "杨", "朱", "黄", "刘", "周",
    "涂", "饶", "章", "彭", "程", "雷", "袁", "戴", "艾", "魏",
];

/// Words that name a place after its people: 胡家, 万坊.
const CLAN_ENDINGS: [&str; 3] = ["家", "坊", "庄"];

const PLACE_WORDS: [&str; 20] = [
    "石", "枫", "梅", "竹", "新", "东", "西", "南", "北", "上", "下", "前", "后", "大", "高", "长",
    "龙", "凤", "白", "青",
];

/// Words that name a place after its land or water: 石岗, 龙湾, 胡塘.
const LANDSCAPE_ENDINGS: [&str; 16] = [
    "塘", "岗", "湖", "桥", "岭", "源", "溪", "湾", "洲", "垅", "埠", "港", "坪", "圩", "田", "山",
];

/// `count` distinct names such as 胡家村 or 石岗村 (at most a few hundred are available). No
/// name starts like one of `townships`, so that 白圩村 cannot be mistaken for 白圩乡.
pub(crate) fn village_names(rng: &mut ChaCha8Rng, count: usize, townships: &[&str]) -> Vec<String> {
    let clan_names = SURNAMES
        .iter()
        .flat_map(|first| CLAN_ENDINGS.iter().map(move |last| (*first, *last)));
    let landscape_names = SURNAMES
        .iter()
        .chain(PLACE_WORDS.iter())
        .flat_map(|first| LANDSCAPE_ENDINGS.iter().map(move |last| (*first, *last)));
    let mut candidates: Vec<(&str, &str)> = clan_names
        .chain(landscape_names)
        .filter(|(first, last)| {
            let stem = format!("{first}{last}");
            !townships.iter().any(|township| township.starts_with(&stem))
        })
        .collect();
    shuffle_front(rng, &mut candidates, count);
    candidates
        .into_iter()
        .take(count)
        .map(|(first, last)| format!("{first}{last}村"))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::demo::generate::random::{Stream, rng};

    #[test]
    fn names_are_distinct_villages() {
        let names = village_names(&mut rng(1, Stream::Regions), 600, &["白圩乡"]);
        assert_eq!(names.len(), 600);
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), 600);
        assert!(
            names
                .iter()
                .all(|name| name.ends_with('村') && name.chars().count() == 3)
        );
        assert!(!names.contains(&"白圩村".to_owned()));
    }
}
