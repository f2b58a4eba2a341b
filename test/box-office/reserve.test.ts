import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { users } from '../../src/db/schema/index.js'
import {
  buildBoxOfficeApp,
  getAs,
  lapseReservation,
  quickAdmin,
  quickUsers,
  reserveAs,
  sectionCounts,
} from '../factories/boxoffice.js'
import { makeEvent, seatsOf } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import type { App, TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let buyer: TestUser
let stranger: TestUser

beforeAll(async () => {
  app = await buildBoxOfficeApp({ RESERVATION_TTL: '600' })
  ;[organizer, buyer, stranger] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
})
afterAll(() => app.close())

const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
const person = (u: TestUser) => ({
  id: u.id,
  username: u.username,
  display_name: u.username,
  bio: '',
  avatar_url: null,
  created_at: ISO,
})

describe('POST /events/{id}/reservations', () => {
  it('when a buyer reserves 2 general tickets, then 201 with held tickets and one open invoice priced by the server', async () => {
    const event = await makeEvent(app, organizer, {
      title: 'Night Market',
      sections: [{ capacity: 10, price_cents: 4500, name: 'General Admission' }],
    })
    const section = event.sections[0]!
    const before = Date.now()
    const res = await reserveAs(app, buyer, event.id, { section_id: section.id, quantity: 2, price_cents: 1 })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    const expiresAt = body.expires_at
    expect(Date.parse(expiresAt) - before).toBeGreaterThanOrEqual(599_000)
    expect(Date.parse(expiresAt) - before).toBeLessThan(610_000)
    const ticket = (id: number) => ({
      id,
      status: 'held',
      event: { id: event.id, title: 'Night Market', starts_at: event.starts_at, timezone: 'UTC' },
      section: { id: section.id, name: 'General Admission' },
      seat: null,
      holder: person(buyer),
      booker: person(buyer),
      price_cents: 4500,
      currency: 'AUD',
      reservation_id: body.id,
      invoice_id: body.invoices[0].id,
      expires_at: expiresAt,
      created_at: ISO,
      checked_in_at: null,
    })
    expect(body).toEqual({
      id: expect.any(Number),
      event_id: event.id,
      expires_at: ISO,
      created_at: ISO,
      tickets: [ticket(body.tickets[0].id), ticket(body.tickets[1].id)],
      invoices: [
        {
          id: expect.any(Number),
          number: expect.stringMatching(new RegExp(`^INV-${new Date().getUTCFullYear()}-\\d{6}$`)),
          payer: person(buyer),
          amount_cents: 9000,
          refunded_cents: 0,
          currency: 'AUD',
          status: 'open',
          due_at: expiresAt,
          paid_at: null,
          reservation_id: body.id,
          event_id: event.id,
          created_at: ISO,
          lines: body.tickets.map((t: { id: number }) => ({
            ticket_id: t.id,
            description: 'Night Market: General Admission',
            amount_cents: 4500,
            discount_cents: 0,
            refunded_at: null,
          })),
        },
      ],
    })
    expect(await sectionCounts(app, section.id)).toEqual({
      held: 2,
      sold: 0,
      heldTickets: 2,
      confirmedTickets: 0,
    })
  })

  it('when no quantity is sent, then one ticket is reserved', async () => {
    const event = await makeEvent(app, organizer)
    const res = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })
    expect(res.statusCode).toBe(201)
    expect(res.json().tickets).toHaveLength(1)
  })

  it('when exact seat_ids are sent, then those seats are held, in the order given', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ rows: 3, seats_per_row: 4 }],
    })
    const seats = await seatsOf(app, event, event.sections[0]!.id)
    const res = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      seat_ids: [seats[5]!.id, seats[0]!.id],
    })
    expect(res.statusCode).toBe(201)
    expect(res.json().tickets.map((t: { seat: unknown }) => t.seat)).toEqual([
      { id: seats[5]!.id, row: 'B', number: 2 },
      { id: seats[0]!.id, row: 'A', number: 1 },
    ])
    expect(res.json().invoices[0].lines[0].description).toMatch(/: A Reserve, row B seat 2$/)
  })

  it('when together: true, then the most central block of the front row with room is chosen', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ rows: 3, seats_per_row: 8 }],
    })
    const section = event.sections[0]!
    // Row A has only 2 free seats side by side (1-2); row B is empty.
    const rowA = (await seatsOf(app, event, section.id)).filter((s) => s.row === 'A')
    await reserveAs(app, stranger, event.id, {
      section_id: section.id,
      seat_ids: rowA.slice(2).map((s) => s.id),
    })
    const res = await reserveAs(app, buyer, event.id, { section_id: section.id, quantity: 3, together: true })
    expect(res.statusCode).toBe(201)
    const labels = res
      .json()
      .tickets.map((t: { seat: { row: string; number: number } }) => t.seat.row + t.seat.number)
    // 8 seats: blocks 3-5 and 4-6 are equally central; the left one wins the tie.
    expect(labels).toEqual(['B3', 'B4', 'B5'])
  })

  it('when quantity is sent for a seated section without together, then the best seats are chosen, adjacent when possible', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ rows: 2, seats_per_row: 5 }],
    })
    const section = event.sections[0]!
    const first = await reserveAs(app, buyer, event.id, { section_id: section.id, quantity: 2 })
    // The most central pair, A2–A3, would leave A1 alone: A1–A2 instead.
    expect(first.json().tickets.map((t: { seat: { number: number } }) => `A${t.seat.number}`)).toEqual([
      'A1',
      'A2',
    ])
    // Row A now has 3 | 5 free and row B is full: 2 seats can only be found apart.
    const all = await seatsOf(app, event, section.id)
    await reserveAs(app, stranger, event.id, {
      section_id: section.id,
      seat_ids: [all[3]!.id, ...all.slice(5).map((s) => s.id)],
    })
    const apart = await reserveAs(app, buyer, event.id, { section_id: section.id, quantity: 2 })
    expect(apart.statusCode).toBe(201)
    expect(apart.json().tickets.map((t: { seat: { number: number } }) => t.seat.number)).toEqual([3, 5])
  })

  it('when attendee_ids name friends, then each friend holds one ticket and the booker pays one invoice', async () => {
    const [friend1, friend2] = await quickUsers(app, 2)
    await makeFriends(app, buyer, friend1!)
    await makeFriends(app, friend2!, buyer)
    const event = await makeEvent(app, organizer, {
      sections: [{ rows: 2, seats_per_row: 6 }],
    })
    const res = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      together: true,
      attendee_ids: [friend1!.id, friend2!.id],
    })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body.tickets.map((t: { holder: { id: number } }) => t.holder.id)).toEqual([
      buyer.id,
      friend1!.id,
      friend2!.id,
    ])
    expect(body.tickets.every((t: { booker: { id: number } }) => t.booker.id === buyer.id)).toBe(true)
    expect(body.invoices).toHaveLength(1)
    expect(body.invoices[0]).toMatchObject({ payer: { id: buyer.id }, amount_cents: 3 * 4500 })
    expect(body.invoices[0].lines).toHaveLength(3)
  })

  it('when split_payment: true, then every holder gets an invoice for their own ticket', async () => {
    const [friend] = await quickUsers(app, 1)
    await makeFriends(app, buyer, friend!)
    const event = await makeEvent(app, organizer, {
      sections: [{ capacity: 5, price_cents: 2500 }],
    })
    const res = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      quantity: 2,
      attendee_ids: [friend!.id],
      split_payment: true,
    })
    expect(res.statusCode).toBe(201)
    const { tickets, invoices } = res.json()
    expect(
      invoices.map((i: { payer: { id: number }; amount_cents: number }) => [i.payer.id, i.amount_cents]),
    ).toEqual([
      [buyer.id, 2500],
      [friend!.id, 2500],
    ])
    expect(invoices[1].lines).toEqual([
      {
        ticket_id: tickets[1].id,
        description: expect.any(String),
        amount_cents: 2500,
        discount_cents: 0,
        refunded_at: null,
      },
    ])
    expect(tickets[1].invoice_id).toBe(invoices[1].id)
    expect(invoices[0].number).not.toBe(invoices[1].number)
  })

  it.each([
    [
      'quantity and seat_ids disagree',
      (s: number[]) => ({ quantity: 3, seat_ids: s.slice(0, 2) }),
      'body.quantity',
    ],
    ['quantity disagrees with attendees', () => ({ quantity: 3, attendee_ids: [999] }), 'body.attendee_ids'],
    ['attendees include the caller', () => ({ attendee_ids: [buyer.id] }), 'body.attendee_ids'],
    ['a seat is of another section', () => ({ seat_ids: [2_000_000] }), 'body.seat_ids'],
    ['seat_ids repeat a seat', (s: number[]) => ({ seat_ids: [s[0], s[0]] }), 'body.seat_ids'],
    ['quantity is 0', () => ({ quantity: 0 }), 'body.quantity'],
    ['quantity is a string', () => ({ quantity: '2' }), 'body.quantity'],
  ])('when %s, then 400 VALIDATION_FAILED', async (_name, body, path) => {
    const event = await makeEvent(app, organizer, {
      sections: [{ rows: 2, seats_per_row: 3 }],
    })
    const seatIds = (await seatsOf(app, event, event.sections[0]!.id)).map((s) => s.id)
    const res = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, ...body(seatIds) })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [expect.objectContaining({ path })],
    })
  })

  it('when seat_ids are sent for a general section, then 400', async () => {
    const event = await makeEvent(app, organizer)
    const res = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, seat_ids: [1] })
    expect(res.statusCode).toBe(400)
  })

  it('when the section is full, then 409 SOLD_OUT and nothing is held', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ capacity: 3 }],
    })
    expect(
      (await reserveAs(app, stranger, event.id, { section_id: event.sections[0]!.id, quantity: 2 }))
        .statusCode,
    ).toBe(201)
    const res = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, quantity: 2 })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ status: 409, code: 'SOLD_OUT' })
    expect(await sectionCounts(app, event.sections[0]!.id)).toEqual({
      held: 2,
      sold: 0,
      heldTickets: 2,
      confirmedTickets: 0,
    })
  })

  it('when an expired hold fills the section, then it is released and the new reservation succeeds', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ capacity: 2 }],
    })
    const old = await reserveAs(app, stranger, event.id, { section_id: event.sections[0]!.id, quantity: 2 })
    await lapseReservation(app, old.json().id)
    const res = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, quantity: 2 })
    expect(res.statusCode).toBe(201)
    expect(await sectionCounts(app, event.sections[0]!.id)).toEqual({
      held: 2,
      sold: 0,
      heldTickets: 2,
      confirmedTickets: 0,
    })
    const lapsed = await getAs(app, stranger, `/invoices/${old.json().invoices[0].id}`)
    expect(lapsed.body.status).toBe('expired')
  })

  it('when a requested seat is held, then 409 SEAT_TAKEN', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ rows: 1, seats_per_row: 4 }],
    })
    const [a, b] = await seatsOf(app, event, event.sections[0]!.id)
    await reserveAs(app, stranger, event.id, { section_id: event.sections[0]!.id, seat_ids: [b!.id] })
    const res = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      seat_ids: [a!.id, b!.id],
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('SEAT_TAKEN')
    // Named as the seat map names it, not by its id.
    expect(res.json().detail).toBe(`Seat ${b!.row}${b!.number} is already taken`)
  })

  it('when no row has enough adjacent seats, then 409 NO_ADJACENT_SEATS', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ rows: 2, seats_per_row: 3 }],
    })
    const middle = (await seatsOf(app, event, event.sections[0]!.id))
      .filter((s) => s.number === 2)
      .map((s) => s.id)
    await reserveAs(app, stranger, event.id, { section_id: event.sections[0]!.id, seat_ids: middle })
    const res = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      quantity: 2,
      together: true,
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('NO_ADJACENT_SEATS')
  })

  it('when the per-user limit would be passed, counting tickets booked and held across reservations, then 409 TICKET_LIMIT_EXCEEDED', async () => {
    const [friend] = await quickUsers(app, 1)
    await makeFriends(app, buyer, friend!)
    const event = await makeEvent(app, organizer, { max_tickets_per_user: 3 })
    const section = event.sections[0]!.id
    expect(
      (await reserveAs(app, buyer, event.id, { section_id: section, attendee_ids: [friend!.id] })).statusCode,
    ).toBe(201)
    const over = await reserveAs(app, buyer, event.id, { section_id: section, quantity: 2 })
    expect(over.statusCode).toBe(409)
    expect(over.json()).toMatchObject({
      code: 'TICKET_LIMIT_EXCEEDED',
      detail: 'At most 3 tickets per person for this event; you already have 2',
    })
    // The friend holds one ticket already: 3 more of their own is one too many.
    const friendOver = await reserveAs(app, friend!, event.id, { section_id: section, quantity: 3 })
    expect(friendOver.json()).toMatchObject({
      code: 'TICKET_LIMIT_EXCEEDED',
      detail: 'At most 3 tickets per person for this event; you already have 1',
    })
    expect((await reserveAs(app, buyer, event.id, { section_id: section })).statusCode).toBe(201)

    // A friend at the limit is named as the site names them (the name, and the username to look them up). The
    // booker counts every ticket they book, so here the friend reaches the limit first.
    const pair = await makeEvent(app, organizer, { max_tickets_per_user: 2 })
    const pairSection = pair.sections[0]!.id
    expect(
      (await reserveAs(app, friend!, pair.id, { section_id: pairSection, quantity: 2 })).statusCode,
    ).toBe(201)
    const { display_name } = (
      await app.inject({ method: 'GET', url: `/api/v1/users/${friend!.id}`, headers: buyer.auth })
    ).json()
    const forFriend = await reserveAs(app, buyer, pair.id, {
      section_id: pairSection,
      attendee_ids: [friend!.id],
    })
    expect(forFriend.json()).toMatchObject({
      code: 'TICKET_LIMIT_EXCEEDED',
      detail: `At most 2 tickets per person for this event; ${display_name} (@${friend!.username}) already has 2`,
    })
  })

  it('when attendees are not friends of the caller, then 403 NOT_FRIENDS', async () => {
    const event = await makeEvent(app, organizer)
    const res = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      attendee_ids: [stranger.id],
    })
    expect(res.statusCode).toBe(403)
    const { display_name } = (
      await app.inject({ method: 'GET', url: `/api/v1/users/${stranger.id}`, headers: buyer.auth })
    ).json()
    expect(res.json()).toMatchObject({
      code: 'NOT_FRIENDS',
      detail: `${display_name} (@${stranger.username}) is not your friend`,
    })
    // An id that names no one stays an id.
    const nobody = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      attendee_ids: [2_000_000_000],
    })
    expect(nobody.json()).toMatchObject({ code: 'NOT_FRIENDS', detail: 'User 2000000000 is not your friend' })
  })

  it.each([
    ['cancelled', { status: 'cancelled' as const }],
    ['already started', { starts_at: new Date(Date.now() - 3_600_000).toISOString() }],
  ])('when the event is %s, then 409 EVENT_NOT_ON_SALE', async (_name, spec) => {
    const event = await makeEvent(app, organizer, spec)
    const res = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('EVENT_NOT_ON_SALE')
  })

  it('when the event is a draft, then its organizer gets 409 EVENT_NOT_ON_SALE and anyone else 404', async () => {
    const event = await makeEvent(app, organizer, { status: 'draft' })
    const own = await reserveAs(app, organizer, event.id, { section_id: event.sections[0]!.id })
    expect(own.json().code).toBe('EVENT_NOT_ON_SALE')
    const other = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })
    expect(other.statusCode).toBe(404)
  })

  it('when the event or the section does not exist (or the section is of another event), then 404', async () => {
    const event = await makeEvent(app, organizer)
    const others = (await makeEvent(app, organizer)).sections
    expect((await reserveAs(app, buyer, 2_000_000, { section_id: event.sections[0]!.id })).statusCode).toBe(
      404,
    )
    expect((await reserveAs(app, buyer, event.id, { section_id: others[0]!.id })).statusCode).toBe(404)
  })

  it('when no token is sent, then 401', async () => {
    const res = await reserveAs(app, { auth: {} }, 1, { section_id: 1 })
    expect(res.statusCode).toBe(401)
  })

  it('when the section price changes after the reservation, then the invoice keeps the price it was issued with', async () => {
    const event = await makeEvent(app, organizer)
    const section = event.sections[0]!
    const res = await reserveAs(app, buyer, event.id, { section_id: section.id })
    const patch = (url: string, payload: object) =>
      app.inject({ method: 'PATCH', url: `/api/v1${url}`, headers: organizer.auth, payload })
    expect((await patch(`/events/${event.id}/sections/${section.id}`, { price_cents: 1 })).statusCode).toBe(
      200,
    )
    expect((await patch(`/events/${event.id}`, { title: 'Renamed' })).statusCode).toBe(200)
    const invoice = await getAs(app, buyer, `/invoices/${res.json().invoices[0].id}`)
    expect(invoice.body.amount_cents).toBe(4500)
  })
})

describe('GET /reservations/{id}', () => {
  it('when the booker, the organizer or an admin asks, then 200 with the reservation; anyone else gets 404', async () => {
    const admin = await quickAdmin(app)
    const event = await makeEvent(app, organizer)
    const made = (await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })).json()
    for (const who of [buyer, organizer, admin]) {
      const res = await getAs(app, who, `/reservations/${made.id}`)
      expect(res).toEqual({ status: 200, body: made })
    }
    expect((await getAs(app, stranger, `/reservations/${made.id}`)).status).toBe(404)
    expect((await getAs(app, buyer, '/reservations/2000000')).status).toBe(404)
  })

  it('when a reservation has seats, a friend with an avatar, split payment and a voucher, then its 201 answer is exactly what GET shows', async () => {
    const [friend] = await quickUsers(app, 1)
    await makeFriends(app, buyer, friend!)
    await app.ctx.db.update(users).set({ avatarPath: 'f00d.webp' }).where(eq(users.id, friend!.id))
    const event = await makeEvent(app, organizer, {
      sections: [{ rows: 2, seats_per_row: 4, price_cents: 2999 }],
    })
    const voucher = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/vouchers`,
      headers: organizer.auth,
      payload: { code: 'SHAPE', kind: 'percent', value: 33 },
    })
    expect(voucher.statusCode).toBe(201)
    const res = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      together: true,
      attendee_ids: [friend!.id],
      split_payment: true,
      voucher_code: 'shape',
    })
    expect(res.statusCode).toBe(201)
    const made = res.json()
    expect(made.tickets.map((t: { seat: unknown }) => t.seat)).toEqual([
      { id: expect.any(Number), row: expect.any(String), number: expect.any(Number) },
      { id: expect.any(Number), row: expect.any(String), number: expect.any(Number) },
    ])
    expect(made.tickets[1].holder.avatar_url).toMatch(/\/media\/avatars\/f00d\.webp$/)
    expect(made.invoices[1].lines[0]).toMatchObject({ amount_cents: 2999 - 989, discount_cents: 989 })
    expect(await getAs(app, buyer, `/reservations/${made.id}`)).toEqual({ status: 200, body: made })
  })
})
