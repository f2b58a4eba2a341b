// Reservations that arrive together are written by one statement (reserve.batch.ts). Each request still
// gets the answer it would have had alone: granted in arrival order while its tickets fit, refused otherwise,
// and the requests that are not of the common case (seated, a per-user limit, a draft, a section of another
// event) go their own way. Runs on both databases: the batch forms whenever requests queue behind a statement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeBatched } from '../../src/modules/box-office/reserve.batch.js'
import type { WriteInput } from '../../src/modules/box-office/reserve.write.js'
import { buildBoxOfficeApp, quickUsers, reserveAs, sectionCounts } from '../factories/boxoffice.js'
import { GENERAL_AND_VIP, makeEvent } from '../factories/events.js'
import { type App, registerUser } from '../helpers.js'

describe('reservations written together', () => {
  let app: App
  beforeAll(async () => {
    app = await buildBoxOfficeApp()
  })
  afterAll(() => app.close())

  it('when requests of every kind arrive at once, then each gets its own answer and the counters add up', async () => {
    const organizer = await registerUser(app)
    const small = await makeEvent(app, organizer, { sections: [{ capacity: 6 }] })
    const big = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const limited = await makeEvent(app, organizer, { max_tickets_per_user: 1, sections: [{ capacity: 10 }] })
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const [first, ...people] = await quickUsers(app, 10)
    const smallSection = small.sections[0].id
    const [general, vip] = big.sections
    expect(
      (await reserveAs(app, first!, small.id, { section_id: smallSection, quantity: 4 })).statusCode,
    ).toBe(201)

    const [p0, p1, p2, p3, p4, p5, p6, p7, p8] = people
    const responses = await Promise.all([
      // 2 places left: in arrival order, 4 does not fit, then 1 and 1 do (as one by one they would).
      reserveAs(app, p0!, small.id, { section_id: smallSection, quantity: 4 }),
      reserveAs(app, p1!, small.id, { section_id: smallSection, quantity: 1 }),
      reserveAs(app, p2!, small.id, { section_id: smallSection, quantity: 1 }),
      reserveAs(app, p3!, big.id, { section_id: general.id, quantity: 3 }),
      reserveAs(app, p4!, big.id, { section_id: vip.id, quantity: 2, together: true }),
      reserveAs(app, p5!, limited.id, { section_id: limited.sections[0].id, quantity: 2 }),
      reserveAs(app, p6!, draft.id, { section_id: draft.sections[0].id, quantity: 1 }),
      reserveAs(app, p7!, big.id, { section_id: smallSection, quantity: 1 }),
      reserveAs(app, p8!, big.id, { section_id: general.id, quantity: 2 }),
    ])

    const answers = responses.map((r) => (r.statusCode === 201 ? 201 : `${r.statusCode} ${r.json().code}`))
    expect(answers).toEqual([
      '409 SOLD_OUT',
      201,
      201,
      201,
      201,
      '409 TICKET_LIMIT_EXCEEDED',
      '404 NOT_FOUND',
      '404 NOT_FOUND',
      201,
    ])
    // Each answer is its own reservation: its booker, its section, its tickets, its invoice.
    const mine = (i: number) => responses[i]!.json()
    expect(mine(1).tickets).toHaveLength(1)
    expect(mine(3).tickets.map((t: { section: { id: number } }) => t.section.id)).toEqual([
      general.id,
      general.id,
      general.id,
    ])
    expect(mine(3).invoices).toMatchObject([{ amount_cents: 3 * general.price_cents, status: 'open' }])
    expect(mine(8).invoices).toMatchObject([{ amount_cents: 2 * general.price_cents }])
    expect(mine(4).tickets.map((t: { seat: { row: string } }) => t.seat.row)).toEqual(['A', 'A'])
    const numbers = [1, 2, 3, 4, 8].map((i) => mine(i).invoices[0].number)
    expect(new Set(numbers).size).toBe(5)
    for (const i of [1, 2, 3, 8]) {
      expect(mine(i).tickets.every((t: { holder: { id: number } }) => t.holder.id === people[i]!.id)).toBe(
        true,
      )
    }

    expect(await sectionCounts(app, smallSection)).toMatchObject({ held: 6, heldTickets: 6 })
    expect(await sectionCounts(app, general.id)).toMatchObject({ held: 5, heldTickets: 5 })
    expect(await sectionCounts(app, vip.id)).toMatchObject({ held: 2, heldTickets: 2 })
  })

  it('when 12 buyers reserve at once, then their reservations take fewer statements than one each (and one each with RESERVATION_BATCH_SIZE=1)', async () => {
    const statementsFor = async (target: App) => {
      const organizer = await registerUser(target)
      const event = await makeEvent(target, organizer, { sections: [{ capacity: 100 }] })
      const buyers = await quickUsers(target, 12)
      const before = target.database.queryCount()
      const responses = await Promise.all(
        buyers.map((b) => reserveAs(target, b, event.id, { section_id: event.sections[0].id, quantity: 1 })),
      )
      const sent = target.database.queryCount() - before
      expect(responses.map((r) => r.statusCode)).toEqual(buyers.map(() => 201))
      expect(await sectionCounts(target, event.sections[0].id)).toMatchObject({ held: 12, heldTickets: 12 })
      return sent
    }
    const alone = await buildBoxOfficeApp({ RESERVATION_BATCH_SIZE: '1' })
    try {
      // One write per request, which checks the buyer's token too.
      expect(await statementsFor(alone)).toBe(12)
    } finally {
      await alone.close()
    }
    const together = await statementsFor(app)
    console.info(`12 reservations at once: ${together} statements (12 one by one)`)
    expect(together).toBeLessThanOrEqual(6)
  })

  it('when a section sold out and a place comes back, then the next buyer gets it (the sold-out hint only makes it read first)', async () => {
    const organizer = await registerUser(app)
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 1 }] })
    const section = event.sections[0].id
    const [first, second] = await quickUsers(app, 2)
    const held = await reserveAs(app, first!, event.id, { section_id: section, quantity: 1 })
    expect(held.statusCode).toBe(201)
    expect((await reserveAs(app, second!, event.id, { section_id: section, quantity: 1 })).json().code).toBe(
      'SOLD_OUT',
    )
    const ticketId = held.json().tickets[0].id
    const given = await app.inject({
      method: 'DELETE',
      url: `/api/v1/tickets/${ticketId}`,
      headers: first!.auth,
    })
    expect(given.statusCode).toBeLessThan(300)
    expect((await reserveAs(app, second!, event.id, { section_id: section, quantity: 1 })).statusCode).toBe(
      201,
    )
    expect(await sectionCounts(app, section)).toMatchObject({ held: 1, heldTickets: 1 })
  })

  it('when one reservation of a batch fails, then the others are written all the same and it alone gets the error', async () => {
    const organizer = await registerUser(app)
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 10 }] })
    const [a, b] = await quickUsers(app, 2)
    const input = (bookerId: number): WriteInput => ({
      eventId: event.id,
      sectionId: event.sections[0].id,
      bookerId,
      holders: [bookerId],
      seats: [],
      split: false,
    })
    // Queued in one turn of the event loop: one batch. No such user: a foreign-key violation.
    const results = await Promise.allSettled([
      writeBatched(app.ctx, input(a!.id)),
      writeBatched(app.ctx, input(2_000_000_000)),
      writeBatched(app.ctx, input(b!.id)),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.kind : 'error'))).toEqual([
      'written',
      'error',
      'written',
    ])
    expect(await sectionCounts(app, event.sections[0].id)).toMatchObject({ held: 2, heldTickets: 2 })
  })

  it('when a batch asks for more than is left, then it is granted in arrival order as far as it fits', async () => {
    const organizer = await registerUser(app)
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 5 }] })
    const users = await quickUsers(app, 5)
    const input = (bookerId: number, n: number): WriteInput => ({
      eventId: event.id,
      sectionId: event.sections[0].id,
      bookerId,
      holders: Array.from({ length: n }, () => bookerId),
      seats: [],
      split: false,
    })
    const outcomes = await Promise.all(
      [2, 4, 2, 1, 1].map((n, i) => writeBatched(app.ctx, input(users[i]!.id, n))),
    )
    expect(outcomes.map((o) => o.kind)).toEqual([
      'written',
      'no-capacity',
      'written',
      'written',
      'no-capacity',
    ])
    expect(await sectionCounts(app, event.sections[0].id)).toMatchObject({ held: 5, heldTickets: 5 })
  })
})
