// The seat map: each seat of an event's seated sections with its status right now.
import { and, asc, count, eq, inArray, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { reservations, seats, sections, tickets } from '../../db/schema/index.js'
import { notFound } from '../../lib/errors.js'
import type { PageParams } from '../../lib/pagination.js'
import { effectiveTicketStatus } from '../box-office/box-office.holds.js'
import { visibleEventRow } from './events.queries.js'

export type SeatStatus = 'available' | 'held' | 'sold'

/** Which seats the map shows: those of one section, or of the whole event. */
function seatsOf(ctx: Ctx, eventId: number, sectionId: number | undefined) {
  if (sectionId !== undefined) return eq(seats.sectionId, sectionId)
  return inArray(
    seats.sectionId,
    ctx.db.select({ id: sections.id }).from(sections).where(eq(sections.eventId, eventId)),
  )
}

/** How many seats the map has in all (after seatMap checked the event and section). */
export async function seatCount(ctx: Ctx, eventId: number, sectionId: number | undefined): Promise<number> {
  const [all] = await ctx.db
    .select({ n: count() })
    .from(seats)
    .where(seatsOf(ctx, eventId, sectionId))
  return all?.n ?? 0
}

/**
 * The seats of the event (or of one section), front row first: one `page` of them, or without it all (at most
 * MAX_SEATS_PER_EVENT). A seat is `sold` under a confirmed ticket and
 * `held` under a held ticket whose reservation has not expired; a lapsed hold already counts as available,
 * before the sweep gets to it. The partial unique index allows at most one live ticket per seat.
 */
export async function seatMap(
  ctx: Ctx,
  actor: Actor | null,
  eventId: number,
  sectionId?: number,
  page?: PageParams,
) {
  await visibleEventRow(ctx.db, actor, eventId)
  if (sectionId !== undefined) {
    const [section] = await ctx.db
      .select({ id: sections.id })
      .from(sections)
      .where(and(eq(sections.id, sectionId), eq(sections.eventId, eventId)))
    if (!section) throw notFound('Section')
  }
  const query = ctx.db
    .select({
      id: seats.id,
      section_id: seats.sectionId,
      row: seats.rowLabel,
      number: seats.number,
      status: sql<SeatStatus>`case ${effectiveTicketStatus}
        when 'confirmed' then 'sold' when 'held' then 'held' else 'available' end`,
    })
    .from(seats)
    .leftJoin(tickets, and(eq(tickets.seatId, seats.id), inArray(tickets.status, ['held', 'confirmed'])))
    .leftJoin(reservations, eq(reservations.id, tickets.reservationId))
    .where(seatsOf(ctx, eventId, sectionId))
    .orderBy(asc(seats.sectionId), asc(seats.rowIndex), asc(seats.number))
  return page ? query.limit(page.perPage).offset(page.offset) : query
}
