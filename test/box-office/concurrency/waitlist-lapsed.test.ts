// Buyers who are not waiting, all at once, after a hold lapsed in a section where someone waits, on real
// PostgreSQL: each buyer serves the waiting list before claiming (under the event's and the section's locks),
// so the entry is offered first and exactly once, and the buyers share what is left. The control switches off
// the serving lock and must show the entry offered more than once.
import { and, count, eq, inArray } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { reservations, tickets, waitlistEntries } from '../../../src/db/schema/index.js'
import { expireStaleHolds } from '../../../src/modules/box-office/expire-holds.service.js'
import { lapseReservation, quickUsers, raceApp, reserveAs, sectionCounts } from '../../factories/boxoffice.js'
import { makeEvent } from '../../factories/events.js'
import { CONTROL_TIMEOUT_MS, untilRaceShows } from '../../factories/race.js'
import { joinAs, pendingWaitlistJobs } from '../../factories/waitlist.js'
import { type App, usingPostgres } from '../../helpers.js'

const onPostgres = it.skipIf(!usingPostgres())

/**
 * A general section of 3 that A holds whole; B waits for 1. A's hold lapses (and, with `swept`, the sweep gives
 * the places back and enqueues the serving job, which does not run); then 10 buyers reserve 1 each at once.
 * `limit`: the event's max_tickets_per_user (null: none), which sends the buyers through the transaction that
 * takes their per-user lock before serving.
 */
async function buyersAfterLapse(app: App, swept: boolean, limit: number | null) {
  const [organizer, a, b, ...buyers] = await quickUsers(app, 13)
  const event = await makeEvent(app, organizer!, {
    max_tickets_per_user: limit,
    sections: [{ capacity: 3 }],
  })
  const section = event.sections[0]!
  const hold = (await reserveAs(app, a!, event.id, { section_id: section.id, quantity: 3 })).json()
  const entry = (await joinAs(app, b!, event.id, { section_id: section.id, quantity: 1 })).json()
  if (!entry.id) throw new Error(`join failed: ${JSON.stringify(entry)}`)
  await lapseReservation(app, hold.id)
  if (swept) {
    await expireStaleHolds(app.ctx)
    if (!(await pendingWaitlistJobs(app)).includes(section.id)) throw new Error('no serving job enqueued')
  }
  const answers = await Promise.all(
    buyers.map((x) => reserveAs(app, x, event.id, { section_id: section.id })),
  )
  const [offers] = await app.ctx.db
    .select({ n: count() })
    .from(reservations)
    .where(and(eq(reservations.bookerId, b!.id), eq(reservations.eventId, event.id)))
  const [live] = await app.ctx.db
    .select({ n: count() })
    .from(tickets)
    .where(and(eq(tickets.sectionId, section.id), inArray(tickets.status, ['held', 'confirmed'])))
  const [row] = await app.ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.id, entry.id))
  return {
    offersToB: offers!.n,
    entry: row!.status,
    buyersServed: answers.filter((r) => r.statusCode === 201).length,
    soldOut: answers.filter((r) => r.statusCode === 409 && r.json().code === 'SOLD_OUT').length,
    liveTickets: live!.n,
    counts: await sectionCounts(app, section.id),
  }
}

describe('buyers at once after a lapse, with someone waiting', () => {
  const app = raceApp()
  onPostgres(
    'when 10 buyers come together after a hold lapsed, then the waiting entry is offered once and first, and the buyers share what is left',
    async () => {
      for (const [swept, limit] of [
        [false, null],
        [true, null],
        [false, 4],
        [true, 4],
      ] as const) {
        const race = await buyersAfterLapse(app(), swept, limit)
        console.log(`buyers after a lapse (guarded, swept ${swept}, limit ${limit}): ${JSON.stringify(race)}`)
        expect(race).toEqual({
          offersToB: 1,
          entry: 'offered',
          buyersServed: 2,
          soldOut: 8,
          liveTickets: 3,
          counts: { held: 3, sold: 0, heldTickets: 3, confirmedTickets: 0 },
        })
      }
    },
    120_000,
  )
})

describe('buyers at once after a lapse: control without the serving lock', () => {
  // As in waitlist-vouchers.test.ts: the per-user lock an offer takes would also keep two buyers' serving off
  // one entry, so it goes too.
  const app = raceApp('waitlist,ticket-limit')
  onPostgres(
    'when the section lock of serving is off, then buyers serving the list together offer the entry more than once (the race is real)',
    async () => {
      const race = await untilRaceShows(
        'waitlist,ticket-limit',
        () => buyersAfterLapse(app(), true, null),
        (r) => r.offersToB > 1,
      )
      console.log(
        `buyers after a lapse (control, UNSAFE_DISABLE_GUARDS=waitlist,ticket-limit): ${JSON.stringify(race)}`,
      )
      expect(race.offersToB).toBeGreaterThan(1)
    },
    CONTROL_TIMEOUT_MS,
  )
})
