-- Dashboards, each stored whole: its fields and its ordered modules as JSON
-- (validated by the server before they are written).
CREATE TABLE dashboards (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL,
    service_slug TEXT,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
