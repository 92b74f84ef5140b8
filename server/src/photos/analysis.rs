//! The analysis of a stored photo file: its EXIF, its upright renditions and its perceptual
//! hash, worked out on the blocking pool; the renditions go to the object store beside the
//! original, which is never touched.

use chrono::Utc;
use tokio::task::JoinError;

use super::exif;
use super::imaging::{self, RenditionSizes, Renditions};
use super::repo::{self, FileAnalysis};
use crate::blobs::{BlobStore, Sha256Ref};
use crate::config::PhotoConfig;
use crate::db::DbError;
use crate::state::AppState;

/// The names renditions are stored under.
pub const THUMBNAIL: &str = "thumbnail";
pub const PREVIEW: &str = "preview";

/// Failures that may pass: the file is analysed again when its claim runs out.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("stored file hash is malformed: {0}")]
    BadHash(String),
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("analysis task: {0}")]
    Task(#[from] JoinError),
}

/// Analyses one claimed file and stores what it found. A file that cannot be rendered is
/// marked `failed` with the reason (its EXIF is still kept); a passing failure is returned and
/// the file is tried again later, up to [`repo::MAX_ATTEMPTS`] times.
pub async fn analyse(state: &AppState, sha256: String, attempt: i64) -> Result<(), AnalysisError> {
    let outcome = render_and_store(state, &sha256).await;
    let analysis = match outcome {
        Ok(analysis) => analysis,
        Err(error) if attempt < repo::MAX_ATTEMPTS => return Err(error),
        Err(error) => {
            let reason = format!("gave up after {attempt} attempts: {error}");
            FileAnalysis {
                state: "failed".to_owned(),
                // The checks then say the EXIF could not be read, not that there is none.
                exif_error: Some(reason.clone()),
                error: Some(reason),
                analysed_at: Some(Utc::now().naive_utc()),
                ..FileAnalysis::default()
            }
        }
    };
    state
        .db
        .write(move |conn| repo::finish_file(conn, &sha256, &analysis).map_err(DbError::from))
        .await?;
    Ok(())
}

async fn render_and_store(state: &AppState, sha256: &str) -> Result<FileAnalysis, AnalysisError> {
    let hash = Sha256Ref::parse(sha256).ok_or_else(|| AnalysisError::BadHash(sha256.to_owned()))?;
    let bytes = state.blobs.read_all(&BlobStore::blob_path(&hash)).await?;
    let sizes = rendition_sizes(&state.config.photos);
    let (summary, rendered) = tokio::task::spawn_blocking(move || {
        let summary = exif::read(&bytes);
        let orientation = match &summary {
            Ok(Some(exif)) => exif.orientation.unwrap_or(1),
            _ => 1,
        };
        (summary, imaging::render(&bytes, orientation, &sizes))
    })
    .await?;
    let mut analysis = FileAnalysis {
        state: "ready".to_owned(),
        analysed_at: Some(Utc::now().naive_utc()),
        ..FileAnalysis::default()
    };
    match summary {
        Ok(Some(exif)) => analysis.exif = serde_json::to_string(&exif).ok(),
        Ok(None) => {}
        Err(error) => analysis.exif_error = Some(error.to_string()),
    }
    match rendered {
        Ok(renditions) => store_renditions(state, &hash, renditions, &mut analysis).await?,
        Err(error) => {
            tracing::warn!(%sha256, %error, "photo cannot be rendered");
            analysis.state = "failed".to_owned();
            analysis.error = Some(error.to_string());
        }
    }
    Ok(analysis)
}

async fn store_renditions(
    state: &AppState,
    hash: &Sha256Ref,
    renditions: Renditions,
    analysis: &mut FileAnalysis,
) -> Result<(), AnalysisError> {
    let Renditions {
        thumbnail,
        preview,
        perceptual_hash,
    } = renditions;
    analysis.thumbnail_width = Some(thumbnail.width.into());
    analysis.thumbnail_height = Some(thumbnail.height.into());
    analysis.preview_width = Some(preview.width.into());
    analysis.preview_height = Some(preview.height.into());
    // Stored as the same 64 bits in a signed column.
    analysis.perceptual_hash = Some(perceptual_hash as i64);
    state
        .blobs
        .put(&BlobStore::rendition_path(hash, THUMBNAIL), thumbnail.bytes)
        .await?;
    state
        .blobs
        .put(&BlobStore::rendition_path(hash, PREVIEW), preview.bytes)
        .await?;
    Ok(())
}

pub fn rendition_sizes(config: &PhotoConfig) -> RenditionSizes {
    RenditionSizes {
        thumbnail_px: config.thumbnail_px,
        preview_px: config.preview_px,
        quality: config.rendition_quality,
    }
}
