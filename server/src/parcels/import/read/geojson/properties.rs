//! A feature's `properties`, kept in file order (a `serde_json::Map` would sort them,
//! and enabling `preserve_order` would change `serde_json` for the whole server).

use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::parcels::import::read::AttributeValue;

pub(crate) struct Properties(pub(crate) Vec<(String, AttributeValue)>);

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PropertiesVisitor)
    }
}

struct PropertiesVisitor;

impl<'de> Visitor<'de> for PropertiesVisitor {
    type Value = Properties;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object of properties")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
        let mut properties = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((name, PropertyValue(value))) = map.next_entry()? {
            properties.push((name, value));
        }
        Ok(Properties(properties))
    }
}

/// Numbers written without fraction or exponent are integers; arrays and objects,
/// which parcel attributes should not be, are kept as their JSON text.
struct PropertyValue(AttributeValue);

impl<'de> Deserialize<'de> for PropertyValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PropertyValueVisitor)
    }
}

struct PropertyValueVisitor;

impl<'de> Visitor<'de> for PropertyValueVisitor {
    type Value = PropertyValue;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a property value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<PropertyValue, E> {
        Ok(PropertyValue(AttributeValue::Bool(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<PropertyValue, E> {
        Ok(PropertyValue(AttributeValue::Integer(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<PropertyValue, E> {
        let value = i64::try_from(value).map_or(
            AttributeValue::Number(value as f64),
            AttributeValue::Integer,
        );
        Ok(PropertyValue(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<PropertyValue, E> {
        Ok(PropertyValue(AttributeValue::Number(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<PropertyValue, E> {
        Ok(PropertyValue(AttributeValue::Text(value.to_owned())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<PropertyValue, E> {
        Ok(PropertyValue(AttributeValue::Text(value)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<PropertyValue, E> {
        Ok(PropertyValue(AttributeValue::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<PropertyValue, A::Error> {
        let value = serde_json::Value::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(PropertyValue(AttributeValue::Text(value.to_string())))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PropertyValue, A::Error> {
        let value = serde_json::Value::deserialize(MapAccessDeserializer::new(map))?;
        Ok(PropertyValue(AttributeValue::Text(value.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_json_type_in_file_order() {
        let json = r#"{"图斑编号": "360124-0001", "面积": 1234.5, "户数": 12,
            "确权": true, "备注": null, "big": 18446744073709551615, "标签": ["a", 1]}"#;
        let properties: Result<Properties, _> = serde_json::from_str(json);
        let properties = properties
            .map(|properties| properties.0)
            .unwrap_or_default();
        assert_eq!(
            properties,
            vec![
                (
                    "图斑编号".into(),
                    AttributeValue::Text("360124-0001".into())
                ),
                ("面积".into(), AttributeValue::Number(1234.5)),
                ("户数".into(), AttributeValue::Integer(12)),
                ("确权".into(), AttributeValue::Bool(true)),
                ("备注".into(), AttributeValue::Null),
                ("big".into(), AttributeValue::Number(18446744073709551615.0)),
                ("标签".into(), AttributeValue::Text(r#"["a",1]"#.into())),
            ]
        );
    }
}
