-- Each record, and each entry of the correction history, carries the data
-- set's version its change made (see 0011: every change moves it on by one,
-- and a writer moves it first, so changes to one data set are numbered in the
-- order they commit). An instance holding a data set's table at one version
-- then brings it up to date by reading only what changed since: the records
-- stored at a later version, and the records deleted, moved away or emptied
-- at a later version (the history's removals, indexed apart so that the many
-- `replace` entries cost no index). Records stored before this migration keep
-- version 0; tables kept on disk before it are never brought up to date (their
-- format moved on), so none misses a change.
ALTER TABLE records ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX records_by_version ON records (data_set_id, version);
ALTER TABLE record_history ADD COLUMN version BIGINT;
CREATE INDEX record_history_removals ON record_history (data_set_id, action, version)
    WHERE action IN ('delete', 'move', 'empty');
