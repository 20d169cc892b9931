-- Windows of sign-in attempts over a day old are forgotten by when they
-- began: found through this index, not by reading every row.
CREATE INDEX sign_in_attempts_by_start ON sign_in_attempts (started_at);
