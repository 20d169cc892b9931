-- What every read of the catalogue (the data sets, services and
-- organisations) may keep in memory between requests, and how an instance
-- knows it still holds: `catalogue_changes.n` moves on with every change to
-- a service, an organisation, or a data set's settings (anything but its
-- version), and a data set's coming or going. A data set's version only ever
-- moves on (0011), so while `n` holds, the sum of the data sets' versions
-- (each modulo a prime, as versions start at microsecond times) changes
-- whenever some data set's records changed. One
-- row of three numbers, read per request, stands for thousands of rows; the
-- index lets SQLite sum the versions without reading the data sets' rows.

CREATE TABLE catalogue_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);
INSERT INTO catalogue_changes (id, n) VALUES (1, 0);

CREATE INDEX data_sets_by_version ON data_sets (version);

CREATE TRIGGER data_sets_added AFTER INSERT ON data_sets
BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER data_sets_removed AFTER DELETE ON data_sets
BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER data_sets_settings AFTER UPDATE ON data_sets
WHEN OLD.version = NEW.version
BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER services_added AFTER INSERT ON services
BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER services_changed AFTER UPDATE ON services
BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER services_removed AFTER DELETE ON services
BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER organisations_added AFTER INSERT ON organisations
BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER organisations_changed AFTER UPDATE ON organisations
BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER organisations_removed AFTER DELETE ON organisations
BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
END;
