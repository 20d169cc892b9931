-- Alerts on figures: a person asks to be told when a KPI of a service
-- misses a target, moves more than a given amount against the period
-- before, or is unusual. Each alert judges each complete period once:
-- `checked_through` is the start of the newest period it has judged, moved
-- on only if it is still what its checker read, so with several instances
-- one sends and the others find the period judged.

CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service_id      INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    kpi             TEXT NOT NULL,
    rule            TEXT NOT NULL,
    threshold       REAL,
    created_at      BIGINT NOT NULL,
    checked_through BIGINT,
    sent            BIGINT NOT NULL DEFAULT 0,
    last_sent_at    BIGINT
);

CREATE INDEX alerts_by_user ON alerts (user_id);
