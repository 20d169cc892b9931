-- Reminders of late data: for each watched data set, whether it is late,
-- since when, how many reminders its editors were sent (one, then a second
-- after a week), and whether an admin paused them. Every change is made
-- only if `generation` is still what its writer read, so two instances
-- checking at once never both send a reminder.

CREATE TABLE late_data (
    data_set_id      BIGINT PRIMARY KEY REFERENCES data_sets (id) ON DELETE CASCADE,
    generation       BIGINT NOT NULL DEFAULT 0,
    late_since       BIGINT,
    reminders_sent   BIGINT NOT NULL DEFAULT 0,
    last_reminded_at BIGINT,
    received_at      BIGINT,
    paused_at        BIGINT,
    paused_by        TEXT NOT NULL DEFAULT ''
);
