// Event factories: events with their sections, created (and published, or cancelled) through the HTTP API,
// their seat maps, and tickets written straight to the database for tests that only need the state a sale
// leaves behind.
import { and, eq, sql } from 'drizzle-orm'
import type { Static } from 'typebox'
import {
  events,
  invoiceLines,
  invoices,
  reservations,
  seats,
  sections,
  tickets,
} from '../../src/db/schema/index.js'
import type { EventT, Seat } from '../../src/modules/events/events.schemas.js'
import type { App, TestUser } from '../helpers.js'

export interface SectionSpec {
  name?: string
  kind?: 'general' | 'seated'
  price_cents?: number
  capacity?: number
  rows?: number
  seats_per_row?: number
}

export interface EventSpec {
  title?: string
  description?: string
  venue?: string
  starts_at?: string
  ends_at?: string | null
  timezone?: string
  currency?: string
  max_tickets_per_user?: number | null
  sections?: SectionSpec[]
  /** Default published. */
  status?: EventT['status']
}

let made = 0

/** A general section of 100 and a small seated VIP block, for tests about an event with both kinds. */
export const GENERAL_AND_VIP: SectionSpec[] = [
  { name: 'General Admission', kind: 'general', price_cents: 4900, capacity: 100 },
  { name: 'VIP', kind: 'seated', price_cents: 29900, rows: 2, seats_per_row: 3 },
]

/**
 * The body of POST /events with defaults filled in: a month from now (each event a minute after the one
 * before), at the Town Hall, with one general section of 10 at 45.00. A section without a name is called
 * "General Admission" or, seated, "A Reserve"; without a price it costs 45.00; a general one holds 10.
 */
export function eventBody(spec: EventSpec = {}) {
  made++
  const { status: _status, sections: given, ...rest } = spec
  return {
    title: `Event ${made}`,
    venue: 'Town Hall',
    starts_at: new Date(Date.now() + 30 * 86_400_000 + made * 60_000).toISOString(),
    ...rest,
    sections: (given ?? [{}]).map((s) => {
      // The kind the API infers when none is sent.
      const seated =
        (s.kind ?? (s.capacity === undefined && s.rows !== undefined ? 'seated' : 'general')) === 'seated'
      return {
        name: seated ? 'A Reserve' : 'General Admission',
        price_cents: 4500,
        ...(!seated && s.capacity === undefined ? { capacity: 10 } : {}),
        ...s,
      }
    }),
  }
}

/** POST as the organizer; the event the API answers, parsed but untyped like every `res.json()` in the tests. */
async function postAs(app: App, organizer: TestUser, url: string, payload?: object) {
  const res = await app.inject({ method: 'POST', url: `/api/v1${url}`, headers: organizer.auth, payload })
  if (res.statusCode >= 300) throw new Error(`POST ${url} failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

/**
 * Creates an event as `organizer` through the API (POST /events) and brings it to `spec.status`: published
 * by default, left a draft, or published and then cancelled. Returns the event as the API last answered it.
 */
export async function makeEvent(app: App, organizer: TestUser, spec: EventSpec = {}) {
  const draft = await postAs(app, organizer, '/events', eventBody(spec))
  if (spec.status === 'draft') return draft
  const published = await postAs(app, organizer, `/events/${draft.id}/publish`)
  if (spec.status !== 'cancelled') return published
  return postAs(app, organizer, `/events/${draft.id}/cancel`)
}

export type SeatT = Static<typeof Seat>

/** The seats of one section as GET /events/{id}/seats lists them: front row first, left to right. */
export async function seatsOf(app: App, event: { id: number }, sectionId: number): Promise<SeatT[]> {
  const res = await app.inject({
    method: 'GET',
    url: `/api/v1/events/${event.id}/seats?section_id=${sectionId}`,
  })
  if (res.statusCode !== 200) throw new Error(`seat map failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

export interface TicketSpec {
  eventId: number
  sectionId: number
  holderId: number
  status?: 'held' | 'confirmed' | 'cancelled' | 'expired'
  /** Row label and number of the seat, for a seated section. */
  seat?: { row: string; number: number }
  priceCents?: number
  /** When the reservation's hold lapses; default 15 minutes from now. */
  expiresAt?: Date
}

/**
 * Writes a reservation and its ticket directly, keeping the section counters in step as the box office does. A
 * confirmed ticket is a paid one, as the box office leaves it: a paid invoice of the holder with the ticket's line
 * at its price (what the sales report counts as revenue).
 */
export async function insertTicket(app: App, spec: TicketSpec) {
  const db = app.ctx.db
  const status = spec.status ?? 'confirmed'
  return db.transaction(async (tx) => {
    const [section] = await tx.select().from(sections).where(eq(sections.id, spec.sectionId))
    let seatId: number | null = null
    if (spec.seat) {
      const [seat] = await tx
        .select()
        .from(seats)
        .where(
          and(
            eq(seats.sectionId, spec.sectionId),
            eq(seats.rowLabel, spec.seat.row),
            eq(seats.number, spec.seat.number),
          ),
        )
      seatId = seat!.id
    }
    const [reservation] = await tx
      .insert(reservations)
      .values({
        eventId: spec.eventId,
        bookerId: spec.holderId,
        expiresAt: spec.expiresAt ?? new Date(Date.now() + 15 * 60_000),
      })
      .returning()
    const [ticket] = await tx
      .insert(tickets)
      .values({
        reservationId: reservation!.id,
        eventId: spec.eventId,
        sectionId: spec.sectionId,
        seatId,
        holderId: spec.holderId,
        bookerId: spec.holderId,
        status,
        priceCents: spec.priceCents ?? section!.priceCents,
      })
      .returning()
    if (status === 'confirmed') {
      const [event] = await tx
        .select({ currency: events.currency })
        .from(events)
        .where(eq(events.id, spec.eventId))
      const [invoice] = await tx
        .insert(invoices)
        .values({
          number: `TEST-${reservation!.id}`,
          reservationId: reservation!.id,
          eventId: spec.eventId,
          payerId: spec.holderId,
          amountCents: ticket!.priceCents,
          currency: event!.currency,
          status: 'paid',
          dueAt: new Date(),
          paidAt: new Date(),
          paymentReference: `test_ch_factory_${reservation!.id}`,
        })
        .returning()
      await tx.insert(invoiceLines).values({
        invoiceId: invoice!.id,
        ticketId: ticket!.id,
        description: section!.name,
        amountCents: ticket!.priceCents,
      })
    }
    if (status === 'held' || status === 'confirmed') {
      const counter = status === 'held' ? sections.held : sections.sold
      await tx
        .update(sections)
        .set(status === 'held' ? { held: sql`${counter} + 1` } : { sold: sql`${counter} + 1` })
        .where(eq(sections.id, spec.sectionId))
    }
    return ticket!
  })
}
