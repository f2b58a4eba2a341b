// Money sums beyond 32 bits: 100 tickets at the highest price are 10,000,000,000 minor units, more than an
// `integer` holds. The invoice, its payment and its refund keep the exact amount.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { payments } from '../../src/db/schema/index.js'
import { SECTION_LIMITS } from '../../src/modules/events/events.schemas.js'
import { buildBoxOfficeApp, getAs, payAs, quickUsers, reserveAs } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import type { App, TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let buyer: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  ;[organizer, buyer] = (await quickUsers(app, 2)) as [TestUser, TestUser]
})
afterAll(() => app.close())

describe('64-bit money sums', () => {
  it('when 100 tickets at the highest price are reserved, paid and refunded, then every amount is exact', async () => {
    const price = SECTION_LIMITS.price
    const total = 100 * price
    expect(total).toBeGreaterThan(2 ** 31)
    // One buyer holding 100 unpaid tickets needs an event that allows it (MAX_HELD_TICKETS_PER_EVENT caps the others).
    const event = await makeEvent(app, organizer, {
      max_tickets_per_user: 100,
      sections: [{ capacity: 200, price_cents: price }],
    })
    const res = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, quantity: 100 })
    expect(res.statusCode).toBe(201)
    const invoice = res.json().invoices[0]
    expect(invoice.amount_cents).toBe(total)
    const paid = await payAs(app, buyer, invoice.id)
    expect(paid.statusCode).toBe(200)
    expect(paid.json().amount_cents).toBe(total)
    const charged = await app.ctx.db.select().from(payments).where(eq(payments.invoiceId, invoice.id))
    expect(charged.map((p) => p.amountCents)).toEqual([total])

    const cancelled = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/cancel`,
      headers: organizer.auth,
    })
    expect(cancelled.statusCode).toBe(200)
    const after = await getAs(app, buyer, `/invoices/${invoice.id}`)
    expect(after.body).toMatchObject({ status: 'refunded', amount_cents: total, refunded_cents: total })
  })
})
