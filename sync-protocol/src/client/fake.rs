//! A fake server for the client's tests: the protocol's rules in their simplest form, in
//! memory, with faults that a test schedules per endpoint. It takes photo uploads as the
//! server's tus endpoint does (docs/uploads.md), checking no more of a JPEG than its first
//! bytes.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::transport::{
    ChunkAnswer, CreatedUpload, NewUpload, Transport, TransportError, UploadTransport,
};
use crate::messages::{
    Change, ChangeOp, DeviceState, Outcome, OutcomeStatus, PullResponse, PushRequest, PushResponse,
    RecordKind, RegisterDevice, RejectReason, SyncInfo,
};
use crate::mutation::{Mutation, MutationBody};
use crate::version::{V1, VersionRange};

/// Mutations about this parcel are rejected: it is outside everyone's scope.
pub const NOWHERE: &str = "nowhere";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Register,
    Push,
    Pull,
    Missing,
    CreateUpload,
    UploadOffset,
    UploadChunk,
}

#[derive(Debug, Clone)]
pub enum Fault {
    /// The request never reaches the server.
    DropRequest,
    /// The server acts, and its answer is lost.
    DropResponse,
    /// The request arrives twice; the second answer is returned.
    Duplicate,
    /// The server answers this instead of acting.
    Answer(TransportError),
    /// A chunk's connection drops after this many of its bytes, which the server keeps (as
    /// it does of a chunk sent without a checksum): its offset can end up anywhere. Other
    /// endpoints take it as `DropRequest`.
    Cut(usize),
}

/// An upload request that reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadCall {
    /// How many hashes were asked about.
    Missing(usize),
    /// The declared hash.
    Create(String),
    Head(String),
    Chunk {
        url: String,
        offset: u64,
        len: usize,
    },
}

/// An upload the fake server knows of; complete ones are kept, as the server keeps them.
struct FakeUpload {
    sha256: String,
    length: u64,
    bytes: Vec<u8>,
    expired: bool,
}

#[derive(Default)]
pub struct FakeServer {
    /// Device → acked_through_seq.
    devices: HashMap<Uuid, u64>,
    /// Stored outcomes by mutation id: each mutation is decided once.
    pub outcomes: HashMap<Uuid, Outcome>,
    /// The latest change of every record; removals stay as tombstones.
    records: BTreeMap<(RecordKind, String), Change>,
    seq: u64,
    /// Cursors of an earlier epoch get a reset.
    epoch: u32,
    pub max_push: u32,
    pub page_size: usize,
    /// Every push request that reached the server.
    pub pushes: Vec<PushRequest>,
    /// Faults to apply to the next calls of an endpoint, first come first served.
    pub faults: Vec<(Endpoint, Fault)>,
    /// Stored photo files by hash.
    pub files: HashMap<String, Vec<u8>>,
    uploads: HashMap<String, FakeUpload>,
    /// The largest file accepted (`uploads.max_bytes`).
    pub max_file_bytes: u64,
    /// Hashes per `missing` request accepted (`uploads.missing_hashes`).
    pub missing_limit: usize,
    /// Every upload request that reached the server.
    pub upload_calls: Vec<UploadCall>,
}

impl FakeServer {
    pub fn new() -> FakeServer {
        FakeServer {
            max_push: 100,
            page_size: 100,
            max_file_bytes: 1 << 20,
            missing_limit: 1000,
            ..FakeServer::default()
        }
    }

    /// Every upload is lost (the server's database was restored, say): their URLs answer 404.
    pub fn forget_uploads(&mut self) {
        self.uploads.clear();
    }

    /// Every upload has expired: its URL answers 410 once, then 404.
    pub fn expire_uploads(&mut self) {
        for upload in self.uploads.values_mut() {
            upload.expired = true;
        }
    }

    /// The server's offset of an upload.
    pub fn upload_offset_of(&self, url: &str) -> Option<u64> {
        self.uploads.get(url).map(|u| u.bytes.len() as u64)
    }

    /// The chunks sent, as (offset, length).
    pub fn chunks(&self) -> Vec<(u64, usize)> {
        self.upload_calls
            .iter()
            .filter_map(|call| match call {
                UploadCall::Chunk { offset, len, .. } => Some((*offset, *len)),
                _ => None,
            })
            .collect()
    }

    pub fn fault(&mut self, endpoint: Endpoint, fault: Fault) {
        self.faults.push((endpoint, fault));
    }

    pub fn put(&mut self, kind: RecordKind, id: &str, data: Option<Value>) {
        self.write(kind, id, ChangeOp::Put, data);
    }

    pub fn remove(&mut self, kind: RecordKind, id: &str) {
        self.write(kind, id, ChangeOp::Remove, None);
    }

    /// The registration is lost, as after a restore from an old backup.
    pub fn forget_device(&mut self, device_id: Uuid) {
        self.devices.remove(&device_id);
    }

    /// The registration survives but its pushes after `acked` are lost.
    pub fn rewind_device(&mut self, device_id: Uuid, acked: u64) {
        self.devices.insert(device_id, acked);
    }

    /// Every device's scope changed: their next pull is a reset.
    pub fn new_epoch(&mut self) {
        self.epoch += 1;
    }

    fn write(&mut self, kind: RecordKind, id: &str, op: ChangeOp, data: Option<Value>) {
        self.seq += 1;
        let change = Change {
            seq: self.seq,
            kind,
            id: id.to_owned(),
            op,
            data,
        };
        self.records.insert((kind, id.to_owned()), change);
    }

    fn take_fault(&mut self, endpoint: Endpoint) -> Option<Fault> {
        self.faults
            .iter()
            .position(|(e, _)| *e == endpoint)
            .map(|i| self.faults.remove(i).1)
    }

    fn call<R>(
        &mut self,
        endpoint: Endpoint,
        act: impl FnMut(&mut FakeServer) -> Result<R, TransportError>,
    ) -> Result<R, TransportError> {
        let fault = self.take_fault(endpoint);
        self.act_with(fault, act)
    }

    fn act_with<R>(
        &mut self,
        fault: Option<Fault>,
        mut act: impl FnMut(&mut FakeServer) -> Result<R, TransportError>,
    ) -> Result<R, TransportError> {
        match fault {
            None => act(self),
            Some(Fault::DropRequest | Fault::Cut(_)) => {
                Err(TransportError::Network("request lost".into()))
            }
            Some(Fault::DropResponse) => {
                let _ = act(self);
                Err(TransportError::Network("response lost".into()))
            }
            Some(Fault::Duplicate) => {
                let _ = act(self);
                act(self)
            }
            Some(Fault::Answer(error)) => Err(error),
        }
    }

    /// The upload at `url`; an expired one is removed.
    fn upload(&mut self, url: &str) -> Result<&mut FakeUpload, TransportError> {
        if self.uploads.get(url).is_some_and(|u| u.expired) {
            self.uploads.remove(url);
            return Err(problem(410, "upload_expired"));
        }
        self.uploads
            .get_mut(url)
            .ok_or_else(|| problem(404, "not_found"))
    }

    fn create(&mut self, upload: &NewUpload<'_>) -> Result<CreatedUpload, TransportError> {
        self.upload_calls
            .push(UploadCall::Create(upload.sha256.to_owned()));
        if upload.length > self.max_file_bytes {
            return Err(problem(413, "upload_too_large"));
        }
        if upload.filetype != "image/jpeg" {
            return Err(problem(415, "unsupported_media_type"));
        }
        let url = format!("https://fake.example/api/v1/uploads/{}", Uuid::new_v4());
        let bytes = match self.files.get(upload.sha256) {
            Some(file) if file.len() as u64 == upload.length => file.clone(),
            Some(_) => return Err(problem(422, "hash_mismatch")),
            None => Vec::new(),
        };
        let offset = bytes.len() as u64;
        self.uploads.insert(
            url.clone(),
            FakeUpload {
                sha256: upload.sha256.to_owned(),
                length: upload.length,
                bytes,
                expired: false,
            },
        );
        Ok(CreatedUpload { url, offset })
    }

    fn chunk(
        &mut self,
        url: &str,
        offset: u64,
        chunk: &[u8],
        sha256: &[u8; 32],
    ) -> Result<ChunkAnswer, TransportError> {
        let upload = self.upload(url)?;
        let at = upload.bytes.len() as u64;
        if offset != at {
            return Ok(ChunkAnswer::OffsetMismatch { offset: at });
        }
        if Sha256::digest(chunk)[..] != sha256[..] {
            return Err(problem(460, "checksum_mismatch"));
        }
        if offset + chunk.len() as u64 > upload.length {
            return Err(problem(413, "upload_too_large"));
        }
        self.append(url, chunk)
            .map(|offset| ChunkAnswer::Accepted { offset })
    }

    /// Appends bytes that arrived; a refused file is discarded whole, as on the server.
    fn append(&mut self, url: &str, bytes: &[u8]) -> Result<u64, TransportError> {
        let upload = self.upload(url)?;
        upload.bytes.extend_from_slice(bytes);
        let head = &upload.bytes[..upload.bytes.len().min(3)];
        let refusal = if !b"\xFF\xD8\xFF".starts_with(head) {
            Some(problem(415, "unsupported_media_type"))
        } else if upload.bytes.len() as u64 == upload.length
            && hash_ref(&upload.bytes) != upload.sha256
        {
            Some(problem(422, "hash_mismatch"))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            self.uploads.remove(url);
            return Err(refusal);
        }
        let offset = upload.bytes.len() as u64;
        if offset == upload.length {
            let file = (upload.sha256.clone(), upload.bytes.clone());
            self.files.insert(file.0, file.1);
        }
        Ok(offset)
    }

    fn apply_push(&mut self, req: &PushRequest) -> Result<PushResponse, TransportError> {
        self.pushes.push(req.clone());
        if req.mutations.len() > self.max_push as usize {
            return Err(problem(400, "too_many_mutations"));
        }
        let Some(&acked) = self.devices.get(&req.device_id) else {
            return Err(problem(409, "device_unknown"));
        };
        let mut response = PushResponse {
            acked_through_seq: acked,
            expected_seq: acked + 1,
            stopped_at_gap: false,
            outcomes: Vec::new(),
        };
        for mutation in &req.mutations {
            if mutation.device_seq > response.acked_through_seq + 1 {
                response.stopped_at_gap = true;
                break;
            }
            let outcome = match self.outcomes.get(&mutation.mutation_id) {
                Some(stored) => stored.clone(),
                // A seq already acked under another mutation: the client reused it.
                None if mutation.device_seq <= response.acked_through_seq => outcome(
                    mutation,
                    OutcomeStatus::Rejected,
                    Some(RejectReason::SequenceReused),
                ),
                None => self.decide(mutation),
            };
            response.acked_through_seq = response.acked_through_seq.max(mutation.device_seq);
            response.outcomes.push(outcome);
        }
        response.expected_seq = response.acked_through_seq + 1;
        self.devices
            .insert(req.device_id, response.acked_through_seq);
        Ok(response)
    }

    /// Applies a new mutation (a field record is stored under its id, an attribute edit as
    /// the parcel's attributes) and stores its outcome.
    fn decide(&mut self, mutation: &Mutation) -> Outcome {
        let body = MutationBody::parse(&mutation.kind, &mutation.record);
        let status = match &body {
            Ok(body) if body.parcel_id() == Some(NOWHERE) => OutcomeStatus::Rejected,
            Ok(MutationBody::SetAttributes(edit)) => {
                let key = (RecordKind::Attributes, edit.parcel_id.clone());
                match self.records.get(&key) {
                    Some(current) if current.seq > edit.base_seq => {
                        OutcomeStatus::AppliedWithConflict
                    }
                    _ => OutcomeStatus::Applied,
                }
            }
            Ok(_) => OutcomeStatus::Applied,
            Err(_) => OutcomeStatus::Rejected,
        };
        if status != OutcomeStatus::Rejected {
            let kind = mutation.kind.split('.').next().and_then(RecordKind::parse);
            let id = mutation
                .record
                .get("id")
                .or_else(|| mutation.record.get("parcel_id"))
                .and_then(Value::as_str);
            if let (Some(kind), Some(id)) = (kind, id) {
                let data = json!({"record": mutation.record, "mutation_id": mutation.mutation_id});
                self.put(kind, id, Some(data));
            }
        }
        let rejected = status == OutcomeStatus::Rejected;
        let outcome = outcome(
            mutation,
            status,
            rejected.then_some(RejectReason::ParcelNotFound),
        );
        self.outcomes.insert(mutation.mutation_id, outcome.clone());
        outcome
    }

    fn page(
        &self,
        cursor: Option<&str>,
        limit: u32,
        device_id: Option<Uuid>,
    ) -> Result<PullResponse, TransportError> {
        let position = match cursor {
            None => Some((self.epoch, 0)),
            Some(cursor) => cursor
                .split_once(':')
                .and_then(|(epoch, seq)| Some((epoch.parse().ok()?, seq.parse().ok()?))),
        };
        let Some((epoch, after)) = position else {
            return Err(problem(400, "invalid_cursor"));
        };
        let reset = epoch != self.epoch;
        let after = if reset { 0 } else { after };
        // From the start, removals are left out: there is nothing to remove yet.
        let mut changes: Vec<Change> = self
            .records
            .values()
            .filter(|c| c.seq > after && (after > 0 || c.op == ChangeOp::Put))
            .cloned()
            .collect();
        changes.sort_by_key(|c| c.seq);
        let page_size = self.page_size.min(limit as usize);
        let has_more = changes.len() > page_size;
        changes.truncate(page_size);
        let last = changes.last().map_or(after, |c| c.seq);
        Ok(PullResponse {
            protocol: V1,
            reset,
            changes,
            next_cursor: format!("{}:{last}", self.epoch),
            has_more,
            device_acked_through_seq: device_id.and_then(|id| self.devices.get(&id).copied()),
        })
    }
}

fn outcome(mutation: &Mutation, status: OutcomeStatus, reason: Option<RejectReason>) -> Outcome {
    Outcome {
        mutation_id: mutation.mutation_id,
        device_seq: mutation.device_seq,
        status,
        reason,
        message: None,
        conflicts: Vec::new(),
    }
}

/// `sha256:<hex>` of some bytes.
pub fn hash_ref(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

pub fn problem(status: u16, code: &str) -> TransportError {
    TransportError::Problem {
        status,
        code: code.to_owned(),
        detail: code.replace('_', " "),
    }
}

impl Transport for FakeServer {
    fn info(&mut self) -> Result<SyncInfo, TransportError> {
        Ok(SyncInfo {
            protocol: VersionRange::SUPPORTED,
            max_push_mutations: self.max_push,
            max_pull_limit: 1000,
            max_request_bytes: 1 << 20,
            server_time: Utc::now(),
        })
    }

    fn register(&mut self, req: &RegisterDevice) -> Result<DeviceState, TransportError> {
        self.call(Endpoint::Register, |server| {
            let acked = *server.devices.entry(req.device_id).or_insert(0);
            Ok(DeviceState {
                device_id: req.device_id,
                acked_through_seq: acked,
                expected_seq: acked + 1,
            })
        })
    }

    fn push(&mut self, req: &PushRequest) -> Result<PushResponse, TransportError> {
        self.call(Endpoint::Push, |server| server.apply_push(req))
    }

    fn pull(
        &mut self,
        cursor: Option<&str>,
        limit: u32,
        device_id: Option<Uuid>,
    ) -> Result<PullResponse, TransportError> {
        self.call(Endpoint::Pull, |server| {
            server.page(cursor, limit, device_id)
        })
    }
}

impl UploadTransport for FakeServer {
    fn missing(&mut self, hashes: &[String]) -> Result<Vec<String>, TransportError> {
        self.call(Endpoint::Missing, |server| {
            server.upload_calls.push(UploadCall::Missing(hashes.len()));
            if hashes.len() > server.missing_limit {
                return Err(problem(422, "validation_failed"));
            }
            let mut seen = HashSet::new();
            Ok(hashes
                .iter()
                .filter(|h| !server.files.contains_key(*h) && seen.insert(*h))
                .cloned()
                .collect())
        })
    }

    fn create_upload(&mut self, upload: &NewUpload<'_>) -> Result<CreatedUpload, TransportError> {
        self.call(Endpoint::CreateUpload, |server| server.create(upload))
    }

    fn upload_offset(&mut self, url: &str) -> Result<u64, TransportError> {
        self.call(Endpoint::UploadOffset, |server| {
            server.upload_calls.push(UploadCall::Head(url.to_owned()));
            Ok(server.upload(url)?.bytes.len() as u64)
        })
    }

    fn upload_chunk(
        &mut self,
        url: &str,
        offset: u64,
        chunk: &[u8],
        sha256: &[u8; 32],
    ) -> Result<ChunkAnswer, TransportError> {
        let fault = self.take_fault(Endpoint::UploadChunk);
        let log = |server: &mut FakeServer| {
            server.upload_calls.push(UploadCall::Chunk {
                url: url.to_owned(),
                offset,
                len: chunk.len(),
            });
        };
        if let Some(Fault::Cut(arrived)) = fault {
            log(self);
            let arrived = &chunk[..arrived.min(chunk.len())];
            if self
                .upload(url)
                .is_ok_and(|u| u.bytes.len() as u64 == offset)
            {
                let _ = self.append(url, arrived);
            }
            return Err(TransportError::Network("connection lost".into()));
        }
        self.act_with(fault, |server| {
            log(server);
            server.chunk(url, offset, chunk, sha256)
        })
    }
}
