-- A spreadsheet upload is noted in the correction history as one entry
-- (`upload`: the file, how many records, new and replaced), beside the
-- `replace` entries of the records it replaced. SQLite cannot change a CHECK
-- constraint in place: the table is rebuilt.
CREATE TABLE record_history_new (
    id          INTEGER PRIMARY KEY,
    data_set_id INTEGER NOT NULL REFERENCES data_sets (id) ON DELETE CASCADE,
    record_id   TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('replace', 'patch', 'delete', 'empty', 'upload')),
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
