import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { friendships } from '../../src/db/schema/index.js'
import { formatMoney } from '../../src/lib/money.js'
import { salesReport } from '../../src/modules/events/sales.service.js'
import { formatSalesTable } from '../../src/modules/events/sales.table.js'
import { payAs, reserveAs } from '../factories/boxoffice.js'
import { insertTicket, makeEvent } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let amy: TestUser
let bob: TestUser
let cat: TestUser
let admin: TestUser
let event: { id: number; sections: { id: number }[] }

beforeAll(async () => {
  app = await buildTestApp()
  ;[organizer, amy, bob, cat, admin] = await Promise.all([
    registerUser(app),
    registerUser(app, { username: `amy_${process.pid}` }),
    registerUser(app, { username: `bob_${process.pid}` }),
    registerUser(app, { username: `cat_${process.pid}` }),
    registerAdmin(app),
  ])
  event = await makeEvent(app, organizer, {
    sections: [
      { name: 'General Admission', kind: 'general', price_cents: 5000, capacity: 100 },
      { name: 'VIP', kind: 'seated', price_cents: 20000, rows: 1, seats_per_row: 4 },
    ],
  })
  const [ga, vip] = event.sections
  const base = { eventId: event.id }
  await insertTicket(app, { ...base, sectionId: ga!.id, holderId: amy.id })
  await insertTicket(app, { ...base, sectionId: ga!.id, holderId: amy.id, priceCents: 4000 })
  await insertTicket(app, { ...base, sectionId: ga!.id, holderId: bob.id, status: 'held' })
  await insertTicket(app, { ...base, sectionId: ga!.id, holderId: cat.id, status: 'cancelled' })
  await insertTicket(app, { ...base, sectionId: vip!.id, holderId: bob.id, seat: { row: 'A', number: 2 } })
  // amy and bob are friends of cat; the friendship with the organizer is still pending.
  await app.ctx.db.insert(friendships).values([
    { requesterId: cat.id, addresseeId: amy.id, status: 'accepted' },
    { requesterId: bob.id, addresseeId: cat.id, status: 'accepted' },
    { requesterId: organizer.id, addresseeId: cat.id, status: 'pending' },
  ])
})
afterAll(() => app.close())

describe('GET /events/{id}/sales', () => {
  it('when the organizer asks, then each section shows capacity, held, sold and confirmed revenue', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/sales`,
      headers: organizer.auth,
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers.etag).toBeTruthy()
    expect(res.json()).toEqual({
      event_id: event.id,
      title: expect.any(String),
      currency: 'AUD',
      sections: [
        {
          id: event.sections[0]!.id,
          name: 'General Admission',
          kind: 'general',
          price_cents: 5000,
          capacity: 100,
          held: 1,
          sold: 2,
          available: 97,
          revenue_cents: 9000,
        },
        {
          id: event.sections[1]!.id,
          name: 'VIP',
          kind: 'seated',
          price_cents: 20000,
          capacity: 4,
          held: 0,
          sold: 1,
          available: 3,
          revenue_cents: 20000,
        },
      ],
      totals: { capacity: 104, held: 1, sold: 3, available: 100, revenue_cents: 29000 },
    })
  })

  it('when an admin asks, then 200; another user, 403; a draft of someone else, 404', async () => {
    const url = `/api/v1/events/${event.id}/sales`
    expect((await app.inject({ method: 'GET', url, headers: admin.auth })).statusCode).toBe(200)
    const forbidden = await app.inject({ method: 'GET', url, headers: amy.auth })
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.json().code).toBe('FORBIDDEN')
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/events/${draft.id}/sales`, headers: amy.auth }))
        .statusCode,
    ).toBe(404)
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(401)
  })
})

describe('GET /events/{id}/sales revenue: what buyers paid for the tickets confirmed now', () => {
  const revenueOf = async (eventId: number) => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${eventId}/sales`,
      headers: organizer.auth,
    })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    return {
      sections: body.sections.map((s: { revenue_cents: number }) => s.revenue_cents),
      total: body.totals.revenue_cents,
    }
  }
  const voucherFor = async (eventId: number, body: object) => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${eventId}/vouchers`,
      headers: organizer.auth,
      payload: body,
    })
    expect(res.statusCode, res.body).toBe(201)
  }
  const reserved = async (user: TestUser, eventId: number, body: object) => {
    const res = await reserveAs(app, user, eventId, body)
    expect(res.statusCode, res.body).toBe(201)
    return res.json()
  }
  const paid = async (user: TestUser, invoiceId: number) =>
    expect((await payAs(app, user, invoiceId)).statusCode).toBe(200)
  const giveBack = async (user: TestUser, ticketId: number) =>
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/tickets/${ticketId}`, headers: user.auth }))
        .statusCode,
    ).toBe(204)
  const oneSection = () =>
    makeEvent(app, organizer, {
      sections: [{ name: 'Floor', kind: 'general', price_cents: 1000, capacity: 10 }],
    })

  it('when a 50% voucher paid 1000 for two tickets of 1000, then revenue is 1000, and 500 after one is refunded', async () => {
    const show = await oneSection()
    await voucherFor(show.id, { code: 'HALF', kind: 'percent', value: 50 })
    const made = await reserved(amy, show.id, {
      section_id: show.sections[0]!.id,
      quantity: 2,
      voucher_code: 'HALF',
    })
    expect(made.invoices.map((i: { amount_cents: number }) => i.amount_cents)).toEqual([1000])
    expect(await revenueOf(show.id)).toEqual({ sections: [0], total: 0 })
    await paid(amy, made.invoices[0].id)
    expect(await revenueOf(show.id)).toEqual({ sections: [1000], total: 1000 })
    await giveBack(amy, made.tickets[0].id)
    const invoice = await app.inject({
      method: 'GET',
      url: `/api/v1/invoices/${made.invoices[0].id}`,
      headers: amy.auth,
    })
    expect(invoice.json()).toMatchObject({ amount_cents: 1000, refunded_cents: 500, status: 'paid' })
    expect(await revenueOf(show.id)).toEqual({ sections: [500], total: 500 })
    const table = formatSalesTable(await salesReport(app.ctx, show.id)).split('\n')
    expect(table[3]).toMatch(/^Floor\s+10\s+0\s+1\s+9\s+AUD\s5\.00$/)
    expect(table[5]).toMatch(/^total\s+10\s+0\s+1\s+9\s+AUD\s5\.00$/)
  })

  it('when an amount voucher discounts one section, then that section counts its lines after discount, never below 0, and the total adds up', async () => {
    const show = await makeEvent(app, organizer, {
      sections: [
        { name: 'Floor', kind: 'general', price_cents: 1000, capacity: 10 },
        { name: 'Balcony', kind: 'general', price_cents: 2500, capacity: 10 },
      ],
    })
    const [floor, balcony] = show.sections as [{ id: number }, { id: number }]
    await voucherFor(show.id, { code: 'LESS300', kind: 'amount', value: 300 })
    await voucherFor(show.id, { code: 'FREE', kind: 'amount', value: 5000 })
    const less = await reserved(amy, show.id, { section_id: floor.id, quantity: 2, voucher_code: 'less300' })
    await paid(amy, less.invoices[0].id)
    const full = await reserved(bob, show.id, { section_id: balcony.id, quantity: 1 })
    await paid(bob, full.invoices[0].id)
    const free = await reserved(cat, show.id, { section_id: balcony.id, quantity: 1, voucher_code: 'FREE' })
    expect(free.invoices[0].amount_cents).toBe(0)
    await paid(cat, free.invoices[0].id)
    // Held with a voucher, not paid: no revenue yet.
    await reserved(admin, show.id, { section_id: floor.id, quantity: 1, voucher_code: 'LESS300' })
    expect(await revenueOf(show.id)).toEqual({ sections: [1400, 2500], total: 3900 })
  })

  it('when revenue passes 32 bits, then the sum is exact', async () => {
    const show = await oneSection()
    const at = { eventId: show.id, sectionId: show.sections[0]!.id }
    await insertTicket(app, { ...at, holderId: amy.id, priceCents: 2_000_000_000 })
    await insertTicket(app, { ...at, holderId: bob.id, priceCents: 2_000_000_001 })
    expect(await revenueOf(show.id)).toEqual({ sections: [4_000_000_001], total: 4_000_000_001 })
  })

  it('when a split payment carries a voucher, then each attendee’s paid invoice counts once paid, at its discounted amount', async () => {
    const [booker, friend] = await Promise.all([registerUser(app), registerUser(app)])
    await makeFriends(app, booker, friend)
    const show = await oneSection()
    await voucherFor(show.id, { code: 'HALF', kind: 'percent', value: 50 })
    const made = await reserved(booker, show.id, {
      section_id: show.sections[0]!.id,
      attendee_ids: [friend.id],
      split_payment: true,
      voucher_code: 'HALF',
    })
    const invoiceOf = (who: TestUser) =>
      made.invoices.find((i: { payer: { id: number } }) => i.payer.id === who.id)
    expect([invoiceOf(booker).amount_cents, invoiceOf(friend).amount_cents]).toEqual([500, 500])
    await paid(booker, invoiceOf(booker).id)
    expect(await revenueOf(show.id)).toEqual({ sections: [500], total: 500 })
    await paid(friend, invoiceOf(friend).id)
    expect(await revenueOf(show.id)).toEqual({ sections: [1000], total: 1000 })
  })

  it('when a discounted ticket is transferred, then revenue keeps its line; refunded by its new holder, the line drops out', async () => {
    const [booker, friend] = await Promise.all([registerUser(app), registerUser(app)])
    await makeFriends(app, booker, friend)
    const show = await oneSection()
    await voucherFor(show.id, { code: 'Q', kind: 'percent', value: 25 })
    const made = await reserved(booker, show.id, {
      section_id: show.sections[0]!.id,
      quantity: 2,
      voucher_code: 'Q',
    })
    await paid(booker, made.invoices[0].id)
    expect(await revenueOf(show.id)).toEqual({ sections: [1500], total: 1500 })
    const moved = await app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${made.tickets[1].id}/transfer`,
      headers: booker.auth,
      payload: { user_id: friend.id },
    })
    expect(moved.statusCode).toBe(200)
    expect(await revenueOf(show.id)).toEqual({ sections: [1500], total: 1500 })
    await giveBack(friend, made.tickets[1].id)
    expect(await revenueOf(show.id)).toEqual({ sections: [750], total: 750 })
  })
})

describe('GET /events/{id}/attendees', () => {
  it('when the organizer asks, then holders of confirmed tickets come once each, by username, paginated', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/attendees?per_page=1`,
      headers: organizer.auth,
    })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({ page: 1, per_page: 1, total: 2, total_pages: 2 })
    expect(body.data).toEqual([
      {
        id: amy.id,
        username: amy.username,
        display_name: amy.username,
        bio: '',
        avatar_url: null,
        created_at: expect.any(String),
        ticket_count: 2,
      },
    ])
    expect(res.headers.link).toContain('rel="next"')
    const page2 = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/attendees?per_page=1&page=2`,
      headers: admin.auth,
    })
    expect(
      page2.json().data.map((u: { id: number; ticket_count: number }) => [u.id, u.ticket_count]),
    ).toEqual([[bob.id, 1]])
  })

  it('section_id keeps one section and status=held lists the holds still running, as the sales report counts them', async () => {
    const own = await makeEvent(app, organizer, {
      sections: [
        { name: 'Floor', kind: 'general', price_cents: 1000, capacity: 10 },
        { name: 'Balcony', kind: 'general', price_cents: 2000, capacity: 10 },
      ],
    })
    const [floor, balcony] = own.sections as [{ id: number }, { id: number }]
    const at = (sectionId: number) => ({ eventId: own.id, sectionId })
    await insertTicket(app, { ...at(floor.id), holderId: amy.id })
    await insertTicket(app, { ...at(balcony.id), holderId: bob.id })
    await insertTicket(app, { ...at(floor.id), holderId: cat.id, status: 'held' })
    // A lapsed hold the sweep has not reached: not held any more, and never an attendee.
    await insertTicket(app, {
      ...at(balcony.id),
      holderId: amy.id,
      status: 'held',
      expiresAt: new Date(Date.now() - 60_000),
    })
    const list = async (query: string) => {
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/events/${own.id}/attendees?${query}`,
        headers: organizer.auth,
      })
      expect(res.statusCode, query).toBe(200)
      const body = res.json()
      return { ids: body.data.map((u: { id: number }) => u.id), total: body.total }
    }
    expect(await list('')).toEqual({ ids: [amy.id, bob.id], total: 2 })
    expect(await list('status=confirmed')).toEqual({ ids: [amy.id, bob.id], total: 2 })
    expect(await list(`section_id=${floor.id}`)).toEqual({ ids: [amy.id], total: 1 })
    expect(await list(`section_id=${balcony.id}`)).toEqual({ ids: [bob.id], total: 1 })
    expect(await list('status=held')).toEqual({ ids: [cat.id], total: 1 })
    expect(await list(`status=held&section_id=${floor.id}`)).toEqual({ ids: [cat.id], total: 1 })
    expect(await list(`status=held&section_id=${balcony.id}`)).toEqual({ ids: [], total: 0 })
    // A section of another event matches nobody.
    expect(await list(`section_id=${event.sections[0]!.id}`)).toEqual({ ids: [], total: 0 })
    const report = await salesReport(app.ctx, own.id)
    expect(report.sections.map((l) => [l.sold, l.held])).toEqual([
      [1, 1],
      [1, 0],
    ])
    for (const bad of ['status=sold', 'section_id=abc', 'section_id=0']) {
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/events/${own.id}/attendees?${bad}`,
        headers: organizer.auth,
      })
      expect(res.statusCode, bad).toBe(400)
    }
  })

  it('when another user asks, then 403', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/attendees`,
      headers: bob.auth,
    })
    expect(res.statusCode).toBe(403)
  })
})

describe('GET /events/{id}/friends-going', () => {
  it('when friends hold confirmed tickets, then they are listed; pending friends and strangers are not', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/friends-going`,
      headers: cat.auth,
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ total: 2, page: 1 })
    expect(res.json().data.map((u: { id: number }) => u.id)).toEqual([amy.id, bob.id])
    const lonely = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/friends-going`,
      headers: organizer.auth,
    })
    expect(lonely.json()).toMatchObject({ data: [], total: 0 })
  })

  it('when the event is a draft the caller may not see, then 404; without a token, 401', async () => {
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${draft.id}/friends-going`,
      headers: cat.auth,
    })
    expect(res.statusCode).toBe(404)
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}/friends-going` })).statusCode,
    ).toBe(401)
  })
})

describe('lapsed holds in the seat map, the sales view and the event itself', () => {
  it('when a hold has lapsed but no sweep has run, then its seat is available and neither /sales nor the event counts it held', async () => {
    const show = await makeEvent(app, organizer, {
      sections: [{ name: 'Stalls', kind: 'seated', price_cents: 1000, rows: 1, seats_per_row: 4 }],
    })
    const stalls = show.sections[0]!.id
    const base = { eventId: show.id, sectionId: stalls }
    const past = new Date(Date.now() - 60_000)
    await insertTicket(app, {
      ...base,
      holderId: amy.id,
      status: 'held',
      seat: { row: 'A', number: 1 },
      expiresAt: past,
    })
    await insertTicket(app, { ...base, holderId: bob.id, status: 'held', seat: { row: 'A', number: 2 } })
    await insertTicket(app, { ...base, holderId: cat.id, seat: { row: 'A', number: 3 } })

    const seats = await app.inject({ method: 'GET', url: `/api/v1/events/${show.id}/seats` })
    expect(
      seats
        .json()
        .map((s: { row: string; number: number; status: string }) => [`${s.row}${s.number}`, s.status]),
    ).toEqual([
      ['A1', 'available'],
      ['A2', 'held'],
      ['A3', 'sold'],
      ['A4', 'available'],
    ])
    const sales = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${show.id}/sales`,
      headers: organizer.auth,
    })
    expect(sales.json().sections).toEqual([
      expect.objectContaining({
        id: stalls,
        capacity: 4,
        held: 1,
        sold: 1,
        available: 2,
        revenue_cents: 1000,
      }),
    ])
    expect(sales.json().totals).toEqual({ capacity: 4, held: 1, sold: 1, available: 2, revenue_cents: 1000 })
    const detail = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${show.id}`,
      headers: organizer.auth,
    })
    expect(detail.json().sections[0]).toMatchObject({ held: 1, sold: 1, available: 2 })
    const list = await app.inject({
      method: 'GET',
      url: `/api/v1/events?organizer_id=${organizer.id}&per_page=100`,
      headers: organizer.auth,
    })
    const listed = list.json().data.find((e: { id: number }) => e.id === show.id)
    expect(listed.sections[0]).toMatchObject({ held: 1, sold: 1, available: 2 })
  })
})

describe('stagedoor tickets-sold', () => {
  it('when run for an event, then it prints the same figures as /sales as a table', async () => {
    const table = formatSalesTable(await salesReport(app.ctx, event.id))
    const lines = table.split('\n')
    expect(lines[0]).toMatch(new RegExp(`^Event ${event.id}: .* \\(AUD\\)$`))
    expect(lines[1]).toMatch(/^section\s+capacity\s+held\s+sold\s+available\s+revenue$/)
    expect(lines[3]).toMatch(/^General Admission\s+100\s+1\s+2\s+97\s+AUD\s90\.00$/)
    expect(lines[4]).toMatch(/^VIP\s+4\s+0\s+1\s+3\s+AUD\s200\.00$/)
    expect(lines[6]).toMatch(/^total\s+104\s+1\s+3\s+100\s+AUD\s290\.00$/)
  })

  it('when the currency has no minor unit, then amounts have no decimals', () => {
    expect(formatMoney(1500, 'JPY', 'code')).toMatch(/^JPY\s1,500$/)
  })

  it('when the event does not exist, then the report fails with NOT_FOUND', async () => {
    await expect(salesReport(app.ctx, 999999)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
