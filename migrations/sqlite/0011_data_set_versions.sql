-- Every change to a data set's records moves its version on, in the same
-- transaction, so an instance holding the records in memory knows (by one
-- number on the data set's row, which every read fetches anyway) whether
-- another instance has changed them since it loaded them. A new data set starts
-- from the time of its creation (microseconds), so a data set deleted and
-- another made with its id never share a version.
ALTER TABLE data_sets ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
