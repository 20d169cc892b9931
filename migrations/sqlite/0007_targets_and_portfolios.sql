-- Targets: what a service aims for on one KPI, from a date until a later target
-- of the same KPI replaces it. Portfolios: sets of services a sponsor reads as
-- one board, shared by their random id.
CREATE TABLE targets (
    id             INTEGER PRIMARY KEY,
    service_id     INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    kpi            TEXT NOT NULL,
    value          REAL NOT NULL,
    -- `YYYY-MM-DD`
    effective_from TEXT NOT NULL,
    set_by         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (service_id, kpi, effective_from)
);

CREATE TABLE portfolios (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    -- A JSON array of service slugs, in the owner's order.
    services   TEXT NOT NULL,
    owner_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    owner      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
