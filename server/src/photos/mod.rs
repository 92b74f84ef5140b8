//! Photo evidence beyond the bytes: what a photo's file says (EXIF), its renditions
//! (thumbnail, screen preview, perceptual hash), and the checks a reviewer sees as flags.

mod analysis;
pub mod checks;
pub mod exif;
mod gather;
pub mod handlers;
pub mod imaging;
mod repo;
pub mod worker;

use crate::db::DbConn;
use crate::evidence;

/// Runs in the transaction that stores a new photo file ([`crate::state::AppState::on_file_stored`]):
/// the records waiting for the file move on, and the file waits for its analysis.
pub fn file_stored(conn: &mut DbConn, sha256: &str) -> diesel::QueryResult<()> {
    evidence::files::file_stored(conn, sha256)?;
    repo::queue_file(conn, sha256)
}
