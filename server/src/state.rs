//! What every request handler shares: configuration, database, keys and metrics.

use std::sync::Arc;

use crate::auth::KeyRing;
use crate::config::Config;
use crate::db::Database;
use crate::http::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Database,
    pub keys: Arc<KeyRing>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// Connects the pieces that need the database (the key ring) once migrations have run.
    pub async fn new(config: Config, db: Database) -> anyhow::Result<Self> {
        let keys = KeyRing::open(db.clone(), &config.auth).await?;
        Ok(Self {
            config: Arc::new(config),
            db,
            keys: Arc::new(keys),
            metrics: Arc::new(Metrics::new()),
        })
    }
}
