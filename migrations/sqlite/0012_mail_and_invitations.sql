-- E-mail and the accounts it brings: messages waiting to be sent (the
-- outbox, written in the same change as whatever they tell of, sent by one
-- instance that claims each), invitations and password resets (their
-- tokens kept only as SHA-256 hashes), the addresses that asked for no
-- more e-mail, and the installation's own secrets (shared by instances).

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    unsubscribe_url TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until   BIGINT NOT NULL DEFAULT 0,
    sent_at         BIGINT,
    failed_at       BIGINT,
    last_error      TEXT NOT NULL DEFAULT ''
);

CREATE INDEX outbox_waiting ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE invitations (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    organisations TEXT NOT NULL DEFAULT '[]',
    invited_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    inviter_name  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    accepted_at   BIGINT,
    withdrawn_at  BIGINT
);

CREATE INDEX invitations_by_email ON invitations (email);

CREATE TABLE password_resets (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE INDEX password_resets_by_user ON password_resets (user_id, created_at);

CREATE TABLE mail_unsubscribed (
    email      TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);
