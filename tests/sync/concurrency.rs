//! The commit-order proof: devices pull in small pages while other devices push, all at once,
//! and no puller ever skips a change. A change numbered below a cursor that was already handed
//! out, becoming visible only later, would be skipped for good: the server must make numbers
//! visible in the order it hands them out (see `server/src/changes/sequence.rs`). The run on
//! PostgreSQL is the one that matters; SQLite has one writer at a time.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tianzhang_server::auth::Role;
use tianzhang_sync::messages::{Change, OutcomeStatus, RecordKind};
use tianzhang_sync::mutation::{Mutation, MutationBody};
use tianzhang_tests::TestApp;
use tianzhang_tests::parcels::with_nine_parcels;
use tianzhang_tests::simulation::cursor_seq;
use tianzhang_tests::sync::{Outbox, materialise, parcel_ids, pull_page, push, register, visit};
use uuid::Uuid;

const PUSHERS: usize = 4;
const BATCHES: usize = 50;
const VISITS_PER_BATCH: usize = 5;

/// What one puller saw.
struct Pulled {
    name: &'static str,
    token: String,
    changes: Vec<Change>,
    /// Pages pulled while the pushers were still at work.
    pages_during_pushes: usize,
}

fn keys(changes: &[Change]) -> BTreeSet<(RecordKind, String)> {
    changes.iter().map(|c| (c.kind, c.id.clone())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pullers_racing_concurrent_pushers_never_skip_a_change() {
    let app = TestApp::builder()
        .config(|c| {
            // Room for every pusher and puller to hold a connection at once, and one page
            // for everything at the end.
            c.database_max_connections = 8;
            c.workers = Some(2);
            c.limits.pull_changes = 10_000;
        })
        .spawn()
        .await;
    app.seed_regions().await;
    let (admin, _) = with_nine_parcels(&app).await;
    let ids = parcel_ids(&app, &admin.access_token).await;
    let village: Arc<Vec<String>> = Arc::new(["P1", "P2", "P3"].map(|c| ids[c].clone()).into());
    // Two chiefs of the fixture village with two phones each push; a third chief of the
    // village and the township reviewer pull, and so does one of the pushing chiefs.
    let (_, chief_a) = app.signed_in(Role::FieldChief).await;
    let (_, chief_b) = app.signed_in(Role::FieldChief).await;
    let (_, chief_c) = app.signed_in(Role::FieldChief).await;
    let (_, reviewer) = app.signed_in(Role::TownshipReviewer).await;
    let app = Arc::new(app);
    let pushing = Arc::new(AtomicBool::new(true));
    let batches_done = Arc::new(AtomicUsize::new(0));

    let pushers: Vec<_> = (0..PUSHERS)
        .map(|i| {
            let app = Arc::clone(&app);
            let village = Arc::clone(&village);
            let batches_done = Arc::clone(&batches_done);
            let token = [&chief_a, &chief_b][i % 2].access_token.clone();
            tokio::spawn(async move {
                let device = Uuid::now_v7();
                register(&app, &token, device).await;
                let mut outbox = Outbox::default();
                let mut visits = Vec::new();
                for b in 0..BATCHES {
                    let batch: Vec<Mutation> = (0..VISITS_PER_BATCH)
                        .map(|k| {
                            let v = visit(&village[(i + b + k) % village.len()]);
                            visits.push(v.id);
                            outbox.mutation(MutationBody::CreateVisit(v))
                        })
                        .collect();
                    let response = push(&app, &token, device, &batch).await;
                    assert!(
                        response
                            .outcomes
                            .iter()
                            .all(|o| o.status == OutcomeStatus::Applied),
                        "pusher {i}, batch {b}: {response:?}"
                    );
                    batches_done.fetch_add(1, Ordering::Relaxed);
                }
                visits
            })
        })
        .collect();

    let pullers: Vec<_> = [
        ("village chief C, pages of 3", chief_c.access_token.clone(), 3),
        ("township reviewer, pages of 5", reviewer.access_token.clone(), 5),
        ("pushing chief A, pages of 7", chief_a.access_token.clone(), 7),
    ]
    .into_iter()
    .map(|(name, token, limit)| {
        let app = Arc::clone(&app);
        let pushing = Arc::clone(&pushing);
        tokio::spawn(async move {
            let mut cursor: Option<String> = None;
            let mut changes: Vec<Change> = Vec::new();
            let mut passed = 0;
            let mut pages_during_pushes = 0;
            loop {
                // Read before the pull: a pull that starts after the last push ended must
                // reach everything.
                let still_pushing = pushing.load(Ordering::SeqCst);
                let page = pull_page(&app, &token, cursor.as_deref(), limit, None).await;
                assert!(!page.reset, "{name}: no reset");
                for change in &page.changes {
                    assert!(
                        change.seq > passed,
                        "{name}: received change {} ({:?} {}) after its cursor had passed {passed}: \
                         a puller that stopped earlier would have skipped it",
                        change.seq,
                        change.kind,
                        change.id
                    );
                    passed = change.seq;
                }
                let next = cursor_seq(&page.next_cursor);
                assert!(
                    next >= passed && cursor.as_deref().is_none_or(|c| next >= cursor_seq(c)),
                    "{name}: the cursor never moves back"
                );
                passed = passed.max(next);
                changes.extend(page.changes);
                cursor = Some(page.next_cursor);
                if still_pushing {
                    pages_during_pushes += 1;
                } else if !page.has_more {
                    break;
                }
            }
            Pulled {
                name,
                token,
                changes,
                pages_during_pushes,
            }
        })
    })
    .collect();

    let mut pushed = Vec::new();
    for pusher in pushers {
        pushed.extend(pusher.await.expect("pusher"));
    }
    pushing.store(false, Ordering::SeqCst);
    assert_eq!(
        batches_done.load(Ordering::Relaxed),
        PUSHERS * BATCHES,
        "every batch was pushed"
    );
    assert_eq!(pushed.len(), PUSHERS * BATCHES * VISITS_PER_BATCH);

    for puller in pullers {
        let Pulled {
            name,
            token,
            changes,
            pages_during_pushes,
        } = puller.await.expect("puller");
        assert!(
            pages_during_pushes > 0,
            "{name}: pulled while the pushers were at work"
        );
        let fresh = pull_page(&app, &token, None, 10_000, None).await;
        assert!(!fresh.has_more, "one page holds everything");
        let (seen, all) = (keys(&changes), keys(&fresh.changes));
        let skipped: Vec<_> = all.difference(&seen).collect();
        let extra: Vec<_> = seen.difference(&all).collect();
        assert!(
            skipped.is_empty() && extra.is_empty(),
            "{name}: skipped {} of the {} records a fresh pull of its scope holds (its cursor \
             passed them before they became visible), e.g. {:?}; {} records that are not there, \
             e.g. {:?}",
            skipped.len(),
            all.len(),
            &skipped[..skipped.len().min(3)],
            extra.len(),
            &extra[..extra.len().min(3)]
        );
        assert_eq!(
            materialise(&changes),
            materialise(&fresh.changes),
            "{name}: ends with what a fresh pull holds"
        );
        let visits: BTreeSet<String> = changes
            .iter()
            .filter(|c| c.kind == RecordKind::Visit)
            .map(|c| c.id.clone())
            .collect();
        let missing: Vec<&Uuid> = pushed
            .iter()
            .filter(|id| !visits.contains(&id.to_string()))
            .collect();
        assert!(
            missing.is_empty(),
            "{name}: saw every visit pushed; missing {} of {}: {:?}",
            missing.len(),
            pushed.len(),
            &missing[..missing.len().min(5)]
        );
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for change in &changes {
            *counts.entry(change.kind.as_str()).or_default() += 1;
        }
        assert_eq!(
            counts.get("visit"),
            Some(&pushed.len()),
            "{name}: each visit once"
        );
    }
}
