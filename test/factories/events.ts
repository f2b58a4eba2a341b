// Event factories: events through the HTTP API, and tickets written straight to the database (reservations
// belong to another module; these tests only need the state a sale leaves behind).
import { and, eq, sql } from 'drizzle-orm'
import { reservations, seats, sections, tickets } from '../../src/db/schema/index.js'
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
  currency?: string
  max_tickets_per_user?: number | null
  sections?: SectionSpec[]
  publish?: boolean
}

let made = 0

export const DEFAULT_SECTIONS: SectionSpec[] = [
  { name: 'General Admission', kind: 'general', price_cents: 4900, capacity: 100 },
  { name: 'VIP', kind: 'seated', price_cents: 29900, rows: 2, seats_per_row: 3 },
]

/** The body of POST /events with defaults filled in. */
export function eventBody(spec: EventSpec = {}) {
  made++
  const { publish: _publish, sections: given, ...rest } = spec
  return {
    title: `Event ${made}`,
    venue: 'Royal Hall',
    starts_at: new Date(Date.UTC(2027, 0, 1 + made, 19, 30)).toISOString(),
    ...rest,
    sections: (given ?? DEFAULT_SECTIONS).map((s, i) => ({
      name: `Section ${i + 1}`,
      price_cents: 1000,
      ...(s.rows === undefined && s.capacity === undefined ? { capacity: 10 } : {}),
      ...s,
    })),
  }
}

/** Creates an event as `organizer` through the API (and publishes it unless `publish: false`). */
export async function makeEvent(app: App, organizer: TestUser, spec: EventSpec = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/events',
    headers: organizer.auth,
    payload: eventBody(spec),
  })
  if (res.statusCode !== 201) throw new Error(`create event failed: ${res.statusCode} ${res.body}`)
  if (spec.publish === false) return res.json()
  const published = await app.inject({
    method: 'POST',
    url: `/api/v1/events/${res.json().id}/publish`,
    headers: organizer.auth,
  })
  if (published.statusCode !== 200)
    throw new Error(`publish failed: ${published.statusCode} ${published.body}`)
  return published.json()
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

/** Writes a reservation and its ticket directly, keeping the section counters in step as the box office does. */
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
