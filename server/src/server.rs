//! Start-up: prepare the data folder and database, then serve.

use std::net::TcpListener;

use actix_web::{HttpServer, web};
use anyhow::Context;

use crate::config::Config;
use crate::db::{Database, DatabaseUrl};
use crate::http::{self, OpenApiJson};
use crate::photos;
use crate::state::AppState;

/// Creates the data folder, connects, migrates and loads the keys.
pub async fn prepare(config: Config) -> anyhow::Result<AppState> {
    let db = open_database(&config).await?;
    let applied = db.migrate().await?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "database migrated");
    }
    AppState::new(config, db).await
}

/// Connects to the configured database; for SQLite, creates the data folder (with its blob
/// folder) first.
pub async fn open_database(config: &Config) -> anyhow::Result<Database> {
    let url = config.database();
    if let DatabaseUrl::Sqlite(_) = url {
        let blobs = config.data_dir.join("blobs");
        std::fs::create_dir_all(&blobs)
            .with_context(|| format!("cannot create the data folder {}", blobs.display()))?;
    }
    tracing::debug!(database = %url, "opening database");
    let max = config.database_max_connections;
    tokio::task::spawn_blocking(move || Database::connect(&url, max))
        .await?
        .context("cannot open the database")
}

/// Serves the API on an already bound listener (port 0 in tests) until stopped.
pub fn run(state: AppState, listener: TcpListener) -> anyhow::Result<actix_web::dev::Server> {
    let workers = state.config.workers;
    let openapi = OpenApiJson(serde_json::to_string(&http::openapi_document())?);
    actix_web::rt::spawn(photos::worker::run(state.clone()));
    let state = web::Data::new(state);
    let openapi = web::Data::new(openapi);
    let mut server = HttpServer::new(move || http::build_app(state.clone(), openapi.clone()))
        .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}
