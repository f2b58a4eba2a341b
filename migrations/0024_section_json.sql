-- Each section keeps its whole Section JSON, its counts included, on its row (`json`): PostgreSQL recomputes it in
-- the statement that changes the row, so a sale's UPDATE of `sold` or `held` rewrites it under the lock it
-- already takes. The catalogue's reads (events.json.ts) then join these texts instead of concatenating eight
-- pieces per section on every read; only a section holding tickets is still built from its parts, because a
-- hold past its expiry shows as available before the sweep reaches it (heldNowSql).
ALTER TABLE sections ADD COLUMN json text GENERATED ALWAYS AS (
  json_head || ',"sold":' || sold::text || ',"held":' || held::text
    || ',"available":' || (capacity - sold - held)::text || json_tail
) STORED;
--> statement-breakpoint
COMMENT ON COLUMN sections.json IS 'The Section JSON with sold, held and available as counted on the row (generated from json_head, json_tail and the counters)';
--> statement-breakpoint
-- An event's sections in display order, ties by id: the catalogue reads them in this order straight from the
-- index (events.json.ts), with no sort per event.
DROP INDEX "sections_event_idx";--> statement-breakpoint
CREATE INDEX "sections_event_idx" ON "sections" USING btree ("event_id","position","id");
