-- Weekly digests: a person asks for a board (a department's or an agency's,
-- or a portfolio: `board` is the organisation's slug or `portfolio/{id}`)
-- by e-mail each week. `due_through` is the scheduled time of the newest
-- digest sent (for a new one, the time before it was asked for), moved on
-- only if it is still what its sender read, so with several instances one
-- sends. `figures` holds the board's figures as last sent, to say what
-- changed; `copied_at` when a copy was last sent on request.

CREATE TABLE digests (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    board        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    due_through  BIGINT NOT NULL,
    figures      TEXT,
    sent         BIGINT NOT NULL DEFAULT 0,
    last_sent_at BIGINT,
    copied_at    BIGINT,
    UNIQUE (user_id, board)
);
