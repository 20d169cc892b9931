-- A spreadsheet upload is noted in the correction history as one entry
-- (`upload`: the file, how many records, new and replaced), beside the
-- `replace` entries of the records it replaced.
ALTER TABLE record_history DROP CONSTRAINT record_history_action_check;
ALTER TABLE record_history ADD CONSTRAINT record_history_action_check
    CHECK (action IN ('replace', 'patch', 'delete', 'empty', 'upload'));
