// Answers PostgreSQL already wrote as JSON text (the catalogue, the posts list): the server wraps a list's joined
// items in the page's envelope and sends them as they are, with no parsing, mapping or serialising in between.
import type { FastifyReply } from 'fastify'
import { type Page, type PageParams, toPage } from './pagination.js'

/**
 * SQL for a timestamp column as the API writes it (`Date.toISOString()`: UTC, milliseconds, `Z`), for JSON that
 * a statement builds as it runs (the reservation's answer). The catalogue and the posts list store their JSON's
 * fixed parts on their rows instead (migrations 0022 and 0023: their `api_json_time` writes the same format, and
 * test/events/events-json.test.ts checks it against `toISOString()`).
 */
export const isoSql = (column: string) =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/**
 * The body is already JSON text in the response schema's shape, sent as it is. Set only once the read
 * succeeded, so that an error's problem is still serialised.
 */
export function asJsonText(reply: FastifyReply, body: string): string {
  reply.serializer((text: unknown) => text as string)
  return body
}

/**
 * A list's statement as one row: `data`, the page's items (the JSON texts of `inner`'s `json`, in the order
 * `inner` sorts them) joined by commas, null on an empty page; and `total` (each row of `inner` carries it).
 * PostgreSQL joins the texts, so the server reads one string, not a row per item, and does not copy them into a
 * join of its own (bench/README.md, "Where the time goes").
 * `inner` must end with ORDER BY its sort key `k` and `id`: without it the generic plan of the catalogue's search
 * joined the page's ids to events by hashing a scan of every event (0.39 -> 0.48 ms a search), and the texts are
 * joined in the order it gives them. PostgreSQL's documentation (Aggregate Expressions) gives a sorted subquery
 * as a way to feed an aggregate in order, and warns only of a join or other processing at the level that
 * aggregates; this level has none. `string_agg(… order by …)` sorted the page a second time (~15 µs a page).
 */
export const aggregatedPageSql = (inner: string) =>
  `select string_agg(t.json, ',') data, min(t.total) total from (${inner}) t`

/** One row of `aggregatedPageSql`. */
export interface AggregatedPageRow {
  data: string | null
  total: number | null
}

/** A page's envelope around `data` (its items' JSON texts, joined), and its numbers (for `sendPage`'s Link header). */
export function jsonPage(
  data: string,
  total: number,
  params: PageParams,
): { body: string; page: Page<never> } {
  const page = toPage<never>([], total, params)
  const body = `{"data":[${data}],"page":${page.page},"per_page":${page.per_page},"total":${page.total},"total_pages":${page.total_pages}}`
  return { body, page }
}

/** Sends JSON text as the answer (a route that does not go through the catalogue cache). */
export function sendJsonText(reply: FastifyReply, body: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(asJsonText(reply, body))
}
