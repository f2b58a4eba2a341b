// The public reads (GET /events and GET /events/{id}) as PostgreSQL builds them: each event comes back as the
// API's JSON text, so the server neither parses the sections' JSON nor maps rows nor serialises objects; it
// joins the texts into the page (bench/README.md: that was most of a list's server CPU). The shape is the
// `Event` schema's, field for field (test/events/events-json.test.ts compares it with the object path).
// Statements are SQL text run as named prepared statements (`runStatement`); `$1` is always the prefix of
// avatar URLs, so `avatar_url` is the one `avatarUrl` gives.
import { isoSql } from '../../lib/json-text.js'

// Holds past their expiry that the minute sweep has not reached yet are already available again (a
// reservation expires them lazily), so the catalogue does not show them as held; only a section holding
// tickets looks (tickets_section_status_idx bounds the scan by its held tickets).
const heldNow = `case when s.held > 0 then s.held - (select count(*)::int from tickets t
  join reservations r on r.id = t.reservation_id
  where t.section_id = s.id and t.status = 'held' and r.expires_at <= now()) else 0 end`

const sectionFields = `'id', s.id, 'name', s.name, 'kind', s.kind, 'price_cents', s.price_cents,
  'capacity', s.capacity, 'sold', s.sold, 'held', h.held, 'available', s.capacity - s.sold - h.held`

const sectionJson = `case when s.kind = 'seated' and s.rows is not null and s.seats_per_row is not null
  then json_build_object(${sectionFields}, 'rows', s.rows, 'seats_per_row', s.seats_per_row)
  else json_build_object(${sectionFields}) end`

/** An event `e`'s organizer `u` and its sections `x`, in display order, with their totals. */
const JOINS = `left join users u on u.id = e.organizer_id
  left join lateral (
    select json_agg(${sectionJson} order by s.position, s.id) sections, sum(s.sold)::int sold,
           sum(s.capacity)::int capacity, min(s.price_cents) min_price
    from sections s cross join lateral (select ${heldNow} held) h
    where s.event_id = e.id
  ) x on true`

const EVENT_JSON = `json_build_object(
  'id', e.id, 'title', e.title, 'description', e.description, 'venue', e.venue,
  'starts_at', ${isoSql('e.starts_at')}, 'ends_at', ${isoSql('e.ends_at')}, 'status', e.status,
  'organizer', case when u.id is null then null else json_build_object('id', u.id, 'username', u.username,
    'display_name', u.display_name, 'bio', u.bio, 'avatar_url', $1::text || u.avatar_path,
    'created_at', ${isoSql('u.created_at')}) end,
  'max_tickets_per_user', e.max_tickets_per_user, 'currency', e.currency,
  'sections', coalesce(x.sections, '[]'::json), 'tickets_sold', coalesce(x.sold, 0),
  'capacity', coalesce(x.capacity, 0), 'min_price_cents', x.min_price,
  'created_at', ${isoSql('e.created_at')}, 'updated_at', ${isoSql('e.updated_at')})::text`

export const EVENT_JSON_BY_ID = {
  name: 'events_json_by_id',
  text: `select e.status, e.organizer_id, ${EVENT_JSON} json from events e ${JOINS} where e.id = $2`,
}

export interface EventJsonRow {
  status: 'draft' | 'published' | 'cancelled'
  organizer_id: number | null
  json: string
}

/**
 * A page of events as JSON texts, with the total riding on each row. For a text search (`searched`) the
 * matching events are found once (`m`) and both the total and the page come from them, so the trigram index
 * and its rechecks are read once, not twice; otherwise the page walks its sort index and the total counts.
 * `where` uses `$2 …` for its values; `sortKey` is an expression over `e`; the offset is the last parameter.
 * The page's ids are picked first and only those twenty events are built: with the JSON built below the
 * LIMIT/OFFSET, PostgreSQL built it for every row an offset skipped, and its generic plan, which does not
 * know the offset, looked a hundred times costlier than a custom one, so it planned the statement on every
 * call (~1 ms). `limit` is written into the text (the schema bounds it to 1–100) for the same reason, and so
 * is page 1's offset (most requests); a deeper page's offset is the last parameter (planned per call).
 */
export function pageStatement(
  shape: string,
  where: string,
  sortKey: string,
  descending: boolean,
  limit: number,
  params: number,
  first: boolean,
  searched: boolean,
) {
  const dir = descending ? 'desc' : 'asc'
  const offset = first ? '0' : `$${params + 1}`
  return {
    name: `${shape}:${limit}${first ? ':first' : ''}`,
    text: searched
      ? `with m as materialized (select e.id, ${sortKey} k from events e where ${where})
      select ${EVENT_JSON} json, (select count(*) from m)::int total
      from (select id, k from m order by k ${dir}, id ${dir} limit ${limit} offset ${offset}) p
      join events e on e.id = p.id ${JOINS}
      order by p.k ${dir}, p.id ${dir}`
      : `select ${EVENT_JSON} json, (select count(*) from events e where ${where})::int total
      from (select e.id, ${sortKey} k from events e where ${where}
            order by ${sortKey} ${dir}, e.id ${dir} limit ${limit} offset ${offset}) p
      join events e on e.id = p.id ${JOINS}
      order by p.k ${dir}, p.id ${dir}`,
  }
}

/** The total alone, for a page past the end (`$1` is bound too, so the parameters are the page's). */
export function totalStatement(shape: string, where: string) {
  return { name: `${shape}:total`, text: `select count(*)::int total, $1::text from events e where ${where}` }
}
