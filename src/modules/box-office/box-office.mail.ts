// What the box-office e-mails say about an event and its tickets, built inside the transaction that sends them.
import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import {
  events,
  invoiceLines,
  invoices,
  reservations,
  seats,
  sections,
  tickets,
} from '../../db/schema/index.js'
import type { EventSummary, TicketLine } from '../../mail/messages.js'
import { ticketLive } from './box-office.holds.js'

/** The event columns a message's EventSummary is made from (select them, then pass the row to eventSummary). */
export const eventSummaryColumns = {
  id: events.id,
  title: events.title,
  venue: events.venue,
  startsAt: events.startsAt,
  timezone: events.timezone,
}

export function eventSummary(e: {
  id: number
  title: string
  venue: string
  startsAt: Date
  timezone: string
}): EventSummary {
  return {
    id: e.id,
    title: e.title,
    venue: e.venue,
    startsAt: e.startsAt.toISOString(),
    timezone: e.timezone,
  }
}

/** A ticket as a message names it: its section, and its seat as "Row B, seat 7" (null in general admission). */
export function ticketLine(section: string, seat: { row: string; number: number } | null): TicketLine {
  return { section, seat: seat ? `Row ${seat.row}, seat ${seat.number}` : null }
}

/**
 * The event and the lines of some tickets of one event, in one query; null when `ticketIds` names no ticket.
 */
export async function ticketsForMail(
  db: Db,
  ticketIds: number[],
): Promise<{ event: EventSummary; tickets: TicketLine[] } | null> {
  if (ticketIds.length === 0) return null
  const rows = await db
    .select({
      event: eventSummaryColumns,
      section: sections.name,
      row: seats.rowLabel,
      number: seats.number,
    })
    .from(tickets)
    .innerJoin(events, eq(events.id, tickets.eventId))
    .innerJoin(sections, eq(sections.id, tickets.sectionId))
    .leftJoin(seats, eq(seats.id, tickets.seatId))
    .where(inArray(tickets.id, ticketIds))
    .orderBy(asc(tickets.id))
  const first = rows[0]
  if (!first) return null
  return {
    event: eventSummary(first.event),
    tickets: rows.map((r) =>
      ticketLine(r.section, r.row !== null && r.number !== null ? { row: r.row, number: r.number } : null),
    ),
  }
}

/**
 * The live tickets of an event (confirmed, or held and not lapsed), each with its holder, the payer of its
 * invoice and when its hold lapses: whom a message about the event concerns (a cancellation, a new start or
 * venue). A hold that has lapsed unswept is no one's ticket any more, and its booker has been told it expired.
 * A deleted account's id is null.
 */
export function liveTicketsOf(db: Db, eventId: number) {
  return db
    .select({
      id: tickets.id,
      status: tickets.status,
      holderId: tickets.holderId,
      payerId: invoices.payerId,
      expiresAt: reservations.expiresAt,
    })
    .from(tickets)
    .innerJoin(reservations, eq(reservations.id, tickets.reservationId))
    .leftJoin(invoiceLines, eq(invoiceLines.ticketId, tickets.id))
    .leftJoin(invoices, eq(invoices.id, invoiceLines.invoiceId))
    .where(and(eq(tickets.eventId, eventId), ticketLive))
}
