import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { friendships } from '../../../src/db/schema/index.js'
import { lapseReservation, quickUsers } from '../../factories/boxoffice.js'
import { GENERAL_AND_VIP, makeEvent, seatsOf } from '../../factories/events.js'
import { makeFriends } from '../../factories/social.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../../helpers.js'
import { type Browser, browserFor, expectUnconfirmed } from '../browser.js'

let app: App
let organizer: TestUser
beforeAll(async () => {
  app = await buildTestApp({ MAX_EVENT_LOOP_DELAY: '0' })
  organizer = await registerUser(app)
})
afterAll(() => app.close())

const idIn = (location: unknown, prefix: string) => Number(String(location).replace(prefix, ''))

async function reserveVia(browser: Browser, eventId: number, fields: Record<string, string | string[]>) {
  await browser.get(`/events/${eventId}`)
  return browser.post(`/events/${eventId}/reserve`, fields)
}

describe('reserving from the event page', () => {
  it('two seats together for a friend and me, each paying their own: checkout, pay, tickets', async () => {
    const me = await registerUser(app, { display_name: 'Mia Booker' })
    const friend = await registerUser(app, { display_name: 'Fred Friend' })
    await makeFriends(app, me, friend)
    const event = await makeEvent(app, organizer, { title: 'Seated gig', sections: GENERAL_AND_VIP })
    const vip = event.sections[1]
    const browser = await browserFor(app, me)
    const res = await reserveVia(browser, event.id, {
      section_id: String(vip.id),
      quantity: '2',
      together: 'true',
      attendee_ids: [String(friend.id)],
      split_payment: 'true',
    })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toMatch(/^\/reservations\/\d+$/)
    const reservationId = idIn(res.headers.location, '/reservations/')

    const checkout = await browser.get(`/reservations/${reservationId}`)
    expect(checkout.statusCode).toBe(200)
    expect(checkout.body).toContain('Your tickets are held for you')
    expect(checkout.body).toContain('Row A, seat')
    expect(checkout.body).toContain('Fred Friend')
    expect(checkout.body).toMatch(/<time id="hold-deadline" datetime="[^"]+" data-server-now=/)
    expect(checkout.body).toContain('Waiting for Fred Friend to pay.')
    expect(checkout.body).toContain('Pay A$299.00')
    const myInvoice = Number(/action="\/invoices\/(\d+)\/pay"/.exec(checkout.body)?.[1])
    // The friend's invoice is theirs to open: its number shows, with no link to a page that would be a 404.
    const links = [...checkout.body.matchAll(/href="\/invoices\/(\d+)"/g)].map((m) => Number(m[1]))
    expect(links).toEqual([myInvoice])
    for (const id of links) {
      const invoice = await browser.get(`/invoices/${id}`)
      expect(invoice.statusCode).toBe(200)
      expect(invoice.body).toContain(`<a href="/reservations/${reservationId}">Back to the checkout</a>`)
    }
    // Likewise on the ticket pages: the booker's own ticket links its invoice, the friend's does not.
    const booked = await app.inject({ url: '/api/v1/users/me/tickets', headers: me.auth })
    for (const t of booked.json().data as { id: number; holder: { id: number }; invoice_id: number }[]) {
      const page = (await browser.get(`/tickets/${t.id}`)).body
      expect(page.includes(`href="/invoices/${t.invoice_id}"`), `ticket ${t.id}`).toBe(t.holder.id === me.id)
    }

    // Declined: the error shows, the invoice stays open.
    const declined = await browser.post(`/invoices/${myInvoice}/pay`, {
      payment_method: 'test_declined',
      next: `/reservations/${reservationId}`,
    })
    expect(declined.statusCode).toBe(303)
    expect((await browser.get(`/reservations/${reservationId}`)).body).toContain('The payment was declined')
    const paid = await browser.post(`/invoices/${myInvoice}/pay`, {
      payment_method: 'test_ok',
      next: `/reservations/${reservationId}`,
    })
    expect(paid.statusCode).toBe(303)
    expect(paid.headers.location).toBe(`/reservations/${reservationId}`)
    // My invoice is paid; the friend's is still open, so the checkout stays (without a pay form).
    const after = await browser.get(`/reservations/${reservationId}`)
    expect(after.statusCode).toBe(200)
    expect(after.body).not.toContain('action="/invoices/')

    // The friend pays theirs from the invoice page the e-mail links to.
    const friendBrowser = await browserFor(app, friend)
    const invoices = await friendBrowser.get('/invoices')
    const theirs = Number(/href="\/invoices\/(\d+)"/.exec(invoices.body)?.[1])
    // Their invoice page leads to their invoices, not to the booker's checkout (a 404 to them).
    const theirPage = await friendBrowser.get(`/invoices/${theirs}`)
    expect(theirPage.statusCode).toBe(200)
    expect(theirPage.body).not.toContain('Back to the checkout')
    expect(theirPage.body).toContain('<a href="/invoices">All invoices</a>')
    // Each invoice names its event.
    expect(invoices.body).toContain(`<a href="/events/${event.id}">Seated gig</a>`)
    const invoicePage = await friendBrowser.get(`/invoices/${theirs}`)
    expect(invoicePage.body).toContain('Pay A$299.00')
    expect(
      (await friendBrowser.post(`/invoices/${theirs}/pay`, { payment_method: 'test_ok' })).statusCode,
    ).toBe(303)
    const friendTickets = await friendBrowser.get('/tickets')
    expect(friendTickets.body).toContain('Seated gig')
    expect(friendTickets.body).toContain('Booked for you by Mia Booker')
    expect(friendTickets.body).toContain('Confirmed')

    // All paid: the checkout sends the booker to their tickets.
    const done = await browser.get(`/reservations/${reservationId}`)
    expect(done.statusCode).toBe(303)
    expect(done.headers.location).toBe('/tickets')
    const tickets = await browser.get('/tickets')
    expect(tickets.body.match(/Confirmed/g)?.length).toBe(2)
    // Two tickets of one event: each card's link says which seat it is.
    const linkTexts = [...tickets.body.matchAll(/<a href="\/tickets\/\d+">(.*?)<\/a>/g)].map((m) =>
      m[1]!.replace(/<[^>]+>/g, ''),
    )
    expect(linkTexts).toHaveLength(2)
    expect(new Set(linkTexts).size).toBe(2)
    for (const text of linkTexts) expect(text).toMatch(/^Seated gig, VIP · Row A, seat \d+$/)
  })

  it('a number of tickets changed from 1 that the ticked seats do not match is asked about; nothing is held', async () => {
    const me = await registerUser(app)
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const vip = event.sections[1]
    const seats = await seatsOf(app, event, vip.id)
    const browser = await browserFor(app, me)
    const res = await reserveVia(browser, event.id, {
      section_id: String(vip.id),
      quantity: '2',
      seat_ids: [String(seats[0]!.id)],
    })
    expect(res.statusCode).toBe(422)
    expect(res.body).toContain(
      'You asked for 2 tickets and ticked 1 seat: tick 2, or untick them all and we choose',
    )
    const mine = await app.inject({ url: '/api/v1/users/me/tickets', headers: me.auth })
    expect(mine.json().data).toEqual([])
    // The number left at 1 with seats ticked: the seats decide, as before.
    const ok = await reserveVia(browser, event.id, {
      section_id: String(vip.id),
      quantity: '1',
      seat_ids: [String(seats[0]!.id), String(seats[1]!.id)],
    })
    expect(ok.statusCode).toBe(303)
  })

  it('picks exact seats; a taken seat comes back beside the seats with the choices kept', async () => {
    const me = await registerUser(app)
    const other = await registerUser(app)
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const vip = event.sections[1]
    const seats = await seatsOf(app, event, vip.id)
    const otherBrowser = await browserFor(app, other)
    const first = await reserveVia(otherBrowser, event.id, {
      section_id: String(vip.id),
      seat_ids: [String(seats[0]!.id)],
    })
    expect(first.statusCode).toBe(303)
    // The page I loaded before still offers the seat; my post loses it.
    const browser = await browserFor(app, me)
    const res = await browser.post(`/events/${event.id}/reserve`, {
      section_id: String(vip.id),
      seat_ids: [String(seats[0]!.id), String(seats[1]!.id)],
    })
    expect(res.statusCode).toBe(409)
    expect(res.body).toMatch(
      new RegExp(`id="f-seat_ids-error"[^>]*>Seat ${seats[0]!.row}${seats[0]!.number} is already taken<`),
    )
    // What I chose is still chosen.
    expect(res.body).toMatch(new RegExp(`value="${seats[1]!.id}"[^>]*checked`))
    expect(res.body).toMatch(new RegExp(`name="section_id" value="${vip.id}"[^>]*checked`))
  })

  it('seats ticked outside the chosen section are refused beside the map, choices kept, nothing held', async () => {
    const me = await registerUser(app)
    const event = await makeEvent(app, organizer, {
      sections: [
        { name: 'Floor', kind: 'general', capacity: 10 },
        { name: 'Stalls', kind: 'seated', rows: 1, seats_per_row: 3 },
        { name: 'Balcony', kind: 'seated', rows: 1, seats_per_row: 3 },
      ],
    })
    const [floor, stalls, balcony] = event.sections
    const [stall] = await seatsOf(app, event, stalls!.id)
    const [perch] = await seatsOf(app, event, balcony!.id)
    const browser = await browserFor(app, me)
    const errorOf = (body: string) => /id="f-seat_ids-error"[^>]*>([^<]*)</.exec(body)?.[1] ?? null
    // Without scripts the page does not untick a seat when another section is chosen.
    const both = await reserveVia(browser, event.id, {
      section_id: String(balcony!.id),
      seat_ids: [String(stall!.id), String(perch!.id)],
    })
    expect(both.statusCode).toBe(422)
    expect(errorOf(both.body)).toBe('Pick seats in Balcony only, or choose the section of your seats')
    for (const seat of [stall!, perch!])
      expect(both.body).toMatch(new RegExp(`value="${seat.id}"[^>]*checked`))
    const general = await reserveVia(browser, event.id, {
      section_id: String(floor!.id),
      seat_ids: [String(stall!.id)],
    })
    expect(general.statusCode).toBe(422)
    expect(errorOf(general.body)).toBe(
      'Floor has no numbered seats: untick the seats, or choose their section',
    )
    // A seat of no section of this event (a hand-edited form).
    const other = await makeEvent(app, organizer, { sections: [{ rows: 1, seats_per_row: 2 }] })
    const [foreign] = await seatsOf(app, other, other.sections[0]!.id)
    const edited = await reserveVia(browser, event.id, {
      section_id: String(balcony!.id),
      seat_ids: [String(foreign!.id)],
    })
    expect(errorOf(edited.body)).toBe('Choose seats from the map')
    // Nothing was held, and the seats in their own section are still the buyer's to reserve.
    const held = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}`, headers: me.auth })
    expect(held.json().sections.map((s: { available: number }) => s.available)).toEqual([10, 3, 3])
    const right = await reserveVia(browser, event.id, {
      section_id: String(stalls!.id),
      seat_ids: [String(stall!.id)],
    })
    expect(right.statusCode).toBe(303)
  })

  it('a hand-edited quantity past the limit is refused beside its field, before anything is planned', async () => {
    const me = await registerUser(app)
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, me)
    // A billion tickets once made the server plan a billion holders before any check, until it ran out of memory.
    for (const [quantity, message] of [
      ['999999999', 'Enter 100 or less'],
      // Ten digits and more: too many to read as a number, out of range all the same.
      ['1000000000', 'Enter 100 or less'],
      ['99999999999999999999999', 'Enter 100 or less'],
      ['0', 'Enter 1 or more'],
      ['2.5', 'Enter a whole number'],
    ]) {
      const res = await reserveVia(browser, event.id, {
        section_id: String(event.sections[0]!.id),
        quantity: quantity!,
      })
      expect(res.statusCode).toBe(422)
      expect(res.body).toMatch(new RegExp(`id="f-quantity-error"[^>]*>${message}<`))
    }
  })

  it('you and each ticked friend count one: the number left at 1 is the party, another number or seats are refused in words', async () => {
    const me = await registerUser(app)
    const friend = await registerUser(app)
    await makeFriends(app, me, friend)
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const [general, vip] = event.sections
    const browser = await browserFor(app, me)
    // Before, "1" beside a ticked friend was the API's "quantity must be 1 + attendees", beside the friends.
    const wrong = await reserveVia(browser, event.id, {
      section_id: String(general.id),
      quantity: '3',
      attendee_ids: [String(friend.id)],
    })
    expect(wrong.statusCode).toBe(422)
    expect(wrong.body).toMatch(
      /id="f-quantity-error"[^>]*>You and 1 friend make 2 tickets: enter 2, or change who is coming</,
    )
    const [seat] = await seatsOf(app, event, vip.id)
    const oneSeat = await reserveVia(browser, event.id, {
      section_id: String(vip.id),
      seat_ids: [String(seat!.id)],
      attendee_ids: [String(friend.id)],
    })
    expect(oneSeat.statusCode).toBe(422)
    expect(oneSeat.body).toMatch(
      /id="f-seat_ids-error"[^>]*>You and 1 friend need 2 seats: pick 2, or change who is coming</,
    )
    const held = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}`, headers: me.auth })
    expect(held.json().sections.map((s: { available: number }) => s.available)).toEqual(
      event.sections.map((s: { capacity: number }) => s.capacity),
    )
    // The number left at 1: me and my friend, a ticket each.
    const ok = await reserveVia(browser, event.id, {
      section_id: String(general.id),
      quantity: '1',
      attendee_ids: [String(friend.id)],
    })
    expect(ok.statusCode).toBe(303)
    const mine = await app.inject({ method: 'GET', url: '/api/v1/users/me/tickets', headers: friend.auth })
    expect(mine.json().data).toHaveLength(1)
  })

  it('a form wrong in several fields says so beside each of them at once, and holds nothing', async () => {
    const me = await registerUser(app)
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, me)
    const res = await reserveVia(browser, event.id, {
      quantity: '999999999',
      attendee_ids: ['someone'],
      voucher_code: 'V'.repeat(65),
    })
    expect(res.statusCode).toBe(422)
    // Before, only the first check's message showed: fix the section, send again, learn of the quantity.
    for (const [field, message] of [
      ['section_id', 'Choose a section'],
      ['quantity', 'Enter 100 or less'],
      ['attendee_ids', 'Choose friends from the list'],
      ['voucher_code', 'A voucher code has at most 64 characters'],
    ]) {
      expect(res.body, field).toMatch(new RegExp(`id="f-${field}-error"[^>]*>${message}<`))
    }
    // The page opens at its top, the reasons far below on a phone: the top says so and links to them.
    expect(res.body).toMatch(
      /<article[^>]*><p class="error-summary" role="alert"><a href="#reserve">Nothing was reserved: see why under “Reserve”.<\/a>/,
    )
    expect(res.body).toContain('<section aria-labelledby="reserve-heading" id="reserve">')
    const held = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}`, headers: me.auth })
    expect(held.json().sections[0].available).toBe(event.sections[0]!.capacity)
  })

  it('refusals sit beside their fields: not friends, ticket limit, no adjacent seats', async () => {
    const me = await registerUser(app)
    const stranger = await registerUser(app, { display_name: 'Sam Stranger' })
    const event = await makeEvent(app, organizer, {
      max_tickets_per_user: 2,
      sections: GENERAL_AND_VIP,
    })
    const [general, vip] = event.sections
    const browser = await browserFor(app, me)
    const notFriends = await reserveVia(browser, event.id, {
      section_id: String(general.id),
      quantity: '2',
      attendee_ids: [String(stranger.id)],
    })
    expect(notFriends.statusCode).toBe(403)
    // Named as the site names people, not "User 17".
    expect(notFriends.body).toMatch(
      new RegExp(
        `id="f-attendee_ids-error"[^>]*>Sam Stranger \\(@${stranger.username}\\) is not your friend<`,
      ),
    )
    // The buyer's own id typed into the friends list: the list never offers it.
    const self = await reserveVia(browser, event.id, {
      section_id: String(general.id),
      attendee_ids: [String(me.id)],
    })
    expect(self.statusCode).toBe(422)
    expect(self.body).toMatch(/id="f-attendee_ids-error"[^>]*>Choose friends from the list</)
    const limit = await reserveVia(browser, event.id, { section_id: String(general.id), quantity: '3' })
    expect(limit.statusCode).toBe(409)
    expect(limit.body).toMatch(/id="f-quantity-error"[^>]*>At most 2 tickets per person for this event</)
    expect(limit.body).toContain('value="3"')
    expect(
      (await reserveVia(browser, event.id, { section_id: String(general.id), quantity: '1' })).statusCode,
    ).toBe(303)
    const more = await reserveVia(browser, event.id, { section_id: String(general.id), quantity: '2' })
    expect(more.body).toMatch(
      /id="f-quantity-error"[^>]*>At most 2 tickets per person for this event; you already have 1</,
    )
    const big = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const far = await reserveVia(browser, big.id, {
      section_id: String(big.sections[1].id),
      quantity: '4',
      together: 'true',
    })
    expect(far.statusCode).toBe(409)
    expect(far.body).toContain('id="f-together-error"')
    expect(vip).toBeTruthy()
  })

  it('a voucher code entered at the reservation discounts the invoice; a wrong or used-up one shows beside its field', async () => {
    const me = await registerUser(app)
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 10, price_cents: 4000 }] })
    const created = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/vouchers`,
      headers: organizer.auth,
      payload: { code: 'Friends25', kind: 'percent', value: 25, max_uses: 1 },
    })
    expect(created.statusCode).toBe(201)
    const browser = await browserFor(app, me)
    const page = await browser.get(`/events/${event.id}`)
    expect(page.body).toContain('name="voucher_code"')
    const section_id = String(event.sections[0]!.id)
    const wrong = await reserveVia(browser, event.id, { section_id, quantity: '1', voucher_code: 'NOPE' })
    expect(wrong.statusCode).toBe(409)
    expect(wrong.body).toMatch(/id="f-voucher_code-error"[^>]*>No voucher of this event has this code/)
    expect(wrong.body).toContain('value="NOPE"')
    const ok = await reserveVia(browser, event.id, { section_id, quantity: '1', voucher_code: ' friends25 ' })
    expect(ok.statusCode).toBe(303)
    const checkout = await browser.get(String(ok.headers.location))
    expect(checkout.body).toContain('A$30.00')
    // The receipt says what the voucher took off, beside the line.
    const invoice = /href="(\/invoices\/\d+)"/.exec(checkout.body)?.[1]
    expect(invoice).toBeDefined()
    expect((await browser.get(invoice!)).body).toContain('A$40.00 less a voucher’s A$10.00')
    const usedUp = await reserveVia(browser, event.id, {
      section_id,
      quantity: '1',
      voucher_code: 'FRIENDS25',
    })
    expect(usedUp.statusCode).toBe(409)
    expect(usedUp.body).toMatch(/id="f-voucher_code-error"[^>]*>This voucher has been used up/)
  })

  it('a lapsed hold sends the booker back to the event with a message', async () => {
    const me = await registerUser(app)
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, me)
    const res = await reserveVia(browser, event.id, {
      section_id: String(event.sections[0].id),
      quantity: '1',
    })
    const reservationId = idIn(res.headers.location, '/reservations/')
    await lapseReservation(app, reservationId)
    const page = await browser.get(`/reservations/${reservationId}`)
    expect(page.statusCode).toBe(303)
    expect(page.headers.location).toBe(`/events/${event.id}?again=${reservationId}`)
    expect((await browser.get(String(page.headers.location))).body).toContain('Your hold has lapsed')

    // Cancelled since: the event page has no form to fill in again, and the message says why instead.
    const other = await makeEvent(app, organizer)
    const held = await reserveVia(browser, other.id, {
      section_id: String(other.sections[0].id),
      quantity: '1',
    })
    const heldId = idIn(held.headers.location, '/reservations/')
    const cancelled = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${other.id}/cancel`,
      headers: organizer.auth,
    })
    expect(cancelled.statusCode).toBe(200)
    const after = await browser.get(`/reservations/${heldId}`)
    expect(after.statusCode).toBe(303)
    expect(after.headers.location).toBe(`/events/${other.id}`)
    const shown = (await browser.get(`/events/${other.id}`)).body
    expect(shown).toContain('Your hold has ended, and this event is no longer on sale.')
    expect(shown).not.toContain('filled in again')
  })

  it('without the CSRF token the reservation is refused with 403', async () => {
    const me = await registerUser(app)
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, me)
    const res = await browser.post(`/events/${event.id}/reserve`, {
      _csrf: null,
      section_id: String(event.sections[0].id),
    })
    expect(res.statusCode).toBe(403)
  })
})

describe('someone else’s checkout, invoice and ticket', () => {
  it('are 404 for another member, and login-first for nobody', async () => {
    const me = await registerUser(app)
    const other = await registerUser(app)
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, me)
    const res = await reserveVia(browser, event.id, {
      section_id: String(event.sections[0].id),
      quantity: '1',
    })
    const reservationId = idIn(res.headers.location, '/reservations/')
    const checkout = await browser.get(`/reservations/${reservationId}`)
    const invoiceId = Number(/action="\/invoices\/(\d+)\/pay"/.exec(checkout.body)?.[1])
    await browser.post(`/invoices/${invoiceId}/pay`, { payment_method: 'test_ok' })
    const tickets = await browser.get('/tickets')
    const ticketId = Number(/href="\/tickets\/(\d+)"/.exec(tickets.body)?.[1])
    const ticketPage = await browser.get(`/tickets/${ticketId}`)
    expect(ticketPage.body).toContain('Refund this ticket')
    expect(ticketPage.body).toContain('Entry code')

    const intruder = await browserFor(app, other)
    for (const url of [`/reservations/${reservationId}`, `/invoices/${invoiceId}`, `/tickets/${ticketId}`]) {
      const seen = await intruder.get(url)
      expect(seen.statusCode, url).toBe(404)
      expect(seen.body).not.toContain(event.title)
    }
    expect(
      (await intruder.post(`/invoices/${invoiceId}/pay`, { payment_method: 'test_ok' })).statusCode,
    ).toBe(404)
    // Another member's ticket is a 404 whatever the form says (not first "choose the friend").
    for (const user_id of ['', String(other.id)])
      expect((await intruder.post(`/tickets/${ticketId}/transfer`, { user_id })).statusCode).toBe(404)
    for (const body of [{}, { confirm: 'yes' }] as Record<string, string>[])
      expect((await intruder.post(`/tickets/${ticketId}/cancel`, body)).statusCode).toBe(404)
    const anonymous = await app.inject({ url: `/tickets/${ticketId}`, headers: { accept: 'text/html' } })
    expect(anonymous.statusCode).toBe(303)
    expect(anonymous.headers.location).toBe(`/login?next=${encodeURIComponent(`/tickets/${ticketId}`)}`)
    // The organizer may read the invoice (not pay it).
    const org = await browserFor(app, organizer)
    const orgView = await org.get(`/invoices/${invoiceId}`)
    expect(orgView.statusCode).toBe(200)
    expect(orgView.body).not.toContain('/pay"')
  })

  /** Two tickets of a new event reserved and paid through the pages by `browser`'s member: their ids. */
  async function twoPaidTickets(browser: Browser): Promise<[number, number]> {
    const event = await makeEvent(app, organizer)
    const res = await reserveVia(browser, event.id, {
      section_id: String(event.sections[0].id),
      quantity: '2',
    })
    const checkout = await browser.get(String(res.headers.location))
    const invoiceId = Number(/action="\/invoices\/(\d+)\/pay"/.exec(checkout.body)?.[1])
    await browser.post(`/invoices/${invoiceId}/pay`, { payment_method: 'test_ok' })
    const list = await browser.get('/tickets')
    const [a, b] = [...list.body.matchAll(/href="\/tickets\/(\d+)"/g)].map((m) => Number(m[1]))
    return [a!, b!]
  }

  it('a member with more than 100 friends transfers by username, to any of them, and only to a friend', async () => {
    const me = await registerUser(app)
    const people = await quickUsers(app, 102)
    const [stranger, ...friends] = people as [TestUser, ...TestUser[]]
    await app.ctx.db
      .insert(friendships)
      .values(friends.map((p) => ({ requesterId: p.id, addresseeId: me.id, status: 'accepted' as const })))
    const browser = await browserFor(app, me)
    const [a, b] = await twoPaidTickets(browser)
    const page = (await browser.get(`/tickets/${a}`)).body
    // A username field, the first 100 friends suggested; no list of ids.
    expect(page).toContain('name="username" list="f-friends" required')
    expect(page.match(/<option value="[^"]+">/g)).toHaveLength(100)
    expect(page).not.toContain('name="user_id"')
    // The 101st friend, sorted last and not suggested, typed with an '@' and in capitals.
    const last = [...friends]
      .sort((x, y) => (x.username.toLowerCase() < y.username.toLowerCase() ? -1 : 1))
      .at(-1)!
    expect(page).not.toContain(`value="${last.username}"`)
    // Not a friend, no such member, not a username at all: said, and the ticket stays.
    for (const username of [stranger.username, 'nobody_by_this_name', 'no spaces']) {
      const refused = await browser.post(`/tickets/${a}/transfer`, { username })
      const shown = (await browser.get(String(refused.headers.location))).body
      expect(shown).toMatch(/Transfer this ticket/)
      expect(shown).toMatch(
        username === stranger.username ? /is not your friend/ : /None of your friends has that username\./,
      )
    }
    const moved = await browser.post(`/tickets/${a}/transfer`, {
      username: `@${last.username.toUpperCase()}`,
    })
    expect(moved.headers.location).toBe('/tickets')
    expect((await browser.get('/tickets')).body).toContain(`Ticket transferred to ${last.username}`)
    // The list's id is still taken as before.
    const byId = await browser.post(`/tickets/${b}/transfer`, { user_id: String(friends[0]!.id) })
    expect(byId.headers.location).toBe('/tickets')
  })

  it('refund and transfer from the ticket page', async () => {
    const me = await registerUser(app)
    const friend = await registerUser(app, { display_name: 'Tina Transfer' })
    await makeFriends(app, me, friend)
    const browser = await browserFor(app, me)
    const [a, b] = await twoPaidTickets(browser)
    await browser.get(`/tickets/${a}`)
    // No friend chosen, or the holder's own id typed in: the ticket page says so, and the ticket stays.
    for (const user_id of ['', 'someone', String(me.id)]) {
      const none = await browser.post(`/tickets/${a}/transfer`, { user_id })
      expect(none.statusCode).toBe(303)
      const page = await browser.get(String(none.headers.location))
      expect(page.body).toContain('Choose the friend to transfer the ticket to.')
      expect(page.body).toContain('Transfer this ticket')
    }
    const moved = await browser.post(`/tickets/${a}/transfer`, { user_id: String(friend.id) })
    expect(moved.statusCode).toBe(303)
    // Back to the list, which the sender may always see.
    expect(moved.headers.location).toBe('/tickets')
    expect((await browser.get('/tickets')).body).toContain('Ticket transferred to Tina Transfer')
    // One click is not enough: without the box ticked, the ticket stays paid.
    const page = await browser.get(`/tickets/${b}`)
    expect(page.body).toContain('Yes, refund this ticket: its place goes back on sale')
    const unticked = await browser.post(`/tickets/${b}/cancel`)
    expectUnconfirmed(unticked, 'f-cancel-confirm', 'Tick the box to confirm: the place goes back on sale.')
    // Shown as it is now: still paid, so still refundable.
    expect(unticked.body).toContain('Refund this ticket')
    const refunded = await browser.post(`/tickets/${b}/cancel`, { confirm: 'yes' })
    expect(refunded.statusCode).toBe(303)
    const after = await browser.get(`/tickets/${b}`)
    expect(after.body).toContain('The ticket was refunded.')
    expect(after.body).toContain('Cancelled')
  })
})
