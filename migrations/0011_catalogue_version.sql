-- The catalogue's version stamp when no Redis is configured: every write that may change an event page takes
-- nextval, and each server process compares last_value with the stamp its cached answers were read at
-- (src/modules/events/catalogue-version.ts). A sequence, because nextval never waits on a lock and never
-- rolls back.
CREATE SEQUENCE IF NOT EXISTS "catalogue_version";
