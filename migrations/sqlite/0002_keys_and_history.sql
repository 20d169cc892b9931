-- API keys (a data set's write token is one) and the correction history.

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER,
    revoked_at   INTEGER
);

CREATE INDEX api_keys_by_prefix ON api_keys (prefix);

CREATE TABLE record_history (
    id          INTEGER PRIMARY KEY,
    data_set_id INTEGER NOT NULL REFERENCES data_sets (id) ON DELETE CASCADE,
    record_id   TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('replace', 'patch', 'delete', 'empty')),
    old_value   TEXT,
    new_value   TEXT,
    actor       TEXT NOT NULL,
    at          INTEGER NOT NULL
);

CREATE INDEX record_history_by_data_set ON record_history (data_set_id, at);
