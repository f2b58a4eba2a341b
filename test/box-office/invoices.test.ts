import { and, count, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { payments } from '../../src/db/schema/index.js'
import {
  buildBoxOfficeApp,
  getAs,
  lapseReservation,
  payAs,
  quickAdmin,
  quickUsers,
  reserveAs,
  sectionCounts,
} from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import type { App, TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let buyer: TestUser
let stranger: TestUser
let admin: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  ;[organizer, buyer, stranger] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
  admin = await quickAdmin(app)
})
afterAll(() => app.close())

async function reservation(user = buyer, body: object = {}, spec = {}) {
  const event = await makeEvent(app, organizer, spec)
  const res = await reserveAs(app, user, event.id, { section_id: event.sections[0]!.id, ...body })
  expect(res.statusCode).toBe(201)
  return { event, section: event.sections[0]!, ...res.json() }
}

describe('GET /users/me/invoices', () => {
  it('when the caller has invoices, then they are listed newest first, paginated, with a status filter', async () => {
    const [payer] = await quickUsers(app, 1)
    const a = await reservation(payer)
    const b = await reservation(payer)
    const c = await reservation(payer)
    await payAs(app, payer!, b.invoices[0].id)
    const page1 = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me/invoices?per_page=2',
      headers: payer!.auth,
    })
    expect(page1.statusCode).toBe(200)
    expect(page1.json()).toMatchObject({ page: 1, per_page: 2, total: 3, total_pages: 2 })
    expect(page1.json().data.map((i: { id: number }) => i.id)).toEqual([c.invoices[0].id, b.invoices[0].id])
    expect(page1.headers.link).toContain('rel="next"')
    const page2 = await getAs(app, payer!, '/users/me/invoices?per_page=2&page=2')
    expect(page2.body.data.map((i: { id: number }) => i.id)).toEqual([a.invoices[0].id])
    const paid = await getAs(app, payer!, '/users/me/invoices?status=paid')
    expect(paid.body.data.map((i: { id: number }) => i.id)).toEqual([b.invoices[0].id])
    expect(paid.body.total).toBe(1)
    expect((await getAs(app, payer!, '/users/me/invoices?status=bogus')).status).toBe(400)
    // The filter is on the status a client sees: an open invoice past its due time is expired at once.
    await lapseReservation(app, a.id)
    const shown = async (status: string) => {
      const res = await getAs(app, payer!, `/users/me/invoices?status=${status}`)
      return {
        ids: res.body.data.map((i: { id: number; status: string }) => [i.id, i.status]),
        total: res.body.total,
      }
    }
    expect(await shown('expired')).toEqual({ ids: [[a.invoices[0].id, 'expired']], total: 1 })
    expect(await shown('open')).toEqual({ ids: [[c.invoices[0].id, 'open']], total: 1 })
  })

  it('when the caller has none, then 200 with an empty page', async () => {
    const [nobody] = await quickUsers(app, 1)
    expect((await getAs(app, nobody!, '/users/me/invoices')).body).toEqual({
      data: [],
      page: 1,
      per_page: 20,
      total: 0,
      total_pages: 0,
    })
  })
})

describe('GET /invoices/{id}', () => {
  it('when the payer, the organizer or an admin asks, then 200; anyone else and unknown ids get 404', async () => {
    const made = await reservation()
    for (const who of [buyer, organizer, admin]) {
      expect(await getAs(app, who, `/invoices/${made.invoices[0].id}`)).toEqual({
        status: 200,
        body: made.invoices[0],
      })
    }
    expect((await getAs(app, stranger, `/invoices/${made.invoices[0].id}`)).status).toBe(404)
    expect((await getAs(app, buyer, '/invoices/2000000')).status).toBe(404)
    expect((await getAs(app, buyer, '/invoices/abc')).status).toBe(400)
  })

  it('when split_payment made a friend pay, then the booker cannot see the friend invoice', async () => {
    const [friend] = await quickUsers(app, 1)
    await makeFriends(app, buyer, friend!)
    const made = await reservation(buyer, { attendee_ids: [friend!.id], split_payment: true })
    expect((await getAs(app, friend!, `/invoices/${made.invoices[1].id}`)).status).toBe(200)
    expect((await getAs(app, buyer, `/invoices/${made.invoices[1].id}`)).status).toBe(404)
    expect((await getAs(app, friend!, `/invoices/${made.invoices[0].id}`)).status).toBe(404)
  })
})

describe('POST /invoices/{id}/pay', () => {
  it('when the payer pays with test_ok, then 200, the invoice is paid and its tickets confirmed', async () => {
    const made = await reservation(buyer, { quantity: 2 })
    const res = await payAs(app, buyer, made.invoices[0].id)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ ...made.invoices[0], status: 'paid', paid_at: expect.any(String) })
    const tickets = await getAs(app, buyer, `/reservations/${made.id}`)
    expect(
      tickets.body.tickets.map((t: { status: string; expires_at: null }) => [t.status, t.expires_at]),
    ).toEqual([
      ['confirmed', null],
      ['confirmed', null],
    ])
    expect(await sectionCounts(app, made.section.id)).toEqual({
      held: 0,
      sold: 2,
      heldTickets: 0,
      confirmedTickets: 2,
    })
    const [charge] = await app.ctx.db
      .select()
      .from(payments)
      .where(and(eq(payments.invoiceId, made.invoices[0].id), eq(payments.kind, 'charge')))
    expect(charge).toMatchObject({ amountCents: 9000, currency: 'AUD', method: 'test_ok', provider: 'test' })
  })

  it('when the card is declined, then 402 PAYMENT_DECLINED and the invoice stays open', async () => {
    const made = await reservation()
    const res = await payAs(app, buyer, made.invoices[0].id, 'test_declined')
    expect(res.statusCode).toBe(402)
    expect(res.json()).toMatchObject({ status: 402, code: 'PAYMENT_DECLINED' })
    expect((await getAs(app, buyer, `/invoices/${made.invoices[0].id}`)).body.status).toBe('open')
    expect(await sectionCounts(app, made.section.id)).toMatchObject({ held: 1, sold: 0 })
    const [charges] = await app.ctx.db
      .select({ n: count() })
      .from(payments)
      .where(eq(payments.invoiceId, made.invoices[0].id))
    expect(charges!.n).toBe(0)
  })

  it('when a payment method the provider does not take is sent, then 400 VALIDATION_FAILED and nothing changes', async () => {
    const made = await reservation()
    const invoiceId = made.invoices[0].id
    for (const method of ['visa', 'TEST_OK', 'test_ok ']) {
      const res = await payAs(app, buyer, invoiceId, method)
      expect(res.statusCode, method).toBe(400)
      expect(res.json()).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        errors: [{ path: 'body.payment_method', message: expect.any(String) }],
      })
    }
    expect((await getAs(app, buyer, `/invoices/${invoiceId}`)).body.status).toBe('open')
    const [charges] = await app.ctx.db
      .select({ n: count() })
      .from(payments)
      .where(eq(payments.invoiceId, invoiceId))
    expect(charges!.n).toBe(0)
    expect((await payAs(app, buyer, invoiceId, 'test_declined')).statusCode).toBe(402)
    expect((await payAs(app, buyer, invoiceId, 'test_ok')).statusCode).toBe(200)
  })

  it('when the invoice is already paid, then 409 INVOICE_NOT_OPEN', async () => {
    const made = await reservation()
    await payAs(app, buyer, made.invoices[0].id)
    const res = await payAs(app, buyer, made.invoices[0].id)
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('INVOICE_NOT_OPEN')
  })

  it('when the invoice is past due (swept or not), then 409 INVOICE_NOT_OPEN and nothing is confirmed', async () => {
    const made = await reservation()
    await lapseReservation(app, made.id)
    const res = await payAs(app, buyer, made.invoices[0].id)
    expect(res.json().code).toBe('INVOICE_NOT_OPEN')
    expect(await sectionCounts(app, made.section.id)).toMatchObject({ sold: 0, confirmedTickets: 0 })
  })

  it('when the invoice was voided (its only ticket released), then 409 INVOICE_NOT_OPEN', async () => {
    const made = await reservation()
    await app.inject({ method: 'DELETE', url: `/api/v1/tickets/${made.tickets[0].id}`, headers: buyer.auth })
    expect((await getAs(app, buyer, `/invoices/${made.invoices[0].id}`)).body.status).toBe('void')
    expect((await payAs(app, buyer, made.invoices[0].id)).json().code).toBe('INVOICE_NOT_OPEN')
  })

  it('when split invoices are paid one by one, then only the payer tickets are confirmed', async () => {
    const [friend] = await quickUsers(app, 1)
    await makeFriends(app, buyer, friend!)
    const made = await reservation(buyer, { attendee_ids: [friend!.id], split_payment: true })
    expect((await payAs(app, buyer, made.invoices[1].id)).statusCode).toBe(404)
    expect((await payAs(app, friend!, made.invoices[1].id)).statusCode).toBe(200)
    const after = await getAs(app, buyer, `/reservations/${made.id}`)
    expect(after.body.tickets.map((t: { status: string }) => t.status)).toEqual(['held', 'confirmed'])
    expect(await sectionCounts(app, made.section.id)).toMatchObject({ held: 1, sold: 1 })
  })

  it('when the organizer or an admin tries to pay, then 403; a stranger gets 404', async () => {
    const made = await reservation()
    expect((await payAs(app, organizer, made.invoices[0].id)).statusCode).toBe(403)
    expect((await payAs(app, admin, made.invoices[0].id)).statusCode).toBe(403)
    expect((await payAs(app, stranger, made.invoices[0].id)).statusCode).toBe(404)
  })

  it('when payment_method is missing or not a string, then 400', async () => {
    const made = await reservation()
    for (const payload of [{}, { payment_method: 5 }, { payment_method: '' }]) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/v1/invoices/${made.invoices[0].id}/pay`,
        headers: buyer.auth,
        payload,
      })
      expect(res.statusCode).toBe(400)
    }
  })
})
