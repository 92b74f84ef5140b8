use serde::{Deserialize, Serialize};

/// The part of the region tree a user acts in. Region paths are the codes from the county
/// down, `/360124/360124100/`, so "inside the scope" is a prefix test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// An administrator without a region: the whole installation.
    Everything,
    /// One region and everything below it.
    Region { code: String, path: String },
}

impl Scope {
    /// Whether a region with this path lies inside the scope.
    pub fn contains_path(&self, region_path: &str) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Region { path, .. } => region_path.starts_with(path.as_str()),
        }
    }

    /// Whether everything `other` covers is also covered by this scope.
    pub fn encloses(&self, other: &Scope) -> bool {
        match other {
            Scope::Everything => *self == Scope::Everything,
            Scope::Region { path, .. } => self.contains_path(path),
        }
    }

    /// The path prefix that rows must match, or `None` when everything is visible.
    pub fn path_prefix(&self) -> Option<&str> {
        match self {
            Scope::Everything => None,
            Scope::Region { path, .. } => Some(path),
        }
    }

    /// The half-open range `[low, high)` of paths inside the scope, for an indexed range scan
    /// (a `LIKE 'prefix%'` uses no index on SQLite, nor on PostgreSQL without a C collation).
    /// Paths hold digits and slashes only: replacing the final `/` of the prefix by `0`, the
    /// next character, gives the first string after every path that starts with it.
    pub fn path_range(&self) -> Option<(String, String)> {
        self.path_prefix().map(path_range)
    }
}

/// See [`Scope::path_range`].
pub fn path_range(prefix: &str) -> (String, String) {
    let mut high = prefix.strip_suffix('/').unwrap_or(prefix).to_owned();
    high.push('0');
    (prefix.to_owned(), high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_township_contains_its_villages_but_not_its_neighbours() {
        let township = Scope::Region {
            code: "360124100".into(),
            path: "/360124/360124100/".into(),
        };
        assert!(township.contains_path("/360124/360124100/"));
        assert!(township.contains_path("/360124/360124100/360124100201/"));
        assert!(!township.contains_path("/360124/360124101/"));
        assert!(!township.contains_path("/360124/"));
        assert!(Scope::Everything.contains_path("/360124/"));
        assert!(Scope::Everything.encloses(&township));
        assert!(!township.encloses(&Scope::Everything));
        let (low, high) = township.path_range().unwrap();
        for inside in ["/360124/360124100/", "/360124/360124100/360124100299/"] {
            assert!(low.as_str() <= inside && inside < high.as_str(), "{inside}");
        }
        for outside in [
            "/360124/",
            "/360124/360124101/",
            "/360124/3601241000/",
            "/360124/36012410/",
        ] {
            assert!(
                !(low.as_str() <= outside && outside < high.as_str()),
                "{outside}"
            );
        }
    }
}
