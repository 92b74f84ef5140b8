//! The reference client: what a phone app embeds to work offline and synchronise later.
//!
//! The client owns a local SQLite store (see `store.rs` for its tables). The app records
//! mutations at any time, with or without a network; they wait in an outbox, and the app
//! sees them at once, laid over the records last pulled. When a network is there the app calls
//! [`Client::sync`] (from a background thread: the API blocks), which pushes the outbox and
//! pulls the server's changes. Any call may fail half way (a lost request, a lost response, a
//! crash): every step is a local transaction and every request is safe to repeat, so the app
//! just calls `sync` again later.
//!
//! Photo files travel apart from the records that name them (see `upload.rs`): the app adds
//! each file with [`Client::add_photo_file`], which gives the hash for its photo record, and
//! [`Client::upload_photos`] sends the files the server lacks, over tus, resuming where the
//! server's copy ends.
//!
//! Sequence numbers: a mutation gets its `device_seq` when it is recorded, from a counter in
//! the store, also before any device is registered. Starting a registration (the first one, or
//! a new one when the server lost the device or its numbering no longer fits the outbox)
//! renumbers every pending mutation 1, 2, 3 … in the order they were made, keeping their
//! mutation ids; the server recognises the ones it has already applied by those ids.

mod error;
#[cfg(feature = "http")]
mod http;
mod store;
mod transport;
mod upload;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod upload_tests;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Local;
use serde_json::Value;
use uuid::Uuid;

pub use error::ClientError;
#[cfg(feature = "http")]
pub use http::HttpTransport;
pub use transport::{
    ChunkAnswer, CreatedUpload, NewUpload, Transport, TransportError, UploadTransport,
};
pub use upload::{FailedPhoto, PhotoFile, PhotoFileState, UploadOptions, UploadReport};

use crate::messages::{
    DeviceState, Outcome, OutcomeStatus, PushRequest, RecordKind, RegisterDevice, RejectReason,
    SyncInfo,
};
use crate::mutation::{Mutation, MutationBody};
use crate::version::{PROTOCOL_MAX, VersionRange};
use store::Store;

/// Mutations per push until [`Client::negotiate`] learns the server's limit.
pub const DEFAULT_MAX_PUSH: u32 = 100;
/// Changes per pulled page until [`Client::negotiate`] learns the server's limit.
pub const DEFAULT_PULL_LIMIT: u32 = 500;

/// A mutation the server has acknowledged, with what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SettledMutation {
    /// As last pushed (its `device_seq` is the one it was acknowledged under).
    pub mutation: Mutation,
    pub outcome: Outcome,
}

/// What one [`Client::push`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Push requests answered.
    pub batches: usize,
    /// Mutations applied, with or without a conflict.
    pub applied: usize,
    /// Of the applied ones, those that overwrote a concurrent edit.
    pub conflicts: usize,
    /// Mutations the server refused; they are in [`Client::rejected`].
    pub rejected: usize,
    /// The server had lost the device, or its numbering no longer fitted the outbox: the
    /// device was registered under a new id.
    pub reregistered: bool,
}

/// What one [`Client::pull`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    pub pages: usize,
    pub changes: usize,
    /// The synced records were dropped and pulled anew.
    pub reset: bool,
}

/// What one [`Client::sync`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub push: PushReport,
    pub pull: PullReport,
}

/// The sync client of one device. One `Client` per store: share it between threads behind a
/// mutex rather than opening the same file twice.
pub struct Client {
    store: Store,
    protocol: u16,
    max_push: u32,
    pull_limit: u32,
}

impl Client {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Client, ClientError> {
        Ok(Client::with_store(Store::open(path.as_ref())?))
    }

    /// A store that lives as long as the client: for tests and demos.
    pub fn open_in_memory() -> Result<Client, ClientError> {
        Ok(Client::with_store(Store::open_in_memory()?))
    }

    fn with_store(store: Store) -> Client {
        Client {
            store,
            protocol: PROTOCOL_MAX,
            max_push: DEFAULT_MAX_PUSH,
            pull_limit: DEFAULT_PULL_LIMIT,
        }
    }

    /// Asks the server which protocol version to speak and how large pushes and pages may be.
    /// Optional: without it the client speaks its newest version with the default limits.
    pub fn negotiate<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
    ) -> Result<SyncInfo, ClientError> {
        let info = transport.info()?;
        self.protocol = VersionRange::SUPPORTED.negotiate(info.protocol)?;
        self.max_push = info.max_push_mutations.max(1);
        self.pull_limit = info.max_pull_limit.max(1);
        Ok(info)
    }

    /// Records a mutation in the outbox and returns its mutation id. Works offline and before
    /// any registration.
    pub fn record(&mut self, body: MutationBody) -> Result<Uuid, ClientError> {
        let mutation_id = Uuid::now_v7();
        self.store.append(
            mutation_id,
            body.kind(),
            Local::now().fixed_offset(),
            &body.to_record(),
        )?;
        Ok(mutation_id)
    }

    /// Registers this device with the signed-in user under `name` (a label for people). The
    /// device id is generated on the first call and kept; calling again confirms the
    /// registration (`name` is kept for later registrations).
    /// A device id that the server gives to another user is replaced by a new one, and so is
    /// one whose server state no longer fits the outbox's numbering (the server, or this
    /// store, was restored from a backup): calling this at start-up catches both.
    pub fn register<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        name: &str,
    ) -> Result<DeviceState, ClientError> {
        self.store.set_device_name(name)?;
        let device_id = self.current_or_new_device_id()?;
        self.register_device(transport, device_id)
    }

    /// Starts a new registration under a new device id: every pending mutation is renumbered
    /// from 1 and none is dropped. [`Client::push`] does this by itself when the server has
    /// lost the device; the app calls it after a [`ClientError::SequenceGap`].
    pub fn reregister<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
    ) -> Result<DeviceState, ClientError> {
        let device_id = self.new_registration()?;
        self.register_device(transport, device_id)
    }

    /// Pushes the outbox, in order and in batches, until it is empty. A mutation leaves the
    /// outbox only with its outcome; on any error the rest stays for the next call, which
    /// resends it (the server answers a replay with the outcome it stored). A device not yet
    /// registered is registered first, under the name last given to [`Client::register`].
    pub fn push<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
    ) -> Result<PushReport, ClientError> {
        let mut report = PushReport::default();
        let mut renegotiated = false;
        let mut device_id = self.ensure_registered(transport)?;
        loop {
            let request = PushRequest {
                protocol: self.protocol,
                device_id,
                mutations: self.store.pending(Some(self.max_push))?,
            };
            let Some(first) = request.mutations.first().map(|m| m.device_seq) else {
                return Ok(report);
            };
            let response = match transport.push(&request) {
                Ok(response) => response,
                // Once per push: a second refusal right after registering is not a lost
                // registration, and retrying it would loop.
                Err(e) if e.is_device_unknown() && !report.reregistered => {
                    device_id = self.reregister(transport)?.device_id;
                    report.reregistered = true;
                    continue;
                }
                // The server's limit is lower than the one we had (it was never asked, or it
                // was lowered since).
                Err(e) if e.code() == Some("too_many_mutations") && !renegotiated => {
                    self.negotiate(transport)?;
                    renegotiated = true;
                    continue;
                }
                // The batch is too many bytes (long notes, say): halve it until it fits.
                Err(e) if e.code() == Some("payload_too_large") && self.max_push > 1 => {
                    self.max_push /= 2;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            report.batches += 1;
            // `sequence_reused` judges the numbering, not the mutation, and the server does not
            // store it: such mutations stay pending and go again under a new registration.
            let (reused, decided): (Vec<&Outcome>, Vec<&Outcome>) = response
                .outcomes
                .iter()
                .partition(|o| o.reason == Some(RejectReason::SequenceReused));
            let settled =
                self.store
                    .settle(&request.mutations, response.acked_through_seq, &decided)?;
            report.count(&settled);
            if !reused.is_empty() && !report.reregistered {
                device_id = self.reregister(transport)?.device_id;
                report.reregistered = true;
                continue;
            }
            if response.stopped_at_gap && !self.store.has_pending_seq(response.expected_seq)? {
                return Err(ClientError::SequenceGap {
                    expected_seq: response.expected_seq,
                });
            }
            if settled.is_empty() {
                return Err(ClientError::Protocol(format!(
                    "a push from device_seq {first} was acknowledged through {} without an \
                     outcome for any of its mutations",
                    response.acked_through_seq
                )));
            }
        }
    }

    /// Pulls every change after the stored cursor, page by page; each page is applied with
    /// its cursor in one transaction.
    pub fn pull<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
    ) -> Result<PullReport, ClientError> {
        let meta = self.store.meta()?;
        let device_id = meta.device_id.filter(|_| meta.registered);
        let mut cursor = meta.cursor;
        let mut start_over = false;
        let mut report = PullReport::default();
        loop {
            let page = match transport.pull(cursor.as_deref(), self.pull_limit, device_id) {
                Ok(page) => page,
                // The server does not know the stored cursor (it was restored from a backup,
                // say): pull everything and take it as a reset. The stored cursor is replaced
                // only with the first page, so a failure before then starts over next time.
                // Only the stored cursor is retried so: refusing one it has just given is the
                // server's fault, and an error.
                Err(e)
                    if e.code() == Some("invalid_cursor")
                        && cursor.is_some()
                        && report.pages == 0 =>
                {
                    cursor = None;
                    start_over = true;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let reset = page.reset || std::mem::take(&mut start_over);
            self.store.apply_page(&page, reset)?;
            report.pages += 1;
            report.changes += page.changes.len();
            report.reset |= reset;
            if !page.has_more {
                return Ok(report);
            }
            cursor = Some(page.next_cursor);
        }
    }

    /// Pushes, then pulls (so that the pull brings back the effect of the push).
    pub fn sync<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
    ) -> Result<SyncReport, ClientError> {
        let push = self.push(transport)?;
        let pull = self.pull(transport)?;
        Ok(SyncReport { push, pull })
    }

    /// The current registration's device id, confirmed by the server or not yet.
    pub fn device_id(&self) -> Result<Option<Uuid>, ClientError> {
        Ok(self.store.meta()?.device_id)
    }

    /// How far the server had applied this registration's pushes at the last pull: the synced
    /// records include the effect of every mutation up to this `device_seq`.
    pub fn device_acked_through_seq(&self) -> Result<Option<u64>, ClientError> {
        Ok(self.store.meta()?.device_acked_through_seq)
    }

    /// The mutations waiting to be pushed, in order: the app shows them over the synced
    /// records.
    pub fn pending(&self) -> Result<Vec<Mutation>, ClientError> {
        self.store.pending(None)
    }

    /// Every acknowledged mutation with its outcome, in the order they were made.
    pub fn outcomes(&self) -> Result<Vec<SettledMutation>, ClientError> {
        self.settled(false)
    }

    /// The mutations the server refused, with its reasons, in the order they were made.
    pub fn rejected(&self) -> Result<Vec<SettledMutation>, ClientError> {
        self.settled(true)
    }

    /// A synced record: its server sequence number and data.
    pub fn synced(&self, kind: RecordKind, id: &str) -> Result<Option<(u64, Value)>, ClientError> {
        self.store.synced(kind, id)
    }

    /// The synced records of one kind as (id, seq, data), ordered by id.
    pub fn synced_records(
        &self,
        kind: RecordKind,
    ) -> Result<Vec<(String, u64, Value)>, ClientError> {
        self.store.synced_records(kind)
    }

    /// The `base_seq` for an [`AttributeEdit`](crate::records::AttributeEdit) of the parcel:
    /// the `seq` of its synced attributes, 0 if none were pulled.
    pub fn attributes_base_seq(&self, parcel_id: &str) -> Result<u64, ClientError> {
        Ok(self
            .store
            .synced(RecordKind::Attributes, parcel_id)?
            .map_or(0, |(seq, _)| seq))
    }

    /// Every synced record by kind and id, without sequence numbers: two devices that pulled
    /// the same scope to the same point have equal snapshots.
    pub fn snapshot(&self) -> Result<BTreeMap<(RecordKind, String), Value>, ClientError> {
        self.store.snapshot()
    }

    fn settled(&self, rejected_only: bool) -> Result<Vec<SettledMutation>, ClientError> {
        Ok(self
            .store
            .outcomes(rejected_only)?
            .into_iter()
            .map(|(mutation, outcome)| SettledMutation { mutation, outcome })
            .collect())
    }

    fn ensure_registered<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
    ) -> Result<Uuid, ClientError> {
        let meta = self.store.meta()?;
        match meta.device_id {
            Some(device_id) if meta.registered => Ok(device_id),
            _ => {
                let device_id = self.current_or_new_device_id()?;
                Ok(self.register_device(transport, device_id)?.device_id)
            }
        }
    }

    fn current_or_new_device_id(&mut self) -> Result<Uuid, ClientError> {
        match self.store.meta()?.device_id {
            Some(device_id) => Ok(device_id),
            None => self.new_registration(),
        }
    }

    fn new_registration(&mut self) -> Result<Uuid, ClientError> {
        let device_id = Uuid::new_v4();
        self.store.start_registration(device_id)?;
        Ok(device_id)
    }

    /// Registers `device_id` (already stored as the current registration) and marks it
    /// confirmed. An id taken by another user, or one whose server state does not fit the
    /// outbox, is replaced once by a new registration.
    fn register_device<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        mut device_id: Uuid,
    ) -> Result<DeviceState, ClientError> {
        let name = self.store.meta()?.device_name;
        let mut replaced = false;
        loop {
            let request = RegisterDevice {
                protocol: self.protocol,
                device_id,
                name: name.clone(),
            };
            match transport.register(&request) {
                // The server kept the registration but not what we know of it (it was
                // restored from a backup, or this store was): pushing would hit a gap or reuse
                // sequence numbers, so start afresh under a new id.
                Ok(state)
                    if state.device_id == device_id
                        && !replaced
                        && !self.store.numbering_fits(state.expected_seq)? =>
                {
                    device_id = self.new_registration()?;
                    replaced = true;
                }
                Ok(state) if state.device_id == device_id => {
                    self.store.confirm_registration(device_id)?;
                    return Ok(state);
                }
                Ok(state) => {
                    return Err(ClientError::Protocol(format!(
                        "registering device {device_id} answered the state of {}",
                        state.device_id
                    )));
                }
                Err(e) if e.code() == Some("device_taken") && !replaced => {
                    device_id = self.new_registration()?;
                    replaced = true;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl PushReport {
    fn count(&mut self, settled: &[OutcomeStatus]) {
        for status in settled {
            match status {
                OutcomeStatus::Applied => self.applied += 1,
                OutcomeStatus::AppliedWithConflict => {
                    self.applied += 1;
                    self.conflicts += 1;
                }
                OutcomeStatus::Rejected => self.rejected += 1,
            }
        }
    }
}
