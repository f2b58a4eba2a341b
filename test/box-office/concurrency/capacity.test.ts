// No overselling and no double-booked seat under concurrent buyers, on real PostgreSQL (PGlite has one
// connection, so nothing runs concurrently there). The control test proves the race test can fail.
import { count, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tickets } from '../../../src/db/schema/index.js'
import { buildBoxOfficeApp, quickUsers, sectionCounts } from '../../factories/boxoffice.js'
import { makeEvent, seatsOf } from '../../factories/events.js'
import { CONTROL_TIMEOUT_MS, untilRaceShows } from '../../factories/race.js'
import { type App, registerUser, usingPostgres } from '../../helpers.js'

const onPostgres = it.skipIf(!usingPostgres())

const buyers = quickUsers

/**
 * Batches of at most 3 for the race tests and their controls. 50 requests reach the batcher in one turn of the
 * event loop (the batched write is each one's first statement: it checks the buyer's token too) and would
 * otherwise go as one statement, with nothing to race against. In batches of 3 there are always two statements
 * in flight (the most a process runs), and two that run in step ask for more than is left: 10 places, 6 taken,
 * then two statements of 3 for the last 4. That is the race the guards are for. (In batches of 5, two in step
 * take exactly the 10, so an unguarded statement can pass.)
 */
const SMALL_BATCHES = { DATABASE_POOL_MAX: '20', RESERVATION_BATCH_SIZE: '3' }

/** 50 buyers at once for 10 general-admission tickets; returns the status codes and what the database holds. */
async function raceForTen(app: App) {
  const organizer = await registerUser(app)
  const event = await makeEvent(app, organizer, {
    sections: [{ capacity: 10 }],
  })
  const section = event.sections[0]!
  const people = await buyers(app, 50)
  const responses = await Promise.all(
    people.map((p) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/events/${event.id}/reservations`,
        headers: p.auth,
        payload: { section_id: section.id, quantity: 1 },
      }),
    ),
  )
  const [rows] = await app.ctx.db
    .select({ n: count() })
    .from(tickets)
    .where(eq(tickets.sectionId, section.id))
  return {
    created: responses.filter((r) => r.statusCode === 201).length,
    soldOut: responses.filter((r) => r.statusCode === 409 && r.json().code === 'SOLD_OUT').length,
    ticketRows: rows!.n,
    counts: await sectionCounts(app, section.id),
  }
}

describe('POST /events/{id}/reservations under concurrency', () => {
  let app: App
  beforeAll(async () => {
    if (usingPostgres()) app = await buildBoxOfficeApp(SMALL_BATCHES)
  })
  afterAll(() => app?.close())

  onPostgres(
    'when 50 buyers race for 10 tickets, then exactly 10 get 201 and 40 get 409 SOLD_OUT',
    async () => {
      const race = await raceForTen(app)
      expect(race).toEqual({
        created: 10,
        soldOut: 40,
        ticketRows: 10,
        counts: { held: 10, sold: 0, heldTickets: 10, confirmedTickets: 0 },
      })
    },
  )

  onPostgres(
    'when 20 buyers race for one seat, then exactly 1 gets it and 19 get 409 SEAT_TAKEN',
    async () => {
      const organizer = await registerUser(app)
      const event = await makeEvent(app, organizer, {
        sections: [{ rows: 2, seats_per_row: 5 }],
      })
      const section = event.sections[0]!
      const seat = (await seatsOf(app, event, section.id))[2]!
      const people = await buyers(app, 20)
      const responses = await Promise.all(
        people.map((p) =>
          app.inject({
            method: 'POST',
            url: `/api/v1/events/${event.id}/reservations`,
            headers: p.auth,
            payload: { section_id: section.id, seat_ids: [seat.id] },
          }),
        ),
      )
      const winners = responses.filter((r) => r.statusCode === 201)
      expect(winners).toHaveLength(1)
      expect(winners[0]!.json().tickets[0].seat).toEqual({ id: seat.id, row: 'A', number: 3 })
      expect(responses.filter((r) => r.statusCode === 409).map((r) => r.json().code)).toEqual(
        Array(19).fill('SEAT_TAKEN'),
      )
      expect(await sectionCounts(app, section.id)).toEqual({
        held: 1,
        sold: 0,
        heldTickets: 1,
        confirmedTickets: 0,
      })
    },
  )

  onPostgres(
    'when 30 buyers race for best seats, then no seat is sold twice and counters match',
    async () => {
      const organizer = await registerUser(app)
      const event = await makeEvent(app, organizer, {
        sections: [{ rows: 4, seats_per_row: 5 }],
      })
      const section = event.sections[0]!
      const people = await buyers(app, 30)
      const responses = await Promise.all(
        people.map((p, i) =>
          app.inject({
            method: 'POST',
            url: `/api/v1/events/${event.id}/reservations`,
            headers: p.auth,
            payload: { section_id: section.id, quantity: 1 + (i % 2), together: i % 3 === 0 },
          }),
        ),
      )
      const seatIds = responses
        .filter((r) => r.statusCode === 201)
        .flatMap((r) => r.json().tickets.map((t: { seat: { id: number } }) => t.seat.id))
      expect(new Set(seatIds).size).toBe(seatIds.length)
      expect(seatIds.length).toBe(20)
      for (const r of responses.filter((r) => r.statusCode !== 201)) {
        expect(['SOLD_OUT', 'NO_ADJACENT_SEATS']).toContain(r.json().code)
      }
      expect(await sectionCounts(app, section.id)).toEqual({
        held: 20,
        sold: 0,
        heldTickets: 20,
        confirmedTickets: 0,
      })
    },
  )
})

describe('control: the capacity race test with the guard disabled', () => {
  let app: App
  beforeAll(async () => {
    if (usingPostgres()) {
      app = await buildBoxOfficeApp({ ...SMALL_BATCHES, UNSAFE_DISABLE_GUARDS: 'capacity' })
    }
  })
  afterAll(() => app?.close())

  onPostgres(
    'when the capacity check is a read-then-write without a lock, then 50 buyers oversell 10 tickets',
    async () => {
      const race = await untilRaceShows(
        'capacity',
        () => raceForTen(app),
        (r) => r.created > 10,
      )
      // The same race as above now lets more than 10 through: the test above would fail without the guard.
      console.info(`control: ${race.created} of 50 got a ticket in a section of 10`)
      expect(race.created).toBeGreaterThan(10)
      expect(race.ticketRows).toBe(race.created)
    },
    CONTROL_TIMEOUT_MS,
  )
})

/**
 * The batched path's own guard, alone: the sections' row lock in the reservation statement. The CHECK backstop
 * (held + sold <= capacity) is dropped in both of these databases, so that what holds the line is the lock and
 * nothing else; both run the same path (every buyer is the common case: batched, one statement per batch).
 */
async function withoutBackstop(app: App): Promise<void> {
  await app.ctx.db.execute(sql`alter table sections drop constraint sections_counts_check`)
}

describe("the batched statement's section lock, without the CHECK backstop", () => {
  let app: App
  beforeAll(async () => {
    if (usingPostgres()) {
      app = await buildBoxOfficeApp(SMALL_BATCHES)
      await withoutBackstop(app)
    }
  })
  afterAll(() => app?.close())

  onPostgres(
    'when 50 buyers race for 10 tickets in batches of 3, then the lock alone sells exactly 10',
    async () => {
      const race = await raceForTen(app)
      expect(race).toEqual({
        created: 10,
        soldOut: 40,
        ticketRows: 10,
        counts: { held: 10, sold: 0, heldTickets: 10, confirmedTickets: 0 },
      })
    },
  )
})

describe('control: the same batched path with only the section lock removed (UNSAFE_DISABLE_GUARDS=section-lock)', () => {
  let app: App
  beforeAll(async () => {
    if (usingPostgres()) {
      app = await buildBoxOfficeApp({ ...SMALL_BATCHES, UNSAFE_DISABLE_GUARDS: 'section-lock' })
      await withoutBackstop(app)
    }
  })
  afterAll(() => app?.close())

  onPostgres(
    'when two statements in flight read the same free places, then 50 buyers oversell 10 tickets',
    async () => {
      const race = await untilRaceShows(
        'section-lock',
        () => raceForTen(app),
        (r) => r.created > 10,
      )
      console.info(`control: ${race.created} of 50 got a ticket in a section of 10 without the section lock`)
      // The test above fails here: more than 10 granted, and the claim added them all to the counters.
      expect(race.created).toBeGreaterThan(10)
      expect(race.ticketRows).toBe(race.created)
      expect(race.counts.held).toBe(race.created)
    },
    CONTROL_TIMEOUT_MS,
  )
})
