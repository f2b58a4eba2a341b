import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventBody, GENERAL_AND_VIP, insertTicket, makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let other: TestUser
let admin: TestUser

beforeAll(async () => {
  app = await buildTestApp()
  ;[organizer, other, admin] = await Promise.all([registerUser(app), registerUser(app), registerAdmin(app)])
})
afterAll(() => app.close())

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describe('POST /events', () => {
  it('when the body is valid, then a draft is created with its sections, seats and totals', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: organizer.auth,
      payload: {
        title: '  Midnight Jazz  ',
        description: 'Late sets',
        venue: 'Blue Note',
        starts_at: '2027-11-21T19:30:00Z',
        ends_at: '2027-11-21T23:00:00.000Z',
        currency: 'EUR',
        max_tickets_per_user: 4,
        status: 'published',
        organizer_id: admin.id,
        sections: [
          { name: 'General Admission', kind: 'general', price_cents: 4500, capacity: 200 },
          { name: 'VIP', kind: 'seated', price_cents: 12000, rows: 2, seats_per_row: 5 },
          { name: 'Balcony', price_cents: 3000, rows: 1, seats_per_row: 4 },
        ],
      },
    })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(res.headers.location).toBe(`/api/v1/events/${body.id}`)
    expect(body).toEqual({
      id: expect.any(Number),
      title: 'Midnight Jazz',
      description: 'Late sets',
      venue: 'Blue Note',
      starts_at: '2027-11-21T19:30:00.000Z',
      ends_at: '2027-11-21T23:00:00.000Z',
      timezone: 'UTC',
      status: 'draft',
      organizer: {
        id: organizer.id,
        username: organizer.username,
        display_name: organizer.username,
        bio: '',
        avatar_url: null,
        created_at: expect.stringMatching(ISO),
      },
      max_tickets_per_user: 4,
      currency: 'EUR',
      sections: [
        {
          id: expect.any(Number),
          name: 'General Admission',
          kind: 'general',
          price_cents: 4500,
          capacity: 200,
          sold: 0,
          held: 0,
          available: 200,
        },
        {
          id: expect.any(Number),
          name: 'VIP',
          kind: 'seated',
          price_cents: 12000,
          capacity: 10,
          sold: 0,
          held: 0,
          available: 10,
          rows: 2,
          seats_per_row: 5,
        },
        expect.objectContaining({ name: 'Balcony', kind: 'seated', capacity: 4 }),
      ],
      tickets_sold: 0,
      capacity: 214,
      min_price_cents: 3000,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    })
    const seats = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${body.id}/seats?section_id=${body.sections[1].id}`,
      headers: organizer.auth,
    })
    expect(seats.json().map((s: { row: string; number: number }) => `${s.row}${s.number}`)).toEqual([
      'A1',
      'A2',
      'A3',
      'A4',
      'A5',
      'B1',
      'B2',
      'B3',
      'B4',
      'B5',
    ])
  })

  it('when optional fields are left out, then defaults apply (AUD, no limit, no end)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: organizer.auth,
      payload: {
        title: 'Plain',
        venue: 'Hall',
        starts_at: '2027-01-01T00:00:00Z',
        sections: [{ name: 'GA', price_cents: 0, capacity: 1 }],
      },
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({
      currency: 'AUD',
      max_tickets_per_user: null,
      ends_at: null,
      description: '',
      min_price_cents: 0,
    })
  })

  it('when no token is sent, then 401 AUTHORIZATION_REQUIRED', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/events', payload: eventBody() })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('AUTHORIZATION_REQUIRED')
  })

  const invalid: [string, Record<string, unknown>, string][] = [
    ['the title is missing', { title: undefined }, 'body.title'],
    ['the title is blank', { title: '   ' }, 'body.title'],
    ['starts_at is not a timestamp', { starts_at: 'tomorrow' }, 'body.starts_at'],
    [
      'ends_at is before starts_at',
      { starts_at: '2027-01-02T00:00:00Z', ends_at: '2027-01-01T00:00:00Z' },
      'body.ends_at',
    ],
    ['the currency is lower case', { currency: 'aud' }, 'body.currency'],
    ['the currency is not ISO 4217', { currency: 'XYZ' }, 'body.currency'],
    ['max_tickets_per_user is 0', { max_tickets_per_user: 0 }, 'body.max_tickets_per_user'],
    ['there are no sections', { sections: [] }, 'body.sections'],
    [
      'a price is negative',
      { sections: [{ name: 'GA', price_cents: -1, capacity: 5 }] },
      'body.sections.0.price_cents',
    ],
    [
      'a price is a fraction',
      { sections: [{ name: 'GA', price_cents: 10.5, capacity: 5 }] },
      'body.sections.0.price_cents',
    ],
    [
      'a price is a string',
      { sections: [{ name: 'GA', price_cents: '100', capacity: 5 }] },
      'body.sections.0.price_cents',
    ],
    [
      'a kind is unknown',
      { sections: [{ name: 'GA', kind: 'standing', price_cents: 1, capacity: 5 }] },
      'body.sections.0.kind',
    ],
    [
      'a general section has no capacity',
      { sections: [{ name: 'GA', kind: 'general', price_cents: 1 }] },
      'body.sections.0.capacity',
    ],
    [
      'a seated section has no rows',
      { sections: [{ name: 'A', kind: 'seated', price_cents: 1, seats_per_row: 4 }] },
      'body.sections.0.rows',
    ],
    [
      'a seated section has no seats_per_row',
      { sections: [{ name: 'A', kind: 'seated', price_cents: 1, rows: 4 }] },
      'body.sections.0.seats_per_row',
    ],
    [
      'a section name is empty',
      { sections: [{ name: '', price_cents: 1, capacity: 5 }] },
      'body.sections.0.name',
    ],
    [
      'a capacity is 0',
      { sections: [{ name: 'GA', price_cents: 1, capacity: 0 }] },
      'body.sections.0.capacity',
    ],
  ]
  for (const [what, patch, path] of invalid) {
    it(`when ${what}, then 400 VALIDATION_FAILED naming ${path}`, async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/events',
        headers: organizer.auth,
        payload: { ...eventBody(), ...patch },
      })
      expect(res.statusCode).toBe(400)
      const body = res.json()
      expect(body.code).toBe('VALIDATION_FAILED')
      expect(body.errors.map((e: { path: string }) => e.path)).toContain(path)
    })
  }
})

describe('GET /events/{id}', () => {
  it('when the event is published, then anyone sees it, with an ETag that answers 304', async () => {
    const event = await makeEvent(app, organizer)
    const res = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual(event)
    expect(res.headers.etag).toBeTruthy()
    const again = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}`,
      headers: { 'if-none-match': String(res.headers.etag) },
    })
    expect(again.statusCode).toBe(304)
  })

  it('when an event on a list page changes, or the total does, then the page gets a new ETag; each page has its own', async () => {
    const tag = `etag${Date.now()}`
    const firstEvent = await makeEvent(app, organizer, { title: `${tag} a` })
    await makeEvent(app, organizer, { title: `${tag} b` })
    const url = (page: number) => `/api/v1/events?q=${tag}&sort=title&per_page=1&page=${page}`
    const read = (page: number, etag?: string) =>
      app.inject({ method: 'GET', url: url(page), headers: etag ? { 'if-none-match': etag } : {} })
    const first = await read(1)
    const etag = String(first.headers.etag)
    expect(first.json().data.map((e: { title: string }) => e.title)).toEqual([`${tag} a`])
    expect((await read(1, etag)).statusCode).toBe(304)
    expect(String((await read(2)).headers.etag)).not.toBe(etag)

    // Another event on a later page: the first page's items are the same, its total is not.
    await makeEvent(app, organizer, { title: `${tag} c` })
    const counted = await read(1, etag)
    expect(counted.statusCode).toBe(200)
    expect(counted.json().total).toBe(3)

    const edit = await app.inject({
      method: 'PATCH',
      url: `/api/v1/events/${firstEvent.id}`,
      headers: organizer.auth,
      payload: { description: 'Edited' },
    })
    expect(edit.statusCode).toBe(200)
    const edited = await read(1, String(counted.headers.etag))
    expect(edited.statusCode).toBe(200)
    expect(edited.json().data[0].description).toBe('Edited')
    expect((await read(1, String(edited.headers.etag))).statusCode).toBe(304)
  })

  it('when the event is a draft, then only its organizer and admins see it; others get 404', async () => {
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const url = `/api/v1/events/${draft.id}`
    expect((await app.inject({ method: 'GET', url, headers: organizer.auth })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url, headers: admin.auth })).statusCode).toBe(200)
    const stranger = await app.inject({ method: 'GET', url, headers: other.auth })
    expect(stranger.statusCode).toBe(404)
    expect(stranger.json().code).toBe('NOT_FOUND')
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(404)
  })

  it('when the id does not exist, even past 32 bits, then 404; when it is no positive decimal, then 400', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/events/999999' })).statusCode).toBe(404)
    for (const id of ['2147483648', '99999999999999999999999', '9'.repeat(150)]) {
      const huge = await app.inject({ method: 'GET', url: `/api/v1/events/${id}` })
      expect(huge.statusCode, id).toBe(404)
      expect(huge.json().code).toBe('NOT_FOUND')
    }
    // The largest id is looked up as any other.
    expect((await app.inject({ method: 'GET', url: '/api/v1/events/2147483647' })).statusCode).toBe(404)
    for (const id of ['0', '-1', '007', '1e3']) {
      const bad = await app.inject({ method: 'GET', url: `/api/v1/events/${id}` })
      expect(bad.statusCode, id).toBe(400)
      expect(bad.json().code).toBe('VALIDATION_FAILED')
    }
    // In a query, an id past the bound is a value out of range, said as such (not "not a decimal integer").
    const filter = await app.inject({
      method: 'GET',
      url: '/api/v1/events?organizer_id=99999999999999999999999',
    })
    expect(filter.statusCode).toBe(400)
    expect(filter.json().errors).toEqual([
      { path: 'querystring.organizer_id', message: 'must be <= 2147483647' },
    ])
  })

  it('when tickets are held and sold, then sections and totals show them', async () => {
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const [ga, vip] = event.sections
    await insertTicket(app, { eventId: event.id, sectionId: ga.id, holderId: other.id })
    await insertTicket(app, { eventId: event.id, sectionId: ga.id, holderId: other.id, status: 'held' })
    await insertTicket(app, {
      eventId: event.id,
      sectionId: vip.id,
      holderId: other.id,
      seat: { row: 'A', number: 1 },
    })
    const body = (await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })).json()
    expect(body.sections[0]).toMatchObject({ capacity: 100, sold: 1, held: 1, available: 98 })
    expect(body.sections[1]).toMatchObject({ capacity: 6, sold: 1, held: 0, available: 5 })
    expect(body).toMatchObject({ tickets_sold: 2, capacity: 106 })
  })
})

describe('PATCH /events/{id}', () => {
  it('when the organizer edits, then the fields change and the rest stays', async () => {
    const event = await makeEvent(app, organizer, { max_tickets_per_user: 3 })
    const res = await app.inject({
      method: 'PATCH',
      url: `/api/v1/events/${event.id}`,
      headers: organizer.auth,
      payload: { title: 'Renamed', ends_at: '2030-01-01T00:00:00Z', max_tickets_per_user: null },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      title: 'Renamed',
      venue: event.venue,
      ends_at: '2030-01-01T00:00:00.000Z',
      max_tickets_per_user: null,
    })
  })

  it('when an admin edits, then it is allowed', async () => {
    const event = await makeEvent(app, organizer)
    const res = await app.inject({
      method: 'PATCH',
      url: `/api/v1/events/${event.id}`,
      headers: admin.auth,
      payload: { venue: 'Olympia' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().venue).toBe('Olympia')
  })

  it('when another user edits a published event, then 403; a draft, then 404', async () => {
    const published = await makeEvent(app, organizer)
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const edit = (id: number) =>
      app.inject({
        method: 'PATCH',
        url: `/api/v1/events/${id}`,
        headers: other.auth,
        payload: { title: 'X' },
      })
    const forbidden = await edit(published.id)
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.json().code).toBe('FORBIDDEN')
    expect((await edit(draft.id)).statusCode).toBe(404)
    expect((await edit(999999)).statusCode).toBe(404)
  })

  it('when ends_at would fall before starts_at, then 400', async () => {
    const event = await makeEvent(app, organizer, { starts_at: '2027-06-01T20:00:00Z' })
    const res = await app.inject({
      method: 'PATCH',
      url: `/api/v1/events/${event.id}`,
      headers: organizer.auth,
      payload: { ends_at: '2027-06-01T19:00:00Z' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors[0].path).toBe('body.ends_at')
  })

  it('when the currency changes after a sale, then 409 EVENT_HAS_SALES; before, it changes', async () => {
    const event = await makeEvent(app, organizer)
    const change = (currency: string) =>
      app.inject({
        method: 'PATCH',
        url: `/api/v1/events/${event.id}`,
        headers: organizer.auth,
        payload: { currency },
      })
    expect((await change('USD')).json().currency).toBe('USD')
    await insertTicket(app, { eventId: event.id, sectionId: event.sections[0].id, holderId: other.id })
    const res = await change('EUR')
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('EVENT_HAS_SALES')
  })

  it('when tickets are held or sold, a start still to come cannot be brought within 24 hours (409); a reschedule can', async () => {
    const move = (id: number, starts_at: string) =>
      app.inject({
        method: 'PATCH',
        url: `/api/v1/events/${id}`,
        headers: organizer.auth,
        payload: { starts_at },
      })
    const past = new Date(Date.now() - 86_400_000).toISOString()
    for (const status of ['confirmed', 'held'] as const) {
      const event = await makeEvent(app, organizer)
      await insertTicket(app, {
        eventId: event.id,
        sectionId: event.sections[0].id,
        holderId: other.id,
        status,
      })
      // Into the past, or a few seconds away (to wait for the start, then move it anywhere), or 23 hours away.
      for (const near of [
        past,
        new Date(Date.now() + 3_000).toISOString(),
        new Date(Date.now() + 23 * 3_600_000).toISOString(),
      ]) {
        const res = await move(event.id, near)
        expect(res.statusCode, `${status} ${near}`).toBe(409)
        expect(res.json().code).toBe('EVENT_HAS_SALES')
        expect(res.json().errors).toEqual([
          {
            path: 'body.starts_at',
            message:
              'can be brought forward only to at least 24 hours from now while tickets are held or sold',
          },
        ])
      }
      // Nothing moved; a start brought forward but still two days away, or moved later, is a reschedule.
      const now = (await app.inject({ url: `/api/v1/events/${event.id}` })).json()
      expect(now.starts_at).toBe(event.starts_at)
      const sooner = new Date(Date.now() + 2 * 86_400_000).toISOString()
      const rescheduled = await move(event.id, sooner)
      expect(rescheduled.statusCode).toBe(200)
      expect(rescheduled.json().starts_at).toBe(sooner)
      const later = new Date(Date.now() + 60 * 86_400_000).toISOString()
      expect((await move(event.id, later)).statusCode).toBe(200)
    }
    // With nothing held or sold (a ticket since cancelled counts for nothing), the start may be any time.
    const unsold = await makeEvent(app, organizer)
    await insertTicket(app, {
      eventId: unsold.id,
      sectionId: unsold.sections[0].id,
      holderId: other.id,
      status: 'cancelled',
    })
    const moved = await move(unsold.id, past)
    expect(moved.statusCode).toBe(200)
    expect(moved.json().starts_at).toBe(past)
    // A start already past may be corrected to another past time even with tickets: no refund is cut short.
    await insertTicket(app, { eventId: unsold.id, sectionId: unsold.sections[0].id, holderId: other.id })
    const corrected = new Date(Date.now() - 2 * 86_400_000).toISOString()
    expect((await move(unsold.id, corrected)).statusCode).toBe(200)
  })
})

describe('POST /events/{id}/publish', () => {
  it('when the organizer publishes a draft, then it becomes public; publishing again is a no-op', async () => {
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const url = `/api/v1/events/${draft.id}/publish`
    const res = await app.inject({ method: 'POST', url, headers: organizer.auth })
    expect(res.statusCode).toBe(200)
    expect(res.json().status).toBe('published')
    expect((await app.inject({ method: 'GET', url: `/api/v1/events/${draft.id}` })).statusCode).toBe(200)
    expect((await app.inject({ method: 'POST', url, headers: organizer.auth })).json().status).toBe(
      'published',
    )
  })

  it('when the event has no sections left, then 409 EVENT_HAS_NO_SECTIONS', async () => {
    const draft = await makeEvent(app, organizer, { status: 'draft', sections: [{ capacity: 5 }] })
    await app.inject({
      method: 'DELETE',
      url: `/api/v1/events/${draft.id}/sections/${draft.sections[0].id}`,
      headers: organizer.auth,
    })
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${draft.id}/publish`,
      headers: organizer.auth,
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('EVENT_HAS_NO_SECTIONS')
  })

  it('when someone else publishes, then 404 for a draft, 403 for a published event', async () => {
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const published = await makeEvent(app, organizer)
    const publish = (id: number) =>
      app.inject({ method: 'POST', url: `/api/v1/events/${id}/publish`, headers: other.auth })
    expect((await publish(draft.id)).statusCode).toBe(404)
    expect((await publish(published.id)).statusCode).toBe(403)
  })
})

describe('DELETE /events/{id}', () => {
  it('when nothing was ever sold, then 204 and the event is gone', async () => {
    const event = await makeEvent(app, organizer)
    const res = await app.inject({
      method: 'DELETE',
      url: `/api/v1/events/${event.id}`,
      headers: organizer.auth,
    })
    expect(res.statusCode).toBe(204)
    expect((await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })).statusCode).toBe(404)
  })

  it('when a ticket was ever sold (even if since cancelled), then 409 EVENT_HAS_SALES', async () => {
    const event = await makeEvent(app, organizer)
    await insertTicket(app, {
      eventId: event.id,
      sectionId: event.sections[0].id,
      holderId: other.id,
      status: 'cancelled',
    })
    const res = await app.inject({ method: 'DELETE', url: `/api/v1/events/${event.id}`, headers: admin.auth })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('EVENT_HAS_SALES')
  })

  it('when another user deletes, then 403 (published) or 404 (draft)', async () => {
    const published = await makeEvent(app, organizer)
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const del = (id: number) =>
      app.inject({ method: 'DELETE', url: `/api/v1/events/${id}`, headers: other.auth })
    expect((await del(published.id)).statusCode).toBe(403)
    expect((await del(draft.id)).statusCode).toBe(404)
  })
})
