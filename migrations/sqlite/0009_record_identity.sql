-- One identity per record. Ids made from a data set's auto_ids now spell
-- `_timestamp` (and `_start_at`, `_end_at`) in UTC with `Z`, so the ids of
-- stored records are recomputed, and records that turn out to be one merged,
-- by a step in Rust run once after the migrations (`upgrades` says which
-- steps have run). The correction history gains `move` (a patch that changed
-- a record's identifying fields, and so its id) and `merge` (a record merged
-- into another with the same identity). SQLite cannot change a CHECK
-- constraint in place: the table is rebuilt.
CREATE TABLE upgrades (
    name    TEXT PRIMARY KEY,
    done_at INTEGER NOT NULL
);

CREATE TABLE record_history_new (
    id          INTEGER PRIMARY KEY,
    data_set_id INTEGER NOT NULL REFERENCES data_sets (id) ON DELETE CASCADE,
    record_id   TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('replace', 'patch', 'delete', 'empty', 'upload', 'move', 'merge')),
    old_value   TEXT,
    new_value   TEXT,
    actor       TEXT NOT NULL,
    at          INTEGER NOT NULL
);
INSERT INTO record_history_new (id, data_set_id, record_id, action, old_value, new_value, actor, at)
    SELECT id, data_set_id, record_id, action, old_value, new_value, actor, at FROM record_history;
DROP TABLE record_history;
ALTER TABLE record_history_new RENAME TO record_history;
CREATE INDEX record_history_by_data_set ON record_history (data_set_id, at);
