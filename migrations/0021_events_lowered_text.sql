DROP INDEX "events_title_trgm_idx";--> statement-breakpoint
DROP INDEX "events_status_title_idx";--> statement-breakpoint
DROP INDEX "events_venue_trgm_idx";--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "title_lower" text GENERATED ALWAYS AS (lower("events"."title")) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "venue_lower" text GENERATED ALWAYS AS (lower("events"."venue")) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "events_title_trgm_idx" ON "events" USING gin ("title_lower" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "events_status_title_idx" ON "events" USING btree ("status","title_lower","id");--> statement-breakpoint
CREATE INDEX "events_venue_trgm_idx" ON "events" USING gin ("venue_lower" gin_trgm_ops);