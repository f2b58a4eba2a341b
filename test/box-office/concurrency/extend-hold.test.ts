// Extending a hold racing the expiry sweep at its deadline, on real PostgreSQL. The control at the end runs the
// same scenario with the extension's row locks switched off (UNSAFE_DISABLE_GUARDS=extend-lock), which must then
// show the race: a hold answered "extended" whose tickets the sweep expired meanwhile.
import { eq, inArray, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { invoices, reservations, tickets } from '../../../src/db/schema/index.js'
import { expireStaleHolds } from '../../../src/modules/box-office/expire-holds.service.js'
import { quickUsers, raceApp, reserveAs, sectionCounts } from '../../factories/boxoffice.js'
import { makeEvent } from '../../factories/events.js'
import { CONTROL_TIMEOUT_MS, untilRaceShows } from '../../factories/race.js'
import { type App, usingPostgres } from '../../helpers.js'

const onPostgres = it.skipIf(!usingPostgres())

const BUYERS = 16

/**
 * 16 holds of two tickets each falling due 200 to 800 ms from now, each extended at a random moment within the
 * next second while sweeps run back to back: some extensions come first, some expiries do. Per hold, what the
 * extension answered and what it left behind.
 */
async function extendWhileSweeping(app: App) {
  const [organizer, ...people] = await quickUsers(app, BUYERS + 1)
  const event = await makeEvent(app, organizer!, { sections: [{ capacity: 2 * BUYERS }] })
  const section = event.sections[0]!
  const made = []
  for (const p of people) {
    const res = await reserveAs(app, p, event.id, { section_id: section.id, quantity: 2 })
    expect(res.statusCode).toBe(201)
    made.push({ person: p, id: res.json().id as number })
  }
  const ids = made.map((m) => m.id)
  await app.ctx.db.execute(sql`
    update reservations set expires_at = now() + interval '200 milliseconds' + random() * interval '600 milliseconds'
    where id in ${ids}`)
  await app.ctx.db.execute(sql`
    update invoices set due_at = reservations.expires_at from reservations
    where invoices.reservation_id = reservations.id and reservations.id in ${ids}`)
  let extending = true
  const sweeps = (async () => {
    while (extending) {
      await expireStaleHolds(app.ctx)
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  const answers = await Promise.all(
    made.map(async (m) => {
      await new Promise((r) => setTimeout(r, Math.random() * 1000))
      return app.inject({
        method: 'POST',
        url: `/api/v1/reservations/${m.id}/extend`,
        headers: m.person.auth,
      })
    }),
  )
  extending = false
  await sweeps
  await new Promise((r) => setTimeout(r, 50))
  await expireStaleHolds(app.ctx)

  const outcomes = []
  for (const [i, res] of answers.entries()) {
    const id = made[i]!.id
    const [r] = await app.ctx.db
      .select({ extended: sql<boolean>`${reservations.expiresAt} > now() + interval '1 minute'` })
      .from(reservations)
      .where(eq(reservations.id, id))
    const bills = await app.ctx.db
      .select({
        status: invoices.status,
        sameTime: sql<boolean>`${invoices.dueAt} = (select expires_at from reservations where id = ${id})`,
      })
      .from(invoices)
      .where(eq(invoices.reservationId, id))
    const states = await app.ctx.db
      .select({ status: tickets.status })
      .from(tickets)
      .where(inArray(tickets.reservationId, [id]))
    outcomes.push({
      answer: res.statusCode === 200 ? 200 : [res.statusCode, res.json().code],
      left: {
        extended: r!.extended,
        invoices: bills.map((b) => [b.status, b.sameTime]),
        tickets: states.map((t) => t.status),
      },
    })
  }
  return { outcomes, counts: await sectionCounts(app, section.id) }
}

const ALL_EXTENDED = { extended: true, invoices: [['open', true]], tickets: ['held', 'held'] }
const ALL_EXPIRED = { extended: false, invoices: [['expired', true]], tickets: ['expired', 'expired'] }

describe('POST /reservations/{id}/extend racing the expiry sweep', () => {
  const app = raceApp()
  onPostgres(
    'when holds at their deadline are extended while sweeps run, then each is all extended or all expired',
    async () => {
      const { outcomes, counts } = await extendWhileSweeping(app())
      let extended = 0
      for (const { answer, left } of outcomes) {
        if (answer === 200) {
          extended++
          expect(left).toEqual(ALL_EXTENDED)
        } else {
          expect(answer).toEqual([409, 'HOLD_NOT_EXTENDABLE'])
          expect(left).toEqual(ALL_EXPIRED)
        }
      }
      console.info(`extension vs sweep: ${extended} extended, ${outcomes.length - extended} expired`)
      expect(counts).toEqual({ held: 2 * extended, sold: 0, heldTickets: 2 * extended, confirmedTickets: 0 })
    },
  )
})

describe('control: the extension races with its row locks disabled', () => {
  // A connection for each extension (an unlocked one holds its connection through its pause) and the sweeps.
  const app = raceApp('extend-lock', BUYERS + 6)
  onPostgres(
    'when an extension checks the hold without locking it, then a sweep expires a hold that is then "extended"',
    async () => {
      const { outcomes } = await untilRaceShows(
        'extend-lock',
        () => extendWhileSweeping(app()),
        (r) => r.outcomes.some((o) => o.answer === 200 && o.left.tickets.includes('expired')),
      )
      // Answered 200 with a later expiry, but the tickets went back on sale: the test above fails on these.
      const torn = outcomes.filter((o) => o.answer === 200 && o.left.tickets.includes('expired'))
      console.info(`control: ${torn.length} of ${outcomes.length} holds "extended" after they expired`)
      expect(torn.length).toBeGreaterThan(0)
    },
    CONTROL_TIMEOUT_MS,
  )
})
