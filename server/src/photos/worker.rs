//! Each instance's background worker: it analyses the photo files and computes the photo
//! checks that wait in the database, whichever instance queued them. It wakes when this
//! instance queues work ([`AppState::photo_work`]) and otherwise looks every
//! `photos.poll_interval_ms` for work queued elsewhere or left by an instance that died.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Semaphore;

use super::analysis;
use super::checks::{self, CheckReport};
use super::gather::{self, Gathered};
use super::repo::{self, CheckResult, ClaimedCheck};
use crate::db::DbError;
use crate::parcels::index::{IndexError, ParcelIndex};
use crate::state::AppState;

/// Checks claimed at a time.
const CHECK_BATCH: i64 = 64;
/// The pause after a failed round, so that a broken database is not hammered.
const BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
enum WorkError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Runs until the runtime it was spawned on stops. Files are analysed in tasks of their own,
/// `photos.analysis_workers` at a time, so that a slow file never holds up the others or the
/// checks; a finished analysis wakes the loop to claim the next file.
pub async fn run(state: AppState) {
    let idle = Duration::from_millis(state.config.photos.poll_interval_ms);
    let slots = Arc::new(Semaphore::new(analysis_workers(&state)));
    loop {
        let taken = start_analyses(&state, &slots).await;
        let checked = compute_checks(&state).await;
        match (taken, checked) {
            (Ok(0), Ok(0)) => {
                tokio::select! {
                    () = state.photo_work.notified() => {}
                    () = tokio::time::sleep(idle) => {}
                }
            }
            (Ok(_), Ok(_)) => {}
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "photo work failed; retrying");
                tokio::time::sleep(BACKOFF).await;
            }
        }
    }
}

fn analysis_workers(state: &AppState) -> usize {
    state.config.photos.analysis_workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    })
}

/// Claims as many pending files as there are free analysis slots and starts their analyses.
async fn start_analyses(state: &AppState, slots: &Arc<Semaphore>) -> Result<usize, WorkError> {
    let free = slots.available_permits();
    if free == 0 {
        return Ok(0);
    }
    let limit = i64::try_from(free).unwrap_or(i64::MAX);
    let claimed = state
        .db
        .write(move |conn| repo::claim_files(conn, limit).map_err(DbError::from))
        .await?;
    let count = claimed.len();
    for (sha256, attempt) in claimed {
        let Ok(slot) = Arc::clone(slots).try_acquire_owned() else {
            break;
        };
        let state = state.clone();
        actix_web::rt::spawn(async move {
            if let Err(error) = analysis::analyse(&state, sha256.clone(), attempt).await {
                tracing::warn!(%sha256, attempt, %error, "photo analysis failed; will retry");
            }
            drop(slot);
            state.photo_work.notify_one();
        });
    }
    Ok(count)
}

async fn compute_checks(state: &AppState) -> Result<usize, WorkError> {
    let claimed = state
        .db
        .write(|conn| repo::claim_checks(conn, CHECK_BATCH).map_err(DbError::from))
        .await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let index = state.parcels.current(&state.db).await?;
    let hashes = Arc::new(
        state
            .db
            .read(|conn| repo::perceptual_hashes(conn).map_err(DbError::from))
            .await?,
    );
    let count = claimed.len();
    for check in claimed {
        compute_one(state, Arc::clone(&index), Arc::clone(&hashes), check).await?;
    }
    Ok(count)
}

async fn compute_one(
    state: &AppState,
    index: Arc<ParcelIndex>,
    hashes: Arc<Vec<(String, i64)>>,
    check: ClaimedCheck,
) -> Result<(), WorkError> {
    let thresholds = state.config.photos.checks.clone();
    state
        .db
        .write(move |conn| {
            let photo_id = check.photo_id.clone();
            let gathered = gather::gather(
                conn,
                &index,
                &hashes,
                thresholds.near_duplicate_bits,
                &photo_id,
            )?;
            let Some(Gathered { context, facts }) = gathered else {
                return Ok(());
            };
            let report = checks::evaluate(&facts, &thresholds);
            let result = check_result(&context.device_id, &facts, &report);
            repo::finish_check(conn, &check, &result)?;
            let mut affected = Vec::new();
            if check.first_time {
                // A photo placed between two others changes what their travel checks see;
                // the facts already name those neighbours.
                affected.extend(facts.travel.iter().map(|leg| leg.other_photo_id.clone()));
            }
            if report.file_checked && !check.file_checked_before {
                // The photos this one repeats learn of it too.
                affected.extend(facts.file.iter().flat_map(|file| {
                    let others = file.same_file_elsewhere.iter();
                    others
                        .chain(&file.near_duplicates)
                        .map(|o| o.photo_id.clone())
                }));
            }
            repo::requeue_checks(conn, &affected)?;
            Ok::<_, DbError>(())
        })
        .await?;
    Ok(())
}

fn check_result(device_id: &str, facts: &checks::Facts, report: &CheckReport) -> CheckResult {
    CheckResult {
        device_id: Some(device_id.to_owned()),
        taken_at: Some(facts.taken_at.with_timezone(&Utc).naive_utc()),
        lon: report.position.map(|p| p.lon),
        lat: report.position.map(|p| p.lat),
        accuracy_m: report.position.and_then(|p| p.accuracy_m),
        report: serde_json::to_string(report).ok(),
        file_checked: report.file_checked,
        checked_at: Some(Utc::now().naive_utc()),
    }
}
