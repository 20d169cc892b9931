-- Organisations, services, data sets and their records.
-- Times are integers: microseconds since 1970-01-01 UTC.

CREATE TABLE organisations (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    abbreviation TEXT,
    kind         TEXT NOT NULL CHECK (kind IN ('department', 'agency')),
    parent_id    INTEGER REFERENCES organisations (id)
);

CREATE TABLE services (
    id              INTEGER PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    organisation_id INTEGER NOT NULL REFERENCES organisations (id)
);

CREATE TABLE data_sets (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    data_group          TEXT NOT NULL,
    data_type           TEXT NOT NULL,
    service_id          INTEGER REFERENCES services (id),
    auto_ids            TEXT NOT NULL DEFAULT '[]',
    schema              TEXT,
    queryable           INTEGER NOT NULL DEFAULT 1,
    published           INTEGER NOT NULL DEFAULT 0,
    realtime            INTEGER NOT NULL DEFAULT 0,
    raw_queries_allowed INTEGER NOT NULL DEFAULT 1,
    max_age_expected    INTEGER DEFAULT 86400,
    upload_format       TEXT,
    created_at          INTEGER NOT NULL,
    UNIQUE (data_group, data_type)
);

-- One row per record. `body` holds the record's own fields as a JSON object; the
-- internal fields (_id, _timestamp, _updated_at, period keys) are columns or are
-- derived from `ts` when read.
CREATE TABLE records (
    data_set_id INTEGER NOT NULL REFERENCES data_sets (id) ON DELETE CASCADE,
    record_id   TEXT NOT NULL,
    ts          INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (data_set_id, record_id)
);

CREATE INDEX records_by_time ON records (data_set_id, ts);
