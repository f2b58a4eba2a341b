// The seat map: each seat of an event's seated sections with its status right now.
import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { reservations, seats, sections, tickets } from '../../db/schema/index.js'
import { notFound } from '../../lib/errors.js'
import { effectiveTicketStatus } from '../tickets/tickets.queries.js'
import { visibleEventRow } from './events.queries.js'

export type SeatStatus = 'available' | 'held' | 'sold'

/**
 * Every seat of the event (or of one section), front row first. A seat is `sold` under a confirmed ticket and
 * `held` under a held ticket whose reservation has not expired; a lapsed hold already counts as available,
 * before the sweep gets to it. The partial unique index allows at most one live ticket per seat.
 */
export async function seatMap(ctx: Ctx, actor: Actor | null, eventId: number, sectionId?: number) {
  await visibleEventRow(ctx.db, actor, eventId)
  if (sectionId !== undefined) {
    const [section] = await ctx.db
      .select({ id: sections.id })
      .from(sections)
      .where(and(eq(sections.id, sectionId), eq(sections.eventId, eventId)))
    if (!section) throw notFound('Section')
  }
  const inEvent = ctx.db.select({ id: sections.id }).from(sections).where(eq(sections.eventId, eventId))
  return ctx.db
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
    .where(sectionId !== undefined ? eq(seats.sectionId, sectionId) : inArray(seats.sectionId, inEvent))
    .orderBy(asc(seats.sectionId), asc(seats.rowIndex), asc(seats.number))
}
