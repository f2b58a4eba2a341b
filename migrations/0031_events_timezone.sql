-- An event's time zone (an IANA name): its times are shown, typed in forms and counted by day on that zone's clock.
ALTER TABLE "events" ADD COLUMN "timezone" text DEFAULT 'UTC' NOT NULL;
--> statement-breakpoint
COMMENT ON COLUMN events.timezone IS 'The IANA name of the zone the event takes place in: its times are shown, typed and counted by day there';
--> statement-breakpoint
-- The Event JSON gains `timezone` after `ends_at` (the Event schema's order): `json_head` (id … status) holds it,
-- and the trigger fires on its change too.
CREATE OR REPLACE FUNCTION events_json_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.json_head := '{"id":' || NEW.id || ',"title":' || api_json_text(NEW.title)
    || ',"description":' || api_json_text(NEW.description) || ',"venue":' || api_json_text(NEW.venue)
    || ',"starts_at":' || api_json_time(NEW.starts_at) || ',"ends_at":' || api_json_time(NEW.ends_at)
    || ',"timezone":' || api_json_text(NEW.timezone) || ',"status":' || api_json_text(NEW.status);
  NEW.json_mid := ',"max_tickets_per_user":' || coalesce(NEW.max_tickets_per_user::text, 'null')
    || ',"currency":' || api_json_text(NEW.currency);
  NEW.json_tail := ',"created_at":' || api_json_time(NEW.created_at)
    || ',"updated_at":' || api_json_time(NEW.updated_at) || '}';
  RETURN NEW;
END
$$;
--> statement-breakpoint
DROP TRIGGER events_json_parts ON events;
--> statement-breakpoint
CREATE TRIGGER events_json_parts BEFORE INSERT OR UPDATE OF title, description, venue, starts_at, ends_at, timezone,
  status, max_tickets_per_user, currency, created_at, updated_at ON events FOR EACH ROW EXECUTE FUNCTION events_json_parts();
--> statement-breakpoint
UPDATE events SET title = title;
