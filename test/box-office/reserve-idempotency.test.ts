import { and, count, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { idempotencyKeys, payments, reservations } from '../../src/db/schema/index.js'
import { requestHash } from '../../src/lib/idempotency.js'
import { buildBoxOfficeApp, payAs, quickUsers, reserveAs } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import type { App, TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let buyer: TestUser
let other: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  ;[organizer, buyer, other] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
})
afterAll(() => app.close())

const key = (k: string) => ({ 'idempotency-key': k })
async function reservationsOf(user: TestUser) {
  const [row] = await app.ctx.db
    .select({ n: count() })
    .from(reservations)
    .where(eq(reservations.bookerId, user.id))
  return row!.n
}

describe('Idempotency-Key on POST /events/{id}/reservations', () => {
  it('when the same request is repeated with the key, then the stored answer is replayed and nothing new is reserved', async () => {
    const event = await makeEvent(app, organizer)
    const body = { section_id: event.sections[0]!.id, quantity: 2 }
    const before = await reservationsOf(buyer)
    const first = await reserveAs(app, buyer, event.id, body, key('replay-1'))
    // Same body with keys in another order and an unknown field: still the same request.
    const again = await reserveAs(
      app,
      buyer,
      event.id,
      { quantity: 2, section_id: event.sections[0]!.id, note: 'x' },
      key('replay-1'),
    )
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json()).toEqual(first.json())
    expect(await reservationsOf(buyer)).toBe(before + 1)
  })

  it('when the key is reused with a different body, then 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const event = await makeEvent(app, organizer)
    await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, quantity: 1 }, key('reuse-1'))
    const res = await reserveAs(
      app,
      buyer,
      event.id,
      { section_id: event.sections[0]!.id, quantity: 2 },
      key('reuse-1'),
    )
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' })
  })

  it('when the key is reused on another event (other path parameters), then 422', async () => {
    const a = await makeEvent(app, organizer)
    const b = await makeEvent(app, organizer)
    await reserveAs(app, buyer, a.id, { section_id: a.sections[0]!.id }, key('reuse-2'))
    const res = await reserveAs(app, buyer, b.id, { section_id: a.sections[0]!.id }, key('reuse-2'))
    expect(res.json().code).toBe('IDEMPOTENCY_KEY_REUSED')
  })

  it('when another user sends the same key, then it is their own key and a new reservation', async () => {
    const event = await makeEvent(app, organizer)
    const body = { section_id: event.sections[0]!.id }
    const mine = await reserveAs(app, buyer, event.id, body, key('shared-key'))
    const theirs = await reserveAs(app, other, event.id, body, key('shared-key'))
    expect(theirs.statusCode).toBe(201)
    expect(theirs.headers['idempotent-replayed']).toBeUndefined()
    expect(theirs.json().id).not.toBe(mine.json().id)
  })

  it('when the first request with the key is still running, then 409 IDEMPOTENCY_KEY_IN_USE; once its lease lapsed, the retry runs', async () => {
    const event = await makeEvent(app, organizer)
    const body = { section_id: event.sections[0]!.id }
    const hash = requestHash({
      method: 'POST',
      route: '/api/v1/events/:id/reservations',
      params: { id: event.id },
      body,
    })
    await app.ctx.db.insert(idempotencyKeys).values({ userId: buyer.id, key: 'running-1', requestHash: hash })
    const busy = await reserveAs(app, buyer, event.id, body, key('running-1'))
    expect(busy.statusCode).toBe(409)
    expect(busy.json().code).toBe('IDEMPOTENCY_KEY_IN_USE')
    // A claim abandoned by a crashed process (its work never committed) may be taken over after the lease.
    await app.ctx.db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now() - interval '10 minutes'` })
      .where(and(eq(idempotencyKeys.userId, buyer.id), eq(idempotencyKeys.key, 'running-1')))
    const retry = await reserveAs(app, buyer, event.id, body, key('running-1'))
    expect(retry.statusCode).toBe(201)
  })

  it('when a stored answer is older than 24 hours, then the key starts afresh', async () => {
    const event = await makeEvent(app, organizer)
    const body = { section_id: event.sections[0]!.id }
    const first = await reserveAs(app, buyer, event.id, body, key('old-key'))
    await app.ctx.db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now() - interval '25 hours'` })
      .where(and(eq(idempotencyKeys.userId, buyer.id), eq(idempotencyKeys.key, 'old-key')))
    const second = await reserveAs(app, buyer, event.id, body, key('old-key'))
    expect(second.statusCode).toBe(201)
    expect(second.json().id).not.toBe(first.json().id)
  })

  it('when the first answer was an error (SOLD_OUT), then the repeat replays it, while a new key tries again', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ capacity: 1 }],
    })
    const body = { section_id: event.sections[0]!.id }
    const taken = await reserveAs(app, other, event.id, body)
    const first = await reserveAs(app, buyer, event.id, body, key('sold-out'))
    expect(first.json().code).toBe('SOLD_OUT')
    await app.inject({
      method: 'DELETE',
      url: `/api/v1/tickets/${taken.json().tickets[0].id}`,
      headers: other.auth,
    })
    const replay = await reserveAs(app, buyer, event.id, body, key('sold-out'))
    expect(replay.statusCode).toBe(409)
    expect(replay.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(replay.json()).toEqual(first.json())
    expect((await reserveAs(app, buyer, event.id, body, key('sold-out-2'))).statusCode).toBe(201)
  })

  it.each([
    ['longer than 255 characters', 'k'.repeat(256)],
    ['empty', ''],
  ])('when the key is %s, then 400 VALIDATION_FAILED', async (_name, value) => {
    const event = await makeEvent(app, organizer)
    const res = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id }, key(value))
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('VALIDATION_FAILED')
  })

  it('when the key is exactly 255 characters, then it is accepted', async () => {
    const event = await makeEvent(app, organizer)
    const res = await reserveAs(
      app,
      buyer,
      event.id,
      { section_id: event.sections[0]!.id },
      key('k'.repeat(255)),
    )
    expect(res.statusCode).toBe(201)
  })
})

describe('Idempotency-Key on POST /invoices/{id}/pay', () => {
  it('when a payment is repeated with the key, then the answer is replayed and the invoice charged once', async () => {
    const event = await makeEvent(app, organizer)
    const invoiceId = (await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })).json()
      .invoices[0].id
    const first = await payAs(app, buyer, invoiceId, 'test_ok', key('pay-1'))
    const again = await payAs(app, buyer, invoiceId, 'test_ok', key('pay-1'))
    expect(first.statusCode).toBe(200)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(first.json())
    const [charges] = await app.ctx.db
      .select({ n: count() })
      .from(payments)
      .where(eq(payments.invoiceId, invoiceId))
    expect(charges!.n).toBe(1)
    // Without the key, paying again is refused: the invoice is paid.
    expect((await payAs(app, buyer, invoiceId)).json().code).toBe('INVOICE_NOT_OPEN')
  })

  it('when a declined payment is repeated with the key, then the decline is replayed; another body with it is 422', async () => {
    const event = await makeEvent(app, organizer)
    const invoiceId = (await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })).json()
      .invoices[0].id
    const declined = await payAs(app, buyer, invoiceId, 'test_declined', key('pay-2'))
    expect(declined.statusCode).toBe(402)
    expect((await payAs(app, buyer, invoiceId, 'test_declined', key('pay-2'))).json()).toEqual(
      declined.json(),
    )
    expect((await payAs(app, buyer, invoiceId, 'test_ok', key('pay-2'))).statusCode).toBe(422)
    expect((await payAs(app, buyer, invoiceId, 'test_ok', key('pay-3'))).statusCode).toBe(200)
  })
})
