-- What every read of the catalogue (the data sets, services and
-- organisations) may keep in memory between requests, and how an instance
-- knows it still holds: `catalogue_changes.n` moves on with every change to
-- a service, an organisation, or a data set's settings (anything but its
-- version), and a data set's coming or going. A data set's version only ever
-- moves on (0011), so while `n` holds, the sum of the data sets' versions
-- (each modulo a prime, as versions start at microsecond times) changes
-- whenever some data set's records changed. One
-- row of three numbers, read per request, stands for thousands of rows.

CREATE TABLE catalogue_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);
INSERT INTO catalogue_changes (id, n) VALUES (1, 0);

CREATE FUNCTION catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalogue_changes SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER data_sets_added_or_removed AFTER INSERT OR DELETE ON data_sets
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed();
CREATE TRIGGER data_sets_settings AFTER UPDATE ON data_sets
    FOR EACH ROW WHEN (OLD.version = NEW.version) EXECUTE FUNCTION catalogue_changed();
CREATE TRIGGER services_changed AFTER INSERT OR UPDATE OR DELETE ON services
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed();
CREATE TRIGGER organisations_changed AFTER INSERT OR UPDATE OR DELETE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed();
