-- People: users with a role and organisations, their sessions, failed sign-ins
-- (for throttling), the audit log, and the owner of an API key.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE user_organisations (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, organisation_id)
);

-- A session's token is kept only as a SHA-256 hash.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    address      TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);

CREATE INDEX sessions_by_user ON sessions (user_id);

-- `subject` is `email:<address>` or `ip:<address>`.
CREATE TABLE sign_in_failures (
    id      INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    at      INTEGER NOT NULL
);

CREATE INDEX sign_in_failures_by_subject ON sign_in_failures (subject, at);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    via    TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_by_time ON audit_log (at);

ALTER TABLE api_keys ADD COLUMN owner_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
