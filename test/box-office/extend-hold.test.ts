import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { invoices, reservations, tickets } from '../../src/db/schema/index.js'
import { expireStaleHolds } from '../../src/modules/box-office/expire-holds.service.js'
import {
  buildBoxOfficeApp,
  getAs,
  lapseReservation,
  payAs,
  quickAdmin,
  quickUsers,
  reserveAs,
} from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import type { App, TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let buyer: TestUser
let friend: TestUser
let stranger: TestUser
let admin: TestUser
const TTL = 900
beforeAll(async () => {
  app = await buildBoxOfficeApp({ RESERVATION_TTL: String(TTL) })
  ;[organizer, buyer, friend, stranger] = (await quickUsers(app, 4)) as [
    TestUser,
    TestUser,
    TestUser,
    TestUser,
  ]
  admin = await quickAdmin(app)
  await makeFriends(app, buyer, friend)
})
afterAll(() => app.close())

async function hold(body: object = {}) {
  const event = await makeEvent(app, organizer)
  const res = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, ...body })
  expect(res.statusCode).toBe(201)
  return res.json() as {
    id: number
    expires_at: string
    created_at: string
    invoices: { id: number; due_at: string }[]
    tickets: { id: number }[]
  }
}

const extend = (reservationId: number, who: { auth: Record<string, string> } = buyer, headers = {}) =>
  app.inject({
    method: 'POST',
    url: `/api/v1/reservations/${reservationId}/extend`,
    headers: { ...who.auth, ...headers },
  })

/** The stored times, to the microsecond. */
async function storedTimes(reservationId: number) {
  const [r] = await app.ctx.db
    .select({
      expires: sql<string>`${reservations.expiresAt}::text`,
      created: sql<string>`${reservations.createdAt}::text`,
    })
    .from(reservations)
    .where(eq(reservations.id, reservationId))
  const due = await app.ctx.db
    .select({ due: sql<string>`${invoices.dueAt}::text`, status: invoices.status })
    .from(invoices)
    .where(eq(invoices.reservationId, reservationId))
  return { ...r!, due }
}

describe('POST /reservations/{id}/extend', () => {
  it('when the booker extends a live hold, then its expiry and every open invoice move by RESERVATION_TTL together', async () => {
    const made = await hold({ quantity: 2, attendee_ids: [friend.id], split_payment: true })
    const res = await extend(made.id)
    expect(res.statusCode).toBe(200)
    const body = res.json()
    const moved = Date.parse(body.expires_at) - Date.parse(made.expires_at)
    expect(moved).toBe(TTL * 1000)
    expect(body.invoices).toHaveLength(2)
    for (const invoice of body.invoices) {
      expect(invoice).toMatchObject({ status: 'open', due_at: body.expires_at })
    }
    for (const ticket of body.tickets)
      expect(ticket).toMatchObject({ status: 'held', expires_at: body.expires_at })
    // Stored as one instant, and the answer is what GET shows.
    const times = await storedTimes(made.id)
    for (const d of times.due) expect(d.due).toBe(times.expires)
    expect((await getAs(app, buyer, `/reservations/${made.id}`)).body).toEqual(body)
  })

  it('when the hold was already extended, then 409 HOLD_NOT_EXTENDABLE (the cap) and nothing moves', async () => {
    const made = await hold()
    expect((await extend(made.id)).statusCode).toBe(200)
    const before = await storedTimes(made.id)
    const again = await extend(made.id)
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({
      code: 'HOLD_NOT_EXTENDABLE',
      detail: expect.stringMatching(/already extended/),
    })
    expect(await storedTimes(made.id)).toEqual(before)
  })

  it('when an extension would pass 2 × RESERVATION_TTL from the creation, then it stops at that cap', async () => {
    const made = await hold()
    // A hold made for 1.5 TTLs (as a longer offer would be): one more TTL would pass the cap.
    await app.ctx.db.execute(sql`
      update reservations set expires_at = created_at + make_interval(secs => ${1.5 * TTL}) where id = ${made.id}`)
    const res = await extend(made.id)
    expect(res.statusCode).toBe(200)
    expect(Date.parse(res.json().expires_at) - Date.parse(made.created_at)).toBe(2 * TTL * 1000)
    expect((await extend(made.id)).json().code).toBe('HOLD_NOT_EXTENDABLE')
  })

  it('when the hold lapsed, swept or not, then 409 HOLD_NOT_EXTENDABLE and it stays lapsed', async () => {
    const made = await hold()
    await lapseReservation(app, made.id)
    const unswept = await extend(made.id)
    expect(unswept.statusCode).toBe(409)
    expect(unswept.json()).toMatchObject({
      code: 'HOLD_NOT_EXTENDABLE',
      detail: expect.stringMatching(/lapsed/),
    })
    expect(await expireStaleHolds(app.ctx)).toBeGreaterThanOrEqual(1)
    const swept = await extend(made.id)
    expect(swept.json()).toMatchObject({
      code: 'HOLD_NOT_EXTENDABLE',
      detail: expect.stringMatching(/lapsed/),
    })
    const [ticket] = await app.ctx.db.select().from(tickets).where(eq(tickets.reservationId, made.id))
    expect(ticket!.status).toBe('expired')
  })

  it('when the tickets were paid or given back, then 409 HOLD_NOT_EXTENDABLE (nothing held)', async () => {
    const paid = await hold()
    expect((await payAs(app, buyer, paid.invoices[0]!.id)).statusCode).toBe(200)
    const res = await extend(paid.id)
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      code: 'HOLD_NOT_EXTENDABLE',
      detail: expect.stringMatching(/Nothing is held/),
    })

    const released = await hold()
    const del = await app.inject({
      method: 'DELETE',
      url: `/api/v1/tickets/${released.tickets[0]!.id}`,
      headers: buyer.auth,
    })
    expect(del.statusCode).toBe(204)
    expect((await extend(released.id)).json()).toMatchObject({ code: 'HOLD_NOT_EXTENDABLE' })
  })

  it('when someone else asks, then 404 for a stranger or an unknown id, 403 for the organizer and an admin, 401 without a token', async () => {
    const made = await hold()
    for (const res of [await extend(made.id, stranger), await extend(2_000_000_000)]) {
      expect([res.statusCode, res.json().code]).toEqual([404, 'NOT_FOUND'])
    }
    for (const who of [organizer, admin]) expect((await extend(made.id, who)).statusCode).toBe(403)
    expect((await extend(made.id, { auth: {} })).statusCode).toBe(401)
    // None of them moved it.
    expect((await getAs(app, buyer, `/reservations/${made.id}`)).body.expires_at).toBe(made.expires_at)
  })

  it('when the same Idempotency-Key is sent again, then the first answer is replayed, not a 409', async () => {
    const made = await hold()
    const first = await extend(made.id, buyer, { 'idempotency-key': `extend-${made.id}` })
    const second = await extend(made.id, buyer, { 'idempotency-key': `extend-${made.id}` })
    expect(first.statusCode).toBe(200)
    expect(second.statusCode).toBe(200)
    expect(second.headers['idempotent-replayed']).toBe('true')
    expect(second.json()).toEqual(first.json())
  })

  it('when a hold near its deadline is extended, then the sweep leaves it alone until the new time', async () => {
    const made = await hold()
    // Made TTL - 1 s ago: it lapses in a second, and one extension may give it one more TTL.
    await app.ctx.db.execute(sql`
      update reservations set created_at = now() - make_interval(secs => ${TTL - 1}),
                              expires_at = now() + interval '1 second' where id = ${made.id}`)
    await app.ctx.db.execute(
      sql`update invoices set due_at = now() + interval '1 second' where reservation_id = ${made.id}`,
    )
    const res = await extend(made.id)
    expect(res.statusCode).toBe(200)
    await new Promise((r) => setTimeout(r, 1500))
    await expireStaleHolds(app.ctx)
    const seen = await getAs(app, buyer, `/reservations/${made.id}`)
    expect(seen.body.invoices[0]).toMatchObject({ status: 'open', due_at: res.json().expires_at })
    expect(seen.body.tickets[0]).toMatchObject({ status: 'held' })
    const [ticket] = await app.ctx.db.select().from(tickets).where(eq(tickets.reservationId, made.id))
    expect(ticket!.status).toBe('held')
  })
})
