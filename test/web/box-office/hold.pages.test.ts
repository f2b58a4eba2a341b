// The checkout's hold: extending it, and what a lapsed one leaves the buyer (their choices, filled in again).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lapseReservation } from '../../factories/boxoffice.js'
import { GENERAL_AND_VIP, makeEvent } from '../../factories/events.js'
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

async function checkoutOf(browser: Browser): Promise<{ id: number; eventId: number }> {
  const event = await makeEvent(app, organizer)
  await browser.get(`/events/${event.id}`)
  const res = await browser.post(`/events/${event.id}/reserve`, {
    section_id: String(event.sections[0].id),
    quantity: '1',
  })
  expect(res.statusCode).toBe(303)
  return { id: Number(String(res.headers.location).replace('/reservations/', '')), eventId: event.id }
}

const deadlineOf = (html: string) => /<time id="hold-deadline" datetime="([^"]+)"/.exec(html)?.[1]

describe('extending the hold from the checkout', () => {
  it('offers one extension: the form posts, comes back with a flash and a later deadline, then is gone', async () => {
    const browser = await browserFor(app, await registerUser(app))
    const { id } = await checkoutOf(browser)
    const page = await browser.get(`/reservations/${id}`)
    expect(page.body).toMatch(
      new RegExp(
        `<form method="post" action="/reservations/${id}/extend" id="extend-hold"[^>]*>\\s*<input type="hidden" name="_csrf"`,
      ),
    )
    expect(page.body).toContain('Extend my hold')
    expect(page.body).toContain('You can extend your hold once, by 15 minutes.')
    const before = deadlineOf(page.body)!

    const res = await browser.post(`/reservations/${id}/extend`)
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`/reservations/${id}`)
    const after = await browser.get(`/reservations/${id}`)
    expect(after.body).toContain('Your hold is extended')
    expect(Date.parse(deadlineOf(after.body)!) - Date.parse(before)).toBe(15 * 60 * 1000)
    expect(after.body).not.toContain('id="extend-hold"')

    // A second post (from a page opened before) says why, beside the checkout.
    const again = await browser.post(`/reservations/${id}/extend`)
    expect(again.statusCode).toBe(303)
    const said = await browser.get(`/reservations/${id}`)
    expect(said.body).toContain('already extended as far as it can be')
  })

  it('is refused with 403 without the CSRF token, and nothing moves', async () => {
    const browser = await browserFor(app, await registerUser(app))
    const { id } = await checkoutOf(browser)
    const before = deadlineOf((await browser.get(`/reservations/${id}`)).body)
    const res = await browser.post(`/reservations/${id}/extend`, { _csrf: null })
    expect(res.statusCode).toBe(403)
    expect(deadlineOf((await browser.get(`/reservations/${id}`)).body)).toBe(before)
  })

  it("is a 404 page on someone else's hold, and a lapsed hold sends the buyer back to the event", async () => {
    const browser = await browserFor(app, await registerUser(app))
    const { id, eventId } = await checkoutOf(browser)
    const intruder = await browserFor(app, await registerUser(app))
    await intruder.get('/')
    const stolen = await intruder.post(`/reservations/${id}/extend`)
    expect(stolen.statusCode).toBe(404)
    expect(stolen.headers['content-type']).toMatch(/text\/html/)

    await lapseReservation(app, id)
    const late = await browser.post(`/reservations/${id}/extend`)
    expect(late.statusCode).toBe(303)
    const back = await browser.get(`/reservations/${id}`)
    expect(back.statusCode).toBe(303)
    expect(String(back.headers.location)).toMatch(new RegExp(`^/events/${eventId}`))
  })
})

const checked = (html: string, name: string, value: number | string) =>
  new RegExp(`name="${name}" value="${value}"[^>]*checked`).test(html)

describe('a lapsed checkout keeps what the buyer chose', () => {
  it('sends the booker to the event page with section, seats, friend and split filled in again; no one else', async () => {
    const me = await registerUser(app, { display_name: 'Ada Again' })
    const friend = await registerUser(app, { display_name: 'Finn Friend' })
    await makeFriends(app, me, friend)
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const vip = event.sections[1]
    const browser = await browserFor(app, me)
    const page = await browser.get(`/events/${event.id}`)
    const seatIds = [...page.body.matchAll(/name="seat_ids" value="(\d+)"/g)].map((m) => m[1]!).slice(1, 3)
    const res = await browser.post(`/events/${event.id}/reserve`, {
      section_id: String(vip.id),
      seat_ids: seatIds,
      attendee_ids: [String(friend.id)],
      split_payment: 'true',
    })
    expect(res.statusCode).toBe(303)
    const reservationId = Number(String(res.headers.location).replace('/reservations/', ''))
    await lapseReservation(app, reservationId)

    const checkout = await browser.get(`/reservations/${reservationId}`)
    expect(checkout.statusCode).toBe(303)
    expect(checkout.headers.location).toBe(`/events/${event.id}?again=${reservationId}`)
    const again = await browser.get(String(checkout.headers.location))
    expect(again.statusCode).toBe(200)
    expect(again.body).toContain('Your choices are filled in again below.')
    expect(checked(again.body, 'section_id', vip.id)).toBe(true)
    for (const seat of seatIds) expect(checked(again.body, 'seat_ids', seat)).toBe(true)
    expect(checked(again.body, 'attendee_ids', friend.id)).toBe(true)
    expect(checked(again.body, 'split_payment', 'true')).toBe(true)
    expect(again.body).toMatch(/name="quantity" min="1" max="\d+" value="2"/)

    // The friend, a stranger and nobody at all get the blank form: another's choices are not shown.
    const friendBrowser = await browserFor(app, friend)
    const stranger = await browserFor(app, await registerUser(app))
    for (const other of [friendBrowser, stranger]) {
      const blank = await other.get(`/events/${event.id}?again=${reservationId}`)
      expect(blank.statusCode).toBe(200)
      for (const seat of seatIds) expect(checked(blank.body, 'seat_ids', seat)).toBe(false)
      expect(checked(blank.body, 'section_id', vip.id)).toBe(false)
    }
    const anonymous = await app.inject({
      url: `/events/${event.id}?again=${reservationId}`,
      headers: { accept: 'text/html' },
    })
    expect(anonymous.statusCode).toBe(200)
    expect(anonymous.body).not.toContain('Finn Friend')
    // Another event's page ignores it, and so does nonsense.
    const other = await makeEvent(app, organizer)
    expect((await browser.get(`/events/${other.id}?again=${reservationId}`)).statusCode).toBe(200)
    expect((await browser.get(`/events/${event.id}?again=x'1`)).statusCode).toBe(200)
  })
})
