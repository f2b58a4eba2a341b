// Giving a ticket back against a hostile user: no refund once the event has started, and a ticket that was
// transferred, or that its holder paid for, is the holder's alone to give back.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { events } from '../../src/db/schema/index.js'
import { buildBoxOfficeApp, getAs, payAs, quickUsers, reserveAs } from '../factories/boxoffice.js'
import { checkInAs, codeOf } from '../factories/checkin.js'
import { makeEvent } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import { type App, problem, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let booker: TestUser
let friend: TestUser
let other: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  ;[organizer, booker, friend, other] = (await quickUsers(app, 4)) as [TestUser, TestUser, TestUser, TestUser]
  await makeFriends(app, booker, friend)
  await makeFriends(app, friend, other)
})
afterAll(() => app.close())

const del = (user: TestUser, id: number) =>
  app.inject({ method: 'DELETE', url: `/api/v1/tickets/${id}`, headers: user.auth })

/** A reservation by `booker` of their ticket and `friend`'s, paid as asked; returns the friend's ticket. */
async function friendsTicket(split: boolean, pay: 'booker' | 'friend' | 'nobody') {
  const event = await makeEvent(app, organizer)
  const res = await reserveAs(app, booker, event.id, {
    section_id: event.sections[0]!.id,
    attendee_ids: [friend.id],
    split_payment: split,
  })
  expect(res.statusCode).toBe(201)
  const body = res.json()
  const ticket = body.tickets.find((t: { holder: { id: number } }) => t.holder.id === friend.id)
  const invoice = body.invoices.find((i: { id: number }) => i.id === ticket.invoice_id)
  if (pay !== 'nobody') {
    const payer = pay === 'booker' ? booker : friend
    expect((await payAs(app, payer, invoice.id)).statusCode).toBe(200)
  }
  return { event, ticket: ticket as { id: number } }
}

describe('DELETE /tickets/{id} once the event has started', () => {
  it('when a confirmed ticket is given back after the start, then 409 EVENT_STARTED and it stays confirmed', async () => {
    const event = await makeEvent(app, organizer)
    const res = (await reserveAs(app, booker, event.id, { section_id: event.sections[0]!.id })).json()
    expect((await payAs(app, booker, res.invoices[0].id)).statusCode).toBe(200)
    await app.ctx.db
      .update(events)
      .set({ startsAt: new Date(Date.now() - 60_000) })
      .where(eq(events.id, event.id))
    expect(problem(await del(booker, res.tickets[0].id))).toMatchObject({
      status: 409,
      code: 'EVENT_STARTED',
    })
    const ticket = await getAs(app, booker, `/tickets/${res.tickets[0].id}`)
    expect(ticket.body.status).toBe('confirmed')
    const invoice = await getAs(app, booker, `/invoices/${res.invoices[0].id}`)
    expect(invoice.body).toMatchObject({ status: 'paid', refunded_cents: 0 })
  })

  it('when the event has not started, then the same refund is 204', async () => {
    const event = await makeEvent(app, organizer)
    const res = (await reserveAs(app, booker, event.id, { section_id: event.sections[0]!.id })).json()
    expect((await payAs(app, booker, res.invoices[0].id)).statusCode).toBe(200)
    expect((await del(booker, res.tickets[0].id)).statusCode).toBe(204)
  })
})

describe('DELETE /tickets/{id}: who may give a ticket back', () => {
  it('when the booker paid for a friend who holds the ticket, then the booker may still give it back', async () => {
    const { ticket } = await friendsTicket(false, 'booker')
    expect((await del(booker, ticket.id)).statusCode).toBe(204)
  })

  it('when the holder paid their own invoice (split payment), then the booker gets 403 and the holder 204', async () => {
    const { ticket } = await friendsTicket(true, 'friend')
    expect(problem(await del(booker, ticket.id))).toMatchObject({ status: 403 })
    expect((await getAs(app, friend, `/tickets/${ticket.id}`)).body.status).toBe('confirmed')
    expect((await del(friend, ticket.id)).statusCode).toBe(204)
  })

  it('when the ticket was transferred, then its booker gets 403 and only the new holder may give it back', async () => {
    const { ticket } = await friendsTicket(false, 'booker')
    const moved = await app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${ticket.id}/transfer`,
      headers: friend.auth,
      payload: { user_id: other.id },
    })
    expect(moved.statusCode).toBe(200)
    expect(problem(await del(booker, ticket.id))).toMatchObject({ status: 403 })
    expect(problem(await del(friend, ticket.id)).status).toBe(404)
    expect((await getAs(app, other, `/tickets/${ticket.id}`)).body.status).toBe('confirmed')
    expect((await del(other, ticket.id)).statusCode).toBe(204)
  })
})

describe('a ticket used at the door', () => {
  it('when a checked-in ticket is given back or transferred, then 409 ALREADY_CHECKED_IN and the check-in stays', async () => {
    const { ticket } = await friendsTicket(false, 'booker')
    const code = await codeOf(app, friend, ticket.id)
    const eventId = (await getAs(app, friend, `/tickets/${ticket.id}`)).body.event.id
    const checkedIn = await checkInAs(app, organizer, eventId, code!)
    expect(checkedIn.statusCode).toBe(201)
    const at = checkedIn.json().checked_in_at

    const shown = await getAs(app, friend, `/tickets/${ticket.id}`)
    expect(shown.body.checked_in_at).toBe(at)
    for (const refused of [
      await del(friend, ticket.id),
      await app.inject({
        method: 'POST',
        url: `/api/v1/tickets/${ticket.id}/transfer`,
        headers: friend.auth,
        payload: { user_id: other.id },
      }),
    ]) {
      expect(problem(refused)).toMatchObject({ status: 409, code: 'ALREADY_CHECKED_IN' })
      expect(refused.json().checked_in_at).toBe(at)
    }
    const after = await getAs(app, friend, `/tickets/${ticket.id}`)
    expect(after.body).toMatchObject({ status: 'confirmed', holder: { id: friend.id }, checked_in_at: at })
    const door = await getAs(app, organizer, `/events/${eventId}/check-ins`)
    expect(door.body).toMatchObject({ checked_in: 1, confirmed: 2 })
  })
})

describe('POST /invoices/{id}/pay once the event has started', () => {
  it('when a hold is paid after the start, then 409 EVENT_STARTED, nothing is charged and the tickets stay held', async () => {
    const event = await makeEvent(app, organizer)
    const res = (await reserveAs(app, booker, event.id, { section_id: event.sections[0]!.id })).json()
    await app.ctx.db
      .update(events)
      .set({ startsAt: new Date(Date.now() - 60_000) })
      .where(eq(events.id, event.id))
    expect(problem(await payAs(app, booker, res.invoices[0].id))).toMatchObject({
      status: 409,
      code: 'EVENT_STARTED',
    })
    const invoice = await getAs(app, booker, `/invoices/${res.invoices[0].id}`)
    expect(invoice.body).toMatchObject({ status: 'open', paid_at: null })
    expect((await getAs(app, booker, `/tickets/${res.tickets[0].id}`)).body.status).toBe('held')
  })
})
