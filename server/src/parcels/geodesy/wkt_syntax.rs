//! Reads WKT text into a tree of keyword nodes, without judging what it means.
//!
//! WKT1 is `KEYWORD[value, value, …]` where a value is a quoted string, a
//! number, a bare word (`EAST`) or another node; brackets may also be round.
//! Keeping syntax apart from meaning lets [`super::wkt`] read like the CRS
//! rules it enforces.

use super::error::CrsError;

/// Deeper nesting than any CRS needs is refused, so hostile input cannot
/// exhaust the stack.
const MAX_DEPTH: usize = 16;

/// `KEYWORD[values…]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WktNode {
    pub(crate) keyword: String,
    pub(crate) values: Vec<WktValue>,
}

/// One item inside a node's brackets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WktValue {
    Text(String),
    Number(f64),
    Word(String),
    Node(WktNode),
}

impl WktNode {
    /// Whether the keyword is `keyword`, ignoring case as WKT readers do.
    pub(crate) fn is(&self, keyword: &str) -> bool {
        self.keyword.eq_ignore_ascii_case(keyword)
    }

    /// Child nodes with the given keyword, in order.
    pub(crate) fn children<'a>(&'a self, keyword: &str) -> impl Iterator<Item = &'a WktNode> {
        self.values.iter().filter_map(move |value| match value {
            WktValue::Node(node) if node.is(keyword) => Some(node),
            _ => None,
        })
    }

    /// The first child node with the given keyword.
    pub(crate) fn child(&self, keyword: &str) -> Option<&WktNode> {
        self.children(keyword).next()
    }

    /// The leading quoted name, e.g. `"D_China_2000"` of `DATUM["D_China_2000",…]`.
    pub(crate) fn name(&self) -> Option<&str> {
        match self.values.first() {
            Some(WktValue::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// The `index`-th value if it is a number, e.g. a spheroid's radius.
    pub(crate) fn number(&self, index: usize) -> Option<f64> {
        match self.values.get(index) {
            Some(WktValue::Number(number)) => Some(*number),
            _ => None,
        }
    }
}

/// Parses a whole WKT string; a byte-order mark and surrounding white space
/// (as Windows tools leave in `.prj` files) are ignored.
pub(crate) fn parse(text: &str) -> Result<WktNode, CrsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader { text, position: 0 };
    reader.skip_white_space();
    let node = reader.node(0)?;
    reader.skip_white_space();
    if reader.position != text.len() {
        return Err(reader.error("end of text after the outermost ']'"));
    }
    Ok(node)
}

struct Reader<'a> {
    text: &'a str,
    position: usize,
}

impl Reader<'_> {
    fn node(&mut self, depth: usize) -> Result<WktNode, CrsError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("less deeply nested brackets"));
        }
        let keyword = self.identifier().ok_or_else(|| self.error("a keyword"))?;
        self.skip_white_space();
        let closing = match self.peek() {
            Some(b'[') => b']',
            Some(b'(') => b')',
            _ => return Err(self.error("'[' or '(' after a keyword")),
        };
        self.position += 1;
        let mut values = Vec::new();
        loop {
            self.skip_white_space();
            values.push(self.value(depth)?);
            self.skip_white_space();
            match self.peek() {
                Some(b',') => self.position += 1,
                Some(byte) if byte == closing => {
                    self.position += 1;
                    return Ok(WktNode { keyword, values });
                }
                _ => return Err(self.error("',' or a closing bracket")),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<WktValue, CrsError> {
        match self.peek() {
            Some(b'"') => self.quoted().map(WktValue::Text),
            Some(byte) if byte.is_ascii_digit() || matches!(byte, b'-' | b'+' | b'.') => {
                self.number()
            }
            Some(byte) if byte.is_ascii_alphabetic() => {
                let start = self.position;
                let word = self.identifier().ok_or_else(|| self.error("a value"))?;
                self.skip_white_space();
                if matches!(self.peek(), Some(b'[' | b'(')) {
                    self.position = start;
                    self.node(depth + 1).map(WktValue::Node)
                } else {
                    Ok(WktValue::Word(word))
                }
            }
            _ => Err(self.error("a quoted string, a number or a keyword")),
        }
    }

    /// A double-quoted string; WKT writes a literal quote as two.
    fn quoted(&mut self) -> Result<String, CrsError> {
        let opening = self.position;
        self.position += 1;
        let mut text = String::new();
        loop {
            let rest = &self.text[self.position..];
            let Some(end) = rest.find('"') else {
                self.position = opening;
                return Err(self.error("a closing '\"'"));
            };
            text.push_str(&rest[..end]);
            self.position += end + 1;
            if self.peek() != Some(b'"') {
                return Ok(text);
            }
            text.push('"');
            self.position += 1;
        }
    }

    fn number(&mut self) -> Result<WktValue, CrsError> {
        let start = self.position;
        let length = self.text[start..]
            .bytes()
            .take_while(|byte| {
                byte.is_ascii_digit() || matches!(byte, b'-' | b'+' | b'.' | b'e' | b'E')
            })
            .count();
        self.position += length;
        match self.text[start..self.position].parse() {
            Ok(number) => Ok(WktValue::Number(number)),
            Err(_) => {
                self.position = start;
                Err(self.error("a number"))
            }
        }
    }

    fn identifier(&mut self) -> Option<String> {
        let start = self.position;
        let length = self.text[start..]
            .bytes()
            .take_while(|byte| byte.is_ascii_alphanumeric() || *byte == b'_')
            .count();
        self.position += length;
        (length > 0).then(|| self.text[start..self.position].to_owned())
    }

    fn skip_white_space(&mut self) {
        let length = self.text[self.position..]
            .bytes()
            .take_while(u8::is_ascii_whitespace)
            .count();
        self.position += length;
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.position).copied()
    }

    fn error(&self, problem: &'static str) -> CrsError {
        CrsError::WktSyntax {
            offset: self.position,
            problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> WktNode {
        parse(text).expect("valid WKT")
    }

    #[test]
    fn reads_nested_nodes_numbers_words_and_texts() {
        let node = parsed(
            r#"PROJCS["a ""quoted"" name",UNIT["Meter",1.0],AXIS["X",NORTH],PARAMETER["k",-1.5e-3]]"#,
        );
        assert_eq!(node.name(), Some(r#"a "quoted" name"#));
        assert_eq!(
            node.child("unit").and_then(|unit| unit.number(1)),
            Some(1.0)
        );
        assert_eq!(
            node.child("AXIS").map(|axis| &axis.values[1]),
            Some(&WktValue::Word("NORTH".into()))
        );
        assert_eq!(
            node.child("PARAMETER").and_then(|p| p.number(1)),
            Some(-1.5e-3)
        );
    }

    #[test]
    fn accepts_round_brackets_white_space_and_byte_order_mark() {
        let node =
            parsed("\u{feff}\r\n GEOGCS ( \"x\" ,\n\tUNIT [\"degree\", 0.0174532925199433] ) \r\n");
        assert_eq!(
            node.child("UNIT").and_then(|unit| unit.number(1)),
            Some(0.017_453_292_519_943_3)
        );
    }

    #[test]
    fn refuses_malformed_text_with_its_position() {
        for (text, offset) in [
            ("", 0),
            ("GEOGCS", 6),
            ("GEOGCS[\"x\"", 10),
            ("GEOGCS[\"x]", 7),
            ("GEOGCS[1.2.3]", 7),
            ("GEOGCS[\"x\"]]", 11),
            ("GEOGCS[,]", 7),
        ] {
            match parse(text) {
                Err(CrsError::WktSyntax { offset: found, .. }) => {
                    assert_eq!(found, offset, "{text}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn refuses_excessive_nesting() {
        let text = format!(
            "{}1{}",
            "A[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(matches!(
            parse(&text),
            Err(CrsError::WktSyntax {
                problem: "less deeply nested brackets",
                ..
            })
        ));
    }
}
