// An event's time zone: named on the API (an IANA name, UTC by default, refused when it names no zone), carried
// by its tickets, and the clock its times are shown, typed and counted by day on, on the pages and in e-mails.
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { invoices } from '../../src/db/schema/index.js'
import { instantOf, wallTimeOf } from '../../src/lib/time-zones.js'
import { eventBody, insertTicket, makeEvent } from '../factories/events.js'
import { type App, buildTestApp, problem, registerUser, type TestUser } from '../helpers.js'
import { type Browser, browserFor } from '../web/browser.js'

let app: App
let organizer: TestUser
let buyer: TestUser
let browser: Browser

beforeAll(async () => {
  app = await buildTestApp()
  ;[organizer, buyer] = await Promise.all([registerUser(app), registerUser(app)])
  browser = await browserFor(app, organizer)
})
afterAll(() => app.close())

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, who = organizer) =>
  app.inject({ method, url: `/api/v1${url}`, headers: who.auth, payload })

const errorOf = (html: string, field: string) =>
  new RegExp(`id="f-${field}-error"[^>]*>([^<]*)<`).exec(html)?.[1]

describe('wall-clock times in a zone (lib/time-zones.ts)', () => {
  it('reads a datetime-local value on the zone’s clock, summer and winter, and back', () => {
    expect(instantOf('2027-07-01T20:00', 'Europe/Berlin')).toBe('2027-07-01T18:00:00.000Z')
    expect(instantOf('2027-01-15T20:00', 'Europe/Berlin')).toBe('2027-01-15T19:00:00.000Z')
    expect(instantOf('2027-01-15T20:00', 'Asia/Kolkata')).toBe('2027-01-15T14:30:00.000Z')
    expect(instantOf('2027-01-15T20:00', 'UTC')).toBe('2027-01-15T20:00:00.000Z')
    expect(wallTimeOf('2027-07-01T18:00:00.000Z', 'Europe/Berlin')).toBe('2027-07-01T20:00')
    expect(wallTimeOf('2027-01-15T14:30:00.000Z', 'Asia/Kolkata')).toBe('2027-01-15T20:00')
  })

  it('a time the clocks pass twice is the first of the two, east and west of Greenwich alike', () => {
    // Berlin's 02:30 on 31 October 2027 is 00:30 UTC (CEST) and again 01:30 UTC (CET).
    expect(instantOf('2027-10-31T02:30', 'Europe/Berlin')).toBe('2027-10-31T00:30:00.000Z')
    // New York's 01:30 on 7 November 2027 is 05:30 UTC (EDT) and again 06:30 UTC (EST).
    expect(instantOf('2027-11-07T01:30', 'America/New_York')).toBe('2027-11-07T05:30:00.000Z')
    // Sydney's 02:30 on 4 April 2027 is 15:30 UTC (AEDT) and again 16:30 UTC (AEST).
    expect(instantOf('2027-04-04T02:30', 'Australia/Sydney')).toBe('2027-04-03T15:30:00.000Z')
    // New York skips 02:00–03:00 on 14 March 2027: 02:30 lands at 03:30 EDT, as Berlin's does at 03:30 CEST.
    expect(instantOf('2027-03-14T02:30', 'America/New_York')).toBe('2027-03-14T07:30:00.000Z')
  })

  it('takes seconds and a space for the T, as a browser without a date picker may send', () => {
    expect(instantOf('2027-07-01T20:00:30', 'Europe/Berlin')).toBe('2027-07-01T18:00:30.000Z')
    expect(instantOf('2027-07-01 20:00', 'Europe/Berlin')).toBe('2027-07-01T18:00:00.000Z')
  })

  it('a time the clocks skip is read after the change; a day that does not exist, or a year under 100, is no time', () => {
    // Berlin's clocks go from 02:00 to 03:00 on 28 March 2027: 02:30 is 03:30 CEST, 01:30 UTC.
    expect(instantOf('2027-03-28T02:30', 'Europe/Berlin')).toBe('2027-03-28T01:30:00.000Z')
    for (const bad of [
      '2027-02-29T10:00',
      '2027-04-31T10:00',
      '2027-13-01T10:00',
      '2027-01-01T24:00',
      '0050-01-01T10:00',
      'soon',
    ]) {
      expect(instantOf(bad, 'Europe/Berlin'), bad).toBeNull()
    }
  })
})

describe('the API', () => {
  it('a new event is in UTC unless it names a zone, which is kept in its listed spelling', async () => {
    const plain = await api('POST', '/events', eventBody())
    expect(plain.statusCode).toBe(201)
    expect(plain.json().timezone).toBe('UTC')

    const named = await api('POST', '/events', eventBody({ timezone: 'europe/berlin' }))
    expect(named.statusCode).toBe(201)
    expect(named.json().timezone).toBe('Europe/Berlin')
    // Another name Intl knows (by Asia/Calcutta) stays as given.
    const kolkata = await api('POST', '/events', eventBody({ timezone: 'Asia/Kolkata' }))
    expect(kolkata.json().timezone).toBe('Asia/Kolkata')

    // Every read says it: the event, the catalogue's JSON text and the organizer's drafts.
    const id = named.json().id
    expect((await api('GET', `/events/${id}`)).json().timezone).toBe('Europe/Berlin')
    await api('POST', `/events/${id}/publish`)
    expect((await app.inject({ url: `/api/v1/events/${id}` })).json().timezone).toBe('Europe/Berlin')
    const list = (
      await app.inject({ url: `/api/v1/events?organizer_id=${organizer.id}&per_page=100` })
    ).json()
    expect(list.data.find((e: { id: number }) => e.id === id).timezone).toBe('Europe/Berlin')
  })

  it('a name that is no zone is 400 on body.timezone, and nothing is created or changed', async () => {
    const before = (await api('GET', `/events?organizer_id=${organizer.id}&status=draft`)).json().total
    const event = await makeEvent(app, organizer, { status: 'draft', timezone: 'Europe/Berlin' })
    for (const timezone of [
      'Mars/Olympus_Mons',
      '+01:00',
      '',
      ' ',
      'Europe/../etc',
      'x'.repeat(65),
      'Europe Berlin',
    ]) {
      const created = await api('POST', '/events', eventBody({ timezone }))
      expect(created.statusCode, timezone).toBe(400)
      expect(problem(created).code, timezone).toBe('VALIDATION_FAILED')
      expect(JSON.stringify(problem(created).errors), timezone).toContain('body.timezone')
      const changed = await api('PATCH', `/events/${event.id}`, { timezone, title: 'Renamed' })
      expect(changed.statusCode, timezone).toBe(400)
      expect(JSON.stringify(problem(changed).errors), timezone).toContain('body.timezone')
    }
    const now = (await api('GET', `/events/${event.id}`)).json()
    expect(now).toMatchObject({ timezone: 'Europe/Berlin', title: event.title })
    expect((await api('GET', `/events?organizer_id=${organizer.id}&status=draft`)).json().total).toBe(
      before + 1,
    )
  })

  it('a time out of the years 1900 to 9999 is 400, for an event and a voucher alike', async () => {
    for (const starts_at of ['0001-01-01T00:00:00Z', '0099-06-01T00:00:00Z', '1899-12-31T23:59:59Z']) {
      const res = await api('POST', '/events', eventBody({ starts_at }))
      expect(res.statusCode, starts_at).toBe(400)
      expect(JSON.stringify(problem(res).errors), starts_at).toContain('must be in the years 1900 to 9999')
    }
    const event = await makeEvent(app, organizer, { status: 'draft' })
    const late = await api('PATCH', `/events/${event.id}`, { ends_at: '9999-12-31T12:00:00Z' })
    expect(late.statusCode).toBe(400)
    expect(JSON.stringify(problem(late).errors)).toContain('body.ends_at')
    const voucher = await api('POST', `/events/${event.id}/vouchers`, {
      code: 'OLD',
      kind: 'percent',
      value: 10,
      valid_from: '0050-01-01T00:00:00Z',
    })
    expect(voucher.statusCode).toBe(400)
    expect(JSON.stringify(problem(voucher).errors)).toContain('body.valid_from')
    expect((await api('POST', '/events', eventBody({ starts_at: '1900-01-01T00:00:00Z' }))).statusCode).toBe(
      201,
    )
  })

  it('PATCH changes the zone and moves no instant', async () => {
    const event = await makeEvent(app, organizer, { starts_at: '2027-07-01T18:00:00.000Z' })
    const res = await api('PATCH', `/events/${event.id}`, { timezone: 'America/New_York' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ timezone: 'America/New_York', starts_at: '2027-07-01T18:00:00.000Z' })
    expect((await app.inject({ url: `/api/v1/events/${event.id}` })).json().timezone).toBe('America/New_York')
  })

  it('a ticket names its event’s zone, from the reservation and from GET /tickets/{id}', async () => {
    const event = await makeEvent(app, organizer, { timezone: 'Australia/Sydney' })
    const made = await api(
      'POST',
      `/events/${event.id}/reservations`,
      { section_id: event.sections[0].id },
      buyer,
    )
    expect(made.statusCode).toBe(201)
    const ticket = made.json().tickets[0]
    expect(ticket.event).toEqual({
      id: event.id,
      title: event.title,
      starts_at: event.starts_at,
      timezone: 'Australia/Sydney',
    })
    expect((await api('GET', `/tickets/${ticket.id}`, undefined, buyer)).json().event.timezone).toBe(
      'Australia/Sydney',
    )
  })
})

describe('the pages', () => {
  it('the organizer types the start on the zone’s clock; every page shows it there, with the zone', async () => {
    const form = await browser.get('/organizer/events/new')
    expect(form.statusCode).toBe(200)
    expect(form.body).toContain('<option value="UTC" selected')
    const res = await browser.post('/organizer/events/new', {
      title: 'Sommerkonzert',
      venue: 'Waldbühne',
      starts_at: '2027-07-01T20:00',
      ends_at: '2027-07-01T22:30',
      timezone: 'Europe/Berlin',
      currency: 'EUR',
      name: 'General Admission',
      kind: 'general',
      price: '45.00',
      capacity: '100',
    })
    expect(res.statusCode).toBe(303)
    const id = Number(/\/organizer\/events\/(\d+)/.exec(res.headers.location as string)![1])
    const event = (await api('GET', `/events/${id}`)).json()
    expect(event).toMatchObject({
      timezone: 'Europe/Berlin',
      starts_at: '2027-07-01T18:00:00.000Z',
      ends_at: '2027-07-01T20:30:00.000Z',
    })

    const edit = (await browser.get(`/organizer/events/${id}`)).body
    expect(edit).toContain('value="2027-07-01T20:00"')
    expect(edit).toContain('<option value="Europe/Berlin" selected')
    await api('POST', `/events/${id}/publish`)
    const page = (await app.inject({ url: `/events/${id}` })).body
    expect(page).toContain('1 Jul 2027, 20:00 CEST')
    expect(page).toContain('1 Jul 2027, 22:30 CEST')
    expect(page).not.toContain('18:00 UTC')
    // Search engines read the local start with its offset.
    expect(page).toContain('"startDate":"2027-07-01T20:00:00.000+02:00"')
    expect(page).toContain('"endDate":"2027-07-01T22:30:00.000+02:00"')
    const home = (await app.inject({ url: '/?q=Sommerkonzert' })).body
    expect(home).toContain('1 Jul 2027, 20:00 CEST')
  })

  it('an edit moves no time left as shown, even to another zone, and reads a time typed anew on the zone it names', async () => {
    const event = await makeEvent(app, organizer, {
      starts_at: '2027-07-01T18:00:00.000Z',
      timezone: 'Europe/Berlin',
    })
    const fields = {
      title: event.title,
      venue: event.venue,
      currency: event.currency,
      starts_at: '2027-07-01T20:00',
    }
    // Another zone, the start left as shown: the instant stays, and the message says how it now reads.
    const rezoned = await browser.post(`/organizer/events/${event.id}`, {
      ...fields,
      timezone: 'America/New_York',
    })
    expect(rezoned.statusCode).toBe(303)
    expect((await api('GET', `/events/${event.id}`)).json()).toMatchObject({
      timezone: 'America/New_York',
      starts_at: '2027-07-01T18:00:00.000Z',
    })
    const page = (await browser.get(`/organizer/events/${event.id}`)).body
    expect(page).toContain(
      'Event saved. Its times are now shown on the clock of America/New_York: it starts 1 Jul 2027, 14:00 GMT-4.',
    )
    expect(page).toContain('value="2027-07-01T14:00"')
    // A start typed anew is read on the clock of the zone the form names…
    const typed = await browser.post(`/organizer/events/${event.id}`, {
      ...fields,
      starts_at: '2027-07-01T20:00',
      timezone: 'America/New_York',
    })
    expect(typed.statusCode).toBe(303)
    expect((await api('GET', `/events/${event.id}`)).json().starts_at).toBe('2027-07-02T00:00:00.000Z')
    // …and a form that sends no zone keeps the event's, and reads its times there.
    const kept = await browser.post(`/organizer/events/${event.id}`, {
      ...fields,
      starts_at: '2027-07-01T21:00',
    })
    expect(kept.statusCode).toBe(303)
    expect((await api('GET', `/events/${event.id}`)).json()).toMatchObject({
      timezone: 'America/New_York',
      starts_at: '2027-07-02T01:00:00.000Z',
    })
  })

  it('saving the edit form untouched moves nothing: the second of a repeated hour, seconds and milliseconds stay', async () => {
    // 02:30 CET on 31 October 2027, the second 02:30 of Berlin's night; the end carries seconds and milliseconds.
    const event = await makeEvent(app, organizer, {
      starts_at: '2027-10-31T01:30:00.000Z',
      ends_at: '2027-10-31T03:45:30.250Z',
      timezone: 'Europe/Berlin',
    })
    const edit = (await browser.get(`/organizer/events/${event.id}`)).body
    expect(edit).toContain('value="2027-10-31T02:30"')
    const saved = await browser.post(`/organizer/events/${event.id}`, {
      title: event.title,
      venue: event.venue,
      currency: event.currency,
      starts_at: '2027-10-31T02:30',
      ends_at: '2027-10-31T04:45',
      timezone: 'Europe/Berlin',
    })
    expect(saved.statusCode).toBe(303)
    expect((await api('GET', `/events/${event.id}`)).json()).toMatchObject({
      starts_at: '2027-10-31T01:30:00.000Z',
      ends_at: '2027-10-31T03:45:30.250Z',
    })
    // A voucher's end, changed through its row untouched, stays too.
    const voucher = await api('POST', `/events/${event.id}/vouchers`, {
      code: 'LATE',
      kind: 'percent',
      value: 10,
      valid_until: '2027-10-31T01:30:00.000Z',
    })
    expect(voucher.statusCode).toBe(201)
    const row = await browser.post(`/organizer/events/${event.id}/vouchers/${voucher.json().id}`, {
      value: '10',
      max_uses: '',
      active: 'true',
      valid_until: '2027-10-31T02:30',
    })
    expect(row.statusCode).toBe(303)
    const [after] = (await api('GET', `/events/${event.id}/vouchers`)).json().data
    expect(after.valid_until).toBe('2027-10-31T01:30:00.000Z')
  })

  it('a zone that is not on the list: 422, the reason beside the list, what was typed kept, nothing saved', async () => {
    const event = await makeEvent(app, organizer, {
      starts_at: '2027-07-01T18:00:00.000Z',
      timezone: 'Europe/Berlin',
    })
    const res = await browser.post(`/organizer/events/${event.id}`, {
      title: 'Typed title',
      venue: event.venue,
      currency: event.currency,
      starts_at: '2027-07-01T20:00',
      timezone: 'Mars/Olympus_Mons',
    })
    expect(res.statusCode).toBe(422)
    expect(errorOf(res.body, 'timezone')).toBe('Choose a time zone from the list, such as Europe/Berlin')
    expect(res.body).toContain('aria-describedby="f-timezone-error f-timezone-hint"')
    expect(res.body).toContain('value="Typed title"')
    expect((await api('GET', `/events/${event.id}`)).json()).toMatchObject({
      title: event.title,
      timezone: 'Europe/Berlin',
    })
  })

  it('the home page’s days are the days the cards show, on each event’s own clock', async () => {
    // The same instant: 2 July 00:30 in Berlin, still 1 July 22:30 in UTC.
    const berlin = await makeEvent(app, organizer, {
      title: 'Dayedge Berlin',
      starts_at: '2027-07-01T22:30:00.000Z',
      timezone: 'Europe/Berlin',
    })
    const utc = await makeEvent(app, organizer, {
      title: 'Dayedge UTC',
      starts_at: '2027-07-01T22:30:00.000Z',
    })
    const day = async (d: string) => (await app.inject({ url: `/?q=Dayedge&from=${d}&to=${d}` })).body
    const second = await day('2027-07-02')
    expect(second).toContain(`/events/${berlin.id}"`)
    expect(second).toContain('2 Jul 2027, 00:30 CEST')
    expect(second).not.toContain(`/events/${utc.id}"`)
    const first = await day('2027-07-01')
    expect(first).toContain(`/events/${utc.id}"`)
    expect(first).not.toContain(`/events/${berlin.id}"`)
    const both = (await app.inject({ url: '/?q=Dayedge&from=2027-07-01&to=2027-07-02' })).body
    expect(both).toContain(`/events/${berlin.id}"`)
    expect(both).toContain(`/events/${utc.id}"`)
  })

  it('a ticket’s page and the sales chart use the event’s clock: a sale paid at 23:30 UTC is the next day in Berlin', async () => {
    const event = await makeEvent(app, organizer, {
      starts_at: '2027-07-01T18:00:00.000Z',
      timezone: 'Europe/Berlin',
    })
    const ticket = await insertTicket(app, {
      eventId: event.id,
      sectionId: event.sections[0].id,
      holderId: buyer.id,
    })
    await app.ctx.db
      .update(invoices)
      .set({ paidAt: new Date('2026-11-20T23:30:00.000Z') })
      .where(eq(invoices.eventId, event.id))
    const sales = (await browser.get(`/organizer/events/${event.id}/sales`)).body
    expect(sales).toContain('Day (Europe/Berlin, month-day)')
    expect(sales).toMatch(/<th scope="row"[^>]*>2026-11-21</)
    expect(sales).not.toMatch(/<th scope="row"[^>]*>2026-11-20</)

    const buyerBrowser = await browserFor(app, buyer)
    const page = (await buyerBrowser.get(`/tickets/${ticket.id}`)).body
    expect(page).toContain('1 Jul 2027, 20:00 CEST')
    // An event in UTC is counted on UTC's day, as before.
    const utc = await makeEvent(app, organizer)
    await insertTicket(app, { eventId: utc.id, sectionId: utc.sections[0].id, holderId: buyer.id })
    await app.ctx.db.execute(
      sql`update invoices set paid_at = '2026-11-20T23:30:00Z' where event_id = ${utc.id}`,
    )
    expect((await browser.get(`/organizer/events/${utc.id}/sales`)).body).toMatch(
      /<th scope="row"[^>]*>2026-11-20</,
    )
  })
})
