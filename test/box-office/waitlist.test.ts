// The waiting list through the API: joining only when a section cannot serve a request, leaving, the lists,
// and serving it in order whenever places come back (expiry, release, refund, more capacity, a lapsed offer).
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitlistEntries } from '../../src/db/schema/index.js'
import { composeMail, type MailJob } from '../../src/mail/messages.js'
import { expireStaleHolds } from '../../src/modules/box-office/expire-holds.service.js'
import {
  buildBoxOfficeApp,
  getAs,
  lapseReservation,
  payAs,
  quickUsers,
  reserveAs,
  sectionCounts,
} from '../factories/boxoffice.js'
import { makeEvent, seatsOf } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import { joinAs, lapseOffer, pendingWaitlistJobs, runWaitlistJobs } from '../factories/waitlist.js'
import { type App, registerUser, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  organizer = (await quickUsers(app, 1))[0]!
})
afterAll(() => app.close())

/** A published general section of `capacity`, sold out by one held reservation of `capacity` tickets. */
async function soldOutGeneral(capacity = 1) {
  const event = await makeEvent(app, organizer, { sections: [{ capacity, price_cents: 3000 }] })
  const section = event.sections[0]!
  const [holder] = (await quickUsers(app, 1)) as [TestUser]
  const hold = (await reserveAs(app, holder, event.id, { section_id: section.id, quantity: capacity })).json()
  return { event, section, holder, hold }
}

const del = (user: TestUser, id: number) =>
  app.inject({ method: 'DELETE', url: `/api/v1/waitlist/${id}`, headers: user.auth })

async function entryOf(id: number) {
  const [row] = await app.ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.id, id))
  return row!
}

describe('POST /events/{id}/waitlist', () => {
  it('when a section is sold out, then a buyer joins with position 1 and the next with position 2', async () => {
    const { event, section } = await soldOutGeneral()
    const [a, b] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    const first = await joinAs(app, a, event.id, { section_id: section.id, quantity: 1 })
    expect(first.statusCode).toBe(201)
    expect(first.json()).toEqual({
      id: expect.any(Number),
      user: expect.objectContaining({ id: a.id, username: a.username }),
      event_id: event.id,
      section_id: section.id,
      quantity: 1,
      together: false,
      attendee_ids: [],
      split_payment: false,
      position: 1,
      status: 'waiting',
      reservation_id: null,
      offer_expires_at: null,
      created_at: expect.any(String),
    })
    const second = await joinAs(app, b, event.id, { section_id: section.id, quantity: 1, together: true })
    expect(second.json().position).toBe(2)
    const mine = await getAs(app, b, '/users/me/waitlist')
    expect(mine.body.data.map((e: { id: number }) => e.id)).toEqual([second.json().id])
  })

  it('when the section could serve the request now, then 409 SEATS_AVAILABLE', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 5 }] })
    const [a] = (await quickUsers(app, 1)) as [TestUser]
    const res = await joinAs(app, a, event.id, { section_id: event.sections[0]!.id, quantity: 2 })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('SEATS_AVAILABLE')
  })

  it('when free seats are not adjacent, then a together entry may join but a loose one gets SEATS_AVAILABLE', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ rows: 1, seats_per_row: 4 }] })
    const section = event.sections[0]!
    const seats = await seatsOf(app, event, section.id)
    const [holder, a, b] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
    // Seats 2 and 4 taken: 1 and 3 are free, not side by side.
    expect(
      (
        await reserveAs(app, holder, event.id, {
          section_id: section.id,
          seat_ids: [seats[1]!.id, seats[3]!.id],
        })
      ).statusCode,
    ).toBe(201)
    expect(
      (await joinAs(app, a, event.id, { section_id: section.id, quantity: 2, together: true })).statusCode,
    ).toBe(201)
    const loose = await joinAs(app, b, event.id, { section_id: section.id, quantity: 2 })
    expect(loose.json().code).toBe('SEATS_AVAILABLE')
  })

  it('when a together entry asks for more seats than a row has, then 409 NO_ADJACENT_SEATS: nothing could serve it', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ rows: 2, seats_per_row: 3 }] })
    const section = event.sections[0]!
    const [holder, a] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    expect((await reserveAs(app, holder, event.id, { section_id: section.id, quantity: 6 })).statusCode).toBe(
      201,
    )
    const four = await joinAs(app, a, event.id, { section_id: section.id, quantity: 4, together: true })
    expect(four.statusCode).toBe(409)
    expect(four.json().code).toBe('NO_ADJACENT_SEATS')
    expect(four.json().detail).toContain('at most 3 sit side by side')
    // A row's worth together, or four anywhere, may wait.
    expect(
      (await joinAs(app, a, event.id, { section_id: section.id, quantity: 3, together: true })).statusCode,
    ).toBe(201)
  })

  it('when the buyer already waits in the section, then 409 ALREADY_WAITING', async () => {
    const { event, section } = await soldOutGeneral()
    const [a] = (await quickUsers(app, 1)) as [TestUser]
    expect((await joinAs(app, a, event.id, { section_id: section.id, quantity: 1 })).statusCode).toBe(201)
    const again = await joinAs(app, a, event.id, { section_id: section.id, quantity: 2 })
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('ALREADY_WAITING')
  })

  it('when the event is cancelled, then 409 EVENT_NOT_ON_SALE; a draft is 404', async () => {
    const cancelled = await makeEvent(app, organizer, { status: 'cancelled' })
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const [a] = (await quickUsers(app, 1)) as [TestUser]
    const res = await joinAs(app, a, cancelled.id, { section_id: cancelled.sections[0]!.id, quantity: 1 })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('EVENT_NOT_ON_SALE')
    expect(
      (await joinAs(app, a, draft.id, { section_id: draft.sections[0]!.id, quantity: 1 })).statusCode,
    ).toBe(404)
  })

  it('when an attendee is not a friend, then 403 NOT_FRIENDS; with a friend the entry names them', async () => {
    const { event, section } = await soldOutGeneral()
    const a = await registerUser(app)
    const friend = await registerUser(app)
    const stranger = await registerUser(app)
    const res = await joinAs(app, a, event.id, {
      section_id: section.id,
      quantity: 2,
      attendee_ids: [stranger.id],
    })
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('NOT_FRIENDS')
    await makeFriends(app, a, friend)
    const ok = await joinAs(app, a, event.id, {
      section_id: section.id,
      quantity: 2,
      attendee_ids: [friend.id],
      split_payment: true,
    })
    expect(ok.statusCode).toBe(201)
    expect(ok.json()).toMatchObject({ attendee_ids: [friend.id], split_payment: true })
  })

  it('when the quantity is out of 1–10 or the section is not the event’s, then 400 and 404', async () => {
    const { event, section } = await soldOutGeneral()
    const other = await makeEvent(app, organizer)
    const [a] = (await quickUsers(app, 1)) as [TestUser]
    expect((await joinAs(app, a, event.id, { section_id: section.id, quantity: 11 })).statusCode).toBe(400)
    expect((await joinAs(app, a, event.id, { section_id: section.id, quantity: 0 })).statusCode).toBe(400)
    expect(
      (await joinAs(app, a, event.id, { section_id: other.sections[0]!.id, quantity: 1 })).statusCode,
    ).toBe(404)
  })
})

describe('DELETE /waitlist/{id} and GET /events/{id}/waitlist', () => {
  it('when the owner leaves, then 204 and status left; others get 404, the organizer 403', async () => {
    const { event, section } = await soldOutGeneral()
    const [a, stranger] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    const entry = (await joinAs(app, a, event.id, { section_id: section.id, quantity: 1 })).json()
    expect((await del(stranger, entry.id)).statusCode).toBe(404)
    expect((await del(organizer, entry.id)).statusCode).toBe(403)
    expect((await del(a, entry.id)).statusCode).toBe(204)
    expect((await del(a, entry.id)).statusCode).toBe(204)
    expect((await entryOf(entry.id)).status).toBe('left')
  })

  it('when the organizer lists the waiting list, then it is in order, paginated; anyone else gets 403', async () => {
    const { event, section } = await soldOutGeneral()
    const people = await quickUsers(app, 3)
    const ids: number[] = []
    for (const p of people)
      ids.push((await joinAs(app, p, event.id, { section_id: section.id, quantity: 1 })).json().id)
    const page1 = await getAs(app, organizer, `/events/${event.id}/waitlist?per_page=2`)
    expect(page1.status).toBe(200)
    expect(page1.body).toMatchObject({ page: 1, per_page: 2, total: 3, total_pages: 2 })
    expect(page1.body.data.map((e: { id: number; position: number }) => [e.id, e.position])).toEqual([
      [ids[0], 1],
      [ids[1], 2],
    ])
    const page2 = await getAs(app, organizer, `/events/${event.id}/waitlist?per_page=2&page=2`)
    expect(page2.body.data.map((e: { id: number }) => e.id)).toEqual([ids[2]])
    expect((await getAs(app, people[0]!, `/events/${event.id}/waitlist`)).status).toBe(403)
  })
})

describe('serving the waiting list', () => {
  it('when 4 adjacent seats come back, then a group of 4 wanting to sit together is served ahead of a smaller entry that came later', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ rows: 2, seats_per_row: 5, price_cents: 5000 }],
    })
    const section = event.sections[0]!
    const seats = await seatsOf(app, event, section.id)
    const [x, y, five, group, pair] = (await quickUsers(app, 5)) as TestUser[] as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ]
    // Sold out: x holds A1–A4, y holds A5 and row B.
    const xs = (
      await reserveAs(app, x, event.id, {
        section_id: section.id,
        seat_ids: seats.slice(0, 4).map((s) => s.id),
      })
    ).json()
    expect(
      (
        await reserveAs(app, y, event.id, {
          section_id: section.id,
          seat_ids: seats.slice(4).map((s) => s.id),
        })
      ).statusCode,
    ).toBe(201)
    const e5 = (
      await joinAs(app, five, event.id, { section_id: section.id, quantity: 5, together: true })
    ).json()
    const e4 = (
      await joinAs(app, group, event.id, { section_id: section.id, quantity: 4, together: true })
    ).json()
    const e2 = (await joinAs(app, pair, event.id, { section_id: section.id, quantity: 2 })).json()

    // x's hold lapses: A1–A4 come back, side by side.
    await lapseReservation(app, xs.id)
    await expireStaleHolds(app.ctx)
    expect(await pendingWaitlistJobs(app)).toEqual([section.id])
    expect(await runWaitlistJobs(app)).toBe(1)

    const list = (await getAs(app, organizer, `/events/${event.id}/waitlist`)).body.data
    const offer = await getAs(app, group, `/reservations/${list[1].reservation_id}`)
    const scenario = {
      waitlist: list.map(
        (e: {
          id: number
          quantity: number
          together: boolean
          status: string
          position: number | null
        }) => ({
          entry: e.id === e5.id ? 'five together' : e.id === e4.id ? 'group of 4 together' : 'pair (later)',
          quantity: e.quantity,
          together: e.together,
          status: e.status,
          position: e.position,
        }),
      ),
      offered_seats: offer.body.tickets.map(
        (t: { seat: { row: string; number: number } }) => `${t.seat.row}${t.seat.number}`,
      ),
    }
    console.log(`group-of-4 scenario: ${JSON.stringify(scenario, null, 2)}`)
    expect(scenario).toEqual({
      waitlist: [
        { entry: 'five together', quantity: 5, together: true, status: 'waiting', position: 1 },
        { entry: 'group of 4 together', quantity: 4, together: true, status: 'offered', position: null },
        { entry: 'pair (later)', quantity: 2, together: false, status: 'waiting', position: 2 },
      ],
      offered_seats: ['A1', 'A2', 'A3', 'A4'],
    })
    expect(list[1].offer_expires_at).toBe(offer.body.expires_at)
    expect(new Date(offer.body.expires_at).getTime() - Date.now()).toBeGreaterThan(1700_000)
    expect(offer.body.invoices).toHaveLength(1)
    expect(offer.body.invoices[0]).toMatchObject({ status: 'open', amount_cents: 20_000 })
    // The offer's e-mail links to the reservation, where the invoices are paid.
    const [job] = (
      (await app.ctx.db.execute(
        sql`select data from pgboss.job where name = 'mail' and data->>'kind' = 'waitlist-offered'
            and (data->>'reservationId')::int = ${offer.body.id}`,
      )) as unknown as { rows: { data: MailJob }[] }
    ).rows
    const mail = await composeMail(app.ctx, job!.data)
    expect(mail?.vars.link).toBe(`http://stagedoor.test/reservations/${offer.body.id}`)
    expect(mail?.subject).toContain(event.title)
    expect(e2.id).toBeGreaterThan(e4.id)

    // Two seats that are not side by side come back (y gives back B1 and B3): the group of five and no one
    // else fits... but the pair, who did not ask to sit together, does.
    const yTickets = (await getAs(app, y, '/users/me/tickets')).body.data
    const b1 = yTickets.find(
      (t: { seat: { row: string; number: number } }) => t.seat.row === 'B' && t.seat.number === 1,
    )
    const b3 = yTickets.find(
      (t: { seat: { row: string; number: number } }) => t.seat.row === 'B' && t.seat.number === 3,
    )
    for (const t of [b1, b3]) {
      expect(
        (await app.inject({ method: 'DELETE', url: `/api/v1/tickets/${t.id}`, headers: y.auth })).statusCode,
      ).toBe(204)
    }
    expect(await runWaitlistJobs(app)).toBe(1)
    expect((await entryOf(e2.id)).status).toBe('offered')
    expect((await entryOf(e5.id)).status).toBe('waiting')
  })

  it('when an entry names someone no longer its owner’s friend, then it is passed by: no tickets or bill for them', async () => {
    const { event, section, hold } = await soldOutGeneral(2)
    const [w, f, next] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
    await makeFriends(app, w, f)
    const ew = (
      await joinAs(app, w, event.id, { section_id: section.id, quantity: 2, attendee_ids: [f.id] })
    ).json()
    const en = (await joinAs(app, next, event.id, { section_id: section.id, quantity: 1 })).json()
    const unfriended = await app.inject({
      method: 'DELETE',
      url: `/api/v1/users/me/friends/${f.id}`,
      headers: w.auth,
    })
    expect(unfriended.statusCode).toBe(204)
    await lapseReservation(app, hold.id)
    await expireStaleHolds(app.ctx)
    await runWaitlistJobs(app)
    expect((await entryOf(ew.id)).status).toBe('waiting')
    expect((await entryOf(en.id)).status).toBe('offered')
    expect((await getAs(app, f, '/users/me/invoices')).body.data).toEqual([])
    expect((await getAs(app, f, '/users/me/tickets')).body.data).toEqual([])
  })

  it('when the offered tickets are given back, then the entry is left, the next one is offered, and the first may join again', async () => {
    const { event, section, hold } = await soldOutGeneral(1)
    const [a, b] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    const ea = (await joinAs(app, a, event.id, { section_id: section.id, quantity: 1 })).json()
    const eb = (await joinAs(app, b, event.id, { section_id: section.id, quantity: 1 })).json()
    await lapseReservation(app, hold.id)
    await expireStaleHolds(app.ctx)
    await runWaitlistJobs(app)
    const offered = await entryOf(ea.id)
    expect(offered.status).toBe('offered')
    const offer = (await getAs(app, a, `/reservations/${offered.reservationId}`)).body
    const given = await app.inject({
      method: 'DELETE',
      url: `/api/v1/tickets/${offer.tickets[0].id}`,
      headers: a.auth,
    })
    expect(given.statusCode).toBe(204)
    expect((await entryOf(ea.id)).status).toBe('left')
    await runWaitlistJobs(app)
    expect((await entryOf(eb.id)).status).toBe('offered')
    const again = await joinAs(app, a, event.id, { section_id: section.id, quantity: 1 })
    expect(again.statusCode).toBe(201)
  })

  it('when an offer is extended, then 409 HOLD_NOT_EXTENDABLE says an offer runs as long as a hold may', async () => {
    const { event, section, hold } = await soldOutGeneral(1)
    const [a] = (await quickUsers(app, 1)) as [TestUser]
    const ea = (await joinAs(app, a, event.id, { section_id: section.id, quantity: 1 })).json()
    await lapseReservation(app, hold.id)
    await expireStaleHolds(app.ctx)
    await runWaitlistJobs(app)
    const offered = await entryOf(ea.id)
    expect(offered.status).toBe('offered')
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/reservations/${offered.reservationId}/extend`,
      headers: a.auth,
    })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      code: 'HOLD_NOT_EXTENDABLE',
      detail: 'A waiting-list offer already runs as long as a hold may: it cannot be extended',
    })
  })

  it('when an offer lapses unpaid, then it is expired and the place moves on; paying the next converts it', async () => {
    const { event, section, hold } = await soldOutGeneral(1)
    const [a, b] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    const ea = (await joinAs(app, a, event.id, { section_id: section.id, quantity: 1 })).json()
    const eb = (await joinAs(app, b, event.id, { section_id: section.id, quantity: 1 })).json()
    await lapseReservation(app, hold.id)
    await expireStaleHolds(app.ctx)
    await runWaitlistJobs(app)
    const offered = await entryOf(ea.id)
    expect(offered.status).toBe('offered')

    await lapseOffer(app, ea.id)
    // Shown as expired before the sweep reaches it.
    const shown = (await getAs(app, a, '/users/me/waitlist')).body.data[0]
    expect(shown.status).toBe('expired')
    await expireStaleHolds(app.ctx)
    await runWaitlistJobs(app)
    expect((await entryOf(ea.id)).status).toBe('expired')
    const next = await entryOf(eb.id)
    expect(next.status).toBe('offered')

    const reservation = (await getAs(app, b, `/reservations/${next.reservationId}`)).body
    expect((await payAs(app, b, reservation.invoices[0].id)).statusCode).toBe(200)
    expect((await entryOf(eb.id)).status).toBe('converted')
    const closed = await del(b, eb.id)
    expect(closed.statusCode).toBe(409)
    expect(closed.json().code).toBe('WAITLIST_ENTRY_CLOSED')
    expect(await sectionCounts(app, section.id)).toEqual({
      held: 0,
      sold: 1,
      heldTickets: 0,
      confirmedTickets: 1,
    })
  })

  it('when a friend pays their own invoice of a split offer, then the entry waits for the waiter’s: converted when they pay, expired when they do not', async () => {
    for (const waiterPays of [true, false]) {
      const { event, section, hold } = await soldOutGeneral(2)
      const [w, x] = (await quickUsers(app, 2)) as [TestUser, TestUser]
      await makeFriends(app, w, x)
      const entry = (
        await joinAs(app, w, event.id, {
          section_id: section.id,
          quantity: 2,
          attendee_ids: [x.id],
          split_payment: true,
        })
      ).json()
      await lapseReservation(app, hold.id)
      await expireStaleHolds(app.ctx)
      await runWaitlistJobs(app)
      expect((await entryOf(entry.id)).status).toBe('offered')
      const own = (await getAs(app, x, '/users/me/invoices')).body.data[0]
      expect((await payAs(app, x, own.id)).statusCode).toBe(200)
      // The friend has their ticket; the waiter has not paid theirs yet.
      expect((await entryOf(entry.id)).status).toBe('offered')
      expect((await getAs(app, w, '/users/me/waitlist')).body.data[0]).toMatchObject({ status: 'offered' })
      if (waiterPays) {
        const mine = (await getAs(app, w, '/users/me/invoices')).body.data[0]
        expect((await payAs(app, w, mine.id)).statusCode).toBe(200)
        expect((await entryOf(entry.id)).status).toBe('converted')
      } else {
        await lapseOffer(app, entry.id)
        await expireStaleHolds(app.ctx)
        expect((await entryOf(entry.id)).status).toBe('expired')
        // The friend keeps the ticket they paid for; the waiter's went back.
        expect(await sectionCounts(app, section.id)).toMatchObject({ held: 0, sold: 1, confirmedTickets: 1 })
      }
    }
  })

  it.each([
    ['the event’s per-user limit', 2],
    ['the cap on unpaid holds (MAX_HELD_TICKETS_PER_EVENT, 10)', null],
  ])(
    'when serving an entry would pass %s, then it is passed by, keeps its place, and the next that fits is served',
    async (_rule, limit) => {
      const event = await makeEvent(app, organizer, {
        max_tickets_per_user: limit,
        sections: [{ capacity: 2 }, { capacity: 20 }],
      })
      const [full, other] = [event.sections[0]!, event.sections[1]!]
      const [holder, w, x] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
      const hold = (await reserveAs(app, holder, event.id, { section_id: full.id, quantity: 2 })).json()
      const ew = (await joinAs(app, w, event.id, { section_id: full.id, quantity: 2 })).json()
      const ex = (await joinAs(app, x, event.id, { section_id: full.id, quantity: 1 })).json()
      // w then takes tickets elsewhere: 1 with a limit of 2, or 9 unpaid with the default cap of 10.
      const took = await reserveAs(app, w, event.id, {
        section_id: other.id,
        quantity: limit === null ? 9 : 1,
      })
      expect(took.statusCode).toBe(201)
      await lapseReservation(app, hold.id)
      await expireStaleHolds(app.ctx)
      expect(await runWaitlistJobs(app)).toBe(1)
      expect((await entryOf(ew.id)).status).toBe('waiting')
      expect((await entryOf(ex.id)).status).toBe('offered')
      const mine = (await getAs(app, w, '/users/me/waitlist')).body.data[0]
      expect(mine).toMatchObject({ id: ew.id, status: 'waiting', position: 1 })
      expect(await sectionCounts(app, full.id)).toMatchObject({ held: 1, heldTickets: 1 })
    },
  )

  it('when the event is cancelled, then its waiting entries and open offers are expired and their owners told', async () => {
    const { event, section, hold } = await soldOutGeneral(1)
    const [a, b] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    const ea = (await joinAs(app, a, event.id, { section_id: section.id, quantity: 1 })).json()
    const eb = (await joinAs(app, b, event.id, { section_id: section.id, quantity: 1 })).json()
    await lapseReservation(app, hold.id)
    await expireStaleHolds(app.ctx)
    await runWaitlistJobs(app)
    expect((await entryOf(ea.id)).status).toBe('offered')
    const cancel = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/cancel`,
      headers: organizer.auth,
    })
    expect(cancel.statusCode).toBe(200)
    expect((await entryOf(ea.id)).status).toBe('expired')
    expect((await entryOf(eb.id)).status).toBe('expired')
    expect((await getAs(app, b, '/users/me/waitlist')).body.data[0]).toMatchObject({
      id: eb.id,
      status: 'expired',
      position: null,
    })
    const told = (
      (await app.ctx.db.execute(
        sql`select data from pgboss.job where name = 'mail' and data->>'kind' = 'event-cancelled'
            and (data->'event'->>'id')::int = ${event.id} order by (data->>'userId')::int`,
      )) as unknown as { rows: { data: MailJob }[] }
    ).rows.map((r) => r.data)
    expect(told).toEqual([
      expect.objectContaining({ userId: a.id, ticketCount: 1, waiting: true }),
      expect.objectContaining({ userId: b.id, ticketCount: 0, waiting: true }),
    ])
    const mail = await composeMail(app.ctx, told[1]!)
    expect(mail?.vars).toMatchObject({ ticketCount: 0, waiting: true })
  })

  it('when the owner of an open offer leaves, then the offer is released and the next entry served', async () => {
    const { event, section, hold } = await soldOutGeneral(1)
    const [a, b] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    const ea = (await joinAs(app, a, event.id, { section_id: section.id, quantity: 1 })).json()
    const eb = (await joinAs(app, b, event.id, { section_id: section.id, quantity: 1 })).json()
    await lapseReservation(app, hold.id)
    await expireStaleHolds(app.ctx)
    await runWaitlistJobs(app)
    const offer = await entryOf(ea.id)
    expect((await del(a, ea.id)).statusCode).toBe(204)
    const released = (await getAs(app, a, `/reservations/${offer.reservationId}`)).body
    expect(released.tickets.map((t: { status: string }) => t.status)).toEqual(['cancelled'])
    expect(released.invoices.map((i: { status: string }) => i.status)).toEqual(['void'])
    expect(await runWaitlistJobs(app)).toBe(1)
    expect((await entryOf(eb.id)).status).toBe('offered')
    expect(await sectionCounts(app, section.id)).toEqual({
      held: 1,
      sold: 0,
      heldTickets: 1,
      confirmedTickets: 0,
    })
  })

  it('when a confirmed ticket is refunded or the section grows, then the waiting list is served', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 1 }] })
    const section = event.sections[0]!
    const [holder, a, b] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
    const bought = (await reserveAs(app, holder, event.id, { section_id: section.id, quantity: 1 })).json()
    expect((await payAs(app, holder, bought.invoices[0].id)).statusCode).toBe(200)
    const ea = (await joinAs(app, a, event.id, { section_id: section.id, quantity: 1 })).json()
    const eb = (await joinAs(app, b, event.id, { section_id: section.id, quantity: 1 })).json()
    const refund = await app.inject({
      method: 'DELETE',
      url: `/api/v1/tickets/${bought.tickets[0].id}`,
      headers: holder.auth,
    })
    expect(refund.statusCode).toBe(204)
    expect(await runWaitlistJobs(app)).toBe(1)
    expect((await entryOf(ea.id)).status).toBe('offered')
    const grown = await app.inject({
      method: 'PATCH',
      url: `/api/v1/events/${event.id}/sections/${section.id}`,
      headers: organizer.auth,
      payload: { capacity: 2 },
    })
    expect(grown.statusCode).toBe(200)
    expect(await runWaitlistJobs(app)).toBe(1)
    expect((await entryOf(eb.id)).status).toBe('offered')
    expect(await sectionCounts(app, section.id)).toEqual({
      held: 2,
      sold: 0,
      heldTickets: 2,
      confirmedTickets: 0,
    })
  })

  it('when places come back to a section where no one waits, then no job is enqueued', async () => {
    const { hold } = await soldOutGeneral(1)
    const before = await pendingWaitlistJobs(app)
    await lapseReservation(app, hold.id)
    await expireStaleHolds(app.ctx)
    expect(await pendingWaitlistJobs(app)).toEqual(before)
    await app.ctx.db.execute(sql`select 1`)
  })
})
