-- Trigram indexes back every partial, case-insensitive search (?q=).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
