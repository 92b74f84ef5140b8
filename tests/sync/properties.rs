//! Properties of the sync protocol, against the real server over HTTP.
//!
//! Phones run the reference client on a flaky network (lost requests, lost answers, requests
//! delivered twice) and do random field work: visits, photos, submissions, withdrawals and
//! attribute edits on shared parcels, pushes, pulls and lost registrations. Then the network
//! heals, every phone syncs twice around, and the outcome is checked: convergence, exactly-once,
//! no lost writes, cursors that only move forward. A second property pulls a random history
//! with every page size and with stops and restarts while the field goes on writing.
//!
//! Runs are reproducible: the proptest seed is fixed unless `PROPTEST_RNG_SEED` is set, and
//! everything random inside a case (the faults, the record ids) comes from the case's `seed`.
//! `PROPTEST_CASES=n` runs more cases.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;

use diesel::prelude::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tianzhang_server::auth::Role;
use tianzhang_server::db::DbError;
use tianzhang_server::db::schema::{attribute_conflicts, attribute_history, mutations};
use tianzhang_sync::client::{Client, ClientError, HttpTransport, Transport};
use tianzhang_sync::merge::{ManifestPhoto, manifest_hash};
use tianzhang_sync::messages::{
    AttributesData, Change, Outcome, OutcomeStatus, PullResponse, RecordKind, RejectReason,
};
use tianzhang_sync::mutation::MutationBody;
use tianzhang_sync::records::{
    AttributeEdit, AttributeField, Claim, Photo, Submission, WithdrawableKind, Withdrawal,
};
use tianzhang_tests::fixtures::NEIGHBOUR_VILLAGE;
use tianzhang_tests::parcels::with_nine_parcels;
use tianzhang_tests::photos;
use tianzhang_tests::simulation::{
    FaultRates, FlakyTransport, SplitMix64, blocking_http_client, cursor_seq, http_transport,
    runtime,
};
use tianzhang_tests::sync::{materialise, parcel_ids, photo, submission, visit};
use tianzhang_tests::{TestApp, TestUser, Tokens};
use tokio::runtime::Runtime;
use uuid::Uuid;

/// The proptest seed unless `PROPTEST_RNG_SEED` says otherwise.
const SEED: u64 = 0x7469_616e_7a68_616e;

/// `cases` cases from a fixed seed, without regression files, and a bounded shrink (every
/// shrink step runs a whole server). The `PROPTEST_*` variables still override.
fn config(cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        base.cases
    } else {
        cases
    };
    ProptestConfig {
        cases,
        rng_seed: match base.rng_seed {
            RngSeed::Random => RngSeed::Fixed(SEED),
            fixed => fixed,
        },
        failure_persistence: None,
        max_shrink_iters: if std::env::var_os("PROPTEST_MAX_SHRINK_ITERS").is_some() {
            base.max_shrink_iters
        } else {
            24
        },
        ..base
    }
}

// ---------------------------------------------------------------------------------------------
// The world: a server with the nine fixture parcels and the people who work on them.

const CHIEF_A: usize = 0;
const CHIEF_B: usize = 1;
const NEIGHBOUR_C: usize = 2;
const REVIEWER: usize = 3;

/// The phones: two of chief A, one of chief B (same village, parcels P1–P3) and one of chief C
/// of the neighbour village (P4–P6).
const PHONES: [(&str, usize); 4] = [
    ("A1", CHIEF_A),
    ("A2", CHIEF_A),
    ("B", CHIEF_B),
    ("C", NEIGHBOUR_C),
];

/// The values attribute edits choose from, per field: few, so that equal concurrent values
/// happen.
const VALUES: [[Option<&str>; 3]; 3] = [
    [Some("耕地"), Some("园地"), None],
    [Some("水稻"), Some("油菜"), None],
    [Some("已复耕"), Some("待复查"), None],
];

struct Person {
    user: TestUser,
    tokens: Tokens,
    /// Indices into [`World::parcels`] of the parcels in the person's scope.
    home: [usize; 3],
    /// A parcel outside the person's scope.
    away: usize,
}

struct World {
    // Dropped in declaration order: the server and its database go before the runtime.
    app: TestApp,
    admin: Tokens,
    /// The ids of P1..P9.
    parcels: Vec<String>,
    people: Vec<Person>,
    /// The photo files phones take (photos share them, as repeated shots of one spot would);
    /// the even ones are on the server from the start, the odd ones arrive as the network
    /// heals, so submissions both wait for files and enter review when they come.
    files: Vec<photos::Photo>,
    http: reqwest::blocking::Client,
    rt: Runtime,
}

impl World {
    fn new(push_limit: u32) -> World {
        let rt = runtime();
        let (app, admin, parcels, people) = rt.block_on(async move {
            let app = TestApp::builder()
                .config(move |c| c.limits.push_mutations = push_limit)
                .spawn()
                .await;
            app.seed_regions().await;
            let (admin, _) = with_nine_parcels(&app).await;
            let ids = parcel_ids(&app, &admin.access_token).await;
            let parcels: Vec<String> = (1..=9).map(|i| ids[&format!("P{i}")].clone()).collect();
            let mut people = Vec::new();
            // Chief A's away parcel is in the other township, B's in the neighbour village,
            // C's in the fixture village.
            for (role, region, home, away) in [
                (Role::FieldChief, None, [0, 1, 2], 6),
                (Role::FieldChief, None, [0, 1, 2], 3),
                (Role::FieldChief, Some(NEIGHBOUR_VILLAGE), [3, 4, 5], 0),
                (Role::TownshipReviewer, None, [0, 1, 2], 6),
            ] {
                let user = app.create_user(role, region).await;
                let tokens = app.login(&user).await;
                people.push(Person {
                    user,
                    tokens,
                    home,
                    away,
                });
            }
            (app, admin, parcels, people)
        });
        let files: Vec<photos::Photo> = (0..16).map(|i| photos::photo(8, 8, i, 40)).collect();
        for file in files.iter().step_by(2) {
            rt.block_on(photos::upload(&app, &people[0].tokens.access_token, file));
        }
        World {
            app,
            admin,
            parcels,
            people,
            files,
            http: blocking_http_client(),
            rt,
        }
    }

    fn transport(&self, token: &str) -> HttpTransport {
        http_transport(&self.app.address, token, &self.http)
    }

    /// Everything a new phone of this token's user pulls, into a fresh store.
    fn fresh_client(&self, token: &str) -> Client {
        let mut client = Client::open_in_memory().expect("client store");
        client
            .pull(&mut self.transport(token))
            .expect("a fresh pull on a healthy network");
        client
    }

    fn in_scope(&self, person: usize, parcel_id: &str) -> bool {
        self.people[person]
            .home
            .iter()
            .any(|&i| self.parcels[i] == parcel_id)
    }
}

// ---------------------------------------------------------------------------------------------
// Operations.

#[derive(Debug, Clone, Copy)]
enum Place {
    /// One of the phone's own three parcels.
    Home(usize),
    /// A parcel outside its scope.
    Away,
}

#[derive(Debug, Clone)]
enum Op {
    Visit {
        phone: usize,
        place: Place,
    },
    /// A photo on a home parcel, taken during a visit the phone knows of there (or none).
    Photo {
        phone: usize,
        parcel: usize,
        visit: usize,
    },
    /// A submission naming some of the live photos and visits the phone knows of on the
    /// parcel (bit masks over them).
    Submission {
        phone: usize,
        parcel: usize,
        photos: u8,
        visits: u8,
    },
    /// A withdrawal of a visit, photo or submission the phone knows of, its own or not.
    Withdraw {
        phone: usize,
        target: usize,
    },
    /// An edit of the fields in `fields` (a bit mask), based on what the phone last pulled;
    /// with `pull_first` the phone tries to pull just before, as an app does when a parcel is
    /// opened (on the flaky network the pull may fail, and the edit goes ahead regardless).
    Edit {
        phone: usize,
        place: Place,
        fields: u8,
        values: [u8; 3],
        pull_first: bool,
    },
    Push {
        phone: usize,
    },
    Pull {
        phone: usize,
    },
    Sync {
        phone: usize,
    },
    /// The phone starts a new registration under a new device id.
    LoseRegistration {
        phone: usize,
    },
    /// The township reviewer decides one of the submissions waiting for review.
    Review {
        pick: usize,
        decision: u8,
    },
}

fn place() -> impl Strategy<Value = Place> {
    prop_oneof![9 => (0..3usize).prop_map(Place::Home), 1 => Just(Place::Away)]
}

/// Edits crowd on each phone's first parcel, so that concurrent edits meet.
fn edit_place() -> impl Strategy<Value = Place> {
    prop_oneof![6 => Just(Place::Home(0)), 3 => place()]
}

/// Mostly the land use alone, so that edits of one field meet, conflict and settle.
fn edit_fields() -> impl Strategy<Value = u8> {
    prop_oneof![3 => Just(1u8), 2 => 1..8u8]
}

fn field_op() -> impl Strategy<Value = Op> {
    let phone = 0..PHONES.len();
    prop_oneof![
        4 => (phone.clone(), place()).prop_map(|(phone, place)| Op::Visit { phone, place }),
        3 => (phone.clone(), 0..3usize, 0..8usize)
            .prop_map(|(phone, parcel, visit)| Op::Photo { phone, parcel, visit }),
        2 => (phone.clone(), 0..3usize, any::<u8>(), any::<u8>()).prop_map(
            |(phone, parcel, photos, visits)| Op::Submission { phone, parcel, photos, visits }
        ),
        2 => (phone.clone(), 0..64usize)
            .prop_map(|(phone, target)| Op::Withdraw { phone, target }),
        5 => (phone.clone(), edit_place(), edit_fields(), any::<[u8; 3]>(), any::<bool>())
            .prop_map(|(phone, place, fields, values, pull_first)| Op::Edit {
                phone,
                place,
                fields,
                values,
                pull_first,
            }),
        3 => phone.clone().prop_map(|phone| Op::Push { phone }),
        2 => phone.clone().prop_map(|phone| Op::Pull { phone }),
        3 => phone.clone().prop_map(|phone| Op::Sync { phone }),
        2 => phone.prop_map(|phone| Op::LoseRegistration { phone }),
        2 => (0..16usize, 0..3u8).prop_map(|(pick, decision)| Op::Review { pick, decision }),
    ]
}

// ---------------------------------------------------------------------------------------------
// The simulation.

struct Phone {
    label: &'static str,
    person: usize,
    client: Client,
    net: FlakyTransport<HttpTransport>,
}

/// A mutation recorded on a phone.
struct Recorded {
    mutation_id: Uuid,
    phone: usize,
    person: usize,
    body: MutationBody,
}

impl Recorded {
    /// The kind and id of the field record this mutation creates, if it creates one.
    fn creates(&self) -> Option<(RecordKind, Uuid)> {
        match &self.body {
            MutationBody::CreateVisit(v) => Some((RecordKind::Visit, v.id)),
            MutationBody::CreatePhoto(p) => Some((RecordKind::Photo, p.id)),
            MutationBody::CreateSubmission(s) => Some((RecordKind::Submission, s.id)),
            MutationBody::CreateWithdrawal(w) => Some((RecordKind::Withdrawal, w.id)),
            MutationBody::SetAttributes(_) => None,
        }
    }

    fn parcel_id(&self) -> Option<&str> {
        self.body.parcel_id()
    }
}

struct Sim<'w> {
    world: &'w World,
    phones: Vec<Phone>,
    /// Every mutation recorded on any phone, in the order they were made.
    recorded: Vec<Recorded>,
    /// The decisions the township reviewer recorded, in order.
    reviews: Vec<ReviewDone>,
    /// Record ids and photo hashes.
    random: SplitMix64,
}

/// A decision recorded through `POST /api/v1/reviews`.
struct ReviewDone {
    id: Uuid,
    submission_id: Uuid,
    decision: &'static str,
}

impl<'w> Sim<'w> {
    fn new(world: &'w World, seed: u64, rates: FaultRates, page_cap: Option<u32>) -> Sim<'w> {
        let mut random = SplitMix64::new(seed);
        let phones = PHONES
            .iter()
            .map(|&(label, person)| {
                let transport = world.transport(&world.people[person].tokens.access_token);
                let mut net = FlakyTransport::new(transport, random.next_u64(), FaultRates::NONE)
                    .with_page_cap(page_cap);
                let mut client = Client::open_in_memory().expect("client store");
                client
                    .register(&mut net, label)
                    .expect("registration on a healthy network");
                net.set_rates(rates);
                Phone {
                    label,
                    person,
                    client,
                    net,
                }
            })
            .collect();
        Sim {
            world,
            phones,
            recorded: Vec::new(),
            reviews: Vec::new(),
            random,
        }
    }

    fn parcel(&self, phone: usize, place: Place) -> String {
        let person = &self.world.people[self.phones[phone].person];
        let index = match place {
            Place::Home(i) => person.home[i % 3],
            Place::Away => person.away,
        };
        self.world.parcels[index].clone()
    }

    fn record(&mut self, phone: usize, body: MutationBody) {
        let mutation_id = self.phones[phone]
            .client
            .record(body.clone())
            .expect("recording works offline");
        self.recorded.push(Recorded {
            mutation_id,
            phone,
            person: self.phones[phone].person,
            body,
        });
    }

    /// The field records of `kind` the phone knows of, on `parcel` or anywhere: those it
    /// recorded itself, then those it pulled (by id). With `live_only`, those it knows to be
    /// withdrawn are left out.
    fn known(
        &self,
        phone: usize,
        kind: RecordKind,
        parcel: Option<&str>,
        live_only: bool,
    ) -> Vec<Uuid> {
        let on_parcel = |p: Option<&str>| parcel.is_none() || p == parcel;
        let mine = self.recorded.iter().filter(|r| r.phone == phone);
        let withdrawn_here: BTreeSet<Uuid> = mine
            .clone()
            .filter_map(|r| match &r.body {
                MutationBody::CreateWithdrawal(w) => Some(w.target_id),
                _ => None,
            })
            .collect();
        let mut ids: Vec<Uuid> = mine
            .filter(|r| r.creates().is_some_and(|(k, _)| k == kind) && on_parcel(r.parcel_id()))
            .filter_map(|r| r.creates().map(|(_, id)| id))
            .collect();
        let synced = self.phones[phone]
            .client
            .synced_records(kind)
            .expect("synced records");
        for (id, _, data) in synced {
            let id: Uuid = id.parse().expect("field record ids are UUIDs");
            let withdrawn = data["withdrawn"].as_bool().unwrap_or(false);
            if on_parcel(data["record"]["parcel_id"].as_str())
                && !(live_only && withdrawn)
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        if live_only {
            ids.retain(|id| !withdrawn_here.contains(id));
        }
        ids
    }

    /// Runs a client call; on the flaky network only transient failures are acceptable.
    fn over_the_network<T>(
        &mut self,
        phone: usize,
        what: &str,
        call: impl FnOnce(&mut Client, &mut FlakyTransport<HttpTransport>) -> Result<T, ClientError>,
    ) {
        let Phone {
            label, client, net, ..
        } = &mut self.phones[phone];
        if let Err(error) = call(client, net) {
            assert!(
                error.is_transient(),
                "phone {label}: {what} failed with a non-transient error on a flaky network: \
                 {error}"
            );
        }
    }

    fn run(&mut self, op: &Op) {
        match *op {
            Op::Visit { phone, place } => {
                let mut v = visit(&self.parcel(phone, place));
                v.id = self.random.uuid();
                self.record(phone, MutationBody::CreateVisit(v));
            }
            Op::Photo {
                phone,
                parcel,
                visit,
            } => {
                let parcel = self.parcel(phone, Place::Home(parcel));
                let visits = self.known(phone, RecordKind::Visit, Some(&parcel), false);
                let visit_id = visits.get(visit).copied();
                let mut p = photo(&parcel, visit_id, '0');
                p.sha256 = self.world.files[self.random.below(16)].hash.clone();
                p.id = self.random.uuid();
                self.record(phone, MutationBody::CreatePhoto(p));
            }
            Op::Submission {
                phone,
                parcel,
                photos,
                visits,
            } => {
                let parcel = self.parcel(phone, Place::Home(parcel));
                let pick = |ids: Vec<Uuid>, mask: u8| -> Vec<Uuid> {
                    ids.into_iter()
                        .take(8)
                        .enumerate()
                        .filter(|(i, _)| mask & (1 << i) != 0)
                        .map(|(_, id)| id)
                        .collect()
                };
                let photo_ids = pick(
                    self.known(phone, RecordKind::Photo, Some(&parcel), true),
                    photos,
                );
                let visit_ids = pick(
                    self.known(phone, RecordKind::Visit, Some(&parcel), true),
                    visits,
                );
                let mut s = submission(&parcel, photo_ids);
                s.id = self.random.uuid();
                s.visit_ids = visit_ids;
                if s.photo_ids.is_empty() {
                    s.claim = Claim::InProgress;
                }
                self.record(phone, MutationBody::CreateSubmission(s));
            }
            Op::Withdraw { phone, target } => {
                let candidates: Vec<(WithdrawableKind, Uuid)> = [
                    (WithdrawableKind::Visit, RecordKind::Visit),
                    (WithdrawableKind::Photo, RecordKind::Photo),
                    (WithdrawableKind::Submission, RecordKind::Submission),
                ]
                .into_iter()
                .flat_map(|(target_kind, kind)| {
                    self.known(phone, kind, None, false)
                        .into_iter()
                        .map(move |id| (target_kind, id))
                })
                .collect();
                if candidates.is_empty() {
                    return;
                }
                let (target_kind, target_id) = candidates[target % candidates.len()];
                let w = Withdrawal {
                    id: self.random.uuid(),
                    target_kind,
                    target_id,
                    reason: "拍错了地块".into(),
                };
                self.record(phone, MutationBody::CreateWithdrawal(w));
            }
            Op::Edit {
                phone,
                place,
                fields,
                values,
                pull_first,
            } => {
                if pull_first {
                    self.over_the_network(phone, "pull", |c, n| c.pull(n));
                }
                let parcel_id = self.parcel(phone, place);
                let base_seq = self.phones[phone]
                    .client
                    .attributes_base_seq(&parcel_id)
                    .expect("base seq");
                let fields = AttributeField::ALL
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| fields & (1 << i) != 0)
                    .map(|(i, field)| {
                        (field, VALUES[i][usize::from(values[i]) % 3].map(Into::into))
                    })
                    .collect();
                let edit = AttributeEdit {
                    parcel_id,
                    base_seq,
                    fields,
                };
                self.record(phone, MutationBody::SetAttributes(edit));
            }
            Op::Push { phone } => self.over_the_network(phone, "push", |c, n| c.push(n)),
            Op::Pull { phone } => self.over_the_network(phone, "pull", |c, n| c.pull(n)),
            Op::Sync { phone } => self.over_the_network(phone, "sync", |c, n| c.sync(n)),
            Op::LoseRegistration { phone } => {
                self.over_the_network(phone, "re-registration", |c, n| c.reregister(n));
            }
            Op::Review { pick, decision } => self.review(pick, decision),
        }
    }

    /// The township reviewer decides one of the submissions waiting for review.
    fn review(&mut self, pick: usize, decision: u8) {
        let token = self.world.people[REVIEWER].tokens.access_token.clone();
        let seen = self.world.fresh_client(&token);
        let waiting: Vec<(String, Value)> = seen
            .synced_records(RecordKind::Submission)
            .expect("synced submissions")
            .into_iter()
            .filter(|(_, _, data)| data["status"] == "ready_for_review")
            .map(|(id, _, data)| (id, data["manifest_hash"].clone()))
            .collect();
        if waiting.is_empty() {
            return;
        }
        let (submission_id, hash) = &waiting[pick % waiting.len()];
        let decision = ["approved", "rejected", "returned"][usize::from(decision) % 3];
        let id = self.random.uuid();
        let response = self
            .world
            .http
            .post(self.world.app.url("/api/v1/reviews"))
            .bearer_auth(&token)
            .json(&json!({
                "id": id,
                "submission_id": submission_id,
                "manifest_hash": hash,
                "decision": decision,
                "reason": "照片看不清，请补拍",
            }))
            .send()
            .expect("review request");
        assert_eq!(response.status(), StatusCode::CREATED, "review recorded");
        self.reviews.push(ReviewDone {
            id,
            submission_id: submission_id.parse().expect("submission ids are UUIDs"),
            decision,
        });
    }

    /// Heals the network; every phone syncs twice around, and then has nothing left to push
    /// or pull.
    fn converge(&mut self) {
        for phone in &mut self.phones {
            phone.net.heal();
        }
        let uploader = &self.world.people[0].tokens.access_token;
        for file in self.world.files.iter().skip(1).step_by(2) {
            self.world
                .rt
                .block_on(photos::upload(&self.world.app, uploader, file));
        }
        for round in 1..=2 {
            for Phone {
                label, client, net, ..
            } in &mut self.phones
            {
                client.sync(net).unwrap_or_else(|e| {
                    panic!("phone {label}: sync on a healed network (round {round}): {e}")
                });
                assert!(
                    client.pending().expect("outbox").is_empty(),
                    "phone {label}: the outbox is empty after a sync on a healed network"
                );
            }
        }
        for Phone {
            label, client, net, ..
        } in &mut self.phones
        {
            let report = client.pull(net).expect("pull on a healed network");
            assert_eq!(
                report.changes, 0,
                "phone {label}: nothing new after everyone synced twice"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the server stored, read straight from its database.

struct MutationRow {
    device_id: String,
    change_seq: i64,
    status: String,
    reason: Option<String>,
}

#[derive(Debug, Clone)]
struct HistoryRow {
    parcel_id: String,
    field: String,
    value: Option<String>,
    previous: Option<String>,
    seq: i64,
    mutation_id: String,
    conflict_id: Option<String>,
}

#[derive(Debug, Clone)]
struct ConflictRow {
    id: String,
    parcel_id: String,
    field: String,
    seq: i64,
    settled_seq: Option<i64>,
    settled_by: Option<String>,
}

struct Facts {
    mutations: HashMap<Uuid, MutationRow>,
    /// In change order.
    history: Vec<HistoryRow>,
    conflicts: Vec<ConflictRow>,
}

type MutationTuple = (String, String, i64, String, Option<String>);
type HistoryTuple = (
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    String,
    Option<String>,
);
type ConflictTuple = (String, String, String, i64, Option<i64>, Option<String>);

fn facts(world: &World) -> Facts {
    let (rows, history, conflicts) = world
        .rt
        .block_on(world.app.state.db.read(|conn| {
            let rows: Vec<MutationTuple> = mutations::table
                .select((
                    mutations::id,
                    mutations::device_id,
                    mutations::change_seq,
                    mutations::status,
                    mutations::reason,
                ))
                .load(conn)?;
            let history: Vec<HistoryTuple> = attribute_history::table
                .order(attribute_history::seq.asc())
                .select((
                    attribute_history::parcel_id,
                    attribute_history::field,
                    attribute_history::value,
                    attribute_history::previous,
                    attribute_history::seq,
                    attribute_history::mutation_id,
                    attribute_history::conflict_id,
                ))
                .load(conn)?;
            let conflicts: Vec<ConflictTuple> = attribute_conflicts::table
                .select((
                    attribute_conflicts::id,
                    attribute_conflicts::parcel_id,
                    attribute_conflicts::field,
                    attribute_conflicts::seq,
                    attribute_conflicts::settled_seq,
                    attribute_conflicts::settled_by,
                ))
                .load(conn)?;
            Ok::<_, DbError>((rows, history, conflicts))
        }))
        .expect("read the server's tables");
    Facts {
        mutations: rows
            .into_iter()
            .map(|(id, device_id, change_seq, status, reason)| {
                let row = MutationRow {
                    device_id,
                    change_seq,
                    status,
                    reason,
                };
                (id.parse().expect("mutation ids are UUIDs"), row)
            })
            .collect(),
        history: history
            .into_iter()
            .map(
                |(parcel_id, field, value, previous, seq, mutation_id, conflict_id)| HistoryRow {
                    parcel_id,
                    field,
                    value,
                    previous,
                    seq,
                    mutation_id,
                    conflict_id,
                },
            )
            .collect(),
        conflicts: conflicts
            .into_iter()
            .map(
                |(id, parcel_id, field, seq, settled_seq, settled_by)| ConflictRow {
                    id,
                    parcel_id,
                    field,
                    seq,
                    settled_seq,
                    settled_by,
                },
            )
            .collect(),
    }
}

fn wire_name<T: serde::Serialize + Debug>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{value:?}"))
}

/// The differences between two snapshots, briefly.
fn snapshot_diff(
    a: &BTreeMap<(RecordKind, String), Value>,
    b: &BTreeMap<(RecordKind, String), Value>,
) -> String {
    let mut lines = Vec::new();
    for (key, value) in a {
        match b.get(key) {
            None => lines.push(format!("only left: {key:?}")),
            Some(other) if other != value => {
                lines.push(format!("differs: {key:?}: {value} vs {other}"));
            }
            Some(_) => {}
        }
    }
    lines.extend(
        b.keys()
            .filter(|k| !a.contains_key(*k))
            .map(|key| format!("only right: {key:?}")),
    );
    lines.truncate(12);
    lines.join("\n")
}

// ---------------------------------------------------------------------------------------------
// The checks.

/// What the generator's mutations must come to, given the server's order.
#[derive(Debug, PartialEq)]
enum Expect {
    Applied,
    /// An attribute edit: applied, with or without a conflict (checked on its own).
    AppliedMaybeConflict,
    Rejected(RejectReason),
}

struct Verdict<'s, 'w> {
    sim: &'s Sim<'w>,
    facts: Facts,
    /// The outcome each recorded mutation got, on the phone that recorded it.
    outcomes: HashMap<Uuid, Outcome>,
    /// Everything there is, as an administrator pulls it.
    everything: BTreeMap<(RecordKind, String), Value>,
    /// The decision on each submission decided, with the change number of the review.
    decisions: HashMap<Uuid, (i64, &'static str)>,
}

impl<'s, 'w> Verdict<'s, 'w> {
    fn new(sim: &'s Sim<'w>) -> Verdict<'s, 'w> {
        let mut outcomes = HashMap::new();
        for phone in &sim.phones {
            for settled in phone.client.outcomes().expect("outcomes") {
                outcomes.insert(settled.outcome.mutation_id, settled.outcome);
            }
        }
        let admin = sim.world.fresh_client(&sim.world.admin.access_token);
        let everything = admin.snapshot().expect("snapshot");
        let review_seqs: HashMap<String, u64> = admin
            .synced_records(RecordKind::Review)
            .expect("reviews")
            .into_iter()
            .map(|(id, seq, _)| (id, seq))
            .collect();
        let decisions = sim
            .reviews
            .iter()
            .map(|review| {
                let seq = review_seqs
                    .get(&review.id.to_string())
                    .unwrap_or_else(|| panic!("no lost writes: review {} is pulled", review.id));
                let seq = i64::try_from(*seq).expect("a change number");
                (review.submission_id, (seq, review.decision))
            })
            .collect();
        Verdict {
            sim,
            facts: facts(sim.world),
            outcomes,
            everything,
            decisions,
        }
    }

    /// Whether a submission was decided, and not yet replaced, at change number `at`.
    fn decided_at(&self, submission: &Recorded, at: i64) -> bool {
        let MutationBody::CreateSubmission(s) = &submission.body else {
            return false;
        };
        let Some(&(decided, _)) = self.decisions.get(&s.id) else {
            return false;
        };
        let replaced = self.sim.recorded.iter().any(|r| {
            matches!(&r.body, MutationBody::CreateSubmission(later) if later.parcel_id == s.parcel_id)
                && self.applied(r.mutation_id)
                && (decided..at).contains(&self.change_seq(r.mutation_id))
        });
        decided < at && !replaced
    }

    /// Whether, just before change `at`, an applied submission that was neither superseded nor
    /// withdrawn yet names this visit or photo.
    fn backs_a_standing_submission(
        &self,
        evidence: Uuid,
        at: i64,
        withdrawn_at: &HashMap<Uuid, i64>,
    ) -> bool {
        let applied: Vec<(&Submission, i64)> = self
            .sim
            .recorded
            .iter()
            .filter_map(|r| match &r.body {
                MutationBody::CreateSubmission(s) if self.applied(r.mutation_id) => {
                    Some((s, self.change_seq(r.mutation_id)))
                }
                _ => None,
            })
            .filter(|(_, seq)| *seq < at)
            .collect();
        applied.iter().any(|(s, seq)| {
            (s.visit_ids.contains(&evidence) || s.photo_ids.contains(&evidence))
                && withdrawn_at.get(&s.id).is_none_or(|w| *w >= at)
                && !applied
                    .iter()
                    .any(|(later, later_seq)| later.parcel_id == s.parcel_id && later_seq > seq)
        })
    }

    fn applied(&self, mutation_id: Uuid) -> bool {
        self.outcomes
            .get(&mutation_id)
            .is_some_and(|o| o.status != OutcomeStatus::Rejected)
    }

    fn change_seq(&self, mutation_id: Uuid) -> i64 {
        self.facts
            .mutations
            .get(&mutation_id)
            .unwrap_or_else(|| panic!("the server stored mutation {mutation_id}"))
            .change_seq
    }

    fn recorded_creating(&self, id: Uuid) -> &'s Recorded {
        self.sim
            .recorded
            .iter()
            .find(|r| r.creates().is_some_and(|(_, created)| created == id))
            .unwrap_or_else(|| panic!("a recorded mutation creates {id}"))
    }

    /// The change number of the first applied withdrawal of each record withdrawn.
    fn first_withdrawals(&self) -> HashMap<Uuid, i64> {
        let mut first = HashMap::new();
        for r in &self.sim.recorded {
            if let MutationBody::CreateWithdrawal(w) = &r.body
                && self.applied(r.mutation_id)
            {
                let at = self.change_seq(r.mutation_id);
                first
                    .entry(w.target_id)
                    .and_modify(|s: &mut i64| *s = (*s).min(at))
                    .or_insert(at);
            }
        }
        first
    }

    fn username(&self, person: usize) -> &str {
        &self.sim.world.people[person].user.username
    }

    /// Convergence: every phone holds what a fresh pull of its user's scope holds, and the
    /// two chiefs of one village hold the same.
    fn convergence(&self) {
        let world = self.sim.world;
        let fresh: Vec<_> = [CHIEF_A, CHIEF_B, NEIGHBOUR_C]
            .into_iter()
            .map(|p| {
                world
                    .fresh_client(&world.people[p].tokens.access_token)
                    .snapshot()
                    .expect("snapshot")
            })
            .collect();
        for phone in &self.sim.phones {
            let snapshot = phone.client.snapshot().expect("snapshot");
            let expected = &fresh[phone.person];
            assert!(
                snapshot == *expected,
                "convergence: phone {} holds what a fresh pull of its scope holds:\n{}",
                phone.label,
                snapshot_diff(&snapshot, expected)
            );
        }
        assert!(
            fresh[CHIEF_A] == fresh[CHIEF_B],
            "convergence: two chiefs of one village see the same:\n{}",
            snapshot_diff(&fresh[CHIEF_A], &fresh[CHIEF_B])
        );
    }

    /// Exactly once: every mutation has one outcome on its phone and one row on the server,
    /// with the same verdict.
    fn exactly_once(&self) {
        for (i, phone) in self.sim.phones.iter().enumerate() {
            assert!(
                phone.client.pending().expect("outbox").is_empty(),
                "exactly once: phone {} has nothing pending",
                phone.label
            );
            let mut counts: HashMap<Uuid, usize> = HashMap::new();
            for settled in phone.client.outcomes().expect("outcomes") {
                *counts.entry(settled.mutation.mutation_id).or_default() += 1;
            }
            let mine: Vec<&Recorded> = self.sim.recorded.iter().filter(|r| r.phone == i).collect();
            for r in &mine {
                assert_eq!(
                    counts.get(&r.mutation_id),
                    Some(&1),
                    "exactly once: phone {} holds one outcome for its {} {}",
                    phone.label,
                    r.body.kind(),
                    r.mutation_id
                );
            }
            assert_eq!(
                counts.len(),
                mine.len(),
                "exactly once: phone {} holds outcomes only for its own mutations",
                phone.label
            );
        }
        assert_eq!(
            self.facts.mutations.len(),
            self.sim.recorded.len(),
            "exactly once: the server stored one row per mutation recorded"
        );
        for r in &self.sim.recorded {
            let stored = self.facts.mutations.get(&r.mutation_id).unwrap_or_else(|| {
                panic!(
                    "exactly once: the server stored {} {}",
                    r.body.kind(),
                    r.mutation_id
                )
            });
            let outcome = &self.outcomes[&r.mutation_id];
            assert_eq!(
                (stored.status.as_str(), stored.reason.clone()),
                (
                    wire_name(&outcome.status).as_str(),
                    outcome.reason.map(|r| wire_name(&r))
                ),
                "exactly once: the phone was told what the server stored for {} {}",
                r.body.kind(),
                r.mutation_id
            );
        }
    }

    fn expected(&self, r: &Recorded, withdrawn_at: &HashMap<Uuid, i64>) -> Expect {
        let world = self.sim.world;
        match &r.body {
            MutationBody::CreateVisit(v) if !world.in_scope(r.person, &v.parcel_id) => {
                Expect::Rejected(RejectReason::ParcelNotFound)
            }
            MutationBody::CreateVisit(_) | MutationBody::CreatePhoto(_) => Expect::Applied,
            MutationBody::CreateSubmission(s) => {
                // Its evidence existed when it was made; it is refused only if a piece of it
                // was withdrawn before it arrived.
                let at = self.change_seq(r.mutation_id);
                let gone = s
                    .visit_ids
                    .iter()
                    .chain(&s.photo_ids)
                    .any(|id| withdrawn_at.get(id).is_some_and(|w| *w < at));
                if gone {
                    Expect::Rejected(RejectReason::ReferenceNotFound)
                } else {
                    Expect::Applied
                }
            }
            MutationBody::CreateWithdrawal(w) => {
                let target = self.recorded_creating(w.target_id);
                if !self.applied(target.mutation_id) {
                    Expect::Rejected(RejectReason::ReferenceNotFound)
                } else if world.people[target.person].user.id != world.people[r.person].user.id {
                    Expect::Rejected(RejectReason::NotAllowed)
                } else if self.decided_at(target, self.change_seq(r.mutation_id)) {
                    // What a reviewer ruled on is never taken back from the field.
                    Expect::Rejected(RejectReason::NotAllowed)
                } else if self.backs_a_standing_submission(
                    w.target_id,
                    self.change_seq(r.mutation_id),
                    withdrawn_at,
                ) {
                    // Nor is the evidence a standing submission rests on.
                    Expect::Rejected(RejectReason::NotAllowed)
                } else {
                    Expect::Applied
                }
            }
            MutationBody::SetAttributes(edit) if !world.in_scope(r.person, &edit.parcel_id) => {
                Expect::Rejected(RejectReason::ParcelNotFound)
            }
            MutationBody::SetAttributes(_) => Expect::AppliedMaybeConflict,
        }
    }

    /// Every outcome is the one the rules give in the server's order: nothing is rejected
    /// but what must be.
    fn outcomes_follow_the_rules(&self) {
        let withdrawn_at = self.first_withdrawals();
        for r in &self.sim.recorded {
            let outcome = &self.outcomes[&r.mutation_id];
            let got = (outcome.status, outcome.reason);
            let fine = match self.expected(r, &withdrawn_at) {
                Expect::Applied => got == (OutcomeStatus::Applied, None),
                Expect::AppliedMaybeConflict => matches!(
                    got,
                    (
                        OutcomeStatus::Applied | OutcomeStatus::AppliedWithConflict,
                        None
                    )
                ),
                Expect::Rejected(reason) => got == (OutcomeStatus::Rejected, Some(reason)),
            };
            assert!(
                fine,
                "outcome of {} {} on phone {}: expected {:?}, got {:?} ({:?}); record {}",
                r.body.kind(),
                r.mutation_id,
                self.sim.phones[r.phone].label,
                self.expected(r, &withdrawn_at),
                got,
                outcome.message,
                r.body.to_record()
            );
        }
    }

    /// No lost writes: every applied field record is on the server as pushed, once, with its
    /// author; withdrawn exactly when a withdrawal of it was applied; submissions and parcels
    /// in the status their history gives.
    fn records_are_all_there(&self) {
        let withdrawn_at = self.first_withdrawals();
        for kind in [
            RecordKind::Visit,
            RecordKind::Photo,
            RecordKind::Submission,
            RecordKind::Withdrawal,
        ] {
            let creating: Vec<&Recorded> = self
                .sim
                .recorded
                .iter()
                .filter(|r| r.creates().is_some_and(|(k, _)| k == kind))
                .collect();
            let applied: Vec<&&Recorded> = creating
                .iter()
                .filter(|r| self.applied(r.mutation_id))
                .collect();
            let on_server = self.everything.keys().filter(|(k, _)| *k == kind).count();
            assert_eq!(
                on_server,
                applied.len(),
                "exactly once: one {kind:?} on the server per applied create mutation"
            );
            for r in creating {
                let (_, id) = r.creates().expect("a create mutation");
                let data = self.everything.get(&(kind, id.to_string()));
                if !self.applied(r.mutation_id) {
                    assert!(
                        data.is_none(),
                        "a rejected {kind:?} {id} is not on the server"
                    );
                    continue;
                }
                let data = data.unwrap_or_else(|| {
                    panic!("no lost writes: the applied {kind:?} {id} is on the server")
                });
                assert_eq!(
                    data["record"],
                    r.body.to_record(),
                    "{kind:?} {id} as pushed"
                );
                assert_eq!(
                    data["mutation_id"],
                    r.mutation_id.to_string(),
                    "{kind:?} {id} names its mutation"
                );
                assert_eq!(
                    data["author"],
                    self.username(r.person),
                    "{kind:?} {id} names its author"
                );
                if kind != RecordKind::Withdrawal {
                    assert_eq!(
                        data["withdrawn"].as_bool().unwrap_or(false),
                        withdrawn_at.contains_key(&id),
                        "{kind:?} {id} is withdrawn exactly when a withdrawal of it was applied"
                    );
                }
            }
        }
        self.submissions_and_parcels(&withdrawn_at);
    }

    fn submissions_and_parcels(&self, withdrawn_at: &HashMap<Uuid, i64>) {
        let world = self.sim.world;
        for parcel_id in &world.parcels {
            let mut submissions: Vec<(&Recorded, &Submission, i64)> = self
                .sim
                .recorded
                .iter()
                .filter(|r| self.applied(r.mutation_id))
                .filter_map(|r| match &r.body {
                    MutationBody::CreateSubmission(s) if s.parcel_id == *parcel_id => {
                        Some((r, s, self.change_seq(r.mutation_id)))
                    }
                    _ => None,
                })
                .collect();
            submissions.sort_by_key(|(_, _, at)| *at);
            for (i, (_, s, _)) in submissions.iter().enumerate() {
                let data = &self.everything[&(RecordKind::Submission, s.id.to_string())];
                let withdrawn = withdrawn_at.get(&s.id);
                let decision = self.decisions.get(&s.id).map(|(_, d)| *d);
                let expected = match submissions.get(i + 1) {
                    // Withdrawn while it was the current one, or else replaced.
                    Some((_, _, next)) if withdrawn.is_some_and(|w| w < next) => "withdrawn",
                    Some(_) => "superseded",
                    // A decided submission cannot be withdrawn; a withdrawn one is not
                    // reviewable.
                    None => match (decision, withdrawn) {
                        (Some(decision), _) => decision,
                        (None, Some(_)) => "withdrawn",
                        (None, None) => "ready_for_review",
                    },
                };
                assert_eq!(
                    data["status"],
                    expected,
                    "submission {} (#{} of {} on its parcel)",
                    s.id,
                    i,
                    submissions.len()
                );
                let photos: Vec<ManifestPhoto> = s
                    .photo_ids
                    .iter()
                    .map(|id| {
                        let photo = &self.everything[&(RecordKind::Photo, id.to_string())];
                        let photo: Photo = serde_json::from_value(photo["record"].clone())
                            .expect("a pulled photo");
                        ManifestPhoto {
                            id: photo.id,
                            sha256: photo.sha256,
                        }
                    })
                    .collect();
                assert_eq!(
                    data["manifest_hash"],
                    manifest_hash(s, &photos),
                    "submission {} is bound to its manifest",
                    s.id
                );
            }
            // The parcel follows its last submission; activity after its decision raises the
            // flag (a visit or photo stored, a withdrawal accepted, or an attribute value
            // written; docs/sync-protocol.md §5.5).
            let last = submissions.last().map(|(_, s, _)| *s);
            let decision = last.and_then(|s| self.decisions.get(&s.id));
            let status = match (last, decision) {
                (None, _) => "open",
                (Some(_), Some((_, "approved"))) => "approved",
                (Some(_), Some((_, "rejected"))) => "rejected",
                (Some(_), Some(_)) => "returned",
                (Some(s), None) if withdrawn_at.contains_key(&s.id) => "open",
                (Some(_), None) => "submitted",
            };
            let flagged = decision.is_some_and(|&(decided, _)| {
                let field_work = self.sim.recorded.iter().any(|r| {
                    let on_parcel = match &r.body {
                        MutationBody::CreateVisit(_) | MutationBody::CreatePhoto(_) => {
                            r.parcel_id() == Some(parcel_id.as_str())
                        }
                        // A withdrawal is on its target's parcel.
                        MutationBody::CreateWithdrawal(w) => {
                            self.recorded_creating(w.target_id).parcel_id()
                                == Some(parcel_id.as_str())
                        }
                        _ => false,
                    };
                    on_parcel
                        && self.applied(r.mutation_id)
                        && self.change_seq(r.mutation_id) > decided
                });
                let edits = self
                    .facts
                    .history
                    .iter()
                    .any(|h| h.parcel_id == *parcel_id && h.seq > decided);
                field_work || edits
            });
            let parcel = &self.everything[&(RecordKind::Parcel, parcel_id.clone())];
            assert_eq!(
                parcel["status"], status,
                "parcel {parcel_id} follows its last submission and its decision"
            );
            assert_eq!(
                parcel["post_decision_activity"], flagged,
                "parcel {parcel_id}: flagged exactly when field work followed the decision"
            );
        }
        assert_eq!(
            self.everything
                .keys()
                .filter(|(k, _)| *k == RecordKind::Review)
                .count(),
            self.sim.reviews.len(),
            "no lost writes: every review decision is pulled, once"
        );
        for review in &self.sim.reviews {
            let data = &self.everything[&(RecordKind::Review, review.id.to_string())];
            assert_eq!(data["submission_id"], review.submission_id.to_string());
            assert_eq!(data["decision"], review.decision);
        }
    }

    /// Attributes: every value written is in the history in server order, each write records
    /// the value it replaced, an edit to the current value writes nothing, conflicts arise and
    /// settle by the merge rule, and the current values are the last ones written.
    fn attributes(&self) {
        let mut history: BTreeMap<(&str, &str), Vec<&HistoryRow>> = BTreeMap::new();
        for row in &self.facts.history {
            history
                .entry((row.parcel_id.as_str(), row.field.as_str()))
                .or_default()
                .push(row);
        }
        // The history is a chain: each write replaced the value before it.
        for ((parcel, field), rows) in &history {
            let mut value: Option<String> = None;
            for row in rows {
                assert_eq!(
                    row.previous, value,
                    "attribute {field} of {parcel}: the write at {} records the value it replaced",
                    row.seq
                );
                assert_ne!(
                    row.value, row.previous,
                    "attribute {field} of {parcel}: a write changes the value"
                );
                value.clone_from(&row.value);
            }
        }
        let device_of = |mutation_id: &str| -> &str {
            let id: Uuid = mutation_id.parse().expect("mutation id");
            &self.facts.mutations[&id].device_id
        };
        let mut rows_accounted = 0;
        for r in &self.sim.recorded {
            let MutationBody::SetAttributes(edit) = &r.body else {
                continue;
            };
            let id = r.mutation_id.to_string();
            let own: Vec<&HistoryRow> = self
                .facts
                .history
                .iter()
                .filter(|h| h.mutation_id == id)
                .collect();
            rows_accounted += own.len();
            if !self.applied(r.mutation_id) {
                assert!(own.is_empty(), "a rejected edit {id} wrote nothing");
                continue;
            }
            let at = self.change_seq(r.mutation_id);
            let device = &self.facts.mutations[&r.mutation_id].device_id;
            let mut opened = BTreeSet::new();
            for (field, value) in &edit.fields {
                let rows = history
                    .get(&(edit.parcel_id.as_str(), field.as_str()))
                    .map_or(&[][..], Vec::as_slice);
                let before = rows.iter().rev().find(|h| h.seq < at);
                let current = before.and_then(|h| h.value.clone());
                let written = own.iter().find(|h| h.field == field.as_str());
                if current == *value {
                    assert!(
                        written.is_none(),
                        "edit {id} of {field:?}: the value was already {value:?}: nothing written"
                    );
                    continue;
                }
                let written = written.unwrap_or_else(|| {
                    panic!("no lost writes: edit {id} wrote {field:?} = {value:?}")
                });
                assert_eq!(
                    (written.seq, &written.value, &written.previous),
                    (at, value, &current),
                    "edit {id} of {field:?}: written at its own change number over the value \
                     before it"
                );
                let conflict = before.is_some_and(|h| {
                    u64::try_from(h.seq).unwrap_or(0) > edit.base_seq
                        && device_of(&h.mutation_id) != device.as_str()
                });
                assert_eq!(
                    written.conflict_id.is_some(),
                    conflict,
                    "edit {id} of {field:?} (base {}): a conflict exactly when another device \
                     changed the field after the base ({before:?})",
                    edit.base_seq
                );
                opened.extend(written.conflict_id.clone());
            }
            let outcome = &self.outcomes[&r.mutation_id];
            let reported: BTreeSet<String> =
                outcome.conflicts.iter().map(Uuid::to_string).collect();
            assert_eq!(
                reported, opened,
                "edit {id}: the outcome names the conflicts it opened"
            );
            assert_eq!(
                outcome.status == OutcomeStatus::AppliedWithConflict,
                !opened.is_empty(),
                "edit {id}: applied with a conflict exactly when it opened one"
            );
        }
        assert_eq!(
            rows_accounted,
            self.facts.history.len(),
            "every history row belongs to a recorded edit"
        );
        // Settling: an open conflict is settled by the first later edit of its field that had
        // seen it, and by nothing else.
        let edits: Vec<(&Recorded, &AttributeEdit, i64)> = self
            .sim
            .recorded
            .iter()
            .filter(|r| self.applied(r.mutation_id))
            .filter_map(|r| match &r.body {
                MutationBody::SetAttributes(e) => Some((r, e, self.change_seq(r.mutation_id))),
                _ => None,
            })
            .collect();
        for c in &self.facts.conflicts {
            let settlers: Vec<&(&Recorded, &AttributeEdit, i64)> = edits
                .iter()
                .filter(|(_, e, at)| {
                    e.parcel_id == c.parcel_id
                        && e.fields.keys().any(|f| f.as_str() == c.field)
                        && *at > c.seq
                        && i64::try_from(e.base_seq).unwrap_or(i64::MAX) >= c.seq
                })
                .collect();
            let first = settlers.iter().min_by_key(|(_, _, at)| *at);
            assert_eq!(
                (c.settled_by.clone(), c.settled_seq),
                first
                    .map(|(r, _, at)| (Some(r.mutation_id.to_string()), Some(*at)))
                    .unwrap_or((None, None)),
                "conflict {} on {} of {} (at {})",
                c.id,
                c.field,
                c.parcel_id,
                c.seq
            );
        }
        // The current values are the last ones written, and the open conflicts are shown.
        for parcel_id in &self.sim.world.parcels {
            let data = self
                .everything
                .get(&(RecordKind::Attributes, parcel_id.clone()))
                .map(|d| serde_json::from_value::<AttributesData>(d.clone()).expect("attributes"));
            for field in AttributeField::ALL {
                let last = history
                    .get(&(parcel_id.as_str(), field.as_str()))
                    .and_then(|rows| rows.last())
                    .and_then(|h| h.value.clone());
                let current = data.as_ref().and_then(|d| d.fields.get(&field).cloned());
                assert_eq!(
                    current, last,
                    "no lost writes: {field:?} of {parcel_id} is the last value written"
                );
            }
            let shown: BTreeSet<String> = data
                .iter()
                .flat_map(|d| d.open_conflicts.iter().map(|c| c.id.to_string()))
                .collect();
            let open: BTreeSet<String> = self
                .facts
                .conflicts
                .iter()
                .filter(|c| c.parcel_id == *parcel_id && c.settled_seq.is_none())
                .map(|c| c.id.clone())
                .collect();
            assert_eq!(shown, open, "the open conflicts of {parcel_id} are pulled");
        }
    }

    /// With `TIANZHANG_SIM_STATS` set: what the case exercised, to check that the generator
    /// reaches the interesting paths.
    fn print_stats(&self, ops: &[Op]) {
        if std::env::var_os("TIANZHANG_SIM_STATS").is_none() {
            return;
        }
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        for r in &self.sim.recorded {
            let o = &self.outcomes[&r.mutation_id];
            let key = match o.reason {
                Some(reason) => format!("{} {}", r.body.kind(), wire_name(&reason)),
                None => format!("{} {}", r.body.kind(), wire_name(&o.status)),
            };
            *outcomes.entry(key).or_default() += 1;
        }
        let faults: usize = self.sim.phones.iter().map(|p| p.net.faults.len()).sum();
        let pages: usize = self.sim.phones.iter().map(|p| p.net.pulls.len()).sum();
        let pushes: usize = self.sim.phones.iter().map(|p| p.net.pushes.len()).sum();
        let devices: BTreeSet<Uuid> = self
            .sim
            .phones
            .iter()
            .flat_map(|p| p.net.pushes.iter().map(|push| push.request.device_id))
            .collect();
        eprintln!(
            "case: {} ops, {} mutations, {faults} faults, {pushes} pushes and {pages} pages \
             delivered, {} devices pushed, {} reviews, {} parcels flagged, {} conflicts ({} \
             settled), {outcomes:?}",
            ops.len(),
            self.sim.recorded.len(),
            devices.len(),
            self.sim.reviews.len(),
            self.everything
                .iter()
                .filter(
                    |((k, _), v)| *k == RecordKind::Parcel && v["post_decision_activity"] == true
                )
                .count(),
            self.facts.conflicts.len(),
            self.facts
                .conflicts
                .iter()
                .filter(|c| c.settled_seq.is_some())
                .count(),
        );
    }

    /// Cursors: every page a phone received continues from the cursor of the one before, in
    /// strictly increasing change numbers, with a cursor that never moves back; no reset.
    /// Push answers never move a device's acknowledgement back.
    fn cursors_only_move_forward(&self) {
        for phone in &self.sim.phones {
            let label = phone.label;
            let mut expected_cursor: Option<String> = None;
            let mut last_seq = 0;
            for (n, pull) in phone.net.pulls.iter().enumerate() {
                let page = &pull.response;
                assert!(!page.reset, "phone {label}, page {n}: no reset");
                assert_eq!(
                    pull.cursor, expected_cursor,
                    "phone {label}, page {n}: a pull continues from the last cursor received"
                );
                let from = pull.cursor.as_deref().map_or(0, cursor_seq);
                let seqs: Vec<u64> = page.changes.iter().map(|c| c.seq).collect();
                assert!(
                    seqs.windows(2).all(|w| w[0] < w[1]),
                    "phone {label}, page {n}: change numbers increase within a page: {seqs:?}"
                );
                assert!(
                    seqs.first().is_none_or(|&s| s > from && s > last_seq),
                    "phone {label}, page {n}: changes come after the cursor ({from}) and after \
                     every change received before ({last_seq}): {seqs:?}"
                );
                let next = cursor_seq(&page.next_cursor);
                assert!(
                    next >= from,
                    "phone {label}, page {n}: the cursor never moves back ({from} → {next})"
                );
                assert_eq!(
                    next,
                    seqs.last().copied().unwrap_or(from),
                    "phone {label}, page {n}: the next cursor is at the page's last change"
                );
                if page.has_more {
                    assert_eq!(
                        seqs.len(),
                        pull.limit as usize,
                        "phone {label}, page {n}: a page with more to come is full"
                    );
                }
                last_seq = last_seq.max(next);
                expected_cursor = Some(page.next_cursor.clone());
            }
            let mut acked: HashMap<Uuid, u64> = HashMap::new();
            for push in &phone.net.pushes {
                let (request, response) = (&push.request, &push.response);
                let before = acked.entry(request.device_id).or_default();
                assert!(
                    response.acked_through_seq >= *before,
                    "phone {label}: device {}'s acknowledgement never moves back",
                    request.device_id
                );
                *before = response.acked_through_seq;
                assert!(
                    response.outcomes.len() <= request.mutations.len()
                        && response
                            .outcomes
                            .iter()
                            .zip(&request.mutations)
                            .all(|(o, m)| o.mutation_id == m.mutation_id),
                    "phone {label}: a push is answered with outcomes in the order sent"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(config(20))]

    #[test]
    fn phones_on_a_flaky_network_converge_exactly_once_without_losing_writes(
        seed in any::<u64>(),
        fault_rate in prop_oneof![Just(0.0), Just(0.1), Just(0.2), Just(0.3)],
        page_cap in prop_oneof![Just(None), (1u32..6).prop_map(Some)],
        push_limit in 1u32..6,
        ops in vec(field_op(), 20..70),
    ) {
        let world = World::new(push_limit);
        let mut sim = Sim::new(&world, seed, FaultRates::uniform(fault_rate), page_cap);
        for op in &ops {
            sim.run(op);
        }
        sim.converge();
        let verdict = Verdict::new(&sim);
        verdict.convergence();
        verdict.exactly_once();
        verdict.outcomes_follow_the_rules();
        verdict.records_are_all_there();
        verdict.attributes();
        verdict.cursors_only_move_forward();
        verdict.print_stats(&ops);
    }
}

// ---------------------------------------------------------------------------------------------
// Page boundaries.

/// Pulls pages of `limit` from `cursor` to the end, checking each; returns the changes and
/// the pages.
fn pull_to_end(
    transport: &mut HttpTransport,
    cursor: Option<&str>,
    limit: u32,
) -> (Vec<Change>, Vec<PullResponse>) {
    let mut cursor = cursor.map(str::to_owned);
    let mut pages = Vec::new();
    loop {
        let page = transport
            .pull(cursor.as_deref(), limit, None)
            .expect("pull on a healthy network");
        assert!(!page.reset, "no reset");
        assert!(
            page.changes.len() <= limit as usize,
            "a page holds at most {limit} changes"
        );
        if page.has_more {
            assert_eq!(
                page.changes.len(),
                limit as usize,
                "a page with more to come is full"
            );
        }
        cursor = Some(page.next_cursor.clone());
        let more = page.has_more;
        pages.push(page);
        if !more {
            break;
        }
    }
    let changes = pages.iter().flat_map(|p| p.changes.clone()).collect();
    (changes, pages)
}

fn assert_increasing(changes: &[Change], what: &str) {
    let seqs: Vec<u64> = changes.iter().map(|c| c.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "{what}: change numbers strictly increase, without duplicates: {seqs:?}"
    );
}

proptest! {
    #![proptest_config(config(12))]

    #[test]
    fn pages_of_every_size_and_pulls_stopped_anywhere_add_up_to_one_pull(
        seed in any::<u64>(),
        history in vec(field_op(), 4..20),
        puller in 0..3usize,
        restarts in vec((1usize..4, 1u32..8, vec(field_op(), 0..4)), 1..4),
        final_limit in 1u32..8,
    ) {
        let world = World::new(500);
        let mut sim = Sim::new(&world, seed, FaultRates::NONE, None);
        for op in &history {
            sim.run(op);
        }
        sim.converge();
        let token = match puller {
            0 => world.people[CHIEF_A].tokens.access_token.clone(),
            1 => world.people[REVIEWER].tokens.access_token.clone(),
            _ => world.admin.access_token.clone(),
        };
        let mut transport = world.transport(&token);

        // One unbounded pull, then every page size from 1 to N + 1.
        let (whole, pages) = pull_to_end(&mut transport, None, 1000);
        assert_eq!(pages.len(), 1, "one page holds everything");
        assert_increasing(&whole, "the unbounded pull");
        let end = pages[0].next_cursor.clone();
        let n = whole.len();
        for limit in 1..=n as u32 + 1 {
            let (paged, pages) = pull_to_end(&mut transport, None, limit);
            assert!(paged == whole, "pages of {limit} add up to the unbounded pull");
            assert_eq!(
                pages.len(),
                n.div_ceil(limit as usize).max(1),
                "pages of {limit} for {n} changes: no empty page after a full last one"
            );
            let last = pages.last().expect("a page");
            assert_eq!(last.next_cursor, end, "pages of {limit} end at the same cursor");
            // Pulling again at the end: an empty last page that keeps the cursor.
            let (rest, again) = pull_to_end(&mut transport, Some(&end), limit);
            assert!(rest.is_empty() && again.len() == 1, "nothing after the end");
            assert_eq!(again[0].next_cursor, end, "an empty page keeps the cursor");
        }

        // A puller that stops after a few pages while the field goes on, and resumes later
        // with another page size.
        let mut cursor: Option<String> = None;
        let mut seen: Vec<Change> = Vec::new();
        for (pages, limit, writes) in &restarts {
            for _ in 0..*pages {
                let page = transport
                    .pull(cursor.as_deref(), *limit, None)
                    .expect("pull on a healthy network");
                assert!(!page.reset, "no reset");
                let from = cursor.as_deref().map_or(0, cursor_seq);
                assert!(cursor_seq(&page.next_cursor) >= from, "the cursor never moves back");
                seen.extend(page.changes);
                cursor = Some(page.next_cursor);
                if !page.has_more {
                    break;
                }
            }
            for op in writes {
                sim.run(op);
            }
            sim.converge();
        }
        let (rest, pages) = pull_to_end(&mut transport, cursor.as_deref(), final_limit);
        seen.extend(rest);
        let end = pages.last().expect("a page").next_cursor.clone();
        assert_increasing(&seen, "a pull stopped and resumed");
        let (fresh, fresh_pages) = pull_to_end(&mut transport, None, 1000);
        assert_eq!(
            materialise(&seen),
            materialise(&fresh),
            "a pull stopped and resumed ends where a fresh pull does"
        );
        assert_eq!(
            end,
            fresh_pages.last().expect("a page").next_cursor,
            "and at the same cursor"
        );
    }
}
