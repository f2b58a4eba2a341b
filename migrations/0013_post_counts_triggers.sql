-- Custom SQL migration: post_counts holds the exact number of posts, all together (author_id 0) and per author,
-- so GET /posts answers its `total` with one primary-key read instead of a count(*) over the table.
-- Statement-level triggers with transition tables: a bulk insert or a cascade (deleting a user deletes their
-- posts) changes each counter once per statement, not once per row. Rows are upserted in author_id order so
-- two statements touching the same counters lock them in the same order.
CREATE FUNCTION post_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO post_counts AS c (author_id, posts)
  SELECT author_id, n FROM (
    SELECT 0 AS author_id, count(*)::int AS n FROM changed
    UNION ALL
    SELECT author_id, count(*)::int FROM changed GROUP BY author_id
  ) d WHERE n > 0 ORDER BY author_id
  ON CONFLICT (author_id) DO UPDATE SET posts = c.posts + excluded.posts;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION post_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE post_counts c SET posts = c.posts - d.n FROM (
    SELECT 0 AS author_id, count(*)::int AS n FROM changed
    UNION ALL
    SELECT author_id, count(*)::int FROM changed GROUP BY author_id
  ) d WHERE c.author_id = d.author_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER posts_counts_insert AFTER INSERT ON posts REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION post_counts_add();
--> statement-breakpoint
CREATE TRIGGER posts_counts_delete AFTER DELETE ON posts REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION post_counts_remove();
--> statement-breakpoint
-- Posts cannot change author (no API does it); a statement that did would leave the counters wrong.
CREATE FUNCTION posts_author_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'posts.author_id cannot change' USING ERRCODE = 'check_violation';
END
$$;
--> statement-breakpoint
CREATE TRIGGER posts_author_fixed BEFORE UPDATE OF author_id ON posts
  FOR EACH ROW WHEN (OLD.author_id IS DISTINCT FROM NEW.author_id) EXECUTE FUNCTION posts_author_fixed();
--> statement-breakpoint
INSERT INTO post_counts (author_id, posts)
SELECT 0, count(*)::int FROM posts
UNION ALL
SELECT author_id, count(*)::int FROM posts GROUP BY author_id;
