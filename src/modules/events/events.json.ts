// The public reads (GET /events and GET /events/{id}) as PostgreSQL builds them: each event comes back as the
// API's JSON text, concatenated from the parts each row stores (migration 0022) and the counts of the moment, so
// the server neither parses the sections' JSON nor maps rows nor serialises objects; it joins the texts into
// the page (bench/README.md: that was most of a list's server CPU).
// The shape is the `Event` schema's, field for field (test/events/events-json.test.ts compares it with the
// object path). Statements are SQL text run as named prepared statements (`runStatement`); `$1` is always the
// prefix of avatar URLs, so `avatar_url` is the one `avatarUrl` gives.
import { aggregatedPageSql } from '../../lib/json-text.js'
import { avatarUrlJsonSql } from '../users/users.schemas.js'

/**
 * SQL for the tickets section `s` holds now: holds past their expiry that the minute sweep has not reached yet
 * are already available again (a reservation expires them lazily), so the catalogue does not show them as held.
 * Only a section holding tickets calls `section_held_now` (migration 0020: a function, so that its scan is not
 * set up for the sections that hold none).
 */
export const heldNowSql = (s: string) =>
  `case when ${s}.held > 0 then section_held_now(${s}.id, ${s}.held) else 0 end`

// Each row keeps the parts of its JSON that change only when it is edited (`json_head`, `json_tail`, and an
// event's `json_mid`), written by triggers (migration 0022); what changes with each sale is computed here.
// A section: id … capacity, then sold, held and available, then a seated grid's rows and seats_per_row.
// (Storing the whole text with its counters, as a generated column, saved ~20 µs a page but made each sale's
// UPDATE of the section write it too: ~5% fewer reservations a second in the bench. Not kept: bench/README.md.)
const SECTION_JSON = `s.json_head || ',"sold":' || s.sold || ',"held":' || h.held
  || ',"available":' || (s.capacity - s.sold - h.held) || s.json_tail`

/**
 * An event `e`'s organizer `u` and its sections `x` (a JSON array's text), in display order, with their totals.
 * The sections come in display order from their index (event_id, position, id), and the aggregate takes them as
 * the subquery gives them: with `string_agg(… order by …)` PostgreSQL 15 sorted each event's sections again (~1
 * µs an event). PostgreSQL's documentation (Aggregate Expressions) gives a sorted subquery as a way to feed an
 * aggregate in order and warns only of a join or other processing at the level that aggregates; this level has
 * none (test/events/events-json.test.ts moves and ties sections' positions to check the order).
 */
const JOINS = `left join users u on u.id = e.organizer_id
  left join lateral (
    select '[' || string_agg(q.json, ',') || ']' sections,
           sum(q.sold)::int sold, sum(q.capacity)::int capacity, min(q.price_cents) min_price
    from (select ${SECTION_JSON} json, s.sold, s.capacity, s.price_cents
          from sections s cross join lateral (select ${heldNowSql('s')} held) h
          where s.event_id = e.id
          order by s.position, s.id) q
  ) x on true`

/** The organizer: id … bio, the avatar's URL (`$1` is its prefix), created_at. */
const ORGANIZER_JSON = `u.json_head || ${avatarUrlJsonSql('$1::text', 'u')} || u.json_tail`

/** The Event, in the schema's order: id … status, organizer, max_tickets_per_user and currency, sections and totals, created_at and updated_at. */
const EVENT_JSON = `(e.json_head || ',"organizer":' || coalesce(${ORGANIZER_JSON}, 'null') || e.json_mid
  || ',"sections":' || coalesce(x.sections, '[]') || ',"tickets_sold":' || coalesce(x.sold, 0)
  || ',"capacity":' || coalesce(x.capacity, 0) || ',"min_price_cents":' || coalesce(x.min_price::text, 'null')
  || e.json_tail)`

export const EVENT_JSON_BY_ID = {
  name: 'events_json_by_id',
  text: `select e.published_at, e.organizer_id, ${EVENT_JSON} json from events e ${JOINS} where e.id = $2`,
}

export interface EventJsonRow {
  published_at: Date | null
  organizer_id: number | null
  json: string
}

/** The events that match `where`, counted: a list's `total` unless a counter has it. */
const countWhere = (where: string) => `(select count(*) from events e where ${where})::int`

/**
 * A page of events as one row (`aggregatedPageSql`): their JSON texts joined, and the total. For a text search (`searched`) the
 * matching events are found once (`m`) and both the total and the page come from them, so the trigram index
 * and its rechecks are read once, not twice; otherwise the page walks its sort index and the total counts.
 * `where` uses `$2 …` for its values; `sortKey` is an expression over `e`; the offset is the last parameter.
 * The page's events are picked first and only those twenty are built: with the JSON built below the
 * LIMIT/OFFSET, PostgreSQL built it for every row an offset skipped, and its generic plan, which does not
 * know the offset, looked a hundred times costlier than a custom one, so it planned the statement on every
 * call (~1 ms). For that reason too, `limit` is written into the text (the schema bounds it to 1–100), and so
 * is page 1's offset (most requests); a deeper page's offset is the last parameter (planned per call).
 * An unsearched page picks whole rows, not ids joined back to events: for that join the generic plan could
 * pick a hash join over a scan of every event, as it did once the sections' JSON got cheaper (+150 µs a page
 * on 1,100 events). `total` replaces the count of an unsearched page (an unfiltered list reads it from
 * event_counts).
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
  total = countWhere(where),
) {
  const dir = descending ? 'desc' : 'asc'
  const offset = first ? '0' : `$${params + 1}`
  return {
    name: `${shape}:${limit}${first ? ':first' : ''}`,
    text: aggregatedPageSql(
      searched
        ? `with m as materialized (select e.id, ${sortKey} k from events e where ${where})
      select ${EVENT_JSON} json, (select count(*) from m)::int total, p.k, p.id
      from (select id, k from m order by k ${dir}, id ${dir} limit ${limit} offset ${offset}) p
      join events e on e.id = p.id ${JOINS}
      order by p.k ${dir}, p.id ${dir}`
        : `select ${EVENT_JSON} json, ${total} total, e.k, e.id
      from (select e.*, ${sortKey} k from events e where ${where}
            order by ${sortKey} ${dir}, e.id ${dir} limit ${limit} offset ${offset}) e
      ${JOINS}
      order by e.k ${dir}, e.id ${dir}`,
    ),
  }
}

/**
 * The `limit` published events closest to a text (GET /search), as one row of their JSON texts joined closest
 * first (`aggregatedPageSql`; no total): drafts never, and cancelled events are not worth finding. `$2` is the
 * text as a LIKE pattern, `$3` the text lowered; `limit` is in the text (the schema bounds it to 1–50). Matching
 * and closeness are search.service.ts's `matches` and `closest`, written here as SQL text. The
 * matches are ranked on the events table alone and only the first `limit` are built: with the JSON in the
 * ranking's own select list, PostgreSQL built the sections and organizer of every match before sorting (1,101 of
 * them for a word every title has), and planned the statement on each call, as it was not prepared
 * (bench/README.md).
 */
export function closestEventsStatement(limit: number) {
  return {
    // `$4`: how many of the closest to pass over (the pages' "more matches"; bound, so any offset is one plan).
    name: `events_json:closest:${limit}`,
    text: aggregatedPageSql(
      `select ${EVENT_JSON} json, null::int total
      from (select e.id, word_similarity($3, e.title_lower) w, similarity($3, e.title_lower) s from events e
            where e.status = 'published' and (e.title_lower like $2 or $3 <% e.title_lower)
            order by w desc, s desc, e.id limit ${limit} offset $4::int) p
      join events e on e.id = p.id ${JOINS}
      order by p.w desc, p.s desc, p.id`,
    ),
  }
}

/** The total alone, for a page past the end (`$1` is bound too, so the parameters are the page's). */
export function totalStatement(shape: string, where: string, total = countWhere(where)) {
  return { name: `${shape}:total`, text: `select ${total} total, $1::text` }
}

/** The number of published events of one status (`$2`), kept by triggers (migrations event_counts_triggers, 0029). */
export const STATUS_TOTAL = `coalesce((select c.events from event_counts c where c.status = $2), 0)`
