-- Regions: the county / township / village hierarchy of the field-chief system (田长制).
-- `path` is the chain of codes from the county down ("/360124/360124100/"), so a scope check
-- or a subtree listing is one prefix comparison.
CREATE TABLE regions (
    code        TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('county', 'township', 'village')),
    parent_code TEXT REFERENCES regions (code),
    path        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX regions_parent_code ON regions (parent_code);

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL
        CHECK (role IN ('field_chief', 'township_reviewer', 'county_auditor', 'admin')),
    region_code   TEXT REFERENCES regions (code),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX users_region_code ON users (region_code);

-- JWT signing keys, shared by every instance on this database. A retired key keeps
-- verifying until the tokens it signed have expired.
CREATE TABLE signing_keys (
    kid        TEXT PRIMARY KEY NOT NULL,
    algorithm  TEXT NOT NULL,
    secret     BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);

-- Refresh tokens are stored as SHA-256 digests only. Tokens issued by rotation share a
-- family; replaying a used token revokes the whole family.
CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY NOT NULL,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    issued_at  TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);

-- Failed logins, one row each, counted over a sliding window per user and per address.
CREATE TABLE login_failures (
    id           TEXT PRIMARY KEY NOT NULL,
    throttle_key TEXT NOT NULL,
    failed_at    TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_key_time ON login_failures (throttle_key, failed_at);
