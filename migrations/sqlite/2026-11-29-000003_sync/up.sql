-- The sync protocol: the change feed devices pull, the devices and the mutations they push,
-- the field records, parcel attributes with their conflicts, and review decisions.

-- `change_seq` numbers every change devices can pull. Writers take the counter row at the start
-- of their transaction and hold it to commit, so sequence numbers become visible in order: a
-- reader that sees number N sees every number below it (see docs/sync-protocol.md).
INSERT INTO counters (name, value) VALUES ('change_seq', 0);

-- Parcels are pulled straight from their table: `sync_seq` is the change that last touched one.
-- Parcels imported before this migration are numbered here, in id order.
ALTER TABLE parcels ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE parcels ADD COLUMN post_decision_activity BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE parcels SET sync_seq = numbered.n
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM parcels) AS numbered
    WHERE parcels.id = numbered.id;
UPDATE counters SET value = (SELECT count(*) FROM parcels) WHERE name = 'change_seq';
CREATE INDEX parcels_sync_seq ON parcels (sync_seq);

-- Everything else devices pull: the latest state of each record in each region it is visible
-- from. A record that leaves a region keeps a `remove` row there, so devices of that region
-- learn that it went.
CREATE TABLE sync_feed (
    kind        TEXT NOT NULL CHECK (kind IN ('campaign', 'attributes', 'visit', 'photo',
                    'submission', 'withdrawal', 'review', 'parcel')),
    entity_id   TEXT NOT NULL,
    region_path TEXT NOT NULL,
    parcel_id   TEXT,
    seq         BIGINT NOT NULL UNIQUE,
    op          TEXT NOT NULL CHECK (op IN ('put', 'remove')),
    data        TEXT,
    PRIMARY KEY (kind, entity_id, region_path)
);
CREATE INDEX sync_feed_parcel_id ON sync_feed (parcel_id, region_path);
-- Campaigns created before this migration, numbered after the parcels.
INSERT INTO sync_feed (kind, entity_id, region_path, parcel_id, seq, op, data)
    SELECT 'campaign', c.id, r.path, NULL,
           (SELECT count(*) FROM parcels) + row_number() OVER (ORDER BY c.id), 'put',
           json_object('id', c.id, 'name', c.name, 'county_code', c.county_code, 'phases', json(c.phases), 'deadlines', json(c.deadlines), 'targets', json(c.targets))
    FROM campaigns c JOIN regions r ON r.code = c.county_code;
UPDATE counters SET value = value + (SELECT count(*) FROM campaigns) WHERE name = 'change_seq';

-- A device: an app installation, bound to the user who registered it. `acked_seq` is the
-- highest `device_seq` with a stored outcome.
CREATE TABLE devices (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    acked_seq     BIGINT NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL
);
CREATE INDEX devices_user_id ON devices (user_id);

-- Every mutation ever pushed, applied or not, with its outcome: replays answer from here.
CREATE TABLE mutations (
    id          TEXT PRIMARY KEY NOT NULL,
    device_id   TEXT NOT NULL REFERENCES devices (id),
    device_seq  BIGINT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    kind        TEXT NOT NULL,
    record      TEXT NOT NULL,
    client_time TEXT,
    status      TEXT NOT NULL CHECK (status IN ('applied', 'applied_with_conflict', 'rejected')),
    reason      TEXT,
    message     TEXT,
    conflicts   TEXT NOT NULL,
    change_seq  BIGINT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    UNIQUE (device_id, device_seq)
);

-- Visits, photos, submissions and withdrawals: written once, never changed except to mark them
-- withdrawn (and, for submissions, their review status). Nothing here is ever deleted.
CREATE TABLE field_records (
    id            TEXT PRIMARY KEY NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('visit', 'photo', 'submission', 'withdrawal')),
    parcel_id     TEXT NOT NULL REFERENCES parcels (id),
    author_id     TEXT NOT NULL REFERENCES users (id),
    mutation_id   TEXT NOT NULL REFERENCES mutations (id),
    record        TEXT NOT NULL,
    withdrawn     BOOLEAN NOT NULL,
    status        TEXT CHECK (status IN ('awaiting_photos', 'ready_for_review', 'approved', 'rejected', 'returned',
                      'superseded', 'withdrawn')),
    manifest_hash TEXT,
    -- A submission's decision (there is at most one: a decided submission is final).
    decision_id   TEXT,
    -- A submission written without seeing the parcel's current submission or its latest
    -- decision: the reviewer should know the field chief had not seen them.
    stale_base    BOOLEAN NOT NULL DEFAULT FALSE,
    sha256        TEXT,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX field_records_parcel_id ON field_records (parcel_id, kind);
-- A photo's file, for finding the records that wait for it and the same file on other parcels.
CREATE INDEX field_records_sha256 ON field_records (sha256);

-- A reviewer's decision, bound to the exact submission content it judged.
CREATE TABLE reviews (
    id            TEXT PRIMARY KEY NOT NULL,
    submission_id TEXT NOT NULL REFERENCES field_records (id),
    parcel_id     TEXT NOT NULL REFERENCES parcels (id),
    manifest_hash TEXT NOT NULL,
    decision      TEXT NOT NULL CHECK (decision IN ('approved', 'rejected', 'returned')),
    reason        TEXT NOT NULL,
    reviewer_id   TEXT NOT NULL REFERENCES users (id),
    decided_at    TIMESTAMP NOT NULL
);
CREATE INDEX reviews_submission_id ON reviews (submission_id);
CREATE INDEX reviews_parcel_id ON reviews (parcel_id);

-- The current value of each field-observed parcel attribute.
CREATE TABLE parcel_attributes (
    parcel_id   TEXT NOT NULL REFERENCES parcels (id),
    field       TEXT NOT NULL CHECK (field IN ('land_use', 'crop', 'notes')),
    value       TEXT,
    changed_seq BIGINT NOT NULL,
    mutation_id TEXT NOT NULL REFERENCES mutations (id),
    device_id   TEXT NOT NULL REFERENCES devices (id),
    PRIMARY KEY (parcel_id, field)
);

-- Every value ever written to an attribute, and what it replaced.
CREATE TABLE attribute_history (
    id          TEXT PRIMARY KEY NOT NULL,
    parcel_id   TEXT NOT NULL REFERENCES parcels (id),
    field       TEXT NOT NULL,
    value       TEXT,
    previous    TEXT,
    seq         BIGINT NOT NULL,
    mutation_id TEXT NOT NULL REFERENCES mutations (id),
    author_id   TEXT NOT NULL REFERENCES users (id),
    conflict_id TEXT,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX attribute_history_parcel_id ON attribute_history (parcel_id, field);

-- Two edits of a field that did not see each other: both values, until someone settles it.
CREATE TABLE attribute_conflicts (
    id                   TEXT PRIMARY KEY NOT NULL,
    parcel_id            TEXT NOT NULL REFERENCES parcels (id),
    field                TEXT NOT NULL,
    kept                 TEXT,
    overwritten          TEXT,
    kept_mutation        TEXT NOT NULL REFERENCES mutations (id),
    overwritten_mutation TEXT REFERENCES mutations (id),
    seq                  BIGINT NOT NULL,
    settled_seq          BIGINT,
    settled_by           TEXT REFERENCES mutations (id)
);
CREATE INDEX attribute_conflicts_parcel_id ON attribute_conflicts (parcel_id);
