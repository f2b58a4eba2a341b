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

  it('when the account organizes events still to come, then they are cancelled with it: buyers refunded, nothing more sold', async () => {
    const [leaving, buyer, other] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
    const event = await makeEvent(app, leaving, { sections: [{ capacity: 5, price_cents: 2500 }] })
    const draft = await makeEvent(app, leaving, { title: 'Unannounced', status: 'draft' })
    const elsewhere = await makeEvent(app, other)
    const section = event.sections[0]!
    const paid = (await reserveAs(app, buyer, event.id, { section_id: section.id })).json()
    expect((await payAs(app, buyer, paid.invoices[0].id)).statusCode).toBe(200)
    const open = (await reserveAs(app, buyer, event.id, { section_id: section.id })).json()

    const gone = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: leaving.auth })
    expect(gone.statusCode).toBe(204)
    const shown = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })
    expect(shown.json()).toMatchObject({ status: 'cancelled', organizer: null })
    expect(await sectionCounts(app, section.id)).toMatchObject({ held: 0, sold: 0 })
    expect((await getAs(app, buyer, `/invoices/${paid.invoices[0].id}`)).body).toMatchObject({
      status: 'refunded',
      refunded_cents: 2500,
    })
    expect((await getAs(app, buyer, `/invoices/${open.invoices[0].id}`)).body).toMatchObject({
      status: 'void',
    })
    const again = await reserveAs(app, buyer, event.id, { section_id: section.id })
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('EVENT_NOT_ON_SALE')
    // The draft stays as private as a draft; someone else's event is untouched.
    expect((await app.inject({ method: 'GET', url: `/api/v1/events/${draft.id}` })).statusCode).toBe(404)
    const theirs = await app.inject({ method: 'GET', url: `/api/v1/events/${elsewhere.id}` })
    expect(theirs.json().status).toBe('published')
  })
})
