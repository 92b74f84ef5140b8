//! What every request handler shares: configuration, database, keys, metrics, the parcel
//! index and blob storage.

use std::sync::Arc;

use crate::auth::KeyRing;
use crate::blobs::BlobStore;
use crate::config::Config;
use crate::db::{Database, DbConn};
use crate::http::metrics::Metrics;
use crate::parcels::index::SharedParcelIndex;
use crate::photos;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Database,
    pub keys: Arc<KeyRing>,
    pub metrics: Arc<Metrics>,
    pub parcels: Arc<SharedParcelIndex>,
    /// Photo blobs and the parts of unfinished uploads.
    pub blobs: Arc<BlobStore>,
    /// Runs inside the transaction that stores a new photo file, so that the records waiting
    /// for it move on together with its arrival. Storage knows nothing of records: the
    /// evidence feature provides this.
    pub on_file_stored: FileStored,
    /// Wakes this instance's photo worker after a commit that queued photo work (a photo
    /// record, a new file); other instances find the work when they next look.
    pub photo_work: Arc<tokio::sync::Notify>,
}

/// See [`AppState::on_file_stored`]; the argument is the file's `sha256:<hex>`.
pub type FileStored = fn(&mut DbConn, &str) -> diesel::QueryResult<()>;

impl AppState {
    /// Connects the pieces that need the database (the key ring) once migrations have run.
    pub async fn new(config: Config, db: Database) -> anyhow::Result<Self> {
        let keys = KeyRing::open(db.clone(), &config.auth).await?;
        let parcels = SharedParcelIndex::load(&db).await?;
        let blobs = BlobStore::open(&config)?;
        tracing::debug!(storage = blobs.description(), "blob storage");
        Ok(Self {
            config: Arc::new(config),
            db,
            keys: Arc::new(keys),
            metrics: Arc::new(Metrics::new()),
            parcels: Arc::new(parcels),
            blobs: Arc::new(blobs),
            on_file_stored: photos::file_stored,
            photo_work: Arc::new(tokio::sync::Notify::new()),
        })
    }
}
