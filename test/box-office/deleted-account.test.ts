// A deleted account's unpaid holds: nobody else may pay them, so they lapse with the account and their places go
// back on sale, to the waiting list first. What it paid for stays sold (its invoices stay, without its name).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildBoxOfficeApp,
  getAs,
  payAs,
  quickUsers,
  reserveAs,
  sectionCounts,
} from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { joinAs, pendingWaitlistJobs } from '../factories/waitlist.js'
import type { App, TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  organizer = (await quickUsers(app, 1))[0]!
})
afterAll(() => app.close())

describe('DELETE /users/me with tickets', () => {
  it('when the account held unpaid tickets, then they lapse at once and the waiting list is served; paid ones stay sold', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 3, price_cents: 2500 }] })
    const section = event.sections[0]!
    const [leaving, waiting] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    const paid = (await reserveAs(app, leaving, event.id, { section_id: section.id })).json()
    expect((await payAs(app, leaving, paid.invoices[0].id)).statusCode).toBe(200)
    const held = (await reserveAs(app, leaving, event.id, { section_id: section.id, quantity: 2 })).json()
    expect(await sectionCounts(app, section.id)).toMatchObject({ held: 2, sold: 1 })
    expect((await joinAs(app, waiting, event.id, { section_id: section.id, quantity: 2 })).statusCode).toBe(
      201,
    )

    const gone = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: leaving.auth })
    expect(gone.statusCode).toBe(204)
    expect(await sectionCounts(app, section.id)).toMatchObject({ held: 0, sold: 1 })
    expect(await pendingWaitlistJobs(app)).toContain(section.id)
    const heldInvoice = await getAs(app, organizer, `/invoices/${held.invoices[0].id}`)
    expect(heldInvoice.body).toMatchObject({ status: 'expired', payer: null })
    const paidInvoice = await getAs(app, organizer, `/invoices/${paid.invoices[0].id}`)
    expect(paidInvoice.body).toMatchObject({ status: 'paid', payer: null })
  })
})
