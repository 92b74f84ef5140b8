use std::fmt;
use std::path::{Path, PathBuf};

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A parsed database location. `postgres://` and `postgresql://` URLs select PostgreSQL;
/// `sqlite://PATH`, `sqlite:PATH` or a bare path select an SQLite file.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return DatabaseUrl::Postgres(url.to_owned());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        DatabaseUrl::Sqlite(PathBuf::from(path))
    }

    /// The default embedded database inside the data folder.
    pub fn sqlite_in(data_dir: &Path) -> Self {
        DatabaseUrl::Sqlite(data_dir.join("tianzhang.sqlite3"))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Shows the location without the password, so a URL can be logged.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Replaces the password of `scheme://user:password@host/...` with `***`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((credentials, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let redacted = match credentials.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => credentials.to_owned(),
    };
    format!("{scheme}://{redacted}@{host}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_select_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://h/db").backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/db").backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/t.db"),
            DatabaseUrl::Sqlite(PathBuf::from("/var/lib/t.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("data/t.db"),
            DatabaseUrl::Sqlite("data/t.db".into())
        );
    }

    #[test]
    fn display_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://tz:s3cret@db.local:5432/tianzhang");
        assert_eq!(url.to_string(), "postgres://tz:***@db.local:5432/tianzhang");
        assert!(!format!("{url:?}").contains("s3cret"));
        let no_password = DatabaseUrl::parse("postgres://tz@db.local/tianzhang");
        assert_eq!(no_password.to_string(), "postgres://tz@db.local/tianzhang");
    }
}
