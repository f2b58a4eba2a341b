-- A published event written without published_at (a seed or a script that set the status alone) was on sale and
-- invisible: it is published as of its last change, as migration 0028 did for every event then past draft.
UPDATE "events" SET "published_at" = "updated_at" WHERE "status" = 'published' AND "published_at" IS NULL;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_published_at_check" CHECK ("events"."status" <> 'published' or "events"."published_at" is not null);
