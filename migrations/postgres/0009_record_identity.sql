-- One identity per record. Ids made from a data set's auto_ids now spell
-- `_timestamp` (and `_start_at`, `_end_at`) in UTC with `Z`, so the ids of
-- stored records are recomputed, and records that turn out to be one merged,
-- by a step in Rust run once after the migrations (`upgrades` says which
-- steps have run). The correction history gains `move` (a patch that changed
-- a record's identifying fields, and so its id) and `merge` (a record merged
-- into another with the same identity).
CREATE TABLE upgrades (
    name    TEXT PRIMARY KEY,
    done_at BIGINT NOT NULL
);

ALTER TABLE record_history DROP CONSTRAINT record_history_action_check;
ALTER TABLE record_history ADD CONSTRAINT record_history_action_check
    CHECK (action IN ('replace', 'patch', 'delete', 'empty', 'upload', 'move', 'merge'));
