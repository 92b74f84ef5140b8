//! Database access: one connection type over SQLite and PostgreSQL, chosen at run time by the
//! database URL (the vaultwarden design). Query code takes `&mut DbConn` and stays within the
//! subset both backends share; the few backend-specific statements match on the variant and
//! live next to the query that needs them.
//!
//! Lookups by key on hot paths use `get_result`, not `first`: `first` binds a `LIMIT`, and
//! SQLite re-plans a statement each time a `LIMIT` is bound, so diesel's cached statement
//! would be compiled again on every call.
//!
//! Diesel is synchronous, so every database call runs on the blocking thread pool through
//! [`Database::read`] or [`Database::write`]; a connection is never held across an `.await`.

mod connection;
mod migrations;
pub mod schema;
mod url;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::Connection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};

pub use connection::DbConn;
use connection::Manager;
pub use url::{Backend, DatabaseUrl};

/// Failures below the domain: connecting, pooling, running a query or a migration.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] connection::ConnectError),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("the database pool is closed")]
    Closed,
    #[error("database task did not complete: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A pool of connections to one database, cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    backend: Backend,
    /// SQLite has one writer at a time. Serialising our own write transactions here keeps them
    /// from failing with `SQLITE_BUSY` when a deferred transaction upgrades to a write lock;
    /// PostgreSQL handles concurrent writers itself and never takes this lock.
    sqlite_writer: Arc<Mutex<()>>,
    /// One permit per pooled connection: callers wait here, asynchronously, rather than
    /// parking blocking threads on the pool (which costs a thread and a context switch each).
    permits: Arc<tokio::sync::Semaphore>,
}

impl Database {
    /// Opens a pool, creating the SQLite file (in WAL mode) if it does not exist yet.
    pub fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Self, DbError> {
        let manager = Manager::new(url.clone());
        // One direct connection first: the pool would only report a time-out, this reports
        // why (wrong password, unreadable file, ...).
        drop(manager.connect()?);
        let pool = Pool::builder()
            .max_size(max_connections)
            // A PostgreSQL connection can die with its server or the network; check it before
            // use. An SQLite connection is a file handle and does not, so skip the round trip.
            .test_on_check_out(url.backend() == Backend::Postgres)
            .connection_timeout(Duration::from_secs(10))
            .error_handler(Box::new(connection::LogConnectErrors))
            .build(manager)?;
        Ok(Self {
            pool,
            backend: url.backend(),
            sqlite_writer: Arc::new(Mutex::new(())),
            permits: Arc::new(tokio::sync::Semaphore::new(max_connections as usize)),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs all pending migrations; returns the names of those applied.
    pub async fn migrate(&self) -> Result<Vec<String>, DbError> {
        self.read(migrations::run_pending).await
    }

    /// Reverts every migration (the reversibility test; an operator's last resort).
    pub async fn revert_all(&self) -> Result<usize, DbError> {
        self.read(migrations::revert_all).await
    }

    /// Runs `f` on a pooled connection outside a transaction (reads, or single statements).
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let _permit = self.permit().await?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || f(&mut *checkout(&pool)?))
            .await
            .map_err(DbError::from)?
    }

    /// Runs `f` inside one transaction: everything it writes commits together or not at all.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.transaction(Transaction::Write, f).await
    }

    /// Runs `f` inside one read-only transaction that sees a single snapshot of the database,
    /// for reads made of several queries that must agree (a sync pull). SQLite's deferred
    /// transaction holds its first read's snapshot; PostgreSQL needs `REPEATABLE READ`.
    pub async fn read_snapshot<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.transaction(Transaction::Snapshot, f).await
    }

    async fn transaction<T, E, F>(&self, kind: Transaction, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let _permit = self.permit().await?;
        let pool = self.pool.clone();
        let writer = (kind == Transaction::Write && self.backend == Backend::Sqlite)
            .then(|| Arc::clone(&self.sqlite_writer));
        tokio::task::spawn_blocking(move || {
            let mut conn = checkout(&pool)?;
            // A poisoned lock only means another writer panicked; its transaction rolled back.
            let _guard = writer
                .as_ref()
                .map(|w| w.lock().unwrap_or_else(|p| p.into_inner()));
            (*conn).transaction(|conn| {
                if let (Transaction::Snapshot, DbConn::Postgres(pg)) = (kind, &mut *conn) {
                    diesel::connection::SimpleConnection::batch_execute(
                        pg,
                        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                    )?;
                }
                f(conn)
            })
        })
        .await
        .map_err(DbError::from)?
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, DbError> {
        self.permits.acquire().await.map_err(|_| DbError::Closed)
    }

    /// Checks that the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.read(|conn| {
            diesel::connection::SimpleConnection::batch_execute(conn, "SELECT 1")
                .map_err(DbError::from)
        })
        .await
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transaction {
    /// Writes, serialised among themselves on SQLite.
    Write,
    /// Reads that share one snapshot.
    Snapshot,
}

fn checkout(pool: &Pool<Manager>) -> Result<PooledConnection<Manager>, DbError> {
    Ok(pool.get()?)
}
