#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::DateTime;
use proptest::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::fake::{Endpoint, FakeServer, Fault, NOWHERE, problem};
use super::*;
use crate::messages::RejectReason;
use crate::records::{AttributeEdit, AttributeField, Visit};

fn visit(parcel_id: &str) -> MutationBody {
    MutationBody::CreateVisit(Visit {
        id: Uuid::now_v7(),
        parcel_id: parcel_id.to_owned(),
        visited_at: DateTime::parse_from_rfc3339("2024-04-02T09:15:00+08:00").unwrap(),
        position: None,
        note: "已翻耕".to_owned(),
        supersedes: None,
    })
}

fn record_visits(client: &mut Client, n: usize) -> Vec<Uuid> {
    (0..n)
        .map(|_| client.record(visit("p-1")).unwrap())
        .collect()
}

fn ids(mutations: &[Mutation]) -> Vec<Uuid> {
    mutations.iter().map(|m| m.mutation_id).collect()
}

fn seqs(mutations: &[Mutation]) -> Vec<u64> {
    mutations.iter().map(|m| m.device_seq).collect()
}

fn settled_ids(client: &Client) -> Vec<Uuid> {
    client
        .outcomes()
        .unwrap()
        .iter()
        .map(|s| s.mutation.mutation_id)
        .collect()
}

/// What a device that has never synced sees after pulling everything.
fn fresh_snapshot(server: &mut FakeServer) -> BTreeMap<(RecordKind, String), Value> {
    let mut fresh = Client::open_in_memory().unwrap();
    fresh.pull(server).unwrap();
    fresh.snapshot().unwrap()
}

#[test]
fn mutations_wait_in_the_outbox_in_order_until_acknowledged() {
    let mut client = Client::open_in_memory().unwrap();
    let recorded = record_visits(&mut client, 3);
    let pending = client.pending().unwrap();
    assert_eq!(ids(&pending), recorded);
    assert_eq!(seqs(&pending), [1, 2, 3]);
    assert!(recorded.iter().all(|id| id.get_version_num() == 7));
    assert!(pending.iter().all(|m| m.client_time.is_some()));

    let mut server = FakeServer::new();
    server.fault(Endpoint::Push, Fault::DropRequest);
    let error = client.push(&mut server).unwrap_err();
    assert!(error.is_transient(), "{error}");
    assert_eq!(client.pending().unwrap(), pending);

    let report = client.push(&mut server).unwrap();
    assert_eq!(report.applied, 3);
    assert!(client.pending().unwrap().is_empty());
    assert_eq!(settled_ids(&client), recorded);
}

#[test]
fn pushes_go_in_batches_of_the_servers_limit() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    server.max_push = 2;
    let recorded = record_visits(&mut client, 5);
    // The first push is too large: the client asks for the server's limit and goes on.
    let report = client.push(&mut server).unwrap();
    assert_eq!((report.batches, report.applied), (3, 5));
    let sizes: Vec<usize> = server.pushes.iter().map(|p| p.mutations.len()).collect();
    assert_eq!(sizes, [5, 2, 2, 1]);
    assert_eq!(settled_ids(&client), recorded);
}

#[test]
fn a_lost_or_duplicated_exchange_is_replayed_without_duplicates() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    let mut recorded = record_visits(&mut client, 2);
    server.fault(Endpoint::Push, Fault::DropResponse);
    assert!(client.push(&mut server).unwrap_err().is_transient());
    // The server applied both; the client does not know it and keeps them.
    assert_eq!(server.outcomes.len(), 2);
    assert_eq!(client.pending().unwrap().len(), 2);

    recorded.extend(record_visits(&mut client, 1));
    server.fault(Endpoint::Push, Fault::Duplicate);
    let report = client.push(&mut server).unwrap();
    assert_eq!(report.applied, 3);
    assert_eq!(server.outcomes.len(), 3);
    assert_eq!(settled_ids(&client), recorded);
    let pushed: Vec<Vec<u64>> = server.pushes.iter().map(|p| seqs(&p.mutations)).collect();
    assert_eq!(pushed, [vec![1, 2], vec![1, 2, 3], vec![1, 2, 3]]);
}

#[test]
fn a_lost_registration_is_replaced_and_the_outbox_renumbered_with_nothing_dropped() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    server.max_push = 2;
    client.negotiate(&mut server).unwrap();
    let mut recorded = record_visits(&mut client, 2);
    client.register(&mut server, "Redmi Note 12").unwrap();
    client.push(&mut server).unwrap();
    let old_device = client.device_id().unwrap().unwrap();

    // The next batch is applied but its answer is lost; then the server forgets the device.
    let later = record_visits(&mut client, 3);
    recorded.extend(&later);
    server.fault(Endpoint::Push, Fault::DropResponse);
    client.push(&mut server).unwrap_err();
    server.forget_device(old_device);

    // The new registration's answer is lost too: the outbox is renumbered all the same and
    // nothing is dropped.
    server.fault(Endpoint::Register, Fault::DropRequest);
    client.push(&mut server).unwrap_err();
    let new_device = client.device_id().unwrap().unwrap();
    assert_ne!(new_device, old_device);
    let pending = client.pending().unwrap();
    assert_eq!(ids(&pending), later);
    assert_eq!(seqs(&pending), [1, 2, 3]);

    // The next push registers the same new id and pushes under it.
    let report = client.push(&mut server).unwrap();
    assert_eq!(client.device_id().unwrap(), Some(new_device));
    assert!(
        !report.reregistered,
        "the registration was already under way"
    );
    assert_eq!(report.applied, 3);
    let last = server.pushes.last().unwrap();
    assert_eq!(last.device_id, new_device);
    assert!(client.pending().unwrap().is_empty());
    assert_eq!(settled_ids(&client), recorded);
    // Each mutation was applied once: the first two of `later` were recognised.
    assert_eq!(server.outcomes.len(), 5);
}

#[test]
fn device_unknown_reregisters_within_one_push() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    let recorded = record_visits(&mut client, 2);
    client.push(&mut server).unwrap();
    let old_device = client.device_id().unwrap().unwrap();
    let later = record_visits(&mut client, 2);
    server.forget_device(old_device);

    let report = client.push(&mut server).unwrap();
    assert!(report.reregistered);
    let last = server.pushes.last().unwrap();
    assert_ne!(last.device_id, old_device);
    assert_eq!(ids(&last.mutations), later);
    assert_eq!(seqs(&last.mutations), [1, 2]);
    assert_eq!(settled_ids(&client), [recorded, later].concat());

    // A server that refuses the new device as well is an error, not a loop.
    record_visits(&mut client, 1);
    for _ in 0..2 {
        let refusal = Fault::Answer(problem(409, "device_unknown"));
        server.fault(Endpoint::Push, refusal);
    }
    let error = client.push(&mut server).unwrap_err();
    assert!(matches!(&error, ClientError::Transport(e) if e.is_device_unknown()));
    assert_eq!(client.pending().unwrap().len(), 1);
}

#[test]
fn a_device_id_taken_by_another_user_is_replaced() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    client.record(visit("p-1")).unwrap();
    server.fault(
        Endpoint::Register,
        Fault::Answer(problem(409, "device_taken")),
    );
    let first = client.device_id().unwrap();
    let state = client.register(&mut server, "phone").unwrap();
    assert_ne!(Some(state.device_id), first);
    assert_eq!(client.device_id().unwrap(), Some(state.device_id));
    assert_eq!(client.push(&mut server).unwrap().applied, 1);
}

#[test]
fn a_gap_the_outbox_cannot_fill_is_an_error_and_a_new_registration_recovers() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    record_visits(&mut client, 2);
    client.push(&mut server).unwrap();
    let device = client.device_id().unwrap().unwrap();
    server.rewind_device(device, 1);
    let later = record_visits(&mut client, 1);

    let error = client.push(&mut server).unwrap_err();
    assert!(
        matches!(error, ClientError::SequenceGap { expected_seq: 2 }),
        "{error}"
    );
    assert_eq!(ids(&client.pending().unwrap()), later);

    client.reregister(&mut server).unwrap();
    assert_eq!(client.push(&mut server).unwrap().applied, 1);
    assert!(client.pending().unwrap().is_empty());
}

#[test]
fn registering_again_replaces_a_registration_the_outbox_no_longer_fits() {
    // The server was restored from a backup that kept the device but lost its pushes: the
    // next push would hit a gap.
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    client.register(&mut server, "phone").unwrap();
    record_visits(&mut client, 2);
    client.push(&mut server).unwrap();
    let device = client.device_id().unwrap().unwrap();
    server.rewind_device(device, 0);
    let state = client.register(&mut server, "phone").unwrap();
    assert_ne!(state.device_id, device);
    assert_eq!(state.expected_seq, 1);
}

#[test]
fn a_store_restored_from_a_backup_pushes_under_a_new_registration() {
    // The phone's store was restored from a backup taken before a push: its numbering is
    // behind the server's, which refuses the reused numbers.
    let mut server = FakeServer::new();
    let dir = tempfile::tempdir().unwrap();
    let [live, backup, other_backup] =
        ["live", "backup", "other_backup"].map(|f| dir.path().join(f));
    let mut client = Client::open(&live).unwrap();
    client.register(&mut server, "phone").unwrap();
    let device = client.device_id().unwrap().unwrap();
    std::fs::copy(&live, &backup).unwrap();
    std::fs::copy(&live, &other_backup).unwrap();
    record_visits(&mut client, 2);
    client.push(&mut server).unwrap();
    drop(client);

    let mut client = Client::open(&backup).unwrap();
    let later = record_visits(&mut client, 1);
    let report = client.push(&mut server).unwrap();
    assert!(report.reregistered);
    assert_ne!(client.device_id().unwrap(), Some(device));
    assert_eq!((report.applied, report.rejected), (1, 0));
    assert_eq!(settled_ids(&client), later);

    // Registering at start-up sees it before any push.
    let mut client = Client::open(&other_backup).unwrap();
    let state = client.register(&mut server, "phone").unwrap();
    assert_ne!(state.device_id, device);
}

#[test]
fn rejected_mutations_stay_visible_with_their_reason() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    let good = client.record(visit("p-1")).unwrap();
    let bad = client.record(visit(NOWHERE)).unwrap();
    let report = client.sync(&mut server).unwrap();
    assert_eq!((report.push.applied, report.push.rejected), (1, 1));
    assert!(client.pending().unwrap().is_empty());
    assert_eq!(settled_ids(&client), [good, bad]);
    let rejected = client.rejected().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].mutation.mutation_id, bad);
    assert_eq!(rejected[0].mutation.record["parcel_id"], NOWHERE);
    assert_eq!(
        rejected[0].outcome.reason,
        Some(RejectReason::ParcelNotFound)
    );
}

#[test]
fn attribute_edits_take_their_base_from_the_synced_attributes() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    assert_eq!(client.attributes_base_seq("p-1").unwrap(), 0);
    server.put(RecordKind::Attributes, "p-1", Some(json!({"crop": "水稻"})));
    client.pull(&mut server).unwrap();
    let base_seq = client.attributes_base_seq("p-1").unwrap();
    assert_eq!(base_seq, 1);

    let edit = |base_seq| {
        MutationBody::SetAttributes(AttributeEdit {
            parcel_id: "p-1".into(),
            base_seq,
            fields: [(AttributeField::Crop, Some("小麦".to_owned()))].into(),
        })
    };
    client.record(edit(base_seq)).unwrap();
    let report = client.sync(&mut server).unwrap();
    assert_eq!((report.push.applied, report.push.conflicts), (1, 0));

    // Someone else edits first; the device's next edit did not see it.
    server.put(RecordKind::Attributes, "p-1", Some(json!({"crop": "玉米"})));
    client
        .record(edit(client.attributes_base_seq("p-1").unwrap()))
        .unwrap();
    let report = client.push(&mut server).unwrap();
    assert_eq!((report.applied, report.conflicts), (1, 1));
}

#[test]
fn pulls_page_to_the_end_apply_removals_and_report_how_far_pushes_were_applied() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    server.page_size = 2;
    for id in ["a", "b", "c"] {
        server.put(RecordKind::Parcel, id, Some(json!({"id": id})));
    }
    record_visits(&mut client, 2);
    let report = client.sync(&mut server).unwrap();
    assert_eq!((report.pull.pages, report.pull.changes), (3, 5));
    assert_eq!(client.device_acked_through_seq().unwrap(), Some(2));
    assert_eq!(client.synced_records(RecordKind::Visit).unwrap().len(), 2);

    server.remove(RecordKind::Parcel, "b");
    server.put(RecordKind::Parcel, "c", Some(json!({"id": "c", "v": 2})));
    let report = client.pull(&mut server).unwrap();
    assert_eq!((report.pages, report.changes, report.reset), (1, 2, false));
    let parcels = client.synced_records(RecordKind::Parcel).unwrap();
    assert_eq!(
        parcels,
        [
            ("a".to_owned(), 1, json!({"id": "a"})),
            ("c".to_owned(), 7, json!({"id": "c", "v": 2}))
        ]
    );
    assert_eq!(client.synced(RecordKind::Parcel, "b").unwrap(), None);
    assert_eq!(client.snapshot().unwrap(), fresh_snapshot(&mut server));
}

#[test]
fn a_reset_drops_synced_records_but_not_the_outbox() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    server.put(RecordKind::Parcel, "a", Some(json!({"id": "a"})));
    server.put(RecordKind::Parcel, "b", Some(json!({"id": "b"})));
    client.pull(&mut server).unwrap();
    let pending = record_visits(&mut client, 2);

    // The device's scope changes: "a" leaves it (the fake removes it) and the pull resets.
    server.remove(RecordKind::Parcel, "a");
    server.new_epoch();
    let report = client.pull(&mut server).unwrap();
    assert!(report.reset);
    assert_eq!(ids(&client.pending().unwrap()), pending);
    assert_eq!(client.synced(RecordKind::Parcel, "a").unwrap(), None);
    assert_eq!(client.snapshot().unwrap(), fresh_snapshot(&mut server));
}

#[test]
fn an_unknown_cursor_starts_over_as_a_reset() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    server.put(RecordKind::Parcel, "a", Some(json!({"id": "a"})));
    client.pull(&mut server).unwrap();
    server.remove(RecordKind::Parcel, "a");
    server.put(RecordKind::Parcel, "b", Some(json!({"id": "b"})));

    // A pull from scratch leaves removals out, so only the reset can drop "a".
    server.fault(
        Endpoint::Pull,
        Fault::Answer(problem(400, "invalid_cursor")),
    );
    let report = client.pull(&mut server).unwrap();
    assert!(report.reset);
    assert_eq!(client.snapshot().unwrap(), fresh_snapshot(&mut server));
    assert_eq!(client.synced(RecordKind::Parcel, "a").unwrap(), None);
}

#[test]
fn a_page_is_applied_whole_with_its_cursor_or_not_at_all() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    server.page_size = 2;
    server.put(RecordKind::Parcel, "a", Some(json!({"id": "a"})));
    server.put(RecordKind::Parcel, "b", Some(json!({"id": "b"})));
    server.put(RecordKind::Parcel, "c", Some(json!({"id": "c"})));
    server.put(RecordKind::Parcel, "d", None); // a put without data: the page is refused

    let error = client.pull(&mut server).unwrap_err();
    assert!(matches!(error, ClientError::Protocol(_)), "{error}");
    let kept: Vec<String> = client
        .synced_records(RecordKind::Parcel)
        .unwrap()
        .into_iter()
        .map(|(id, ..)| id)
        .collect();
    assert_eq!(
        kept,
        ["a", "b"],
        "the first page stays, nothing of the second"
    );

    // The cursor is the first page's: the next pull resumes with the second.
    server.put(RecordKind::Parcel, "d", Some(json!({"id": "d"})));
    let report = client.pull(&mut server).unwrap();
    assert_eq!((report.pages, report.changes), (1, 2));
    assert_eq!(client.snapshot().unwrap(), fresh_snapshot(&mut server));
}

#[test]
fn the_store_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.sqlite");
    let mut server = FakeServer::new();
    server.put(RecordKind::Parcel, "a", Some(json!({"id": "a"})));
    let (recorded, device) = {
        let mut client = Client::open(&path).unwrap();
        client.register(&mut server, "phone").unwrap();
        client.pull(&mut server).unwrap();
        (record_visits(&mut client, 2), client.device_id().unwrap())
    };
    let mut client = Client::open(&path).unwrap();
    assert_eq!(client.device_id().unwrap(), device);
    assert_eq!(ids(&client.pending().unwrap()), recorded);
    assert_eq!(client.snapshot().unwrap(), fresh_snapshot(&mut server));
    let report = client.sync(&mut server).unwrap();
    assert_eq!((report.push.applied, report.pull.changes), (2, 2));
}

#[test]
fn the_client_can_move_to_a_background_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Client>();
    #[cfg(feature = "http")]
    assert_send::<HttpTransport>();
}

#[test]
fn the_client_works_through_a_transport_object() {
    let mut client = Client::open_in_memory().unwrap();
    let mut server = FakeServer::new();
    let transport: &mut dyn Transport = &mut server;
    client.record(visit("p-1")).unwrap();
    let report = client.sync(transport).unwrap();
    assert_eq!((report.push.applied, report.pull.changes), (1, 1));
}

#[derive(Debug, Clone)]
enum Op {
    Record {
        device: usize,
        rejected: bool,
    },
    Sync {
        device: usize,
        fault: Option<(Endpoint, Fault)>,
    },
    ServerPut(u8),
    ServerRemove(u8),
    ForgetDevice(usize),
    NewEpoch,
}

fn op() -> impl Strategy<Value = Op> {
    let fault = prop_oneof![
        Just(Fault::DropRequest),
        Just(Fault::DropResponse),
        Just(Fault::Duplicate),
    ];
    let endpoint = prop_oneof![
        Just(Endpoint::Register),
        Just(Endpoint::Push),
        Just(Endpoint::Pull)
    ];
    prop_oneof![
        3 => (0..2usize, prop::bool::weighted(0.2))
            .prop_map(|(device, rejected)| Op::Record { device, rejected }),
        3 => (0..2usize, prop::option::of((endpoint, fault)))
            .prop_map(|(device, fault)| Op::Sync { device, fault }),
        1 => (0..4u8).prop_map(Op::ServerPut),
        1 => (0..4u8).prop_map(Op::ServerRemove),
        1 => (0..2usize).prop_map(Op::ForgetDevice),
        1 => Just(Op::NewEpoch),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever is lost on the way, two devices end up with every mutation decided once, an
    /// empty outbox, the server's outcomes, and the same records as a fresh device.
    #[test]
    fn devices_converge_whatever_the_faults(ops in prop::collection::vec(op(), 1..40)) {
        let mut server = FakeServer::new();
        server.max_push = 3;
        server.page_size = 3;
        let mut devices = [Client::open_in_memory().unwrap(), Client::open_in_memory().unwrap()];
        for device in &mut devices {
            device.negotiate(&mut server).unwrap();
        }
        let mut recorded: [Vec<Uuid>; 2] = Default::default();
        for op in ops {
            match op {
                Op::Record { device, rejected } => {
                    let parcel = if rejected { NOWHERE } else { "p-1" };
                    recorded[device].push(devices[device].record(visit(parcel)).unwrap());
                }
                Op::Sync { device, fault } => {
                    server.faults.extend(fault);
                    match devices[device].sync(&mut server) {
                        Ok(_) => {}
                        Err(e) => prop_assert!(e.is_transient(), "{e}"),
                    }
                    server.faults.clear();
                }
                Op::ServerPut(n) => {
                    server.put(RecordKind::Parcel, &n.to_string(), Some(json!({"n": n})));
                }
                Op::ServerRemove(n) => server.remove(RecordKind::Parcel, &n.to_string()),
                Op::ForgetDevice(device) => {
                    if let Some(id) = devices[device].device_id().unwrap() {
                        server.forget_device(id);
                    }
                }
                Op::NewEpoch => server.new_epoch(),
            }
        }
        for device in [0, 1, 0] {
            devices[device].sync(&mut server).unwrap();
        }
        let fresh = fresh_snapshot(&mut server);
        for (device, recorded) in devices.iter().zip(&recorded) {
            prop_assert!(device.pending().unwrap().is_empty());
            let settled = device.outcomes().unwrap();
            prop_assert_eq!(&settled_ids(device), recorded);
            for s in &settled {
                prop_assert_eq!(Some(&s.outcome), server.outcomes.get(&s.mutation.mutation_id));
            }
            prop_assert_eq!(&device.snapshot().unwrap(), &fresh);
        }
        let decided = recorded.iter().map(Vec::len).sum::<usize>();
        prop_assert_eq!(server.outcomes.len(), decided);
    }
}
