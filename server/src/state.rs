//! What every request handler shares: configuration, database, keys, metrics and
//! the parcel index.

use std::sync::Arc;

use crate::auth::KeyRing;
use crate::config::Config;
use crate::db::Database;
use crate::http::metrics::Metrics;
use crate::parcels::index::SharedParcelIndex;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Database,
    pub keys: Arc<KeyRing>,
    pub metrics: Arc<Metrics>,
    pub parcels: Arc<SharedParcelIndex>,
}

impl AppState {
    /// Connects the pieces that need the database (the key ring) once migrations have run.
    pub async fn new(config: Config, db: Database) -> anyhow::Result<Self> {
        let keys = KeyRing::open(db.clone(), &config.auth).await?;
        let parcels = SharedParcelIndex::load(&db).await?;
        Ok(Self {
            config: Arc::new(config),
            db,
            keys: Arc::new(keys),
            metrics: Arc::new(Metrics::new()),
            parcels: Arc::new(parcels),
        })
    }
}
