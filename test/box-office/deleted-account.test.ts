// A deleted account's unpaid holds: nobody else may pay them, so they lapse with the account and their places go
// back on sale, to the waiting list first. The tickets it holds for events still to come are given back, refunded
// to whoever paid (nobody else could use or refund them); its invoices stay, without its name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildBoxOfficeApp,
  getAs,
  payAs,
  quickUsers,
  reserveAs,
  sectionCounts,
} from '../factories/boxoffice.js'
import { checkInAs, codeOf, confirmedTicket } from '../factories/checkin.js'
import { insertTicket, makeEvent } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
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
  it('when the account held unpaid tickets, then they lapse at once and the waiting list is served; paid ones are refunded', async () => {
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
    expect(await sectionCounts(app, section.id)).toMatchObject({ held: 0, sold: 0 })
    expect(await pendingWaitlistJobs(app)).toContain(section.id)
    const heldInvoice = await getAs(app, organizer, `/invoices/${held.invoices[0].id}`)
    expect(heldInvoice.body).toMatchObject({ status: 'expired', payer: null })
    const paidInvoice = await getAs(app, organizer, `/invoices/${paid.invoices[0].id}`)
    expect(paidInvoice.body).toMatchObject({ status: 'refunded', refunded_cents: 2500, payer: null })
  })

  it('when the account held a ticket someone else paid for and gave it, then that payer is refunded and the place sold again', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 2, price_cents: 2500 }] })
    const section = event.sections[0]!
    const [giver, leaving, buyer] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
    await makeFriends(app, giver, leaving)
    const ticket = await confirmedTicket(app, giver, event)
    const given = await app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${ticket.id}/transfer`,
      headers: giver.auth,
      payload: { user_id: leaving.id },
    })
    expect(given.statusCode).toBe(200)
    // Once given, only its holder may give it back: the giver cannot.
    const refused = await app.inject({
      method: 'DELETE',
      url: `/api/v1/tickets/${ticket.id}`,
      headers: giver.auth,
    })
    expect(refused.statusCode).toBe(403)

    const gone = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: leaving.auth })
    expect(gone.statusCode).toBe(204)
    const after = await getAs(app, giver, `/tickets/${ticket.id}`)
    expect(after.body).toMatchObject({ status: 'cancelled', holder: null })
    const invoice = await getAs(app, giver, `/invoices/${after.body.invoice_id}`)
    expect(invoice.body).toMatchObject({ status: 'refunded', refunded_cents: 2500 })
    expect(await sectionCounts(app, section.id)).toMatchObject({ held: 0, sold: 0 })
    // Both places can be bought again.
    expect((await reserveAs(app, buyer, event.id, { section_id: section.id, quantity: 2 })).statusCode).toBe(
      201,
    )
  })

  it('when the account held tickets used at the door, of a started event, or booked for a friend, then those stay', async () => {
    const [leaving, friend] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    await makeFriends(app, leaving, friend)
    // Used at the door.
    const door = await makeEvent(app, organizer, { sections: [{ capacity: 5, price_cents: 2500 }] })
    const used = await confirmedTicket(app, leaving, door)
    const code = await codeOf(app, leaving, used.id)
    expect((await checkInAs(app, organizer, door.id, code!)).statusCode).toBe(201)
    // Booked and paid by the account for a friend, and its own seat beside: the friend's stays, its own goes.
    const party = (
      await reserveAs(app, leaving, door.id, {
        section_id: door.sections[0].id,
        quantity: 2,
        attendee_ids: [friend.id],
      })
    ).json()
    expect((await payAs(app, leaving, party.invoices[0].id)).statusCode).toBe(200)
    const friendsTicket = party.tickets.find((t: { holder: { id: number } }) => t.holder.id === friend.id)
    // Of an event already started (its start moved while nothing was sold, then a ticket written in).
    const started = await makeEvent(app, organizer, { sections: [{ capacity: 5, price_cents: 2500 }] })
    const moved = await app.inject({
      method: 'PATCH',
      url: `/api/v1/events/${started.id}`,
      headers: organizer.auth,
      payload: { starts_at: new Date(Date.now() - 3_600_000).toISOString() },
    })
    expect(moved.statusCode).toBe(200)
    const old = await insertTicket(app, {
      eventId: started.id,
      sectionId: started.sections[0].id,
      holderId: leaving.id,
    })

    const gone = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: leaving.auth })
    expect(gone.statusCode).toBe(204)
    expect((await getAs(app, organizer, `/tickets/${used.id}`)).body).toMatchObject({
      status: 'confirmed',
      holder: null,
    })
    expect((await getAs(app, friend, `/tickets/${friendsTicket.id}`)).body).toMatchObject({
      status: 'confirmed',
      holder: { id: friend.id },
    })
    expect(await sectionCounts(app, door.sections[0].id)).toMatchObject({ held: 0, sold: 2 })
    expect((await getAs(app, organizer, `/tickets/${old.id}`)).body).toMatchObject({
      status: 'confirmed',
      holder: null,
    })
    expect(await sectionCounts(app, started.sections[0].id)).toMatchObject({ sold: 1 })
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
