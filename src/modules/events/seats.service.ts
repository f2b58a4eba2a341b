// The seat map: each seat of an event's seated sections with its status right now.
import { and, asc, count, eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedOnce, preparedPage } from '../../db/client.js'
import { reservations, seats, sections, tickets } from '../../db/schema/index.js'
import { notFound } from '../../lib/errors.js'
import type { PageParams } from '../../lib/pagination.js'
import { effectiveTicketStatus } from '../box-office/box-office.holds.js'
import { visibleEventRow } from './events.queries.js'

export type SeatStatus = 'available' | 'held' | 'sold'

/** Which seats: those of the event (placeholder `event`), or of one section (placeholder `section`). */
function seatsOf(db: Db, of: 'event' | 'section') {
  return of === 'event'
    ? inArray(
        seats.sectionId,
        db
          .select({ id: sections.id })
          .from(sections)
          .where(eq(sections.eventId, sql.placeholder('event'))),
      )
    : eq(seats.sectionId, sql.placeholder('section'))
}

/**
 * The seats `where` picks, front row first. A seat is `sold` under a confirmed ticket and `held` under a held
 * ticket whose reservation has not expired; a lapsed hold already counts as available, before the sweep gets
 * to it. The partial unique index allows at most one live ticket per seat.
 */
function selectSeats(db: Db, where: SQL) {
  return db
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
    .where(where)
    .orderBy(asc(seats.sectionId), asc(seats.rowIndex), asc(seats.number))
    .$dynamic()
}

/** Every seat of the event (at most MAX_SEATS_PER_EVENT), as its page shows them: prepared once. */
export async function seatMap(ctx: Ctx, actor: Actor | null, eventId: number) {
  await visibleEventRow(ctx.db, actor, eventId)
  const statement = preparedOnce(ctx.db, 'seats:all', (d, name) =>
    selectSeats(d, seatsOf(d, 'event')).prepare(name),
  )
  return statement.execute({ event: eventId })
}

/**
 * One page of the seats of the event (or of one section), with how many there are in all: prepared per shape
 * (`preparedPage`). For one section, the count's statement also finds the section among the event's (no row:
 * 404).
 */
export async function seatPage(
  ctx: Ctx,
  actor: Actor | null,
  eventId: number,
  sectionId: number | undefined,
  page: PageParams,
) {
  await visibleEventRow(ctx.db, actor, eventId)
  const of = sectionId === undefined ? 'event' : 'section'
  const values = { event: eventId, section: sectionId ?? null }
  const { rows, total } = await preparedPage(ctx.db, `seats:${of}`, page, values, (d) => ({
    rows: selectSeats(d, seatsOf(d, of)),
    total:
      of === 'event'
        ? d.select({ n: count() }).from(seats).where(seatsOf(d, of)).$dynamic()
        : d
            // Written out: drizzle leaves the columns of a one-table select unqualified.
            .select({ n: sql<number>`(select count(*)::int from seats s where s.section_id = sections.id)` })
            .from(sections)
            .where(
              and(
                eq(sections.id, sql.placeholder('section')),
                eq(sections.eventId, sql.placeholder('event')),
              ),
            )
            .$dynamic(),
  }))
  const [counted] = total
  if (!counted) throw notFound('Section')
  return { rows, total: counted.n }
}
