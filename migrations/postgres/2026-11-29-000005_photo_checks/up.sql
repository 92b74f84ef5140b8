-- What the server learns from each photo: from its file (EXIF, renditions, perceptual hash),
-- and from the checks a reviewer sees as flags. Both are worked out in the background by any
-- instance (see docs/photos.md): a row is `pending` until an instance claims it for a while
-- (`claimed_until`) and finishes it.

-- One row per stored photo file.
CREATE TABLE photo_files (
    sha256           TEXT PRIMARY KEY NOT NULL REFERENCES blobs (sha256),
    state            TEXT NOT NULL CHECK (state IN ('pending', 'ready', 'failed')),
    attempts         BIGINT NOT NULL,
    claimed_until    TIMESTAMP,
    -- The EXIF summary as JSON (docs/photos.md); NULL when the file has none.
    exif             TEXT,
    -- Why the EXIF block could not be read, when it could not.
    exif_error       TEXT,
    -- 64-bit DCT hash of the upright image, for near-duplicates.
    perceptual_hash  BIGINT,
    thumbnail_width  BIGINT,
    thumbnail_height BIGINT,
    preview_width    BIGINT,
    preview_height   BIGINT,
    -- Why the renditions could not be made (state 'failed').
    error            TEXT,
    queued_at        TIMESTAMP NOT NULL,
    analysed_at      TIMESTAMP
);
CREATE INDEX photo_files_state ON photo_files (state);

-- One row per photo record. `version` grows each time something the checks depend on changes
-- (the file was analysed, a neighbouring photo arrived), so a result computed from older
-- inputs never marks the row done.
CREATE TABLE photo_checks (
    photo_id      TEXT PRIMARY KEY NOT NULL REFERENCES field_records (id),
    state         TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    version       BIGINT NOT NULL,
    claimed_until TIMESTAMP,
    -- Filled by the checks: the device that pushed the record, the capture instant (UTC) and
    -- the WGS-84 position judged, for the travel check between a device's photos.
    device_id     TEXT,
    taken_at      TIMESTAMP,
    lon           DOUBLE PRECISION,
    lat           DOUBLE PRECISION,
    accuracy_m    DOUBLE PRECISION,
    -- The outcome as JSON: where the photo stands and the flags raised.
    report        TEXT,
    -- Whether the file's own evidence (EXIF, hashes) was part of the report.
    file_checked  BOOLEAN NOT NULL,
    queued_at     TIMESTAMP NOT NULL,
    checked_at    TIMESTAMP
);
CREATE INDEX photo_checks_state ON photo_checks (state);
CREATE INDEX photo_checks_device_time ON photo_checks (device_id, taken_at);

-- Files and photo records that predate this migration are checked like new ones.
INSERT INTO photo_files (sha256, state, attempts, queued_at)
    SELECT sha256, 'pending', 0, (now() AT TIME ZONE 'UTC') FROM blobs;
INSERT INTO photo_checks (photo_id, state, version, file_checked, queued_at)
    SELECT id, 'pending', 1, FALSE, (now() AT TIME ZONE 'UTC') FROM field_records WHERE kind = 'photo';
