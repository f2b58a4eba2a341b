// Answers PostgreSQL already wrote as JSON text (the catalogue, the posts list): the server joins the texts and
// sends them as they are, with no parsing, mapping or serialising in between.
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

/** A page's envelope around items that are JSON texts, and its numbers (for `sendPage`'s Link header). */
export function jsonPage(
  items: string[],
  total: number,
  params: PageParams,
): { body: string; page: Page<never> } {
  const page = toPage<never>([], total, params)
  const body = `{"data":[${items.join(',')}],"page":${page.page},"per_page":${page.per_page},"total":${page.total},"total_pages":${page.total_pages}}`
  return { body, page }
}

/** Sends JSON text as the answer (a route that does not go through the catalogue cache). */
export function sendJsonText(reply: FastifyReply, body: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(asJsonText(reply, body))
}
