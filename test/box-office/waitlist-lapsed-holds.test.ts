// Places that a lapsed hold gives back belong to the waiting list first, whoever notices the lapse: a buyer who
// is not waiting, someone joining the list, or no one at all (the job armed for the hold's due time). Before,
// the places waited for the every-minute sweep, and a buyer who came first took them.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitlistEntries } from '../../src/db/schema/index.js'
import { expireStaleHolds } from '../../src/modules/box-office/expire-holds.service.js'
import {
  buildBoxOfficeApp,
  getAs,
  lapseReservation,
  quickUsers,
  reserveAs,
  sectionCounts,
} from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { armedWaitlistJobs, joinAs, pendingWaitlistJobs } from '../factories/waitlist.js'
import type { App, TestUser } from '../helpers.js'

async function entryOf(app: App, id: number) {
  const [row] = await app.ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.id, id))
  return row!
}

/** A section shown on the event page: its counters as the API gives them. */
async function shownSection(app: App, user: TestUser, eventId: number, sectionId: number) {
  const event = (await getAs(app, user, `/events/${eventId}`)).body
  const s = event.sections.find((x: { id: number }) => x.id === sectionId)
  return { held: s.held, sold: s.sold, available: s.available }
}

describe('a lapsed hold the sweep has not reached, with someone waiting (no worker runs)', () => {
  let app: App
  let organizer: TestUser
  beforeAll(async () => {
    app = await buildBoxOfficeApp()
    organizer = (await quickUsers(app, 1))[0]!
  })
  afterAll(() => app.close())

  type Kind = 'general' | 'general with a per-user limit' | 'seated'
  /**
   * A section of `capacity` whose every place A holds and lets lapse, with B waiting for `wants` (together in a
   * seated section). Each kind takes another way through a reservation: the batched statement, the
   * transaction that takes the per-user lock, the seat picking.
   */
  async function lapsedWithOneWaiting(kind: Kind, capacity: number, wants: number, sweep = false) {
    const section =
      kind === 'seated'
        ? { rows: 1, seats_per_row: capacity, price_cents: 2000 }
        : { capacity, price_cents: 2000 }
    const event = await makeEvent(app, organizer, {
      max_tickets_per_user: kind === 'general with a per-user limit' ? 4 : null,
      sections: [section],
    })
    const s = event.sections[0]!
    const [a, b, x] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
    const hold = await reserveAs(app, a, event.id, { section_id: s.id, quantity: capacity })
    expect(hold.statusCode).toBe(201)
    const joined = await joinAs(app, b, event.id, {
      section_id: s.id,
      quantity: wants,
      together: kind === 'seated',
    })
    expect(joined.statusCode).toBe(201)
    await lapseReservation(app, hold.json().id)
    if (sweep) await expireStaleHolds(app.ctx)
    return { event, section: s, b, x, entry: joined.json() as { id: number } }
  }

  it.each<Kind>(['general', 'general with a per-user limit', 'seated'])(
    'in a %s section, when a buyer who is not waiting comes after the lapse, then the entry is offered first and the buyer gets 409 SOLD_OUT',
    async (kind) => {
      const { event, section, b, x, entry } = await lapsedWithOneWaiting(kind, 2, 2)
      const before = await shownSection(app, x, event.id, section.id)
      const bought = await reserveAs(app, x, event.id, { section_id: section.id, quantity: 1 })
      const offered = await entryOf(app, entry.id)
      const mine = (await getAs(app, b, '/users/me/waitlist')).body.data[0]
      const result = {
        shownBefore: before,
        buyer: [bought.statusCode, bought.json().code],
        entry: offered.status,
        shownEntry: { status: mine.status, position: mine.position },
        counts: await sectionCounts(app, section.id),
        shownAfter: await shownSection(app, x, event.id, section.id),
      }
      console.log(`lapsed hold, ${kind}: ${JSON.stringify(result)}`)
      expect(result).toEqual({
        shownBefore: { held: 0, sold: 0, available: 2 },
        buyer: [409, 'SOLD_OUT'],
        entry: 'offered',
        shownEntry: { status: 'offered', position: null },
        counts: { held: 2, sold: 0, heldTickets: 2, confirmedTickets: 0 },
        shownAfter: { held: 2, sold: 0, available: 0 },
      })
      const offer = (await getAs(app, b, `/reservations/${offered.reservationId}`)).body
      expect(offer.tickets).toHaveLength(2)
      expect(offer.invoices.map((i: { status: string }) => i.status)).toEqual(['open'])
    },
  )

  it('when more places lapsed than the entry wants, then the buyer gets what is left after it, and no more', async () => {
    const { event, section, x, entry } = await lapsedWithOneWaiting('general', 3, 2)
    const two = await reserveAs(app, x, event.id, { section_id: section.id, quantity: 2 })
    expect([two.statusCode, two.json().code]).toEqual([409, 'SOLD_OUT'])
    expect((await entryOf(app, entry.id)).status).toBe('offered')
    const one = await reserveAs(app, x, event.id, { section_id: section.id, quantity: 1 })
    expect(one.statusCode).toBe(201)
    expect(await sectionCounts(app, section.id)).toEqual({
      held: 3,
      sold: 0,
      heldTickets: 3,
      confirmedTickets: 0,
    })
  })

  it('when the sweep gave the places back and the serving job has not run yet, then a buyer still comes after the entry', async () => {
    const { event, section, x, entry } = await lapsedWithOneWaiting('general', 2, 2, true)
    expect(await pendingWaitlistJobs(app)).toContain(section.id)
    expect(await shownSection(app, x, event.id, section.id)).toEqual({ held: 0, sold: 0, available: 2 })
    const bought = await reserveAs(app, x, event.id, { section_id: section.id, quantity: 1 })
    expect([bought.statusCode, bought.json().code]).toEqual([409, 'SOLD_OUT'])
    expect((await entryOf(app, entry.id)).status).toBe('offered')
  })

  it('when the places owed to the waiting entry are all it fits, then a joiner is put on the list behind it (201) and the entry is offered', async () => {
    const { event, section, entry } = await lapsedWithOneWaiting('general', 2, 2)
    const [y] = (await quickUsers(app, 1)) as [TestUser]
    const joined = await joinAs(app, y, event.id, { section_id: section.id, quantity: 1 })
    expect(joined.statusCode).toBe(201)
    expect(joined.json()).toMatchObject({ status: 'waiting', position: 1 })
    expect((await entryOf(app, entry.id)).status).toBe('offered')
    expect(await shownSection(app, y, event.id, section.id)).toEqual({ held: 2, sold: 0, available: 0 })
  })

  it('when places are left for a joiner once the waiting entry is served, then 409 SEATS_AVAILABLE, and the entry keeps its offer', async () => {
    const { event, section, entry } = await lapsedWithOneWaiting('general', 3, 2)
    const [y] = (await quickUsers(app, 1)) as [TestUser]
    const joined = await joinAs(app, y, event.id, { section_id: section.id, quantity: 1 })
    expect([joined.statusCode, joined.json().code]).toEqual([409, 'SEATS_AVAILABLE'])
    expect((await entryOf(app, entry.id)).status).toBe('offered')
    // Two do not fit in the one place left: that request may wait.
    const [z] = (await quickUsers(app, 1)) as [TestUser]
    expect((await joinAs(app, z, event.id, { section_id: section.id, quantity: 2 })).statusCode).toBe(201)
  })

  it('when someone joins behind holds, then one serving job is armed for the first hold’s due time, however many join', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 3 }] })
    const section = event.sections[0]!
    const [a1, a2, b, c] = (await quickUsers(app, 4)) as [TestUser, TestUser, TestUser, TestUser]
    const first = (await reserveAs(app, a1, event.id, { section_id: section.id, quantity: 2 })).json()
    await reserveAs(app, a2, event.id, { section_id: section.id, quantity: 1 })
    for (const w of [b, c]) {
      expect((await joinAs(app, w, event.id, { section_id: section.id, quantity: 1 })).statusCode).toBe(201)
    }
    const armed = (await armedWaitlistJobs(app)).filter((j) => j.sectionId === section.id)
    expect(armed).toEqual([{ sectionId: section.id, startAfter: first.expires_at }])
  })

  it('when a lapsed hold fills the section and no one waits, then joining answers 409 SEATS_AVAILABLE (a reservation would get it)', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 2 }] })
    const section = event.sections[0]!
    const [a, y] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    const hold = (await reserveAs(app, a, event.id, { section_id: section.id, quantity: 2 })).json()
    await lapseReservation(app, hold.id)
    const joined = await joinAs(app, y, event.id, { section_id: section.id, quantity: 1 })
    expect([joined.statusCode, joined.json().code]).toEqual([409, 'SEATS_AVAILABLE'])
    expect((await reserveAs(app, y, event.id, { section_id: section.id, quantity: 2 })).statusCode).toBe(201)
  })
})

describe('the offer after a lapse, when no one else comes (an in-process worker, no sweep)', () => {
  let app: App
  beforeAll(async () => {
    // The sweep is not scheduled in tests (JOBS_SCHEDULES_ENABLED=false): only the job armed for the hold's
    // due time can make these offers.
    app = await buildBoxOfficeApp({
      WORKERS_IN_PROCESS: 'true',
      RESERVATION_TTL: '3',
      WAITLIST_OFFER_TTL: '3',
    })
  })
  afterAll(() => app.close())

  /** Waits for an entry to leave `waiting`; its status and when that was seen. */
  async function offeredWithin(entryId: number, ms: number) {
    const start = Date.now()
    let row = await entryOf(app, entryId)
    while (row.status === 'waiting' && Date.now() - start < ms) {
      await new Promise((r) => setTimeout(r, 200))
      row = await entryOf(app, entryId)
    }
    return { status: row.status, seenAt: Date.now(), reservationId: row.reservationId }
  }

  it('when a hold lapses, then the first entry is offered within seconds of its expiry, and when that offer lapses the next one is', async () => {
    const [organizer, a, b, c] = (await quickUsers(app, 4)) as [TestUser, TestUser, TestUser, TestUser]
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 2 }] })
    const section = event.sections[0]!
    const hold = (await reserveAs(app, a, event.id, { section_id: section.id, quantity: 2 })).json()
    const eb = (await joinAs(app, b, event.id, { section_id: section.id, quantity: 2 })).json()
    const ec = (await joinAs(app, c, event.id, { section_id: section.id, quantity: 2 })).json()
    expect([eb.position, ec.position]).toEqual([1, 2])

    const first = await offeredWithin(eb.id, 12_000)
    expect(first.status).toBe('offered')
    const offer = (await getAs(app, b, `/reservations/${first.reservationId}`)).body

    // B does not pay: the offer lapses and C is offered, again without anyone asking.
    const second = await offeredWithin(ec.id, 12_000)
    expect(second.status).toBe('offered')
    const next = (await getAs(app, c, `/reservations/${second.reservationId}`)).body
    const msAfter = (due: string, made: string) => new Date(made).getTime() - new Date(due).getTime()
    const delays = {
      firstOffer: msAfter(hold.expires_at, offer.created_at),
      secondOffer: msAfter(offer.expires_at, next.created_at),
    }
    console.log(`offers after a lapse, ms after the due time: ${JSON.stringify(delays)}`)
    expect((await entryOf(app, eb.id)).status).toBe('expired')
    // The worker polls every 0.5 s here (2 s by default): an offer follows its due time by about that, not by
    // up to the sweep's minute.
    for (const ms of Object.values(delays)) {
      expect(ms).toBeGreaterThanOrEqual(0)
      expect(ms).toBeLessThan(4_000)
    }
  }, 40_000)
})
