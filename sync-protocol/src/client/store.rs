//! The client's local SQLite store: the registration and pull position (`meta`), the mutations
//! not yet acknowledged (`outbox`), what became of the acknowledged ones (`outcomes`), the
//! records pulled from the server (`synced`) and the photo files to upload (`photo_files`).
//!
//! Every change the protocol treats as one step is one transaction: recording a mutation,
//! starting a registration (new id and renumbered outbox), the acknowledgements of one push
//! response, and one pulled page with its cursor. A crash therefore never leaves a half page,
//! a half-renumbered outbox, or a mutation both pending and settled.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use serde_json::Value;
use uuid::Uuid;

use super::error::ClientError;
use super::upload::{PhotoFile, PhotoFileState};
use crate::messages::{ChangeOp, Outcome, OutcomeStatus, PullResponse, RecordKind};
use crate::mutation::Mutation;

/// The schema's migrations, in order: `PRAGMA user_version` counts those applied, and a store
/// opened by this build gets the ones it lacks, all in one transaction. A later schema appends
/// a migration; none is ever edited.
const MIGRATIONS: [&str; 2] = [SCHEMA_V1, PHOTO_FILES];

/// Version 1: the sync state.
pub(super) const SCHEMA_V1: &str = "
CREATE TABLE meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- The current registration's device id, generated on the device; NULL before the first.
    device_id TEXT,
    device_name TEXT NOT NULL DEFAULT '',
    -- The server has confirmed device_id. Until then pushes register it first.
    registered INTEGER NOT NULL DEFAULT 0,
    -- The device_seq the next recorded mutation gets.
    next_seq INTEGER NOT NULL DEFAULT 1,
    -- The pull cursor; NULL before the first pull.
    cursor TEXT,
    -- From the last pull: how far the server has applied this registration's pushes.
    device_acked_through_seq INTEGER
);
INSERT INTO meta (id) VALUES (1);

-- Mutations waiting for an acknowledgement, in the order they were made (position).
-- device_seq follows position without gaps; it is renumbered when the device re-registers.
CREATE TABLE outbox (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id TEXT NOT NULL UNIQUE,
    device_seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    client_time TEXT,
    record TEXT NOT NULL
);

-- Acknowledged mutations with the server's outcome, kept so the app can show rejections.
-- position is the one the mutation had in the outbox, device_seq the one it was acked under.
CREATE TABLE outcomes (
    position INTEGER PRIMARY KEY,
    mutation_id TEXT NOT NULL UNIQUE,
    device_seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    client_time TEXT,
    record TEXT NOT NULL,
    rejected INTEGER NOT NULL,
    outcome TEXT NOT NULL
);

-- The records as last pulled.
CREATE TABLE synced (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
";

/// Version 2: the photo files to upload (tus, docs/uploads.md).
const PHOTO_FILES: &str = "
-- Files of photos taken on the device, in the order added (position). state is 'pending'
-- until the server holds the file, then 'uploaded'; 'failed' when the server refused it for
-- its content (failure_code is the problem code, or the client's own file_missing or
-- file_changed), which is not retried.
CREATE TABLE photo_files (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    -- The tus upload's URL once created: a restart resumes the same upload.
    upload_url TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'uploaded', 'failed')),
    failure_code TEXT,
    failure_detail TEXT
);
CREATE INDEX photo_files_pending ON photo_files (state, position);
";

/// The columns a [`Mutation`] is read from, in `outbox` and `outcomes` alike.
const MUTATION_COLUMNS: &str = "mutation_id, device_seq, kind, client_time, record";

/// The registration and pull position.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Meta {
    pub device_id: Option<Uuid>,
    pub device_name: String,
    pub registered: bool,
    pub cursor: Option<String>,
    pub device_acked_through_seq: Option<u64>,
}

pub(super) struct Store {
    conn: Connection,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, ClientError> {
        Store::init(Connection::open(path)?)
    }

    pub fn open_in_memory() -> Result<Store, ClientError> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Store, ClientError> {
        if schema_version(&conn)? != MIGRATIONS.len() {
            // Immediate, and the version read again: of two processes opening an old store at
            // once, one migrates it.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let applied = schema_version(&tx)?;
            for migration in &MIGRATIONS[applied..] {
                tx.execute_batch(migration)?;
            }
            tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
            tx.commit()?;
        }
        Ok(Store { conn })
    }

    pub fn meta(&self) -> Result<Meta, ClientError> {
        Ok(self.conn.query_row(
            "SELECT device_id, device_name, registered, cursor, device_acked_through_seq
             FROM meta",
            [],
            |row| {
                Ok(Meta {
                    device_id: get_opt(row, 0, Uuid::parse_str)?,
                    device_name: row.get(1)?,
                    registered: row.get(2)?,
                    cursor: row.get(3)?,
                    device_acked_through_seq: row
                        .get::<_, Option<i64>>(4)?
                        .map(|v| to_u64(4, v))
                        .transpose()?,
                })
            },
        )?)
    }

    /// Appends a mutation to the outbox with the next `device_seq`.
    pub fn append(
        &mut self,
        mutation_id: Uuid,
        kind: &str,
        client_time: DateTime<FixedOffset>,
        record: &Value,
    ) -> Result<(), ClientError> {
        let tx = self.write()?;
        let seq: i64 = tx.query_row("SELECT next_seq FROM meta", [], |row| row.get(0))?;
        tx.execute(
            "INSERT INTO outbox (mutation_id, device_seq, kind, client_time, record)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                mutation_id.to_string(),
                seq,
                kind,
                client_time.to_rfc3339(),
                record.to_string()
            ],
        )?;
        tx.execute("UPDATE meta SET next_seq = ?1 + 1", [seq])?;
        tx.commit()?;
        Ok(())
    }

    pub fn set_device_name(&self, name: &str) -> Result<(), ClientError> {
        self.conn
            .execute("UPDATE meta SET device_name = ?1", [name])?;
        Ok(())
    }

    /// Makes `device_id` the current, not yet confirmed, registration: the pending mutations
    /// are renumbered 1, 2, 3 … in the order they were made, keeping their mutation ids, and
    /// what the last pull said about the previous registration is forgotten.
    pub fn start_registration(&mut self, device_id: Uuid) -> Result<(), ClientError> {
        let tx = self.write()?;
        tx.execute(
            "UPDATE outbox SET device_seq = renumbered.seq
             FROM (SELECT position, ROW_NUMBER() OVER (ORDER BY position) AS seq FROM outbox)
                 AS renumbered
             WHERE outbox.position = renumbered.position",
            [],
        )?;
        tx.execute(
            "UPDATE meta SET device_id = ?1, registered = 0, device_acked_through_seq = NULL,
                 next_seq = (SELECT COUNT(*) FROM outbox) + 1",
            [device_id.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Whether a registration whose server state expects `expected_seq` next can take the
    /// outbox as it is numbered: `expected_seq` must be the first pending `device_seq`, one
    /// the server acknowledged without the outcome reaching us, or the next one to be given.
    pub fn numbering_fits(&self, expected_seq: u64) -> Result<bool, ClientError> {
        let (first, next): (i64, i64) = self.conn.query_row(
            "SELECT COALESCE(MIN(outbox.device_seq), meta.next_seq), meta.next_seq
             FROM meta LEFT JOIN outbox",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok((first..=next).contains(&to_i64(expected_seq)?))
    }

    /// The server confirmed the registration of `device_id`.
    pub fn confirm_registration(&self, device_id: Uuid) -> Result<(), ClientError> {
        self.conn.execute(
            "UPDATE meta SET registered = 1 WHERE device_id = ?1",
            [device_id.to_string()],
        )?;
        Ok(())
    }

    /// The first `limit` pending mutations (all of them with `None`), in `device_seq` order.
    pub fn pending(&self, limit: Option<u32>) -> Result<Vec<Mutation>, ClientError> {
        let sql = format!("SELECT {MUTATION_COLUMNS} FROM outbox ORDER BY position LIMIT ?1");
        let limit = limit.map_or(-1, i64::from);
        self.query(&sql, [limit], read_mutation)
    }

    /// Whether the outbox holds the mutation with this `device_seq`.
    pub fn has_pending_seq(&self, device_seq: u64) -> Result<bool, ClientError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE device_seq = ?1)",
            [to_i64(device_seq)?],
            |row| row.get(0),
        )?)
    }

    /// Settles the mutations of `sent` that a push response acknowledges (through
    /// `acked_through_seq`) with one of `outcomes`: each moves from the outbox to the outcomes,
    /// in one transaction. A mutation acknowledged without its outcome (it was not in this
    /// batch) stays pending, so that its outcome is fetched by replaying it rather than lost.
    /// Returns the statuses of the mutations settled.
    pub fn settle(
        &mut self,
        sent: &[Mutation],
        acked_through_seq: u64,
        outcomes: &[&Outcome],
    ) -> Result<Vec<OutcomeStatus>, ClientError> {
        let tx = self.write()?;
        let mut settled = Vec::new();
        for outcome in outcomes {
            // Outcomes are matched by mutation id, the one thing that never changes: a mutation
            // replayed under a new registration comes back with the outcome it was first given.
            let Some(mutation) = sent.iter().find(|m| m.mutation_id == outcome.mutation_id) else {
                continue;
            };
            if mutation.device_seq > acked_through_seq {
                continue;
            }
            if settle_one(&tx, mutation, outcome)? {
                settled.push(outcome.status);
            }
        }
        tx.commit()?;
        Ok(settled)
    }

    /// Settled mutations in the order they were made; only the rejected ones with
    /// `rejected_only`.
    pub fn outcomes(&self, rejected_only: bool) -> Result<Vec<(Mutation, Outcome)>, ClientError> {
        let sql = format!(
            "SELECT {MUTATION_COLUMNS}, outcome FROM outcomes
             WHERE rejected OR NOT ?1 ORDER BY position"
        );
        self.query(&sql, [rejected_only], |row| {
            Ok((read_mutation(row)?, get_json(row, 5)?))
        })
    }

    /// Applies one pulled page and stores its cursor, in one transaction. With `reset` every
    /// synced record is dropped first (the outbox is not touched).
    pub fn apply_page(&mut self, page: &PullResponse, reset: bool) -> Result<(), ClientError> {
        let tx = self.write()?;
        if reset {
            tx.execute("DELETE FROM synced", [])?;
        }
        for change in &page.changes {
            let kind = change.kind.as_str();
            match (change.op, &change.data) {
                (ChangeOp::Put, Some(data)) => tx.execute(
                    "INSERT INTO synced (kind, id, seq, data) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, data = excluded.data",
                    params![kind, change.id, to_i64(change.seq)?, data.to_string()],
                )?,
                (ChangeOp::Put, None) => {
                    return Err(ClientError::Protocol(format!(
                        "change {} puts {kind} {} without data",
                        change.seq, change.id
                    )));
                }
                (ChangeOp::Remove, _) => tx.execute(
                    "DELETE FROM synced WHERE kind = ?1 AND id = ?2",
                    params![kind, change.id],
                )?,
            };
        }
        tx.execute(
            "UPDATE meta SET cursor = ?1,
                 device_acked_through_seq = COALESCE(?2, device_acked_through_seq)",
            params![
                page.next_cursor,
                // Only the last page's: its changes include every effect it acknowledges.
                page.device_acked_through_seq
                    .filter(|_| !page.has_more)
                    .map(to_i64)
                    .transpose()?
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn synced(&self, kind: RecordKind, id: &str) -> Result<Option<(u64, Value)>, ClientError> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, data FROM synced WHERE kind = ?1 AND id = ?2",
                params![kind.as_str(), id],
                |row| Ok((get_u64(row, 0)?, get_json(row, 1)?)),
            )
            .optional()?)
    }

    /// The synced records of one kind, by id.
    pub fn synced_records(
        &self,
        kind: RecordKind,
    ) -> Result<Vec<(String, u64, Value)>, ClientError> {
        self.query(
            "SELECT id, seq, data FROM synced WHERE kind = ?1 ORDER BY id",
            [kind.as_str()],
            |row| Ok((row.get(0)?, get_u64(row, 1)?, get_json(row, 2)?)),
        )
    }

    /// Every synced record by kind and id, without server sequence numbers.
    pub fn snapshot(&self) -> Result<BTreeMap<(RecordKind, String), Value>, ClientError> {
        let rows = self.query("SELECT kind, id, data FROM synced", [], |row| {
            let kind = get_parsed(row, 0, |name| {
                RecordKind::parse(name).ok_or_else(|| format!("unknown record kind {name:?}"))
            })?;
            Ok(((kind, row.get(1)?), get_json(row, 2)?))
        })?;
        Ok(rows.into_iter().collect())
    }

    /// Adds a photo file as pending, or gives one already known its new path; one that failed
    /// is pending again (the app asked to try once more).
    pub fn add_photo_file(&self, sha256: &str, path: &str, size: u64) -> Result<(), ClientError> {
        self.conn.execute(
            "INSERT INTO photo_files (sha256, path, size) VALUES (?1, ?2, ?3)
             ON CONFLICT (sha256) DO UPDATE SET path = excluded.path, size = excluded.size,
                 state = CASE state WHEN 'failed' THEN 'pending' ELSE state END,
                 failure_code = NULL, failure_detail = NULL",
            params![sha256, path, to_i64(size)?],
        )?;
        Ok(())
    }

    /// The photo files in the order they were added; only the pending ones with
    /// `pending_only`.
    pub fn photo_files(&self, pending_only: bool) -> Result<Vec<PhotoFile>, ClientError> {
        self.query(
            "SELECT sha256, path, size, upload_url, state, failure_code, failure_detail
             FROM photo_files WHERE state = 'pending' OR NOT ?1 ORDER BY position",
            [pending_only],
            |row| {
                let state = match row.get::<_, String>(4)?.as_str() {
                    "pending" => PhotoFileState::Pending,
                    "uploaded" => PhotoFileState::Uploaded,
                    _ => PhotoFileState::Failed {
                        code: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
                        detail: row.get::<_, Option<String>>(6)?.unwrap_or_default(),
                    },
                };
                Ok(PhotoFile {
                    sha256: row.get(0)?,
                    path: row.get::<_, String>(1)?.into(),
                    size: get_u64(row, 2)?,
                    upload_url: row.get(3)?,
                    state,
                })
            },
        )
    }

    /// Remembers (or forgets, with `None`) the tus upload of a file.
    pub fn set_upload_url(&self, sha256: &str, url: Option<&str>) -> Result<(), ClientError> {
        self.conn.execute(
            "UPDATE photo_files SET upload_url = ?2 WHERE sha256 = ?1",
            params![sha256, url],
        )?;
        Ok(())
    }

    /// The server holds these files.
    pub fn mark_uploaded<'a>(
        &mut self,
        hashes: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), ClientError> {
        let tx = self.write()?;
        for sha256 in hashes {
            tx.execute(
                "UPDATE photo_files SET state = 'uploaded', upload_url = NULL WHERE sha256 = ?1",
                [sha256],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The file will never be accepted as it is: it is not tried again.
    pub fn mark_failed(&self, sha256: &str, code: &str, detail: &str) -> Result<(), ClientError> {
        self.conn.execute(
            "UPDATE photo_files SET state = 'failed', upload_url = NULL, failure_code = ?2,
                 failure_detail = ?3
             WHERE sha256 = ?1",
            params![sha256, code, detail],
        )?;
        Ok(())
    }

    /// A write transaction that takes the write lock at once, so that it never fails half way
    /// for want of it.
    fn write(&mut self) -> rusqlite::Result<Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
    }

    fn query<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, ClientError> {
        let mut statement = self.conn.prepare(sql)?;
        let rows = statement.query_map(params, read)?;
        Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
    }
}

/// How many of the [`MIGRATIONS`] the store has had; a store of a newer build is refused.
fn schema_version(conn: &Connection) -> Result<usize, ClientError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    usize::try_from(version)
        .ok()
        .filter(|applied| *applied <= MIGRATIONS.len())
        .ok_or(ClientError::StoreVersion(version))
}

/// Moves one mutation from the outbox to the outcomes, if it is still pending under the
/// `device_seq` it was sent with. Returns whether it was.
fn settle_one(
    tx: &Transaction<'_>,
    sent: &Mutation,
    outcome: &Outcome,
) -> Result<bool, ClientError> {
    let id = sent.mutation_id.to_string();
    let seq = to_i64(sent.device_seq)?;
    let moved = tx.execute(
        &format!(
            "INSERT INTO outcomes (position, {MUTATION_COLUMNS}, rejected, outcome)
             SELECT position, {MUTATION_COLUMNS}, ?3, ?4 FROM outbox
             WHERE mutation_id = ?1 AND device_seq = ?2"
        ),
        params![
            id,
            seq,
            outcome.status == OutcomeStatus::Rejected,
            json_text(outcome)
        ],
    )?;
    tx.execute(
        "DELETE FROM outbox WHERE mutation_id = ?1 AND device_seq = ?2",
        params![id, seq],
    )?;
    Ok(moved == 1)
}

/// Reads the [`MUTATION_COLUMNS`], which come first in the row.
fn read_mutation(row: &Row<'_>) -> rusqlite::Result<Mutation> {
    Ok(Mutation {
        mutation_id: get_parsed(row, 0, Uuid::parse_str)?,
        device_seq: get_u64(row, 1)?,
        kind: row.get(2)?,
        client_time: get_opt(row, 3, DateTime::parse_from_rfc3339)?,
        record: get_json(row, 4)?,
    })
}

/// A type of this crate as JSON text. They hold only strings, numbers, ids and string-keyed
/// maps: serialising them cannot fail.
fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Reads a text column through `parse`; a value that does not parse is a conversion error.
fn get_parsed<T, E>(
    row: &Row<'_>,
    idx: usize,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<T>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let text: String = row.get(idx)?;
    parse(&text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, e.into()))
}

fn get_json<T: serde::de::DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    get_parsed(row, idx, |text| serde_json::from_str(text))
}

/// [`get_parsed`] for a nullable column.
fn get_opt<T, E>(
    row: &Row<'_>,
    idx: usize,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<Option<T>>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match row.get_ref(idx)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => get_parsed(row, idx, parse).map(Some),
    }
}

// SQLite integers are signed; sequence numbers are not. Values beyond i64 never occur in
// practice, and are refused rather than wrapped.

fn to_i64(value: u64) -> rusqlite::Result<i64> {
    i64::try_from(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn to_u64(idx: usize, value: i64) -> rusqlite::Result<u64> {
    u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, value))
}

fn get_u64(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    to_u64(idx, row.get(idx)?)
}
