import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
let friend: TestUser
let stranger: TestUser
let admin: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  ;[organizer, buyer, friend, stranger] = (await quickUsers(app, 4)) as [
    TestUser,
    TestUser,
    TestUser,
    TestUser,
  ]
  admin = await quickAdmin(app)
  await makeFriends(app, buyer, friend)
})
afterAll(() => app.close())

async function reservation(body: object = {}, spec = {}) {
  const event = await makeEvent(app, organizer, spec)
  const res = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, ...body })
  expect(res.statusCode).toBe(201)
  return { event, section: event.sections[0]!, ...res.json() }
}
const del = (user: TestUser, id: number) =>
  app.inject({ method: 'DELETE', url: `/api/v1/tickets/${id}`, headers: user.auth })
const transfer = (user: TestUser, id: number, userId: unknown) =>
  app.inject({
    method: 'POST',
    url: `/api/v1/tickets/${id}/transfer`,
    headers: user.auth,
    payload: { user_id: userId },
  })

describe('GET /users/me/tickets', () => {
  it('when the caller holds or booked tickets, then both are listed newest first, with status filter and pages', async () => {
    const [booker, holder] = await quickUsers(app, 2)
    await makeFriends(app, booker!, holder!)
    const event = await makeEvent(app, organizer)
    const first = (
      await reserveAs(app, booker!, event.id, {
        section_id: event.sections[0]!.id,
        attendee_ids: [holder!.id],
      })
    ).json()
    const second = (await reserveAs(app, booker!, event.id, { section_id: event.sections[0]!.id })).json()
    await payAs(app, booker!, second.invoices[0].id)

    const mine = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me/tickets?per_page=2',
      headers: booker!.auth,
    })
    expect(mine.json()).toMatchObject({ page: 1, per_page: 2, total: 3, total_pages: 2 })
    expect(mine.json().data.map((t: { id: number }) => t.id)).toEqual([
      second.tickets[0].id,
      first.tickets[1].id,
    ])
    expect(mine.headers.etag).toBeDefined()
    const confirmed = await getAs(app, booker!, '/users/me/tickets?status=confirmed')
    expect(confirmed.body.data.map((t: { id: number }) => t.id)).toEqual([second.tickets[0].id])
    const held = await getAs(app, holder!, '/users/me/tickets')
    expect(held.body.data).toEqual([first.tickets[1]])
    expect((await getAs(app, holder!, '/users/me/tickets?status=sold')).status).toBe(400)
    expect((await getAs(app, stranger, '/users/me/tickets')).body).toMatchObject({ data: [], total: 0 })
  })
})

describe('GET /tickets/{id}', () => {
  it('when the holder, the booker, the organizer or an admin asks, then 200; anyone else gets 404', async () => {
    const made = await reservation({ attendee_ids: [friend.id] })
    const ticket = made.tickets[1]
    for (const who of [friend, buyer, organizer, admin]) {
      expect(await getAs(app, who, `/tickets/${ticket.id}`)).toEqual({ status: 200, body: ticket })
    }
    expect((await getAs(app, stranger, `/tickets/${ticket.id}`)).status).toBe(404)
    expect((await getAs(app, buyer, '/tickets/2000000')).status).toBe(404)
    expect((await getAs(app, buyer, '/tickets/2147483648')).status).toBe(404)
  })
})

describe('DELETE /tickets/{id}', () => {
  it('when a held ticket is released, then 204, its line leaves the open invoice and the place comes back', async () => {
    const made = await reservation({ quantity: 2 })
    const res = await del(buyer, made.tickets[0].id)
    expect(res.statusCode).toBe(204)
    const invoice = (await getAs(app, buyer, `/invoices/${made.invoices[0].id}`)).body
    expect(invoice).toMatchObject({ status: 'open', amount_cents: 4500 })
    expect(invoice.lines.map((l: { ticket_id: number }) => l.ticket_id)).toEqual([made.tickets[1].id])
    expect((await getAs(app, buyer, `/tickets/${made.tickets[0].id}`)).body).toMatchObject({
      status: 'cancelled',
      invoice_id: null,
    })
    expect(await sectionCounts(app, made.section.id)).toEqual({
      held: 1,
      sold: 0,
      heldTickets: 1,
      confirmedTickets: 0,
    })
    // The last ticket gone, the invoice is void.
    await del(buyer, made.tickets[1].id)
    expect((await getAs(app, buyer, `/invoices/${made.invoices[0].id}`)).body).toMatchObject({
      status: 'void',
      amount_cents: 0,
    })
  })

  it('when confirmed tickets are refunded one by one, then the invoice is partly refunded, then refunded', async () => {
    const made = await reservation({ quantity: 2 })
    await payAs(app, buyer, made.invoices[0].id)
    expect((await del(buyer, made.tickets[0].id)).statusCode).toBe(204)
    const partly = (await getAs(app, buyer, `/invoices/${made.invoices[0].id}`)).body
    expect(partly).toMatchObject({ status: 'paid', amount_cents: 9000, refunded_cents: 4500 })
    expect(partly.lines.map((l: { refunded_at: string | null }) => l.refunded_at !== null)).toEqual([
      true,
      false,
    ])
    expect(await sectionCounts(app, made.section.id)).toEqual({
      held: 0,
      sold: 1,
      heldTickets: 0,
      confirmedTickets: 1,
    })
    await del(buyer, made.tickets[1].id)
    expect((await getAs(app, buyer, `/invoices/${made.invoices[0].id}`)).body).toMatchObject({
      status: 'refunded',
      refunded_cents: 9000,
    })
    expect(await sectionCounts(app, made.section.id)).toEqual({
      held: 0,
      sold: 0,
      heldTickets: 0,
      confirmedTickets: 0,
    })
  })

  it('when the holder (not the booker) gives a ticket back, then 204', async () => {
    const made = await reservation({ attendee_ids: [friend.id] })
    expect((await del(friend, made.tickets[1].id)).statusCode).toBe(204)
  })

  it('when the ticket is already cancelled or its hold lapsed, then 409 TICKET_NOT_LIVE and nothing moves twice', async () => {
    const made = await reservation({ quantity: 2 })
    await del(buyer, made.tickets[0].id)
    const again = await del(buyer, made.tickets[0].id)
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('TICKET_NOT_LIVE')
    await lapseReservation(app, made.id)
    expect((await del(buyer, made.tickets[1].id)).json().code).toBe('TICKET_NOT_LIVE')
    expect(await sectionCounts(app, made.section.id)).toMatchObject({ held: 1, heldTickets: 1 })
  })

  it('when the organizer or an admin tries, then 403; a stranger gets 404', async () => {
    const made = await reservation()
    expect((await del(organizer, made.tickets[0].id)).statusCode).toBe(403)
    expect((await del(admin, made.tickets[0].id)).statusCode).toBe(403)
    expect((await del(stranger, made.tickets[0].id)).statusCode).toBe(404)
  })
})

describe('POST /tickets/{id}/transfer', () => {
  it('when the holder transfers a confirmed ticket to a friend, then 200 and the friend holds it', async () => {
    const made = await reservation()
    await payAs(app, buyer, made.invoices[0].id)
    const res = await transfer(buyer, made.tickets[0].id, friend.id)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      id: made.tickets[0].id,
      status: 'confirmed',
      holder: { id: friend.id },
      booker: { id: buyer.id },
    })
    expect((await getAs(app, friend, `/tickets/${made.tickets[0].id}`)).status).toBe(200)
  })

  it('when the recipient is not a friend, then 403 NOT_FRIENDS', async () => {
    const made = await reservation()
    await payAs(app, buyer, made.invoices[0].id)
    const res = await transfer(buyer, made.tickets[0].id, stranger.id)
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('NOT_FRIENDS')
  })

  it('when the ticket is only held, then 409 TICKET_NOT_CONFIRMED', async () => {
    const made = await reservation()
    const res = await transfer(buyer, made.tickets[0].id, friend.id)
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('TICKET_NOT_CONFIRMED')
  })

  it('when the friend already has the most tickets allowed, then 409 TICKET_LIMIT_EXCEEDED', async () => {
    const made = await reservation({ quantity: 1 }, { max_tickets_per_user: 1 })
    await payAs(app, buyer, made.invoices[0].id)
    expect((await reserveAs(app, friend, made.event.id, { section_id: made.section.id })).statusCode).toBe(
      201,
    )
    const refused = (await transfer(buyer, made.tickets[0].id, friend.id)).json()
    const { display_name } = (
      await app.inject({ method: 'GET', url: `/api/v1/users/${friend.id}`, headers: buyer.auth })
    ).json()
    // One ticket, not "1 tickets"; the friend by name and username, not "user 17".
    expect(refused).toMatchObject({
      code: 'TICKET_LIMIT_EXCEEDED',
      detail: `At most 1 ticket per person for this event; ${display_name} (@${friend.username}) already has 1`,
    })
  })

  it('when one ticket is transferred three times at once, then one goes through and the others are 403 as afterwards', async () => {
    const friends = await quickUsers(app, 3)
    for (const f of friends) await makeFriends(app, buyer, f)
    const made = await reservation()
    await payAs(app, buyer, made.invoices[0].id)
    const id = made.tickets[0].id
    const answers = await Promise.all(friends.map((f) => transfer(buyer, id, f.id)))
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 403, 403])
    for (const refused of answers.filter((a) => a.statusCode === 403)) {
      expect(refused.json()).toMatchObject({
        code: 'FORBIDDEN',
        detail: 'Only the holder can transfer a ticket',
      })
    }
    // The same request sent now: the same answer.
    expect((await transfer(buyer, id, friends[0]!.id)).statusCode).toBe(403)
  })

  it('when the booker is not the holder, then 403; a stranger gets 404; yourself is 400; an unknown user 404', async () => {
    const made = await reservation({ attendee_ids: [friend.id] })
    await payAs(app, buyer, made.invoices[0].id)
    const friendsTicket = made.tickets[1].id
    expect((await transfer(buyer, friendsTicket, buyer.id)).statusCode).toBe(403)
    expect((await transfer(stranger, friendsTicket, stranger.id)).statusCode).toBe(404)
    expect((await transfer(friend, friendsTicket, friend.id)).statusCode).toBe(400)
    expect((await transfer(friend, friendsTicket, 2_000_000)).statusCode).toBe(404)
    expect((await transfer(friend, friendsTicket, '5')).statusCode).toBe(400)
  })
})
