// The waiting list and vouchers under concurrency, on real PostgreSQL (PGlite has one connection, so nothing
// runs concurrently there). Each race test has a control with the guard it relies on switched off, which must
// show the race.
import { and, count, eq, inArray, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { reservations, tickets, vouchers, waitlistEntries } from '../../../src/db/schema/index.js'
import { expireStaleHolds } from '../../../src/modules/box-office/expire-holds.service.js'
import { serveWaitlist } from '../../../src/modules/box-office/waitlist.serve.js'
import { lapseReservation, quickUsers, raceApp, reserveAs, sectionCounts } from '../../factories/boxoffice.js'
import { makeEvent } from '../../factories/events.js'
import { CONTROL_TIMEOUT_MS, untilRaceShows } from '../../factories/race.js'
import { joinAs, pendingWaitlistJobs } from '../../factories/waitlist.js'
import { type App, type TestUser, usingPostgres } from '../../helpers.js'

const onPostgres = it.skipIf(!usingPostgres())

/**
 * Two holds of a general section of 2 lapse at once and both places come back; three people wait for one
 * place each. The two jobs the freeing enqueued (one per freed place here: each hold lapses in its own sweep)
 * run at the same moment. Returns how many reservations each waiting person got, and the section's state.
 */
async function twoPlacesFreedAtOnce(app: App) {
  const [organizer, h1, h2, ...waiting] = await quickUsers(app, 6)
  const event = await makeEvent(app, organizer!, { sections: [{ capacity: 2 }] })
  const section = event.sections[0]!
  const holds = [
    (await reserveAs(app, h1!, event.id, { section_id: section.id })).json(),
    (await reserveAs(app, h2!, event.id, { section_id: section.id })).json(),
  ]
  for (const w of waiting) {
    const joined = await joinAs(app, w, event.id, { section_id: section.id, quantity: 1 })
    if (joined.statusCode !== 201) throw new Error(`join failed: ${joined.body}`)
  }
  for (const hold of holds) await lapseReservation(app, hold.id)
  await expireStaleHolds(app.ctx)
  const jobs = await pendingWaitlistJobs(app)
  await Promise.all([serveWaitlist(app.ctx, section.id), serveWaitlist(app.ctx, section.id)])
  const perPerson = await app.ctx.db
    .select({ booker: reservations.bookerId, n: count() })
    .from(reservations)
    .where(
      inArray(
        reservations.bookerId,
        waiting.map((w) => w.id),
      ),
    )
    .groupBy(reservations.bookerId)
  return {
    jobs: jobs.length,
    reservationsPerPerson: waiting.map((w) => perPerson.find((p) => p.booker === w.id)?.n ?? 0),
    counts: await sectionCounts(app, section.id),
  }
}

describe('the waiting list under concurrency', () => {
  const app = raceApp()
  onPostgres(
    'when two places are freed at once and two jobs serve them together, then no entry is offered twice',
    async () => {
      const race = await twoPlacesFreedAtOnce(app())
      console.log(`waitlist race (guarded): ${JSON.stringify(race)}`)
      expect(race.jobs).toBeGreaterThanOrEqual(1)
      expect(race.reservationsPerPerson).toEqual([1, 1, 0])
      expect(race.counts).toEqual({ held: 2, sold: 0, heldTickets: 2, confirmedTickets: 0 })
    },
  )
})

describe('the waiting list under concurrency: control without the serving lock', () => {
  // The per-user lock an offer takes to count the owner's tickets (a run that finds it busy passes the entry
  // by) would also keep two runs off one entry, so it goes too: then nothing keeps them apart.
  const app = raceApp('waitlist,ticket-limit')
  onPostgres(
    'when the section lock of serving is off, then the same entry is offered twice (the race is real)',
    async () => {
      const race = await untilRaceShows(
        'waitlist,ticket-limit',
        () => twoPlacesFreedAtOnce(app()),
        (r) => r.reservationsPerPerson[0] === 2,
      )
      console.log(
        `waitlist race (control, UNSAFE_DISABLE_GUARDS=waitlist,ticket-limit): ${JSON.stringify(race)}`,
      )
      expect(race.reservationsPerPerson[0]).toBe(2)
    },
    CONTROL_TIMEOUT_MS,
  )
})

/**
 * A general section of 2 with both places free and two entries that want 2 each (written to the database: the
 * API turns a join away while places are free, and a hold given back first would need the capacity claim that
 * the control switches off). Two serving runs start together, and 10 buyers `buyersAfterMs` later. Returns the
 * live tickets against the capacity.
 */
async function offersAgainstBuyers(app: App, buyersAfterMs = 0) {
  const [organizer, w1, w2, ...buyers] = await quickUsers(app, 13)
  const event = await makeEvent(app, organizer!, { sections: [{ capacity: 2 }] })
  const section = event.sections[0]!
  await app.ctx.db
    .insert(waitlistEntries)
    .values([w1!, w2!].map((w) => ({ eventId: event.id, sectionId: section.id, userId: w.id, quantity: 2 })))
  const [, , ...answers] = await Promise.all([
    serveWaitlist(app.ctx, section.id),
    serveWaitlist(app.ctx, section.id),
    ...buyers.map(async (b: TestUser) => {
      if (buyersAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, buyersAfterMs))
      return reserveAs(app, b, event.id, { section_id: section.id })
    }),
  ])
  const [live] = await app.ctx.db
    .select({ n: count() })
    .from(tickets)
    .where(and(eq(tickets.sectionId, section.id), inArray(tickets.status, ['held', 'confirmed'])))
  const offered = await app.ctx.db
    .select({ n: count() })
    .from(waitlistEntries)
    .where(and(eq(waitlistEntries.sectionId, section.id), eq(waitlistEntries.status, 'offered')))
  return {
    capacity: 2,
    liveTickets: live!.n,
    offers: offered[0]!.n,
    buyersServed: answers.filter((r) => typeof r === 'object' && r.statusCode === 201).length,
  }
}

describe('waiting-list offers never oversell', () => {
  const app = raceApp()
  onPostgres(
    'when offers and buyers race for the places that came back, then live tickets never exceed capacity',
    async () => {
      for (const buyersAfterMs of [0, 150]) {
        const race = await offersAgainstBuyers(app(), buyersAfterMs)
        console.log(
          `offer oversell race (guarded, buyers after ${buyersAfterMs} ms): ${JSON.stringify(race)}`,
        )
        expect(race.liveTickets).toBeLessThanOrEqual(2)
        expect(race.offers * 2 + race.buyersServed).toBe(race.liveTickets)
      }
    },
  )
})

describe('waiting-list offers never oversell: control without the capacity claim', () => {
  const app = raceApp('capacity,waitlist')
  onPostgres(
    'when the reservation statement claims no capacity, then the section is oversold (the race is real)',
    async () => {
      // Without the claim, who oversells depends on timing: the serving runs pause 0.3 s before their write,
      // so buyers starting at once may fill the section and commit before the runs look. The buyers' start is
      // moved through the runs' window, twice over, until the race shows (each try is a new event).
      const tries: { buyersAfterMs: number; liveTickets: number }[] = []
      for (const buyersAfterMs of [0, 150, 300, 600, 0, 150, 300, 600]) {
        const race = await offersAgainstBuyers(app(), buyersAfterMs)
        tries.push({ buyersAfterMs, liveTickets: race.liveTickets })
        console.log(
          `offer oversell race (control, UNSAFE_DISABLE_GUARDS=capacity,waitlist, buyers after ${buyersAfterMs} ms): ${JSON.stringify(race)}`,
        )
        if (race.liveTickets > 2) break
      }
      expect(Math.max(...tries.map((t) => t.liveTickets))).toBeGreaterThan(2)
    },
    CONTROL_TIMEOUT_MS,
  )
})

/**
 * An event with max_tickets_per_user 2: its section A has 2 free places and one entry, w's, for 2 (written to
 * the database, as above); its section B has room. A serving run of A starts, and w reserves 1 ticket of B
 * `reserveAfterMs` later (a negative figure: that much earlier). Returns w's live tickets and what each side got.
 */
async function offerAgainstOwnReservation(app: App, reserveAfterMs: number) {
  const [organizer, w] = (await quickUsers(app, 2)) as [TestUser, TestUser]
  const event = await makeEvent(app, organizer, {
    max_tickets_per_user: 2,
    sections: [{ capacity: 2 }, { capacity: 10 }],
  })
  const [a, b] = [event.sections[0]!, event.sections[1]!]
  await app.ctx.db
    .insert(waitlistEntries)
    .values({ eventId: event.id, sectionId: a.id, userId: w.id, quantity: 2 })
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
  const [offers, reserved] = await Promise.all([
    pause(-reserveAfterMs).then(() => serveWaitlist(app.ctx, a.id)),
    (async () => {
      await pause(reserveAfterMs)
      return reserveAs(app, w, event.id, { section_id: b.id })
    })(),
  ])
  const [live] = await app.ctx.db
    .select({ n: count() })
    .from(tickets)
    .where(
      and(
        eq(tickets.eventId, event.id),
        eq(tickets.holderId, w.id),
        inArray(tickets.status, ['held', 'confirmed']),
      ),
    )
  return { limit: 2, liveTickets: live!.n, offers, reserved: reserved.statusCode }
}

describe('waiting-list offers keep the per-user limit under concurrency', () => {
  const app = raceApp()
  onPostgres(
    'when an offer for 2 and the same user’s own reservation race, then the user never has more than the limit',
    async () => {
      for (const reserveAfterMs of [-300, 0, 100, 250]) {
        const race = await offerAgainstOwnReservation(app(), reserveAfterMs)
        console.log(`offer limit race (guarded, reserve after ${reserveAfterMs} ms): ${JSON.stringify(race)}`)
        expect(race.liveTickets).toBeLessThanOrEqual(2)
        expect(race.liveTickets).toBe(race.offers * 2 + (race.reserved === 201 ? 1 : 0))
      }
    },
  )
})

describe('waiting-list offers keep the per-user limit: control without the per-user lock', () => {
  const app = raceApp('ticket-limit')
  onPostgres(
    'when the per-user lock is off, then the offer and the reservation both count 0 and the user passes the limit (the race is real)',
    async () => {
      // Each side pauses 0.2 s between its count and its write; which one reaches its count first depends on the
      // machine's load (the reservation goes through HTTP first), so its start moves through the serving run's
      // window, before and after, until the two overlap (each try is a new event).
      const tries: number[] = []
      for (const reserveAfterMs of [0, -50, -100, 50, -150, 100, -200, 150, -250, 200, -300, 300, -400]) {
        const race = await offerAgainstOwnReservation(app(), reserveAfterMs)
        tries.push(race.liveTickets)
        console.log(
          `offer limit race (control, UNSAFE_DISABLE_GUARDS=ticket-limit, reserve after ${reserveAfterMs} ms): ${JSON.stringify(race)}`,
        )
        if (race.liveTickets > 2) break
      }
      expect(Math.max(...tries)).toBeGreaterThan(2)
    },
    CONTROL_TIMEOUT_MS,
  )
})

/** 20 buyers at once with a voucher that has 3 uses left (max_uses 5, 2 used). */
async function lastThreeUses(app: App) {
  const [organizer, early, ...buyers] = await quickUsers(app, 22)
  const event = await makeEvent(app, organizer!, { sections: [{ capacity: 100 }] })
  const section = event.sections[0]!
  const created = await app.inject({
    method: 'POST',
    url: `/api/v1/events/${event.id}/vouchers`,
    headers: organizer!.auth,
    payload: { code: 'LAST3', kind: 'percent', value: 50, max_uses: 5 },
  })
  const voucherId = created.json().id as number
  for (let i = 0; i < 2; i++)
    await reserveAs(app, early!, event.id, { section_id: section.id, voucher_code: 'last3' })
  const answers = await Promise.all(
    buyers.map((b) => reserveAs(app, b, event.id, { section_id: section.id, voucher_code: 'LAST3' })),
  )
  const [row] = await app.ctx.db.select().from(vouchers).where(eq(vouchers.id, voucherId))
  const [carried] = await app.ctx.db
    .select({ n: count() })
    .from(reservations)
    .where(eq(reservations.voucherId, voucherId))
  return {
    created: answers.filter((r) => r.statusCode === 201).length,
    exhausted: answers.filter((r) => r.statusCode === 409 && r.json().code === 'VOUCHER_EXHAUSTED').length,
    uses: row!.uses,
    reservationsWithVoucher: carried!.n,
  }
}

describe('voucher max_uses under concurrency', () => {
  const app = raceApp()
  onPostgres(
    'when 20 buyers race for the last 3 uses, then exactly 3 get it and 17 get VOUCHER_EXHAUSTED',
    async () => {
      const race = await lastThreeUses(app())
      console.log(`voucher race (guarded): ${JSON.stringify(race)}`)
      expect(race).toEqual({ created: 3, exhausted: 17, uses: 5, reservationsWithVoucher: 5 })
    },
  )
})

describe('voucher max_uses under concurrency: control without the conditional count', () => {
  const app = raceApp('voucher')
  onPostgres(
    'when the use is counted by read-then-write, then more than 3 buyers get the last 3 uses (the race is real)',
    async () => {
      const race = await untilRaceShows(
        'voucher',
        () => lastThreeUses(app()),
        (r) => r.created > 3,
      )
      console.log(`voucher race (control, UNSAFE_DISABLE_GUARDS=voucher): ${JSON.stringify(race)}`)
      expect(race.created).toBeGreaterThan(3)
      expect(race.reservationsWithVoucher).toBeGreaterThan(5)
      await app().ctx.db.execute(sql`select 1`)
    },
    CONTROL_TIMEOUT_MS,
  )
})
