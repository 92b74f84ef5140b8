//! Pull cursors: opaque to devices, `1.<scope>.<seq>` inside. The scope part is a short hash of
//! the scope the cursor was issued for: a cursor from another scope (the user was moved to
//! another village) makes the next pull start over with `reset`.

use sha2::{Digest, Sha256};

use crate::auth::Scope;
use crate::error::ApiError;

/// A position in the change sequence, for one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub scope: String,
    pub seq: i64,
}

impl Cursor {
    pub fn new(scope: &Scope, seq: i64) -> Cursor {
        Cursor {
            scope: scope_tag(scope),
            seq,
        }
    }

    pub fn parse(text: &str) -> Result<Cursor, ApiError> {
        let invalid =
            || ApiError::bad_request("invalid_cursor", "the cursor is not one this server issued");
        let mut parts = text.splitn(3, '.');
        let (Some("1"), Some(scope), Some(seq)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let seq: i64 = seq.parse().map_err(|_| invalid())?;
        if seq < 0 || scope.is_empty() {
            return Err(invalid());
        }
        Ok(Cursor {
            scope: scope.to_owned(),
            seq,
        })
    }

    pub fn encode(&self) -> String {
        format!("1.{}.{}", self.scope, self.seq)
    }

    /// Whether the cursor was issued for this scope.
    pub fn fits(&self, scope: &Scope) -> bool {
        self.scope == scope_tag(scope)
    }
}

fn scope_tag(scope: &Scope) -> String {
    let digest = Sha256::digest(scope.path_prefix().unwrap_or("*").as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn village(path: &str) -> Scope {
        Scope::Region {
            code: "x".into(),
            path: path.into(),
        }
    }

    #[test]
    fn a_cursor_round_trips_and_knows_its_scope() {
        let scope = village("/360124/360124100/360124100201/");
        let cursor = Cursor::new(&scope, 42);
        let parsed = Cursor::parse(&cursor.encode()).unwrap();
        assert_eq!(parsed, cursor);
        assert!(parsed.fits(&scope));
        assert!(!parsed.fits(&village("/360124/360124100/360124100202/")));
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for bad in ["", "2.abc.1", "1.abc", "1.abc.-4", "1..5", "1.abc.x"] {
            assert!(Cursor::parse(bad).is_err(), "{bad}");
        }
    }
}
