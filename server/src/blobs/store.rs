//! The object store photos live in, and where things go in it:
//!
//! - `sha256/<hex[0..2]>/<hex>`: a verified file, byte for byte as uploaded;
//! - `uploads/<id>/part-<offset>-<uuid>`: the bytes of one accepted chunk of an unfinished
//!   upload (the `upload_parts` table says which parts count);
//! - `uploads/<id>/assembled-<uuid>`: the file being assembled from its parts on completion;
//! - `renditions/<hex[0..2]>/<hex>/{thumbnail,preview}.jpg`: a file's upright renditions.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::Context;
use futures_util::TryStreamExt;
use futures_util::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use uuid::Uuid;

use super::digest::Sha256Ref;
use crate::config::{Config, S3Config};

/// Bytes a chunk buffers before it goes to the store as a multipart upload (S3's parts must
/// be at least 5 MiB).
const WRITE_BUFFER_BYTES: usize = 8 * 1024 * 1024;

/// Blob storage, cheap to share: the object store and the instance's sweep bookkeeping.
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    description: String,
    /// When this instance last swept expired uploads (Unix seconds).
    last_sweep: AtomicI64,
}

impl BlobStore {
    /// The configured store: S3-compatible storage if `storage.s3` is set, else the local
    /// disk under `<data_dir>/blobs` (created if missing).
    pub fn open(config: &Config) -> anyhow::Result<Self> {
        match &config.storage.s3 {
            Some(s3) => Self::s3(s3),
            None => {
                let folder = config.data_dir.join("blobs");
                std::fs::create_dir_all(&folder).with_context(|| {
                    format!("cannot create the blob folder {}", folder.display())
                })?;
                let local = LocalFileSystem::new_with_prefix(&folder)
                    .with_context(|| format!("cannot open the blob folder {}", folder.display()))?
                    .with_automatic_cleanup(true)
                    .with_fsync(true);
                Ok(Self::new(
                    Arc::new(local),
                    format!("local disk at {}", folder.display()),
                ))
            }
        }
    }

    fn s3(s3: &S3Config) -> anyhow::Result<Self> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&s3.bucket)
            .with_region(&s3.region)
            .with_allow_http(s3.allow_http);
        if let Some(endpoint) = &s3.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret.expose());
        }
        let store = builder
            .build()
            .with_context(|| format!("cannot configure S3 bucket {}", s3.bucket))?;
        let at = s3.endpoint.as_deref().unwrap_or("AWS");
        Ok(Self::new(
            Arc::new(store),
            format!("S3 bucket {} at {at}", s3.bucket),
        ))
    }

    /// A blob store over any object store (tests use an in-memory one).
    pub fn new(store: Arc<dyn ObjectStore>, description: String) -> Self {
        Self {
            store,
            description,
            last_sweep: AtomicI64::new(0),
        }
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Where a verified file is stored.
    pub fn blob_path(hash: &Sha256Ref) -> Path {
        let hex = hash.hex();
        Path::from_iter(["sha256", &hex[..2], hex])
    }

    /// Everything of one unfinished upload lies under this prefix.
    pub fn upload_prefix(upload_id: &str) -> Path {
        Path::from_iter(["uploads", upload_id])
    }

    /// A fresh key for the bytes of a chunk starting at `offset`: two requests racing for the
    /// same offset never write the same object.
    pub fn part_path(upload_id: &str, offset: u64) -> Path {
        Self::upload_prefix(upload_id)
            .join(format!("part-{offset:020}-{}", Uuid::new_v4().simple()))
    }

    pub fn assembly_path(upload_id: &str) -> Path {
        Self::upload_prefix(upload_id).join(format!("assembled-{}", Uuid::new_v4().simple()))
    }

    /// Where a rendition of a verified file (`thumbnail`, `preview`) is stored.
    pub fn rendition_path(hash: &Sha256Ref, name: &str) -> Path {
        let hex = hash.hex();
        Path::from_iter(["renditions", &hex[..2], hex, &format!("{name}.jpg")])
    }

    /// Stores a small object whole.
    pub async fn put(&self, path: &Path, bytes: Vec<u8>) -> object_store::Result<()> {
        self.store.put(path, bytes.into()).await.map(drop)
    }

    /// The whole of an object (for files bounded by the upload limits).
    pub async fn read_all(&self, path: &Path) -> object_store::Result<bytes::Bytes> {
        self.store.get(path).await?.bytes().await
    }

    /// A writer that streams into a new object at `path` (visible once shut down).
    pub fn writer(&self, path: Path) -> BufWriter {
        BufWriter::with_capacity(Arc::clone(&self.store), path, WRITE_BUFFER_BYTES)
    }

    /// The bytes of an object, as they come.
    pub async fn read(
        &self,
        path: &Path,
    ) -> object_store::Result<BoxStream<'static, object_store::Result<bytes::Bytes>>> {
        Ok(self.store.get(path).await?.into_stream())
    }

    /// The bytes of a stored file.
    pub async fn read_blob(
        &self,
        hash: &Sha256Ref,
    ) -> object_store::Result<BoxStream<'static, object_store::Result<bytes::Bytes>>> {
        self.read(&Self::blob_path(hash)).await
    }

    /// Moves an assembled, verified file to its place. Content addressing makes a race with
    /// another upload of the same file harmless: both write the same bytes.
    pub async fn store_blob(&self, assembled: &Path, hash: &Sha256Ref) -> object_store::Result<()> {
        self.store.rename(assembled, &Self::blob_path(hash)).await
    }

    pub async fn delete(&self, path: &Path) -> object_store::Result<()> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Deletes every object under `prefix`.
    pub async fn delete_prefix(&self, prefix: &Path) -> object_store::Result<()> {
        let objects: Vec<Path> = self
            .store
            .list(Some(prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?;
        for path in &objects {
            self.delete(path).await?;
        }
        Ok(())
    }

    /// Claims this instance's turn to sweep expired uploads if `interval_secs` have passed
    /// since its last sweep.
    pub(super) fn claim_sweep(&self, now: i64, interval_secs: i64) -> bool {
        let last = self.last_sweep.load(Ordering::Relaxed);
        now - last >= interval_secs
            && self
                .last_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}
