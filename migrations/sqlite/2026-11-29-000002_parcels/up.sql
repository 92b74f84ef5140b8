-- A campaign: one county's rectification drive, with its phases, deadlines and targets kept as
-- JSON documents (a campaign is data, not code) and the field mapping its lists use.
CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL UNIQUE,
    county_code   TEXT NOT NULL REFERENCES regions (code),
    phases        TEXT NOT NULL,
    deadlines     TEXT NOT NULL,
    targets       TEXT NOT NULL,
    field_mapping TEXT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

-- One run of `import parcels`: what was read, from where, and what it changed.
CREATE TABLE parcel_imports (
    id            TEXT PRIMARY KEY NOT NULL,
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id),
    file_name     TEXT NOT NULL,
    file_sha256   TEXT NOT NULL,
    source_crs    TEXT NOT NULL,
    text_encoding TEXT NOT NULL,
    imported_by   TEXT NOT NULL,
    created       BIGINT NOT NULL,
    updated       BIGINT NOT NULL,
    unchanged     BIGINT NOT NULL,
    imported_at   TIMESTAMP NOT NULL
);
CREATE INDEX parcel_imports_campaign_id ON parcel_imports (campaign_id);

-- The parcels (图斑). Geometry is a WKB MultiPolygon in longitude/latitude (CGCS2000), with
-- its bounding box for the spatial index. `region_path` copies the village's path so that a
-- scope filter needs no join. `generation` is the parcel-index generation that last changed the
-- row: instances reload only what is newer than what they hold.
CREATE TABLE parcels (
    id               TEXT PRIMARY KEY NOT NULL,
    campaign_id      TEXT NOT NULL REFERENCES campaigns (id),
    patch_code       TEXT NOT NULL,
    source_list      TEXT NOT NULL CHECK (source_list IN ('satellite_enforcement', 'farmland_outflow',
                         'restoration', 'supplementary_farmland', 'facility_agriculture')),
    village_code     TEXT NOT NULL REFERENCES regions (code),
    region_path      TEXT NOT NULL,
    land_class       TEXT NOT NULL CHECK (land_class IN ('permanent_basic_farmland', 'general_farmland')),
    problem_type     TEXT NOT NULL,
    declared_area_mu DOUBLE PRECISION,
    measured_area_m2 DOUBLE PRECISION NOT NULL,
    area_mismatch    BOOLEAN NOT NULL,
    deadline         DATE,
    status           TEXT NOT NULL DEFAULT 'open',
    geometry         BLOB NOT NULL,
    min_lon          DOUBLE PRECISION NOT NULL,
    min_lat          DOUBLE PRECISION NOT NULL,
    max_lon          DOUBLE PRECISION NOT NULL,
    max_lat          DOUBLE PRECISION NOT NULL,
    attributes       TEXT NOT NULL,
    content_hash     TEXT NOT NULL,
    version          BIGINT NOT NULL,
    generation       BIGINT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (campaign_id, patch_code)
);
CREATE INDEX parcels_region_path ON parcels (region_path);

-- What each import changed in a parcel, field by field, old and new.
CREATE TABLE parcel_history (
    id         TEXT PRIMARY KEY NOT NULL,
    parcel_id  TEXT NOT NULL REFERENCES parcels (id),
    version    BIGINT NOT NULL,
    import_id  TEXT NOT NULL REFERENCES parcel_imports (id),
    changes    TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX parcel_history_parcel_id ON parcel_history (parcel_id);

-- One row per counter: `parcels` counts parcel-index generations. Imports increment it inside
-- their transaction (the row lock orders them), so a reader that sees generation G sees every
-- parcel change up to G.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('parcel_generation', 0);
