//! The two migration trees stay in step, and both backends migrate up, down and up again.

// Test helpers panic on unexpected values: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use tianzhang_server::db::{Database, DatabaseUrl};
use tianzhang_tests::TestDb;

fn migration_names(backend: &str) -> BTreeSet<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(backend);
    std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations_by_name() {
    let sqlite = migration_names("sqlite");
    let postgres = migration_names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres differ"
    );
    for backend in ["sqlite", "postgres"] {
        for name in &sqlite {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../migrations")
                .join(backend)
                .join(name);
            assert!(
                dir.join("up.sql").is_file() && dir.join("down.sql").is_file(),
                "{}",
                dir.display()
            );
        }
    }
}

#[derive(QueryableByName)]
struct Pragma {
    #[diesel(sql_type = Text)]
    value: String,
}

#[tokio::test]
async fn sqlite_connections_use_wal_and_enforce_foreign_keys() {
    let folder = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::parse(&folder.path().join("nested/t.sqlite3").display().to_string());
    let db = Database::connect(&url, 2).unwrap();
    db.migrate().await.unwrap();
    let (journal, foreign_keys) = db
        .read(|conn| {
            let journal =
                diesel::sql_query("SELECT journal_mode AS value FROM pragma_journal_mode")
                    .get_result::<Pragma>(conn)?;
            let fk = diesel::sql_query(
                "SELECT CAST(foreign_keys AS TEXT) AS value FROM pragma_foreign_keys",
            )
            .get_result::<Pragma>(conn)?;
            Ok::<_, anyhow::Error>((journal.value, fk.value))
        })
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(foreign_keys, "1");
    // And they are really enforced: a user in a region that does not exist is refused.
    let refused = db
        .write(|conn| {
            conn.batch_execute(
                "INSERT INTO users (id, username, display_name, password_hash, role, region_code, \
                 disabled, created_at, updated_at) VALUES ('u', 'u', 'u', 'h', 'field_chief', \
                 'nowhere', FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            )
            .map_err(anyhow::Error::from)
        })
        .await;
    assert!(refused.is_err());
}

/// Migrates the test database (SQLite or PostgreSQL, as the suite runs) down and up again.
#[tokio::test]
async fn migrations_revert_and_reapply_cleanly() {
    let test_db = TestDb::new().await;
    let db = Database::connect(&DatabaseUrl::parse(&test_db.url()), 1).unwrap();
    db.migrate().await.unwrap();
    let reverted = db.revert_all().await.unwrap();
    assert_eq!(reverted, migration_names("sqlite").len());
    let applied = db.migrate().await.unwrap();
    assert_eq!(applied.len(), migration_names("sqlite").len());
}
