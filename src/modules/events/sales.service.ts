// The organizer's views of an event: sales per section, attendees, and (for anyone) friends who are going.
import { and, asc, count, countDistinct, eq, inArray, sql } from 'drizzle-orm'
import type { PgSelect } from 'drizzle-orm/pg-core'
import type { Actor, Ctx } from '../../context.js'
import { amongIds, preparedOnce, preparedPage } from '../../db/client.js'
import { events, invoiceLines, reservations, sections, tickets, users } from '../../db/schema/index.js'
import { notFound } from '../../lib/errors.js'
import { type PageParams, toPage } from '../../lib/pagination.js'
import { effectiveTicketStatus } from '../box-office/box-office.holds.js'
import { friendIdsOf } from '../friends/friends.queries.js'
import { profileColumns, toPublicUser } from '../users/users.schemas.js'
import { eventForChange, visibleEventRow } from './events.queries.js'

export interface SalesLine {
  capacity: number
  held: number
  sold: number
  available: number
  revenue_cents: number
}

export interface SalesReport {
  event_id: number
  title: string
  currency: string
  sections: (SalesLine & { id: number; name: string; kind: 'general' | 'seated'; price_cents: number })[]
  totals: SalesLine
}

/**
 * Revenue, said once: what buyers paid for the tickets confirmed now. Each ticket has one invoice line (on the
 * invoice that paid it: the booker's, or the holder's own with split payment; a transfer leaves it there), and
 * the line's amount is the ticket's price less any voucher discount, never below 0. A refunded or cancelled
 * ticket no longer counts, and a held one not yet. An aggregate over `tickets` rows with their line joined on
 * `lineOfTicket` (left join: at most one line per ticket, so it adds no rows). The sum of an integer column
 * is a bigint in PostgreSQL, read as a number. Used by the sales report (GET /events/{id}/sales, its page and
 * `tickets-sold`) and by the daily series of the sales chart.
 */
export const lineOfTicket = eq(invoiceLines.ticketId, tickets.id)
export const revenueCents =
  sql<number>`coalesce(sum(${invoiceLines.amountCents}) filter (where ${tickets.status} = 'confirmed'), 0)`.mapWith(
    Number,
  )

/**
 * Capacity and sold come from the section counters (the source of truth for availability). Held counts the
 * holds still running, as the seat map and every ticket show them: a hold past its expiry is not held any
 * more, though its place only returns to the counter when the sweep (or the next reservation) expires it.
 * Revenue is `revenueCents`. Used by GET /events/{id}/sales and the `tickets-sold` command alike.
 */
export async function salesReport(ctx: Ctx, eventId: number): Promise<SalesReport> {
  const [event] = await ctx.db
    .select({ id: events.id, title: events.title, currency: events.currency })
    .from(events)
    .where(eq(events.id, eventId))
  if (!event) throw notFound('Event')
  const rows = await ctx.db
    .select({
      id: sections.id,
      name: sections.name,
      kind: sections.kind,
      price_cents: sections.priceCents,
      capacity: sections.capacity,
      held: sql<number>`count(*) filter (where ${effectiveTicketStatus} = 'held')`.mapWith(Number),
      sold: sections.sold,
      revenue_cents: revenueCents,
    })
    .from(sections)
    .leftJoin(
      tickets,
      and(eq(tickets.sectionId, sections.id), inArray(tickets.status, ['held', 'confirmed'])),
    )
    .leftJoin(reservations, eq(reservations.id, tickets.reservationId))
    .leftJoin(invoiceLines, lineOfTicket)
    .where(eq(sections.eventId, eventId))
    .groupBy(sections.id)
    .orderBy(asc(sections.position), asc(sections.id))
  const totals: SalesLine = { capacity: 0, held: 0, sold: 0, available: 0, revenue_cents: 0 }
  const lines = rows.map((r) => {
    const line = { ...r, available: r.capacity - r.held - r.sold }
    for (const k of ['capacity', 'held', 'sold', 'available', 'revenue_cents'] as const) totals[k] += line[k]
    return line
  })
  return { event_id: event.id, title: event.title, currency: event.currency, sections: lines, totals }
}

export async function getEventSales(ctx: Ctx, actor: Actor, eventId: number): Promise<SalesReport> {
  await eventForChange(ctx.db, actor, eventId)
  return salesReport(ctx, eventId)
}

/** Which of an event's ticket holders a list shows: a section's only, and those of confirmed tickets or of live holds. */
export interface HolderFilter {
  section_id?: number
  status?: 'confirmed' | 'held'
}

/**
 * People holding tickets for the event (only the caller's friends when `friendsOf` is given), by username, with
 * their count: by default of confirmed tickets; with `status: 'held'`, of holds still running (as the sales
 * report counts them: a lapsed hold is not held). Prepared per shape (`preparedPage`): one for each filter.
 */
async function holders(
  ctx: Ctx,
  eventId: number,
  page: PageParams,
  filter: HolderFilter = {},
  friendsOf?: number,
) {
  const held = filter.status === 'held'
  const inSection = filter.section_id !== undefined
  const shape = `${friendsOf === undefined ? 'attendees' : 'friends_going'}${held ? ':held' : ''}${inSection ? ':section' : ''}`
  const values = { event: eventId, user: friendsOf ?? null, section: filter.section_id ?? null }
  const { rows, total } = await preparedPage(ctx.db, shape, page, values, (d) => {
    const where = and(
      eq(tickets.eventId, sql.placeholder('event')),
      held ? eq(effectiveTicketStatus, 'held') : eq(tickets.status, 'confirmed'),
      inSection ? eq(tickets.sectionId, sql.placeholder('section')) : undefined,
      friendsOf === undefined
        ? undefined
        : inArray(tickets.holderId, friendIdsOf(d, sql.placeholder('user'))),
    )
    // A hold's lapse is read from its reservation.
    const holds = <Q extends PgSelect>(q: Q) =>
      held ? q.innerJoin(reservations, eq(reservations.id, tickets.reservationId)) : q
    return {
      rows: holds(
        d
          .select({ user: profileColumns(users), ticket_count: count() })
          .from(tickets)
          .innerJoin(users, eq(users.id, tickets.holderId))
          .$dynamic(),
      )
        .where(where)
        .groupBy(users.id)
        .orderBy(asc(sql`lower(${users.username})`), asc(users.id)),
      total: holds(
        d
          .select({ n: countDistinct(tickets.holderId) })
          .from(tickets)
          .$dynamic(),
      ).where(where),
    }
  })
  return toPage(
    rows.map((r) => ({ ...toPublicUser(ctx.config, r.user), ticket_count: r.ticket_count })),
    total[0]?.n ?? 0,
    page,
  )
}

export async function listAttendees(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  page: PageParams,
  filter: HolderFilter = {},
) {
  await eventForChange(ctx.db, actor, eventId)
  return holders(ctx, eventId, page, filter)
}

export async function friendsGoing(ctx: Ctx, actor: Actor, eventId: number, page: PageParams) {
  await visibleEventRow(ctx.db, actor, eventId)
  return holders(ctx, eventId, page, {}, actor.id)
}

/**
 * For a list of events (a page of the catalogue), the caller's friends holding a confirmed ticket to each, in
 * one query: event id → usernames and display names, by username. Events the caller cannot see are not asked
 * for (the ids come from a list the caller was shown).
 */
export async function friendsGoingToEach(
  ctx: Ctx,
  actor: Actor,
  eventIds: number[],
): Promise<Map<number, { username: string; display_name: string }[]>> {
  const going = new Map<number, { username: string; display_name: string }[]>()
  if (eventIds.length === 0) return going
  // Prepared once, the event ids one array parameter (a page of any size is the same text).
  const statement = preparedOnce(ctx.db, 'friends_going_to_each', (d, name) =>
    d
      .selectDistinct({ eventId: tickets.eventId, username: users.username, displayName: users.displayName })
      .from(tickets)
      .innerJoin(users, eq(users.id, tickets.holderId))
      .where(
        and(
          amongIds(tickets.eventId, 'events'),
          eq(tickets.status, 'confirmed'),
          inArray(tickets.holderId, friendIdsOf(d, sql.placeholder('user'))),
        ),
      )
      .orderBy(asc(tickets.eventId), asc(users.username))
      .prepare(name),
  )
  const rows = await statement.execute({ events: eventIds, user: actor.id })
  for (const r of rows) {
    const list = going.get(r.eventId) ?? []
    list.push({ username: r.username, display_name: r.displayName })
    going.set(r.eventId, list)
  }
  return going
}
