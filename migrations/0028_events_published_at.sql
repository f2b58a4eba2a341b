ALTER TABLE "events" ADD COLUMN "published_at" timestamp with time zone;--> statement-breakpoint
-- When an event was first published is not recorded before this column: every event past its draft counts as
-- published (as it was shown until now), since its last change at the latest.
UPDATE "events" SET "published_at" = "updated_at" WHERE "status" <> 'draft';--> statement-breakpoint
-- event_counts counts the events that the public lists show: an event cancelled before it was ever published
-- is counted nowhere (the lists of cancelled events show it only to whoever manages it, counting it).
CREATE OR REPLACE FUNCTION event_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO event_counts AS c (status, events)
  SELECT status, delta FROM (
    SELECT OLD.status AS status, -1 AS delta
      WHERE TG_OP <> 'INSERT' AND (OLD.status <> 'cancelled' OR OLD.published_at IS NOT NULL)
    UNION ALL
    SELECT NEW.status, 1
      WHERE TG_OP <> 'DELETE' AND (NEW.status <> 'cancelled' OR NEW.published_at IS NOT NULL)
  ) d ORDER BY status
  ON CONFLICT (status) DO UPDATE SET events = c.events + excluded.events;
  RETURN NULL;
END
$$;
