-- Custom SQL migration: event_counts holds the exact number of events of each status, so an unfiltered
-- GET /events answers its `total` with one primary-key read instead of a count(*) over the table. Row-level
-- triggers: events are created, published, cancelled and deleted one at a time. A change of status moves one
-- event between two counters, updated in status order so that two changes lock them in the same order.
CREATE FUNCTION event_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO event_counts AS c (status, events)
  SELECT status, delta FROM (
    SELECT OLD.status AS status, -1 AS delta WHERE TG_OP <> 'INSERT'
    UNION ALL
    SELECT NEW.status, 1 WHERE TG_OP <> 'DELETE'
  ) d ORDER BY status
  ON CONFLICT (status) DO UPDATE SET events = c.events + excluded.events;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER events_counts_insert_delete AFTER INSERT OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION event_counts_change();
--> statement-breakpoint
CREATE TRIGGER events_counts_status AFTER UPDATE OF status ON events
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION event_counts_change();
--> statement-breakpoint
INSERT INTO event_counts (status, events) SELECT status, count(*)::int FROM events GROUP BY status;
