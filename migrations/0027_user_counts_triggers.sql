-- Custom SQL migration: user_counts holds the exact number of accounts in its one row (id 0), so the unfiltered
-- user directory (GET /users, the admin's list) answers its `total` with one primary-key read instead of a
-- count(*) over the table (0.8 ms for 10,000 users, and growing with them). Statement-level triggers with
-- transition tables, as post_counts has: a bulk insert changes the counter once per statement, not once per row.
-- A sign-up holds the row's lock until it commits; sign-ups are bounded by their password hash, far below what
-- one row takes.
CREATE FUNCTION user_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_counts AS c (id, users)
  SELECT 0, count(*)::int FROM changed HAVING count(*) > 0
  ON CONFLICT (id) DO UPDATE SET users = c.users + excluded.users;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION user_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_counts c SET users = c.users - d.n
  FROM (SELECT count(*)::int AS n FROM changed) d WHERE c.id = 0 AND d.n > 0;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION user_counts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_counts SET users = 0 WHERE id = 0;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER users_counts_insert AFTER INSERT ON users REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION user_counts_add();
--> statement-breakpoint
CREATE TRIGGER users_counts_delete AFTER DELETE ON users REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION user_counts_remove();
--> statement-breakpoint
CREATE TRIGGER users_counts_truncate AFTER TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION user_counts_clear();
--> statement-breakpoint
INSERT INTO user_counts (id, users) SELECT 0, count(*)::int FROM users;
