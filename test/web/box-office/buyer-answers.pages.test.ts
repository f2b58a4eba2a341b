// What a buyer is told and offered on the box-office pages: a payment after the hold lapsed, a declined one, a ticket
// no longer theirs to refund, seats in words, a sold-out event to a visitor, a free one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lapseReservation } from '../../factories/boxoffice.js'
import { GENERAL_AND_VIP, makeEvent, seatsOf } from '../../factories/events.js'
import { makeFriends } from '../../factories/social.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../../helpers.js'
import { type Browser, browserFor } from '../browser.js'

let app: App
let organizer: TestUser
beforeAll(async () => {
  app = await buildTestApp({ MAX_EVENT_LOOP_DELAY: '0' })
  organizer = await registerUser(app)
})
afterAll(() => app.close())

async function reserveOne(browser: Browser, eventId: number, fields: Record<string, string | string[]>) {
  await browser.get(`/events/${eventId}`)
  const res = await browser.post(`/events/${eventId}/reserve`, fields)
  expect(res.statusCode).toBe(303)
  const reservationId = Number(String(res.headers.location).replace('/reservations/', ''))
  const checkout = await browser.get(`/reservations/${reservationId}`)
  const invoiceId = Number(/action="\/invoices\/(\d+)\/pay"/.exec(checkout.body)?.[1])
  return { reservationId, invoiceId }
}

describe('paying after the hold ran out', () => {
  it('redirects to the checkout, which lands on the event page saying nothing was charged, when, and how to book again', async () => {
    const me = await registerUser(app)
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, me)
    const { reservationId, invoiceId } = await reserveOne(browser, event.id, {
      section_id: String(event.sections[0].id),
      quantity: '2',
    })
    await lapseReservation(app, reservationId)
    const res = await browser.post(`/invoices/${invoiceId}/pay`, {
      payment_method: 'test_ok',
      next: `/reservations/${reservationId}`,
    })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`/reservations/${reservationId}`)
    const checkout = await browser.get(`/reservations/${reservationId}`)
    expect(checkout.statusCode).toBe(303)
    expect(checkout.headers.location).toBe(`/events/${event.id}?again=${reservationId}`)
    const page = await browser.get(String(checkout.headers.location))
    expect(page.statusCode).toBe(200)
    const main = page.body.slice(page.body.indexOf('<main'))
    expect(main).toMatch(
      /^<main[^>]*><p class="flash flash-error" role="alert">Nothing was charged: your hold ran out at [^<]*\d[^<]*, before this payment/,
    )
    expect(main).toContain(`<a href="/events/${event.id}?again=${reservationId}#reserve">Book again</a>`)
    // The choices are filled in again.
    expect(page.body).toMatch(/name="quantity"[^>]*value="2"/)
    // Nothing was charged: the invoice is expired, not paid.
    const invoice = await browser.get(`/invoices/${invoiceId}`)
    expect(invoice.body).toContain('Expired')
    expect(invoice.body).not.toContain('<dt>Paid</dt>')
  })
})

describe('a declined payment', () => {
  it('goes back to the checkout it came from with the reason and the declined method still chosen (303: no re-post)', async () => {
    const me = await registerUser(app)
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, me)
    const { reservationId, invoiceId } = await reserveOne(browser, event.id, {
      section_id: String(event.sections[0].id),
      quantity: '1',
    })
    const res = await browser.post(`/invoices/${invoiceId}/pay`, {
      payment_method: 'test_declined',
      next: `/reservations/${reservationId}`,
    })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`/reservations/${reservationId}?method=test_declined#pay-${invoiceId}`)
    const checkout = await browser.get(String(res.headers.location).split('#')[0]!)
    expect(checkout.statusCode).toBe(200)
    expect(checkout.body).toContain('<h1>Checkout</h1>')
    expect(checkout.body).toContain('role="alert">The payment was declined. Nothing was charged')
    expect(checkout.body).toMatch(/value="test_declined" checked/)
    expect(checkout.body).not.toMatch(/value="test_ok" checked/)
    // Still payable with another method.
    const paid = await browser.post(`/invoices/${invoiceId}/pay`, {
      payment_method: 'test_ok',
      next: `/reservations/${reservationId}`,
    })
    expect(paid.statusCode).toBe(303)
  })
})

describe('a transferred ticket', () => {
  it('offers its booker no refund, and tells the recipient it was transferred to them', async () => {
    const me = await registerUser(app)
    const friend = await registerUser(app, { display_name: 'Tara Taker' })
    await makeFriends(app, me, friend)
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, me)
    const { invoiceId } = await reserveOne(browser, event.id, {
      section_id: String(event.sections[0].id),
      quantity: '1',
    })
    await browser.post(`/invoices/${invoiceId}/pay`, { payment_method: 'test_ok' })
    const ticketId = Number(/href="\/tickets\/(\d+)"/.exec((await browser.get('/tickets')).body)?.[1])
    expect((await browser.get(`/tickets/${ticketId}`)).body).toContain('Refund this ticket')
    const moved = await browser.post(`/tickets/${ticketId}/transfer`, { user_id: String(friend.id) })
    expect(moved.statusCode).toBe(303)
    const mine = await browser.get(`/tickets/${ticketId}`)
    expect(mine.statusCode).toBe(200)
    expect(mine.body).toContain('Tara Taker')
    expect(mine.body).not.toContain('Refund this ticket')
    expect(mine.body).not.toContain(`action="/tickets/${ticketId}/cancel"`)
    const theirs = await (await browserFor(app, friend)).get('/tickets')
    expect(theirs.body).toContain('Transferred to you')
    expect(theirs.body).not.toContain('Booked for you by')
  })
})

describe('the seat map', () => {
  it('says in visible words which seats are sold or held, keeping the accessible names', async () => {
    const me = await registerUser(app)
    const other = await registerUser(app)
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const vip = event.sections[1]!
    const seats = await seatsOf(app, event, vip.id)
    const otherBrowser = await browserFor(app, other)
    const held = await reserveOne(otherBrowser, event.id, {
      section_id: String(vip.id),
      seat_ids: [String(seats[0]!.id)],
    })
    expect(held.invoiceId).toBeGreaterThan(0)
    const sold = await reserveOne(otherBrowser, event.id, {
      section_id: String(vip.id),
      seat_ids: [String(seats[1]!.id)],
    })
    await otherBrowser.post(`/invoices/${sold.invoiceId}/pay`, { payment_method: 'test_ok' })
    const page = await (await browserFor(app, me)).get(`/events/${event.id}`)
    const label = (seat: (typeof seats)[number]) =>
      new RegExp(`<label><input[^>]*value="${seat.id}"[^>]*/?>(.*?)</label>`).exec(page.body)?.[1]
    expect(label(seats[0]!)).toContain('<small class="seat-state" aria-hidden="true">held</small>')
    expect(label(seats[1]!)).toContain('<small class="seat-state" aria-hidden="true">sold</small>')
    expect(label(seats[2]!)).not.toContain('seat-state')
    expect(page.body).toContain(
      `aria-label="Row ${seats[0]!.row}, seat ${seats[0]!.number}, held by others, A$299.00"`,
    )
    expect(page.body).toContain(`aria-label="Row ${seats[1]!.row}, seat ${seats[1]!.number}, sold, A$299.00"`)
  })
})

describe('a sold-out event for an anonymous visitor', () => {
  it('offers to log in to join the waiting list, back to the event', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ name: 'Tiny', capacity: 1 }] })
    const buyer = await browserFor(app, await registerUser(app))
    await reserveOne(buyer, event.id, { section_id: String(event.sections[0].id), quantity: '1' })
    const page = await app.inject({ url: `/events/${event.id}`, headers: { accept: 'text/html' } })
    expect(page.body).toContain(
      `<a href="/login?next=${encodeURIComponent(`/events/${event.id}`)}" class="cta">Log in to join the waiting list</a>`,
    )
    expect(page.body).not.toContain('Log in to reserve')
    const open = await makeEvent(app, organizer)
    const openPage = await app.inject({ url: `/events/${open.id}`, headers: { accept: 'text/html' } })
    expect(openPage.body).toContain('Log in to reserve')
  })
})

describe('a free event', () => {
  it('reads "Free" on its card and its page, not "From A$0.00"', async () => {
    const event = await makeEvent(app, organizer, {
      title: 'Free open day',
      sections: [{ name: 'Entry', price_cents: 0, capacity: 50 }],
    })
    const home = await app.inject({ url: '/?q=Free%20open%20day', headers: { accept: 'text/html' } })
    const card = home.body.slice(home.body.indexOf(`/events/${event.id}`))
    expect(card.slice(0, 600)).toContain('<span>Free</span>')
    expect(home.body).not.toContain('From A$0.00')
    const page = await app.inject({ url: `/events/${event.id}`, headers: { accept: 'text/html' } })
    expect(page.body).toContain('<td>Free</td>')
    expect(page.body).not.toContain('A$0.00</td>')
    // The reserve form's choice says it too, to a member.
    const member = await browserFor(app, await registerUser(app))
    const form = (await member.get(`/events/${event.id}`)).body
    expect(form).toMatch(/Entry · Free · /)
    expect(form).not.toContain('A$0.00')
  })

  it('with free and paid sections, its card says both, not just "Free"', async () => {
    const event = await makeEvent(app, organizer, {
      title: 'Half free evening',
      sections: [
        { name: 'Standing', price_cents: 0, capacity: 50 },
        { name: 'Seats', price_cents: 4500, capacity: 20 },
      ],
    })
    const home = await app.inject({ url: '/?q=Half%20free%20evening', headers: { accept: 'text/html' } })
    const card = home.body.slice(home.body.indexOf(`/events/${event.id}`)).slice(0, 600)
    expect(card).toContain('<span>Free, or from A$45.00</span>')
  })
})
