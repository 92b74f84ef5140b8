//! A fake server for the client's tests: the protocol's rules in their simplest form, in
//! memory, with faults that a test schedules per endpoint.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use super::transport::{Transport, TransportError};
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
}

impl FakeServer {
    pub fn new() -> FakeServer {
        FakeServer {
            max_push: 100,
            page_size: 100,
            ..FakeServer::default()
        }
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

    fn call<R>(
        &mut self,
        endpoint: Endpoint,
        mut act: impl FnMut(&mut FakeServer) -> Result<R, TransportError>,
    ) -> Result<R, TransportError> {
        let fault = self
            .faults
            .iter()
            .position(|(e, _)| *e == endpoint)
            .map(|i| self.faults.remove(i).1);
        match fault {
            None => act(self),
            Some(Fault::DropRequest) => Err(TransportError::Network("request lost".into())),
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
