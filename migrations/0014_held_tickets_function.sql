-- The live held tickets a user booked for an event, counted under the per-(event, user) advisory lock that
-- the per-user limits take (src/modules/box-office/box-office.limits.ts): NULL when another transaction holds
-- that lock (the caller then takes the careful path, which waits for it). The reservation statement calls it
-- so that the default cap on live holds (MAX_HELD_TICKETS_PER_EVENT) needs no transaction of its own.
-- VOLATILE and plpgsql on purpose: its count runs with a snapshot taken after the lock, so it sees whatever a
-- previous holder of the lock committed, which the calling statement's own snapshot might not.
CREATE OR REPLACE FUNCTION box_office_live_holds(p_event integer, p_user integer) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended('stagedoor:ticket-limit:' || p_event || ':' || p_user, 0)) THEN
    RETURN NULL;
  END IF;
  RETURN (
    SELECT count(*)::integer FROM tickets t JOIN reservations r ON r.id = t.reservation_id
    WHERE t.event_id = p_event AND t.booker_id = p_user AND t.status = 'held' AND r.expires_at > now()
  );
END
$$;
