use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DbConn, DbError};

/// Each backend has its own migration tree; both hold the same migrations by name
/// (`tests/migrations` enforces it).
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// An arbitrary constant: PostgreSQL advisory lock held while migrating, so that several
/// instances starting at once migrate one after another instead of racing.
const MIGRATION_LOCK_ID: i64 = 0x7469_616e_7a68;

pub(super) fn run_pending(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
        DbConn::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_ID})"))?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.iter().map(ToString::to_string).collect());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})"))?;
            result
        }
    };
    applied.map_err(|e| DbError::Migration(e.to_string()))
}

/// Reverts every applied migration, newest first; returns how many were reverted.
pub(super) fn revert_all(conn: &mut DbConn) -> Result<usize, DbError> {
    let reverted = match conn {
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS),
        DbConn::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS),
    };
    reverted
        .map(|versions| versions.len())
        .map_err(|e| DbError::Migration(e.to_string()))
}
