// Reading tickets with their event, section, seat, holder, booker and invoice in one query.
import { eq, type SQL, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Config } from '../../config.js'
import type { Db } from '../../db/client.js'
import { events, invoiceLines, reservations, seats, sections, tickets, users } from '../../db/schema/index.js'
import { type ProfileRow, toPublicUser } from '../users/users.schemas.js'
import type { TicketT } from './tickets.schemas.js'

const holder = alias(users, 'holder')
const booker = alias(users, 'booker')

/** The status a client sees: a held ticket whose reservation lapsed is expired even before the sweep runs. */
export const effectiveTicketStatus = sql<
  TicketT['status']
>`case when ${tickets.status} = 'held' and ${reservations.expiresAt} <= now() then 'expired' else ${tickets.status} end`

function ticketQuery(db: Db) {
  return db
    .select({
      ticket: tickets,
      status: effectiveTicketStatus,
      expiresAt: reservations.expiresAt,
      event: { id: events.id, title: events.title, startsAt: events.startsAt, currency: events.currency },
      sectionName: sections.name,
      seat: { id: seats.id, row: seats.rowLabel, number: seats.number },
      holder,
      booker,
      invoiceId: invoiceLines.invoiceId,
    })
    .from(tickets)
    .innerJoin(reservations, eq(reservations.id, tickets.reservationId))
    .innerJoin(events, eq(events.id, tickets.eventId))
    .innerJoin(sections, eq(sections.id, tickets.sectionId))
    .leftJoin(seats, eq(seats.id, tickets.seatId))
    .leftJoin(holder, eq(holder.id, tickets.holderId))
    .leftJoin(booker, eq(booker.id, tickets.bookerId))
    .leftJoin(invoiceLines, eq(invoiceLines.ticketId, tickets.id))
}

type TicketQueryRow = Awaited<ReturnType<ReturnType<typeof ticketQuery>['execute']>>[number]

/** What a ticket is shown from: the ticket row with its event, section, seat, people and invoice. */
export type TicketRow = Omit<TicketQueryRow, 'holder' | 'booker'> & {
  holder: ProfileRow | null
  booker: ProfileRow | null
}

export function toTicket(config: Config, r: TicketRow): TicketT {
  return {
    id: r.ticket.id,
    status: r.status,
    event: { id: r.event.id, title: r.event.title, starts_at: r.event.startsAt.toISOString() },
    section: { id: r.ticket.sectionId, name: r.sectionName },
    seat: r.seat ? { id: r.seat.id, row: r.seat.row, number: r.seat.number } : null,
    holder: r.holder ? toPublicUser(config, r.holder) : null,
    booker: r.booker ? toPublicUser(config, r.booker) : null,
    price_cents: r.ticket.priceCents,
    currency: r.event.currency,
    reservation_id: r.ticket.reservationId,
    invoice_id: r.invoiceId,
    expires_at: r.status === 'held' ? r.expiresAt.toISOString() : null,
    created_at: r.ticket.createdAt.toISOString(),
  }
}

/** Tickets matching `where`, in id order unless `newestFirst`. */
export async function loadTickets(
  db: Db,
  config: Config,
  where: SQL | undefined,
  page?: { limit: number; offset: number; newestFirst?: boolean },
): Promise<TicketT[]> {
  const query = ticketQuery(db)
    .where(where)
    .orderBy(page?.newestFirst ? sql`${tickets.id} desc` : tickets.id)
  const rows = page ? await query.limit(page.limit).offset(page.offset) : await query
  return rows.map((r) => toTicket(config, r))
}
