// Vouchers through the API: the organizer's CRUD, and reservations that carry a code, discounted line by line.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reservations, vouchers } from '../../src/db/schema/index.js'
import { expireStaleHolds } from '../../src/modules/box-office/expire-holds.service.js'
import {
  buildBoxOfficeApp,
  getAs,
  lapseReservation,
  payAs,
  quickUsers,
  reserveAs,
} from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import { type App, registerUser, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let buyer: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  ;[organizer, buyer] = (await quickUsers(app, 2)) as [TestUser, TestUser]
})
afterAll(() => app.close())

const createAs = (user: TestUser, eventId: number, body: object) =>
  app.inject({ method: 'POST', url: `/api/v1/events/${eventId}/vouchers`, headers: user.auth, payload: body })

async function voucherFor(eventId: number, body: object) {
  const res = await createAs(organizer, eventId, body)
  if (res.statusCode !== 201) throw new Error(`voucher failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

const codeOf = (res: { json(): { code: string } }) => res.json().code

describe('/events/{id}/vouchers', () => {
  it('when the organizer creates a voucher, then 201 with its fields; the same code in another case is 409 VOUCHER_CODE_TAKEN', async () => {
    const event = await makeEvent(app, organizer)
    const res = await createAs(organizer, event.id, {
      code: 'Spring24',
      kind: 'percent',
      value: 10,
      max_uses: 5,
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toEqual({
      id: expect.any(Number),
      code: 'Spring24',
      kind: 'percent',
      value: 10,
      section_ids: null,
      max_uses: 5,
      uses: 0,
      valid_from: null,
      valid_until: null,
      active: true,
      created_at: expect.any(String),
    })
    const again = await createAs(organizer, event.id, { code: 'SPRING24', kind: 'amount', value: 100 })
    expect(again.statusCode).toBe(409)
    expect(codeOf(again)).toBe('VOUCHER_CODE_TAKEN')
    // Another event may use the same code.
    const other = await makeEvent(app, organizer)
    expect(
      (await createAs(organizer, other.id, { code: 'spring24', kind: 'amount', value: 100 })).statusCode,
    ).toBe(201)
  })

  it('when the body is out of range or names another event’s section, then 400; a stranger gets 403', async () => {
    const event = await makeEvent(app, organizer)
    const other = await makeEvent(app, organizer)
    expect(
      (await createAs(organizer, event.id, { code: 'X1', kind: 'percent', value: 101 })).statusCode,
    ).toBe(400)
    expect((await createAs(organizer, event.id, { code: 'X2', kind: 'amount', value: 0 })).statusCode).toBe(
      400,
    )
    expect(
      (
        await createAs(organizer, event.id, {
          code: 'X3',
          kind: 'amount',
          value: 5,
          section_ids: [other.sections[0]!.id],
        })
      ).statusCode,
    ).toBe(400)
    expect(
      (
        await createAs(organizer, event.id, {
          code: 'X4',
          kind: 'amount',
          value: 5,
          valid_from: '2030-01-02T00:00:00.000Z',
          valid_until: '2030-01-01T00:00:00.000Z',
        })
      ).statusCode,
    ).toBe(400)
    expect((await createAs(buyer, event.id, { code: 'X5', kind: 'amount', value: 5 })).statusCode).toBe(403)
  })

  it('when a nullable date is malformed, then 400 names its one fault, not the null branch it did not take', async () => {
    const event = await makeEvent(app, organizer)
    const res = await createAs(organizer, event.id, {
      code: 'BADDATE',
      kind: 'percent',
      value: 50,
      valid_from: '2027-02-30T00:00:00Z',
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([
      { path: 'body.valid_from', message: 'must match format "date-time" (or null)' },
    ])
  })

  it('when the organizer lists and changes vouchers, then the list is paginated and PATCH answers the change', async () => {
    const event = await makeEvent(app, organizer)
    const a = await voucherFor(event.id, { code: 'A', kind: 'amount', value: 100 })
    await voucherFor(event.id, { code: 'B', kind: 'amount', value: 200 })
    const list = await getAs(app, organizer, `/events/${event.id}/vouchers?per_page=1`)
    expect(list.body).toMatchObject({ total: 2, total_pages: 2, data: [{ id: a.id, code: 'A' }] })
    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/v1/events/${event.id}/vouchers/${a.id}`,
      headers: organizer.auth,
      payload: { active: false, value: 150 },
    })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({ active: false, value: 150 })
    const clash = await app.inject({
      method: 'PATCH',
      url: `/api/v1/events/${event.id}/vouchers/${a.id}`,
      headers: organizer.auth,
      payload: { code: 'b' },
    })
    expect(codeOf(clash)).toBe('VOUCHER_CODE_TAKEN')
    expect((await getAs(app, buyer, `/events/${event.id}/vouchers`)).status).toBe(403)
    // A change naming no field it knows is refused, not answered 200 with nothing changed.
    for (const payload of [{}, { foo: 1 }, { kind_of: 'percent', Value: 3 }]) {
      const nothing = await app.inject({
        method: 'PATCH',
        url: `/api/v1/events/${event.id}/vouchers/${a.id}`,
        headers: organizer.auth,
        payload,
      })
      expect(nothing.statusCode, JSON.stringify(payload)).toBe(400)
      expect(nothing.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'body' }] })
    }
    const unknownToo = await app.inject({
      method: 'PATCH',
      url: `/api/v1/events/${event.id}/vouchers/${a.id}`,
      headers: organizer.auth,
      payload: { foo: 1 },
    })
    expect(unknownToo.json().errors[0].message).toBe(
      'must name at least one of its fields: code, kind, value, section_ids, max_uses, valid_from, valid_until, active (unknown fields are ignored)',
    )
    // A known field beside an unknown one is a change.
    const mixed = await app.inject({
      method: 'PATCH',
      url: `/api/v1/events/${event.id}/vouchers/${a.id}`,
      headers: organizer.auth,
      payload: { foo: 1, value: 175 },
    })
    expect(mixed.statusCode).toBe(200)
    expect(mixed.json()).toMatchObject({ value: 175 })
  })

  it('when a voucher was used, then DELETE is 409 VOUCHER_IN_USE; an unused one is deleted with 204', async () => {
    const event = await makeEvent(app, organizer)
    const used = await voucherFor(event.id, { code: 'USED', kind: 'amount', value: 100 })
    const unused = await voucherFor(event.id, { code: 'UNUSED', kind: 'amount', value: 100 })
    expect(
      (await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, voucher_code: 'used' }))
        .statusCode,
    ).toBe(201)
    const del = (id: number) =>
      app.inject({
        method: 'DELETE',
        url: `/api/v1/events/${event.id}/vouchers/${id}`,
        headers: organizer.auth,
      })
    const refused = await del(used.id)
    expect(refused.statusCode).toBe(409)
    expect(codeOf(refused)).toBe('VOUCHER_IN_USE')
    expect((await del(unused.id)).statusCode).toBe(204)
    expect((await del(unused.id)).statusCode).toBe(404)
  })
})

describe('POST /events/{id}/reservations with voucher_code', () => {
  it('when a percent voucher is used, then every line shows its discount, the invoice charges the rest, and it counts one use', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 10, price_cents: 4500 }] })
    const v = await voucherFor(event.id, { code: 'TENOFF', kind: 'percent', value: 10 })
    const res = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      quantity: 2,
      voucher_code: 'tenoff',
    })
    expect(res.statusCode).toBe(201)
    const invoice = res.json().invoices[0]
    expect(invoice.amount_cents).toBe(8100)
    expect(
      invoice.lines.map((l: { amount_cents: number; discount_cents: number }) => [
        l.amount_cents,
        l.discount_cents,
      ]),
    ).toEqual([
      [4050, 450],
      [4050, 450],
    ])
    const [row] = await app.ctx.db.select().from(vouchers).where(eq(vouchers.id, v.id))
    expect(row!.uses).toBe(1)
    const [r] = await app.ctx.db.select().from(reservations).where(eq(reservations.id, res.json().id))
    expect(r!.voucherId).toBe(v.id)
    // What the booker sees later is what was answered, and paying charges the discounted amount.
    expect((await getAs(app, buyer, `/invoices/${invoice.id}`)).body.lines).toEqual(invoice.lines)
    expect((await payAs(app, buyer, invoice.id)).json().amount_cents).toBe(8100)
  })

  it('when an amount voucher is worth more than a ticket, then the line is 0, never below; with split payment each invoice is discounted', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 10, price_cents: 3000 }] })
    await voucherFor(event.id, { code: 'BIG', kind: 'amount', value: 5000 })
    await voucherFor(event.id, { code: 'SMALL', kind: 'amount', value: 500 })
    const whole = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      voucher_code: 'BIG',
    })
    expect(whole.json().invoices[0]).toMatchObject({
      amount_cents: 0,
      lines: [{ amount_cents: 0, discount_cents: 3000 }],
    })
    const booker = await registerUser(app)
    const friend = await registerUser(app)
    await makeFriends(app, booker, friend)
    const split = await reserveAs(app, booker, event.id, {
      section_id: event.sections[0]!.id,
      attendee_ids: [friend.id],
      split_payment: true,
      voucher_code: 'small',
    })
    expect(split.statusCode).toBe(201)
    expect(
      split
        .json()
        .invoices.map((i: { amount_cents: number; lines: { discount_cents: number }[] }) => [
          i.amount_cents,
          i.lines[0]!.discount_cents,
        ]),
    ).toEqual([
      [2500, 500],
      [2500, 500],
    ])
  })

  it('when a seated section has a voucher, then the seat lines are discounted too', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ rows: 1, seats_per_row: 4, price_cents: 10_000 }],
    })
    await voucherFor(event.id, { code: 'HALF', kind: 'percent', value: 50 })
    const res = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      quantity: 2,
      together: true,
      voucher_code: 'HALF',
    })
    expect(res.statusCode).toBe(201)
    expect(res.json().invoices[0].amount_cents).toBe(10_000)
  })

  it('when the code is unknown, inactive, outside its dates or not for the section, then 409 VOUCHER_INVALID and nothing is held', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [
        { name: 'Floor', capacity: 10 },
        { name: 'Balcony', capacity: 10 },
      ],
    })
    const [floor, balcony] = event.sections as [{ id: number }, { id: number }]
    await voucherFor(event.id, { code: 'OFF', kind: 'amount', value: 100, active: false })
    await voucherFor(event.id, {
      code: 'LATER',
      kind: 'amount',
      value: 100,
      valid_from: '2099-01-01T00:00:00.000Z',
    })
    await voucherFor(event.id, {
      code: 'GONE',
      kind: 'amount',
      value: 100,
      valid_until: '2020-01-01T00:00:00.000Z',
    })
    await voucherFor(event.id, { code: 'FLOOR', kind: 'amount', value: 100, section_ids: [floor.id] })
    for (const code of ['NOPE', 'OFF', 'LATER', 'GONE']) {
      const res = await reserveAs(app, buyer, event.id, { section_id: floor.id, voucher_code: code })
      expect([res.statusCode, codeOf(res)]).toEqual([409, 'VOUCHER_INVALID'])
      // Each reason in its own words: the buyer knows whether to retype, wait, or give up on the code.
      expect(res.json().detail).toBe(
        {
          NOPE: 'No voucher of this event has this code',
          OFF: 'This voucher has been switched off by the organizer',
          LATER: 'This voucher cannot be used yet',
          GONE: 'This voucher has expired',
        }[code],
      )
    }
    const wrong = await reserveAs(app, buyer, event.id, { section_id: balcony.id, voucher_code: 'FLOOR' })
    expect([wrong.statusCode, codeOf(wrong)]).toEqual([409, 'VOUCHER_INVALID'])
    expect(wrong.json().detail).toBe('This voucher is not for this section')
    expect(
      (await reserveAs(app, buyer, event.id, { section_id: floor.id, voucher_code: 'floor' })).statusCode,
    ).toBe(201)
    const sales = await getAs(app, organizer, `/events/${event.id}`)
    expect(sales.body.sections.map((s: { held: number }) => s.held)).toEqual([1, 0])
  })

  it('when a voucher has been used max_uses times, then 409 VOUCHER_EXHAUSTED', async () => {
    const event = await makeEvent(app, organizer)
    await voucherFor(event.id, { code: 'ONCE', kind: 'percent', value: 20, max_uses: 1 })
    expect(
      (await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, voucher_code: 'ONCE' }))
        .statusCode,
    ).toBe(201)
    const second = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      voucher_code: 'ONCE',
    })
    expect([second.statusCode, codeOf(second)]).toEqual([409, 'VOUCHER_EXHAUSTED'])
  })

  it('when a reservation that used a voucher lapses unpaid or is released before payment, then its use is given back; a paid one keeps it', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 10, price_cents: 2000 }] })
    const v = await voucherFor(event.id, { code: 'ONE', kind: 'amount', value: 500, max_uses: 1 })
    const section_id = event.sections[0]!.id
    const usesNow = async () =>
      (await app.ctx.db.select().from(vouchers).where(eq(vouchers.id, v.id)))[0]!.uses
    const [a, b, c] = (await Promise.all([registerUser(app), registerUser(app), registerUser(app)])) as [
      TestUser,
      TestUser,
      TestUser,
    ]
    // Lapses unpaid: the use comes back, and someone else may take it.
    const lapsing = (
      await reserveAs(app, a, event.id, { section_id, quantity: 2, voucher_code: 'one' })
    ).json()
    const exhausted = await reserveAs(app, b, event.id, { section_id, voucher_code: 'one' })
    expect(codeOf(exhausted)).toBe('VOUCHER_EXHAUSTED')
    await lapseReservation(app, lapsing.id)
    await expireStaleHolds(app.ctx)
    expect(await usesNow()).toBe(0)
    // Released ticket by ticket: the use comes back only with the last one.
    const released = (
      await reserveAs(app, b, event.id, { section_id, quantity: 2, voucher_code: 'one' })
    ).json()
    expect(await usesNow()).toBe(1)
    const giveBack = (user: TestUser, id: number) =>
      app.inject({ method: 'DELETE', url: `/api/v1/tickets/${id}`, headers: user.auth })
    expect((await giveBack(b, released.tickets[0].id)).statusCode).toBe(204)
    expect(await usesNow()).toBe(1)
    expect((await giveBack(b, released.tickets[1].id)).statusCode).toBe(204)
    expect(await usesNow()).toBe(0)
    // Paid: the use stays, even once the tickets are refunded.
    const paid = (await reserveAs(app, c, event.id, { section_id, voucher_code: 'ONE' })).json()
    expect((await payAs(app, c, paid.invoices[0].id)).statusCode).toBe(200)
    expect((await giveBack(c, paid.tickets[0].id)).statusCode).toBe(204)
    expect(await usesNow()).toBe(1)
    // A voucher only ended reservations used can be deleted once its uses are back (none refers to it).
    const other = await voucherFor(event.id, { code: 'TWO', kind: 'percent', value: 5 })
    const once = (await reserveAs(app, a, event.id, { section_id, voucher_code: 'two' })).json()
    await lapseReservation(app, once.id)
    await expireStaleHolds(app.ctx)
    const del = await app.inject({
      method: 'DELETE',
      url: `/api/v1/events/${event.id}/vouchers/${other.id}`,
      headers: organizer.auth,
    })
    expect(del.statusCode).toBe(204)
  })

  it('when a voucher is used up only by a hold that lapsed before the sweep reached it, then the next buyer gets it', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 10, price_cents: 2000 }] })
    const v = await voucherFor(event.id, { code: 'LAPSE', kind: 'percent', value: 50, max_uses: 1 })
    const section_id = event.sections[0]!.id
    const [a, b] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    const lapsing = (await reserveAs(app, a, event.id, { section_id, voucher_code: 'LAPSE' })).json()
    await lapseReservation(app, lapsing.id)
    // No sweep has run: the lapsed hold still counts the use, until a buyer needs it.
    expect((await app.ctx.db.select().from(vouchers).where(eq(vouchers.id, v.id)))[0]!.uses).toBe(1)
    const next = await reserveAs(app, b, event.id, { section_id, voucher_code: 'lapse' })
    expect(next.statusCode).toBe(201)
    expect(next.json().invoices[0].amount_cents).toBe(1000)
    expect((await app.ctx.db.select().from(vouchers).where(eq(vouchers.id, v.id)))[0]!.uses).toBe(1)
    expect((await getAs(app, a, `/invoices/${lapsing.invoices[0].id}`)).body.status).toBe('expired')
    // Used up by a live hold, it stays used up.
    const third = await reserveAs(app, a, event.id, { section_id, voucher_code: 'LAPSE' })
    expect([third.statusCode, codeOf(third)]).toEqual([409, 'VOUCHER_EXHAUSTED'])
  })
})
