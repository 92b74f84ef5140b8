use diesel::connection::SimpleConnection;
use diesel::r2d2::{HandleError, ManageConnection, R2D2Connection};
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};

use super::DatabaseUrl;

/// One connection to either backend. SQLite is the last variant because the derived
/// `establish` tries variants in order and SQLite accepts any string as a path; we never rely
/// on that, [`Manager`] builds the variant the URL names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Settings every SQLite connection needs: foreign keys are off by default in SQLite, a busy
/// timeout instead of an immediate `SQLITE_BUSY`, `NORMAL` sync, which is durable in WAL mode
/// except for the last transactions before a power cut, and a 32 MiB page cache (the default
/// 2 MiB makes a county-sized import re-read its index pages).
const SQLITE_CONNECTION_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
     PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768;";

/// Opens connections of the variant the URL names (an r2d2 connection manager).
pub(super) struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub(super) fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Connect(#[from] ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConn, ConnectError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => Ok(DbConn::Postgres(PgConnection::establish(url)?)),
            DatabaseUrl::Sqlite(path) => {
                if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(folder).map_err(|source| ConnectError::Folder {
                        path: folder.display().to_string(),
                        source,
                    })?;
                }
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(SQLITE_CONNECTION_PRAGMAS)?;
                // WAL lets readers proceed while one writer commits. The mode is stored in the
                // file, so setting it again on later connections is a no-op.
                conn.batch_execute("PRAGMA journal_mode = WAL;")?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Sends the pool's background connection failures to the log instead of dropping them.
#[derive(Debug)]
pub(super) struct LogConnectErrors;

impl HandleError<ConnectError> for LogConnectErrors {
    fn handle_error(&self, error: ConnectError) {
        tracing::error!(%error, "database connection failed");
    }
}
