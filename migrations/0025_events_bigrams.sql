-- Two-letter searches of the catalogue (`q=ab`, `venue=ab`): shorter than a trigram, they had no index and
-- scanned every title. Each title and venue is indexed by its pairs of characters, and a two-letter text is
-- looked up among them: `text_bigrams(title_lower) @> array['ab']` holds exactly when the title contains `ab`.
CREATE FUNCTION text_bigrams(t text) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ select array(select substr(t, i, 2) from generate_series(1, length(t) - 1) i) $$;--> statement-breakpoint
CREATE INDEX "events_title_bigram_idx" ON "events" USING gin (text_bigrams("title_lower"));--> statement-breakpoint
CREATE INDEX "events_venue_bigram_idx" ON "events" USING gin (text_bigrams("venue_lower"));--> statement-breakpoint
-- No statistics on the pairs: the search's plan is then the same whatever pair is asked, and PostgreSQL keeps the
-- statement's one generic plan. With them, a rare pair looked cheap enough that each call was planned afresh
-- (~1 ms of planning for ~0.1 ms of work).
ALTER INDEX "events_title_bigram_idx" ALTER COLUMN 1 SET STATISTICS 0;--> statement-breakpoint
ALTER INDEX "events_venue_bigram_idx" ALTER COLUMN 1 SET STATISTICS 0;
