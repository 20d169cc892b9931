-- Two-factor sign-in (TOTP, RFC 6238): each person's shared secret (kept
-- while being set up, confirmed once a code from their app matched), the
-- last time step used (so a code works once), their recovery codes (kept
-- only as SHA-256 hashes), the sign-ins waiting for their second step, and
-- the installation's settings (whether admins require two factors).

CREATE TABLE two_factor (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT
);

CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);

CREATE TABLE sign_in_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
