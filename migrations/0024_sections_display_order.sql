-- An event's sections in display order, ties by id: the catalogue reads them in this order straight from the
-- index (events.json.ts), with no sort per event.
DROP INDEX "sections_event_idx";--> statement-breakpoint
CREATE INDEX "sections_event_idx" ON "sections" USING btree ("event_id","position","id");
