-- Sign-in attempts, one row per subject (`email:<address> ip:<address>`,
-- `ip:<address>` or `email:<address>`): how many in the window that began
-- with `started_at`. Counted by one upsert, so the limits hold whatever the
-- number of instances and however many attempts arrive at once.
DROP TABLE sign_in_failures;

CREATE TABLE sign_in_attempts (
    subject    TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    attempts   BIGINT NOT NULL
);
