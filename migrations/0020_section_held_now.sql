-- Custom SQL migration: the tickets a section holds now, for the catalogue. Holds past their expiry that the
-- minute sweep has not reached yet are already available again (a reservation expires them lazily), so the
-- catalogue must not show them as held. Written in PL/pgSQL so that it stays a function call: inlined as a
-- subquery, its two index scans were set up on every execution of the statement around it, a quarter of
-- GET /events/{id}'s PostgreSQL time, although most sections hold nothing and callers skip the call for them
-- (`heldNowSql`). The scan is bounded by the section's held tickets (tickets_section_status_idx).
CREATE FUNCTION section_held_now(section_id integer, held integer) RETURNS integer
  LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN held - (SELECT count(*)::int FROM tickets t JOIN reservations r ON r.id = t.reservation_id
    WHERE t.section_id = $1 AND t.status = 'held' AND r.expires_at <= now());
END
$$;
