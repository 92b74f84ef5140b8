//! Turning the bytes of one .dbf field into an [`AttributeValue`].
//!
//! Values that do not parse as their declared type are kept as text rather than failing
//! the read, so the field mapping can report them against their feature number.

use chrono::NaiveDate;

use crate::parcels::import::read::AttributeValue;
use crate::parcels::import::read::shapefile::text_encoding::TextDecoder;

/// `kind` and `decimals` as in the field descriptor.
pub(crate) fn parse_value(
    kind: u8,
    decimals: u8,
    bytes: &[u8],
    decoder: &mut TextDecoder,
) -> AttributeValue {
    match kind {
        b'N' | b'F' => parse_number(trim_padding(bytes), decimals, decoder),
        b'D' => parse_date(trim_padding(bytes), decoder),
        b'L' => parse_logical(trim_padding(bytes), decoder),
        // C, and types shapefiles should not hold (memo, binary), kept as text.
        _ => AttributeValue::Text(decoder.decode(trim_end_padding(bytes))),
    }
}

/// Text is left-aligned and padded with spaces (some writers pad with NULs).
fn trim_end_padding(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|&byte| byte != b' ' && byte != 0)
        .map_or(0, |last| last + 1);
    &bytes[..end]
}

/// Numbers are right-aligned, dates and logicals fill the field; trim both sides.
fn trim_padding(bytes: &[u8]) -> &[u8] {
    let trimmed = trim_end_padding(bytes);
    let start = trimmed
        .iter()
        .position(|&byte| byte != b' ' && byte != 0)
        .unwrap_or(trimmed.len());
    &trimmed[start..]
}

/// Fields declared without decimals give integers, others numbers; blank means null.
fn parse_number(bytes: &[u8], decimals: u8, decoder: &mut TextDecoder) -> AttributeValue {
    if bytes.is_empty() {
        return AttributeValue::Null;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return AttributeValue::Text(decoder.decode(bytes));
    };
    if decimals == 0
        && let Ok(integer) = text.parse::<i64>()
    {
        return AttributeValue::Integer(integer);
    }
    match text.parse::<f64>() {
        // Rust also accepts "inf" and "NaN", which no dBASE writer means as a number.
        Ok(number) if number.is_finite() => AttributeValue::Number(number),
        _ => AttributeValue::Text(text.to_owned()),
    }
}

/// `YYYYMMDD`; blank or all zeros means null.
fn parse_date(bytes: &[u8], decoder: &mut TextDecoder) -> AttributeValue {
    if bytes.iter().all(|&byte| byte == b'0') {
        return AttributeValue::Null;
    }
    let date = std::str::from_utf8(bytes).ok().and_then(|text| {
        if text.len() != 8 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let year = text[..4].parse().ok()?;
        let month = text[4..6].parse().ok()?;
        let day = text[6..].parse().ok()?;
        NaiveDate::from_ymd_opt(year, month, day)
    });
    match date {
        Some(date) => AttributeValue::Date(date),
        None => AttributeValue::Text(decoder.decode(bytes)),
    }
}

/// `T`/`Y` true, `F`/`N` false, `?` or blank null.
fn parse_logical(bytes: &[u8], decoder: &mut TextDecoder) -> AttributeValue {
    match bytes {
        [] | [b'?'] => AttributeValue::Null,
        [b'T' | b't' | b'Y' | b'y'] => AttributeValue::Bool(true),
        [b'F' | b'f' | b'N' | b'n'] => AttributeValue::Bool(false),
        _ => AttributeValue::Text(decoder.decode(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::UTF_8;

    fn parse(kind: u8, decimals: u8, bytes: &[u8]) -> AttributeValue {
        parse_value(kind, decimals, bytes, &mut TextDecoder::new(UTF_8))
    }

    #[test]
    fn numbers_follow_the_declared_decimals() {
        assert_eq!(parse(b'N', 0, b"        42"), AttributeValue::Integer(42));
        assert_eq!(parse(b'N', 0, b"       -42"), AttributeValue::Integer(-42));
        assert_eq!(parse(b'N', 3, b"     1.500"), AttributeValue::Number(1.5));
        assert_eq!(parse(b'N', 2, b"        12"), AttributeValue::Number(12.0));
        assert_eq!(parse(b'F', 0, b" 1.5E+03"), AttributeValue::Number(1500.0));
        // Wider than i64: still a number.
        assert_eq!(
            parse(b'N', 0, b"99999999999999999999"),
            AttributeValue::Number(1e20)
        );
    }

    #[test]
    fn blank_numbers_are_null_and_junk_stays_text() {
        assert_eq!(parse(b'N', 0, b"          "), AttributeValue::Null);
        assert_eq!(parse(b'N', 0, b"\0\0\0\0"), AttributeValue::Null);
        assert_eq!(
            parse(b'N', 2, b"  ********"),
            AttributeValue::Text("********".into())
        );
        assert_eq!(
            parse(b'N', 2, b"       NaN"),
            AttributeValue::Text("NaN".into())
        );
        assert_eq!(
            parse(b'N', 2, b"      1,5 "),
            AttributeValue::Text("1,5".into())
        );
    }

    #[test]
    fn dates() {
        let date = NaiveDate::from_ymd_opt(2024, 1, 31).map(AttributeValue::Date);
        assert_eq!(Some(parse(b'D', 0, b"20240131")), date);
        assert_eq!(parse(b'D', 0, b"        "), AttributeValue::Null);
        assert_eq!(parse(b'D', 0, b"00000000"), AttributeValue::Null);
        assert_eq!(
            parse(b'D', 0, b"20240231"),
            AttributeValue::Text("20240231".into())
        );
        assert_eq!(
            parse(b'D', 0, b"2024-1-3"),
            AttributeValue::Text("2024-1-3".into())
        );
    }

    #[test]
    fn logicals() {
        assert_eq!(parse(b'L', 0, b"T"), AttributeValue::Bool(true));
        assert_eq!(parse(b'L', 0, b"y"), AttributeValue::Bool(true));
        assert_eq!(parse(b'L', 0, b"F"), AttributeValue::Bool(false));
        assert_eq!(parse(b'L', 0, b"?"), AttributeValue::Null);
        assert_eq!(parse(b'L', 0, b" "), AttributeValue::Null);
    }

    #[test]
    fn text_keeps_leading_spaces_and_drops_padding() {
        assert_eq!(
            parse(b'C', 0, b" a b  \0\0"),
            AttributeValue::Text(" a b".into())
        );
        assert_eq!(
            parse(b'C', 0, b"     "),
            AttributeValue::Text(String::new())
        );
    }
}
