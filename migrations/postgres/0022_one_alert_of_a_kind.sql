-- One alert of a kind per person: the same alert asked for twice at once
-- (a double submit, through two instances) would e-mail every event twice.
-- Any such pair made before is made one (the first kept).
DELETE FROM alerts WHERE id NOT IN (
    SELECT MIN(id) FROM alerts
    GROUP BY user_id, service_id, kpi, rule, COALESCE(threshold, -1)
);
CREATE UNIQUE INDEX alerts_once ON alerts (user_id, service_id, kpi, rule, COALESCE(threshold, -1));
