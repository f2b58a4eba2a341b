import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { payments } from '../../src/db/schema/index.js'
import {
  buildBoxOfficeApp,
  getAs,
  payAs,
  quickAdmin,
  quickUsers,
  reserveAs,
  sectionCounts,
} from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import type { App, TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let buyer: TestUser
let stranger: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  ;[organizer, buyer, stranger] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
})
afterAll(() => app.close())

const cancel = (user: TestUser, eventId: number) =>
  app.inject({ method: 'POST', url: `/api/v1/events/${eventId}/cancel`, headers: user.auth })

describe('POST /events/{id}/cancel', () => {
  it('when the organizer cancels, then open invoices are void, paid ones refunded, every live ticket cancelled', async () => {
    const event = await makeEvent(app, organizer, {
      title: 'Summer Gala',
      sections: [
        { capacity: 10, price_cents: 3000 },
        { rows: 2, seats_per_row: 3, price_cents: 8000, name: 'VIP' },
      ],
    })
    const [general, vip] = event.sections
    const open = (await reserveAs(app, buyer, event.id, { section_id: general.id, quantity: 2 })).json()
    const paid = (await reserveAs(app, buyer, event.id, { section_id: vip.id, quantity: 2 })).json()
    await payAs(app, buyer, paid.invoices[0].id)
    const partly = (await reserveAs(app, buyer, event.id, { section_id: general.id, quantity: 2 })).json()
    await payAs(app, buyer, partly.invoices[0].id)
    await app.inject({
      method: 'DELETE',
      url: `/api/v1/tickets/${partly.tickets[0].id}`,
      headers: buyer.auth,
    })

    const res = await cancel(organizer, event.id)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      id: event.id,
      title: 'Summer Gala',
      description: '',
      venue: 'Town Hall',
      starts_at: event.starts_at,
      ends_at: null,
      timezone: 'UTC',
      status: 'cancelled',
      organizer: expect.objectContaining({ id: organizer.id }),
      max_tickets_per_user: null,
      currency: 'AUD',
      sections: [
        {
          id: general.id,
          name: 'General Admission',
          kind: 'general',
          price_cents: 3000,
          capacity: 10,
          sold: 0,
          held: 0,
          available: 10,
        },
        {
          id: vip.id,
          name: 'VIP',
          kind: 'seated',
          price_cents: 8000,
          capacity: 6,
          sold: 0,
          held: 0,
          available: 6,
          rows: 2,
          seats_per_row: 3,
        },
      ],
      tickets_sold: 0,
      capacity: 16,
      min_price_cents: 3000,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    })

    const invoice = async (id: number) => (await getAs(app, buyer, `/invoices/${id}`)).body
    expect(await invoice(open.invoices[0].id)).toMatchObject({ status: 'void', refunded_cents: 0 })
    expect(await invoice(paid.invoices[0].id)).toMatchObject({ status: 'refunded', refunded_cents: 16000 })
    expect(await invoice(partly.invoices[0].id)).toMatchObject({ status: 'refunded', refunded_cents: 6000 })
    const mine = await getAs(app, buyer, '/users/me/tickets?per_page=100')
    expect(new Set(mine.body.data.map((t: { status: string }) => t.status))).toEqual(new Set(['cancelled']))
    for (const s of [general, vip]) {
      expect(await sectionCounts(app, s.id)).toEqual({
        held: 0,
        sold: 0,
        heldTickets: 0,
        confirmedTickets: 0,
      })
    }
    // Two refunds for the partly refunded invoice (the ticket given back, then the rest): 3000 + 3000.
    const refunds = await app.ctx.db
      .select()
      .from(payments)
      .where(and(eq(payments.invoiceId, partly.invoices[0].id), eq(payments.kind, 'refund')))
    expect(refunds.map((r) => r.amountCents)).toEqual([3000, 3000])
    // No more sales.
    const late = await reserveAs(app, buyer, event.id, { section_id: general.id })
    expect(late.json().code).toBe('EVENT_NOT_ON_SALE')
    expect((await payAs(app, buyer, open.invoices[0].id)).json().code).toBe('INVOICE_NOT_OPEN')
  })

  it('when an event is cancelled, then the answer is exactly what GET /events/{id} answers', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ capacity: 5 }, { rows: 1, seats_per_row: 2, name: 'Box' }],
    })
    const paid = (await reserveAs(app, buyer, event.id, { section_id: event.sections[1]!.id })).json()
    await payAs(app, buyer, paid.invoices[0].id)
    const res = await cancel(organizer, event.id)
    expect(res.statusCode).toBe(200)
    for (const who of [organizer, stranger]) {
      const shown = await getAs(app, who, `/events/${event.id}`)
      expect(shown.status).toBe(200)
      expect(res.json()).toEqual(shown.body)
    }
    const again = await cancel(organizer, event.id)
    expect(again.json()).toEqual(res.json())
  })

  it('when an admin cancels, then 200; cancelling again changes nothing and answers 200', async () => {
    const admin = await quickAdmin(app)
    const event = await makeEvent(app, organizer)
    const paid = (await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })).json()
    await payAs(app, buyer, paid.invoices[0].id)
    expect((await cancel(admin, event.id)).json().status).toBe('cancelled')
    const again = await cancel(organizer, event.id)
    expect(again.statusCode).toBe(200)
    const refunds = await app.ctx.db
      .select()
      .from(payments)
      .where(eq(payments.invoiceId, paid.invoices[0].id))
    expect(refunds.filter((p) => p.kind === 'refund')).toHaveLength(1)
  })

  it('when someone else tries, then 403 for a published event and 404 for a draft or unknown event', async () => {
    const published = await makeEvent(app, organizer)
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const res = await cancel(stranger, published.id)
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('FORBIDDEN')
    expect((await cancel(stranger, draft.id)).statusCode).toBe(404)
    expect((await cancel(stranger, 2_000_000)).statusCode).toBe(404)
    expect((await cancel(organizer, draft.id)).json().status).toBe('cancelled')
  })
})
