//! One database per test. SQLite: a file in a temporary folder. PostgreSQL (when
//! `TIANZHANG_TEST_POSTGRES_URL` is set to a URL whose user may create databases): a database
//! cloned from a template that is migrated once per migration set, then dropped at the end.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use tempfile::TempDir;
use tianzhang_server::db::{Database, DatabaseUrl};

pub const POSTGRES_URL_VAR: &str = "TIANZHANG_TEST_POSTGRES_URL";

/// An arbitrary constant for the advisory lock that serialises template creation across
/// test processes.
const TEMPLATE_LOCK_ID: i64 = 0x7465_6d70_6c74;

pub struct TestDb {
    folder: TempDir,
    url: String,
    postgres: Option<PostgresClone>,
}

struct PostgresClone {
    admin_url: String,
    name: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let folder = tempfile::tempdir().expect("temporary folder");
        match std::env::var(POSTGRES_URL_VAR) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let (url, name) = tokio::task::spawn_blocking({
                    let admin_url = admin_url.clone();
                    move || clone_template(&admin_url)
                })
                .await
                .expect("clone task");
                TestDb {
                    folder,
                    url,
                    postgres: Some(PostgresClone { admin_url, name }),
                }
            }
            _ => {
                let url = folder.path().join("test.sqlite3").display().to_string();
                TestDb {
                    folder,
                    url,
                    postgres: None,
                }
            }
        }
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn data_dir(&self) -> &Path {
        self.folder.path()
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(clone) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(&clone.admin_url)
        {
            // FORCE ends the server's pooled connections, which may still be open.
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                clone.name
            ));
        }
    }
}

/// Which backend the suite runs on, for test names and skips.
pub fn backend_under_test() -> &'static str {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => "postgres",
        _ => "sqlite",
    }
}

fn clone_template(admin_url: &str) -> (String, String) {
    let mut admin = PgConnection::establish(admin_url)
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is set but PostgreSQL refuses: {e}"));
    let template = format!("tianzhang_test_tpl_{:016x}", migrations_fingerprint());
    admin
        .batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_ID})"))
        .expect("template lock");
    if !database_exists(&mut admin, &template) {
        admin
            .batch_execute(&format!("CREATE DATABASE \"{template}\""))
            .expect("create template database");
        migrate(&database_url(admin_url, &template));
    }
    let name = format!("tianzhang_test_{}", uuid::Uuid::new_v4().simple());
    let created = admin.batch_execute(&format!(
        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
    ));
    admin
        .batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_ID})"))
        .expect("template unlock");
    created.expect("clone the template database");
    (database_url(admin_url, &name), name)
}

fn migrate(url: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let db = Database::connect(&DatabaseUrl::parse(url), 1).expect("connect to template");
        db.migrate().await.expect("migrate template");
    });
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn database_exists(conn: &mut PgConnection, name: &str) -> bool {
    diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<Text, _>(name)
        .get_result::<Count>(conn)
        .map(|c| c.n > 0)
        .expect("query pg_database")
}

/// The admin URL with its database name replaced.
fn database_url(admin_url: &str, database: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    let mut url = format!("{}/{database}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Changes whenever a PostgreSQL migration is added or edited, so a stale template from an
/// earlier run is never reused.
fn migrations_fingerprint() -> u64 {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../migrations/postgres");
    let mut files = Vec::new();
    collect_files(&root, &mut files);
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in files {
        file.strip_prefix(&root).unwrap_or(&file).hash(&mut hasher);
        std::fs::read(&file).unwrap_or_default().hash(&mut hasher);
    }
    hasher.finish()
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}
