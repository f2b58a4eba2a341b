ALTER TABLE "events" ADD COLUMN "min_price_cents" integer;--> statement-breakpoint
CREATE INDEX "events_status_created_at_idx" ON "events" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "events_status_title_idx" ON "events" USING btree ("status",lower("title"),"id");--> statement-breakpoint
CREATE INDEX "events_status_min_price_idx" ON "events" USING btree ("status","min_price_cents","id");--> statement-breakpoint
CREATE INDEX "events_venue_trgm_idx" ON "events" USING gin (lower("venue") gin_trgm_ops);