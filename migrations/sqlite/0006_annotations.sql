-- Annotations: an editor's note on a service's figures at a moment or over a
-- range of time, optionally on one module of a dashboard. Every edit keeps the
-- version it replaced; deletes are recorded in the audit log.
CREATE TABLE annotations (
    id          INTEGER PRIMARY KEY,
    service_id  INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    -- `dashboard/module`, or NULL for every chart of the service.
    module      TEXT,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER,
    body        TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '[]',
    visibility  TEXT NOT NULL CHECK (visibility IN ('public', 'internal')),
    author_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    author      TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE INDEX annotations_by_service ON annotations (service_id, starts_at);

CREATE TABLE annotation_versions (
    annotation_id INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    module        TEXT,
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER,
    body          TEXT NOT NULL,
    tags          TEXT NOT NULL,
    visibility    TEXT NOT NULL,
    author        TEXT NOT NULL,
    saved_at      INTEGER NOT NULL,
    PRIMARY KEY (annotation_id, version)
);
