-- The figure an alert's last e-mail told of (for the period
-- `checked_through`), so that a correction of that figure is told too.
-- Null until an alert has sent one.

ALTER TABLE alerts ADD COLUMN sent_value REAL;
