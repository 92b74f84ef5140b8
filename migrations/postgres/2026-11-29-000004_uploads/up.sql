-- Photo uploads: the blobs stored (content-addressed by SHA-256) and the resumable tus uploads
-- on their way. Upload state lives here, and the bytes in the object store, so that any
-- instance can take any request of an upload (see docs/uploads.md).

-- A verified file, stored once under `sha256/<hex[0..2]>/<hex>` in the object store.
CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY NOT NULL,
    size_bytes  BIGINT NOT NULL,
    media_type  TEXT NOT NULL,
    width       BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    stored_at   TIMESTAMP NOT NULL
);

-- A tus upload. `upload_offset` is how many bytes are stored in its parts; it equals
-- `upload_length` once the file is verified and stored (`completed_at`). `metadata` is the
-- `Upload-Metadata` header as sent, given back by HEAD. `width` and `height` are the image's,
-- from its frame header, once the chunks that carry it have arrived.
CREATE TABLE uploads (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id),
    declared_sha256 TEXT NOT NULL,
    upload_length   BIGINT NOT NULL,
    upload_offset   BIGINT NOT NULL,
    media_type      TEXT,
    filename        TEXT,
    metadata        TEXT,
    width           BIGINT,
    height          BIGINT,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    completed_at    TIMESTAMP
);
CREATE INDEX uploads_expires_at ON uploads (expires_at);
CREATE INDEX uploads_user_id ON uploads (user_id);

-- The bytes of one accepted PATCH (or creation-with-upload body), in the object store under
-- `object_key`; an upload's parts, by `start_offset`, cover 0..upload_offset without gaps.
CREATE TABLE upload_parts (
    upload_id    TEXT NOT NULL REFERENCES uploads (id),
    start_offset BIGINT NOT NULL,
    length       BIGINT NOT NULL,
    object_key   TEXT NOT NULL,
    PRIMARY KEY (upload_id, start_offset)
);
