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

    pub fn region_code(&self) -> Option<&str> {
        match self {
            Scope::Everything => None,
            Scope::Region { code, .. } => Some(code),
        }
    }
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
    }
}
