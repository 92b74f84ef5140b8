//! GeoJSON `coordinates` of any nesting depth.
//!
//! The depth a geometry needs depends on its `type`, which JSON may place after
//! `coordinates`; so coordinates are parsed by shape alone and checked against the type
//! afterwards. Lists of positions (rings) are collected straight into vertex vectors.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};

#[derive(Debug, PartialEq)]
pub(crate) enum Coordinates {
    Position(f64, f64),
    Positions(Vec<(f64, f64)>),
    /// Lists of lists; also any empty list.
    Lists(Vec<Coordinates>),
}

impl<'de> Deserialize<'de> for Coordinates {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(CoordinatesVisitor)
    }
}

struct CoordinatesVisitor;

impl<'de> Visitor<'de> for CoordinatesVisitor {
    type Value = Coordinates;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("coordinates: nested arrays of numbers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Coordinates, A::Error> {
        match seq.next_element::<Element>()? {
            None => Ok(Coordinates::Lists(Vec::new())),
            Some(Element::Number(x)) => {
                let (x, y) = finish_position(x, &mut seq)?;
                Ok(Coordinates::Position(x, y))
            }
            Some(Element::Nested(Coordinates::Position(x, y))) => {
                let mut positions = vec![(x, y)];
                while let Some(Position(x, y)) = seq.next_element()? {
                    positions.push((x, y));
                }
                Ok(Coordinates::Positions(positions))
            }
            Some(Element::Nested(first)) => {
                let mut lists = vec![first];
                while let Some(list) = seq.next_element()? {
                    lists.push(list);
                }
                Ok(Coordinates::Lists(lists))
            }
        }
    }
}

/// Reads the `y` of a position whose `x` was read, and skips altitude and beyond.
fn finish_position<'de, A: SeqAccess<'de>>(x: f64, seq: &mut A) -> Result<(f64, f64), A::Error> {
    let y = seq
        .next_element::<f64>()?
        .ok_or_else(|| de::Error::custom("a position needs at least two numbers"))?;
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok((x, y))
}

/// The first element of a list, which tells what the list is.
enum Element {
    Number(f64),
    Nested(Coordinates),
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a number or an array of coordinates")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Element, E> {
        Ok(Element::Number(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Element, E> {
        Ok(Element::Number(value as f64))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Element, E> {
        Ok(Element::Number(value as f64))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Element, A::Error> {
        CoordinatesVisitor.visit_seq(seq).map(Element::Nested)
    }
}

/// A position known to be one: the elements after the first of a ring.
struct Position(f64, f64);

impl<'de> Deserialize<'de> for Position {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(PositionVisitor)
    }
}

struct PositionVisitor;

impl<'de> Visitor<'de> for PositionVisitor {
    type Value = Position;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a position: an array of at least two numbers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Position, A::Error> {
        let x = seq
            .next_element::<f64>()?
            .ok_or_else(|| de::Error::custom("a position needs at least two numbers"))?;
        let (x, y) = finish_position(x, &mut seq)?;
        Ok(Position(x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Coordinates, String> {
        serde_json::from_str(json).map_err(|error| error.to_string())
    }

    #[test]
    fn depth_is_read_from_the_data() {
        assert_eq!(parse("[1, 2.5]"), Ok(Coordinates::Position(1.0, 2.5)));
        assert_eq!(
            parse("[[1, 2], [3, 4, 99]]"),
            Ok(Coordinates::Positions(vec![(1.0, 2.0), (3.0, 4.0)]))
        );
        assert_eq!(
            parse("[[[1, 2]], []]"),
            Ok(Coordinates::Lists(vec![
                Coordinates::Positions(vec![(1.0, 2.0)]),
                Coordinates::Lists(Vec::new())
            ]))
        );
    }

    #[test]
    fn malformed_positions_are_rejected_with_their_place() {
        let error = parse("[[1, 2],\n [3]]").err().unwrap_or_default();
        assert!(
            error.contains("at least two numbers") && error.contains("line 2"),
            "{error}"
        );
        assert!(parse("[[1, 2], [\"x\", 4]]").is_err());
        assert!(parse("[1, [2]]").is_err());
    }
}
