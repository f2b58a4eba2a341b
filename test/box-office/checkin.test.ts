// Check-in through the API: signed ticket codes and who sees them, the QR image, the event's public key,
// checking in (each error code), and transfer and refund making an old code worthless.
import { createPublicKey, verify } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tickets } from '../../src/db/schema/index.js'
import { buildBoxOfficeApp, getAs, quickAdmin, quickUsers } from '../factories/boxoffice.js'
import { addStaffAs, checkInAs, codeOf, confirmedTicket } from '../factories/checkin.js'
import { makeEvent } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import { type App, problem, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let buyer: TestUser
let stranger: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  ;[organizer, buyer, stranger] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
})
afterAll(() => app.close())

const ticketCode = async (user: TestUser, ticketId: number) => {
  const code = await codeOf(app, user, ticketId)
  if (!code) throw new Error('no code')
  return code
}

describe('ticket codes', () => {
  it('when the holder reads a confirmed ticket, then it carries a code signed with the event key; a held ticket, the booker of a friend’s ticket and the organizer see none', async () => {
    const event = await makeEvent(app, organizer)
    const ticket = await confirmedTicket(app, buyer, event)
    const code = await ticketCode(buyer, ticket.id)
    const [payload, signature] = code.split('.')
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({
      t: ticket.id,
      e: event.id,
      v: 1,
    })
    const key = await getAs(app, organizer, `/events/${event.id}/check-in-key`)
    expect(key.status).toBe(200)
    expect(key.body).toEqual({
      event_id: event.id,
      algorithm: 'Ed25519',
      public_key_pem: expect.stringContaining('BEGIN PUBLIC KEY'),
      public_key_jwk: { kty: 'OKP', crv: 'Ed25519', x: expect.any(String) },
      code_format: expect.any(String),
    })
    // Offline verification, with the JWK alone.
    const jwkKey = createPublicKey({ key: key.body.public_key_jwk, format: 'jwk' })
    expect(verify(null, Buffer.from(payload!), jwkKey, Buffer.from(signature!, 'base64url'))).toBe(true)
    // The same code again: the key is made once.
    expect(await ticketCode(buyer, ticket.id)).toBe(code)
    const listed = await getAs(app, buyer, '/users/me/tickets')
    expect(listed.body.data.find((t: { id: number }) => t.id === ticket.id).code).toBe(code)
    expect(await codeOf(app, organizer, ticket.id)).toBeUndefined()

    const held = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/reservations`,
      headers: buyer.auth,
      payload: { section_id: event.sections[0].id },
    })
    expect(await codeOf(app, buyer, held.json().tickets[0].id)).toBeUndefined()
  })

  it('when two databases in one process each have an event with the same id, then each ticket’s code is signed with its own event’s key', async () => {
    // A server process keeps parsed keys and signed codes (ticket-code.ts); they must follow the key, not the id.
    const apps = [await buildBoxOfficeApp(), await buildBoxOfficeApp()]
    try {
      const seen: {
        eventId: number
        ticketId: number
        code: string
        key: ReturnType<typeof createPublicKey>
      }[] = []
      for (const other of apps) {
        const [host, guest] = (await quickUsers(other, 2)) as [TestUser, TestUser]
        const event = await makeEvent(other, host)
        const ticket = await confirmedTicket(other, guest, event)
        const code = await codeOf(other, guest, ticket.id)
        const key = await getAs(other, host, `/events/${event.id}/check-in-key`)
        seen.push({
          eventId: event.id,
          ticketId: ticket.id,
          code: code!,
          key: createPublicKey({ key: key.body.public_key_jwk, format: 'jwk' }),
        })
      }
      const [a, b] = seen as [(typeof seen)[0], (typeof seen)[0]]
      expect([b.eventId, b.ticketId]).toEqual([a.eventId, a.ticketId])
      const valid = (code: string, key: typeof a.key) => {
        const [payload, signature] = code.split('.') as [string, string]
        return verify(null, Buffer.from(payload), key, Buffer.from(signature, 'base64url'))
      }
      expect([valid(a.code, a.key), valid(b.code, b.key)]).toEqual([true, true])
      // The keys differ, so a code signed with the other database's key would fail above.
      expect([valid(b.code, a.key), b.code === a.code]).toEqual([false, false])
    } finally {
      await Promise.all(apps.map((other) => other.close()))
    }
  })

  it('when a key is first asked for by many at once, then one key is made and every caller gets it', async () => {
    const event = await makeEvent(app, organizer)
    const keys = await Promise.all(
      Array.from({ length: 5 }, () => getAs(app, organizer, `/events/${event.id}/check-in-key`)),
    )
    expect(new Set(keys.map((k) => k.body.public_key_pem)).size).toBe(1)
  })

  it('when someone other than the organizer, an admin or staff asks for the key, then 403; a draft event is 404', async () => {
    const event = await makeEvent(app, organizer)
    expect((await getAs(app, stranger, `/events/${event.id}/check-in-key`)).status).toBe(403)
    const admin = await quickAdmin(app)
    expect((await getAs(app, admin, `/events/${event.id}/check-in-key`)).status).toBe(200)
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    expect((await getAs(app, stranger, `/events/${draft.id}/check-in-key`)).status).toBe(404)
    expect((await getAs(app, stranger, '/events/999999/check-in-key')).status).toBe(404)
  })
})

describe('GET /tickets/{id}/qr.svg', () => {
  it('when the holder asks, then an SVG image; the organizer and a stranger get 404; a ticket not paid yet or given back 409', async () => {
    const event = await makeEvent(app, organizer)
    const ticket = await confirmedTicket(app, buyer, event)
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/tickets/${ticket.id}/qr.svg`,
      headers: buyer.auth,
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/)
    expect(res.body).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    for (const who of [organizer, stranger]) {
      const other = await app.inject({
        method: 'GET',
        url: `/api/v1/tickets/${ticket.id}/qr.svg`,
        headers: who.auth,
      })
      expect(other.statusCode).toBe(404)
    }
    const none = await app.inject({
      method: 'GET',
      url: '/api/v1/tickets/999999/qr.svg',
      headers: buyer.auth,
    })
    expect(none.statusCode).toBe(404)

    // Held, not paid yet: the holder sees the ticket, but it has no entry code yet.
    const held = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/reservations`,
      headers: buyer.auth,
      payload: { section_id: event.sections[0].id },
    })
    expect(held.statusCode, held.body).toBe(201)
    const heldId = held.json().tickets[0].id
    const qrOf = (id: number, who: TestUser) =>
      app.inject({ method: 'GET', url: `/api/v1/tickets/${id}/qr.svg`, headers: who.auth })
    const notYet = await qrOf(heldId, buyer)
    expect(notYet.statusCode).toBe(409)
    expect(notYet.json().code).toBe('TICKET_NOT_CONFIRMED')
    expect((await qrOf(heldId, stranger)).statusCode).toBe(404)
    // Given back: no code any more either.
    const refund = await app.inject({
      method: 'DELETE',
      url: `/api/v1/tickets/${ticket.id}`,
      headers: buyer.auth,
    })
    expect(refund.statusCode).toBe(204)
    expect((await qrOf(ticket.id, buyer)).json().code).toBe('TICKET_NOT_CONFIRMED')
    expect((await qrOf(ticket.id, organizer)).statusCode).toBe(404)
  })
})

describe('POST /events/{id}/check-ins', () => {
  it('when the organizer scans a valid code, then 201 with the ticket, holder, section and seat; a second scan is 409 ALREADY_CHECKED_IN with the first time', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ name: 'Stalls', rows: 2, seats_per_row: 2 }],
    })
    const ticket = await confirmedTicket(app, buyer, event)
    const code = await ticketCode(buyer, ticket.id)
    const res = await checkInAs(app, organizer, event.id, code)
    expect(res.statusCode).toBe(201)
    expect(res.json()).toEqual({
      ticket_id: ticket.id,
      holder: expect.objectContaining({ id: buyer.id, username: buyer.username }),
      section: { id: event.sections[0].id, name: 'Stalls' },
      seat: { id: expect.any(Number), row: expect.any(String), number: expect.any(Number) },
      checked_in_at: expect.any(String),
    })
    const again = await checkInAs(app, organizer, event.id, ` ${code}\n`)
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({
      code: 'ALREADY_CHECKED_IN',
      checked_in_at: res.json().checked_in_at,
      ticket_id: ticket.id,
    })

    const list = await getAs(app, organizer, `/events/${event.id}/check-ins`)
    expect(list.status).toBe(200)
    expect(list.body).toEqual({
      checked_in: 1,
      confirmed: 1,
      data: [res.json()],
      page: 1,
      per_page: 20,
      total: 1,
      total_pages: 1,
    })
  })

  it('when the code is garbage, forged, of another event or of no ticket, then 404 TICKET_NOT_FOUND', async () => {
    const event = await makeEvent(app, organizer)
    const other = await makeEvent(app, organizer)
    const ticket = await confirmedTicket(app, buyer, event)
    const code = await ticketCode(buyer, ticket.id)
    const [payload, signature] = code.split('.') as [string, string]
    const claims = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const forged = [
      'not a code',
      `${payload}.`,
      `${claims({ t: ticket.id + 1, e: event.id, v: 1 })}.${signature}`,
      `${payload}.${Buffer.alloc(64).toString('base64url')}`,
      `${claims({ t: 'x', e: event.id, v: 1 })}.${signature}`,
    ]
    for (const bad of forged) {
      const res = await checkInAs(app, organizer, event.id, bad)
      expect({ bad, status: res.statusCode, code: problem(res).code }).toEqual({
        bad,
        status: 404,
        code: 'TICKET_NOT_FOUND',
      })
    }
    const elsewhere = await checkInAs(app, organizer, other.id, code)
    expect([elsewhere.statusCode, problem(elsewhere).code]).toEqual([404, 'TICKET_NOT_FOUND'])
    const empty = await checkInAs(app, organizer, event.id, '')
    expect(empty.statusCode).toBe(400)
  })

  it('when the ticket is no longer confirmed (its event was cancelled), then 409 TICKET_NOT_CONFIRMED', async () => {
    const event = await makeEvent(app, organizer)
    const ticket = await confirmedTicket(app, buyer, event)
    const code = await ticketCode(buyer, ticket.id)
    const cancelled = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/cancel`,
      headers: organizer.auth,
    })
    expect(cancelled.statusCode).toBe(200)
    const res = await checkInAs(app, organizer, event.id, code)
    expect([res.statusCode, problem(res).code]).toEqual([409, 'TICKET_NOT_CONFIRMED'])
  })

  it('when a ticket is transferred, then its old code is 404 TICKET_NOT_FOUND and the new holder’s code checks in', async () => {
    const [friend] = (await quickUsers(app, 1)) as [TestUser]
    await makeFriends(app, buyer, friend)
    const event = await makeEvent(app, organizer)
    const ticket = await confirmedTicket(app, buyer, event)
    const old = await ticketCode(buyer, ticket.id)
    const moved = await app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${ticket.id}/transfer`,
      headers: buyer.auth,
      payload: { user_id: friend.id },
    })
    expect(moved.statusCode).toBe(200)
    const fresh = await ticketCode(friend, ticket.id)
    expect(fresh).not.toBe(old)
    const stale = await checkInAs(app, organizer, event.id, old)
    expect([stale.statusCode, problem(stale).code]).toEqual([404, 'TICKET_NOT_FOUND'])
    const res = await checkInAs(app, organizer, event.id, fresh)
    expect(res.statusCode).toBe(201)
    expect(res.json().holder.id).toBe(friend.id)
  })

  it('when a ticket is refunded, then its old code is 404 TICKET_NOT_FOUND and the ticket shows no code', async () => {
    const event = await makeEvent(app, organizer)
    const ticket = await confirmedTicket(app, buyer, event)
    const old = await ticketCode(buyer, ticket.id)
    const refunded = await app.inject({
      method: 'DELETE',
      url: `/api/v1/tickets/${ticket.id}`,
      headers: buyer.auth,
    })
    expect(refunded.statusCode).toBe(204)
    expect(await codeOf(app, buyer, ticket.id)).toBeUndefined()
    const res = await checkInAs(app, organizer, event.id, old)
    expect([res.statusCode, problem(res).code]).toEqual([404, 'TICKET_NOT_FOUND'])
    const [row] = await app.ctx.db.select().from(tickets).where(eq(tickets.id, ticket.id))
    expect(row!.codeVersion).toBe(2)
  })

  it('when a stranger scans, then 403; on a draft event, 404', async () => {
    const event = await makeEvent(app, organizer)
    const ticket = await confirmedTicket(app, buyer, event)
    const code = await ticketCode(buyer, ticket.id)
    expect((await checkInAs(app, stranger, event.id, code)).statusCode).toBe(403)
    expect((await checkInAs(app, buyer, event.id, code)).statusCode).toBe(403)
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    expect((await checkInAs(app, stranger, draft.id, code)).statusCode).toBe(404)
    expect((await getAs(app, stranger, `/events/${event.id}/check-ins`)).status).toBe(403)
  })
})

describe('/events/{id}/staff', () => {
  it('when the organizer adds staff, then 201; again 409 ALREADY_STAFF; an unknown user 404; the list shows them; removing is 204, then 404', async () => {
    const event = await makeEvent(app, organizer)
    const [door] = (await quickUsers(app, 1)) as [TestUser]
    const res = await addStaffAs(app, organizer, event.id, door.id)
    expect(res.statusCode).toBe(201)
    expect(res.json()).toEqual({
      user: expect.objectContaining({ id: door.id, username: door.username }),
      added_at: expect.any(String),
    })
    const again = await addStaffAs(app, organizer, event.id, door.id)
    expect([again.statusCode, problem(again).code]).toEqual([409, 'ALREADY_STAFF'])
    const unknown = await addStaffAs(app, organizer, event.id, 999999)
    expect([unknown.statusCode, problem(unknown).code]).toEqual([404, 'NOT_FOUND'])
    // The organizer works the door already.
    const self = await addStaffAs(app, organizer, event.id, organizer.id)
    expect([self.statusCode, problem(self).code]).toEqual([409, 'ALREADY_STAFF'])
    const list = await getAs(app, organizer, `/events/${event.id}/staff`)
    expect(list.body.data.map((m: { user: { id: number } }) => m.user.id)).toEqual([door.id])
    expect((await addStaffAs(app, stranger, event.id, stranger.id)).statusCode).toBe(403)
    expect((await addStaffAs(app, door, event.id, stranger.id)).statusCode).toBe(403)
    expect((await getAs(app, door, `/events/${event.id}/staff`)).status).toBe(403)

    const del = (who: TestUser) =>
      app.inject({ method: 'DELETE', url: `/api/v1/events/${event.id}/staff/${door.id}`, headers: who.auth })
    expect((await del(door)).statusCode).toBe(403)
    expect((await del(organizer)).statusCode).toBe(204)
    expect((await del(organizer)).statusCode).toBe(404)
  })

  it('when staff scans, then 201 and the key and list are theirs; sales, attendees, edits, vouchers and cancelling are not', async () => {
    const event = await makeEvent(app, organizer)
    const [door] = (await quickUsers(app, 1)) as [TestUser]
    expect((await addStaffAs(app, organizer, event.id, door.id)).statusCode).toBe(201)
    const ticket = await confirmedTicket(app, buyer, event)
    const code = await ticketCode(buyer, ticket.id)
    expect((await checkInAs(app, door, event.id, code)).statusCode).toBe(201)
    expect((await getAs(app, door, `/events/${event.id}/check-in-key`)).status).toBe(200)
    expect((await getAs(app, door, `/events/${event.id}/check-ins`)).body.checked_in).toBe(1)
    // Staff's ticket view is the stranger's: no code, no holder's ticket.
    expect((await getAs(app, door, `/tickets/${ticket.id}`)).status).toBe(404)

    const calls: [string, string, object?][] = [
      ['GET', `/events/${event.id}/sales`],
      ['GET', `/events/${event.id}/attendees`],
      ['PATCH', `/events/${event.id}`, { title: 'Renamed' }],
      ['GET', `/events/${event.id}/vouchers`],
      ['POST', `/events/${event.id}/vouchers`, { code: 'DOOR', kind: 'percent', value: 50 }],
      ['POST', `/events/${event.id}/cancel`],
      ['POST', `/events/${event.id}/staff`, { user_id: stranger.id }],
    ]
    for (const [method, url, payload] of calls) {
      const res = await app.inject({
        method: method as 'GET',
        url: `/api/v1${url}`,
        headers: door.auth,
        payload,
      })
      expect({ method, url, denied: [403, 404].includes(res.statusCode) }).toEqual({
        method,
        url,
        denied: true,
      })
    }
    const [row] = await app.ctx.db.select().from(tickets).where(eq(tickets.id, ticket.id))
    expect(row!.status).toBe('confirmed')
  })
})
