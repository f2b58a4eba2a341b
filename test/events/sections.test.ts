import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reservations } from '../../src/db/schema/index.js'
import { GENERAL_AND_VIP, insertTicket, makeEvent } from '../factories/events.js'
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

const sectionUrl = (eventId: number, sectionId?: number) =>
  `/api/v1/events/${eventId}/sections${sectionId ? `/${sectionId}` : ''}`

describe('POST /events/{id}/sections', () => {
  it('when the organizer adds a seated section, then 201, its seats exist, and the event totals follow', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ name: 'GA', price_cents: 5000, capacity: 50 }],
    })
    const res = await app.inject({
      method: 'POST',
      url: sectionUrl(event.id),
      headers: organizer.auth,
      payload: { name: 'VIP', kind: 'seated', price_cents: 1500, rows: 3, seats_per_row: 4 },
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toEqual({
      id: expect.any(Number),
      name: 'VIP',
      kind: 'seated',
      price_cents: 1500,
      capacity: 12,
      sold: 0,
      held: 0,
      available: 12,
      rows: 3,
      seats_per_row: 4,
    })
    const after = (await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })).json()
    expect(after.sections.map((s: { name: string }) => s.name)).toEqual(['GA', 'VIP'])
    expect(after).toMatchObject({ capacity: 62, min_price_cents: 1500 })
    const seats = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/seats?section_id=${res.json().id}`,
    })
    expect(seats.json()).toHaveLength(12)
  })

  it('when an admin adds a section, then it is allowed', async () => {
    const event = await makeEvent(app, organizer)
    const res = await app.inject({
      method: 'POST',
      url: sectionUrl(event.id),
      headers: admin.auth,
      payload: { name: 'Extra', price_cents: 100, capacity: 5 },
    })
    expect(res.statusCode).toBe(201)
    expect(res.json().kind).toBe('general')
  })

  it('when the body is invalid, then 400', async () => {
    const event = await makeEvent(app, organizer)
    for (const payload of [
      { name: 'X', price_cents: 100 },
      { name: 'X', kind: 'seated', price_cents: 100, rows: 2 },
      { name: 'X', price_cents: -5, capacity: 2 },
      { name: 'X', kind: 'seated', price_cents: 5, rows: 2, seats_per_row: 2, capacity: 5 },
      { price_cents: 5, capacity: 2 },
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: sectionUrl(event.id),
        headers: organizer.auth,
        payload,
      })
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
    }
  })

  it('when someone else adds a section, then 403 (published) or 404 (draft)', async () => {
    const published = await makeEvent(app, organizer)
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const add = (id: number) =>
      app.inject({
        method: 'POST',
        url: sectionUrl(id),
        headers: other.auth,
        payload: { name: 'X', price_cents: 1, capacity: 1 },
      })
    expect((await add(published.id)).statusCode).toBe(403)
    expect((await add(draft.id)).statusCode).toBe(404)
  })

  it('when the event is cancelled, then 409 CONFLICT', async () => {
    const event = await makeEvent(app, organizer, { status: 'cancelled' })
    const res = await app.inject({
      method: 'POST',
      url: sectionUrl(event.id),
      headers: organizer.auth,
      payload: { name: 'X', price_cents: 1, capacity: 1 },
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('CONFLICT')
  })
})

describe('PATCH /events/{id}/sections/{section_id}', () => {
  it('when name, price and capacity change, then the section and the event minimum follow', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ name: 'GA', price_cents: 5000, capacity: 50 }],
    })
    const res = await app.inject({
      method: 'PATCH',
      url: sectionUrl(event.id, event.sections[0].id),
      headers: organizer.auth,
      payload: { name: 'Floor', price_cents: 4000, capacity: 80 },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ name: 'Floor', price_cents: 4000, capacity: 80, available: 80 })
    const after = (await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })).json()
    expect(after.min_price_cents).toBe(4000)
  })

  it('when capacity drops below sold + held, then 409 CAPACITY_BELOW_SOLD; down to exactly that, 200', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ name: 'GA', price_cents: 5000, capacity: 10 }],
    })
    const section = event.sections[0]
    await insertTicket(app, { eventId: event.id, sectionId: section.id, holderId: other.id })
    await insertTicket(app, { eventId: event.id, sectionId: section.id, holderId: other.id, status: 'held' })
    const patch = (capacity: number) =>
      app.inject({
        method: 'PATCH',
        url: sectionUrl(event.id, section.id),
        headers: organizer.auth,
        payload: { capacity },
      })
    const refused = await patch(1)
    expect(refused.statusCode).toBe(409)
    expect(refused.json().code).toBe('CAPACITY_BELOW_SOLD')
    const ok = await patch(2)
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toMatchObject({ capacity: 2, sold: 1, held: 1, available: 0 })
  })

  it('when a seated section grows, then new seats appear; when it shrinks over a sold seat, then 409', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ name: 'Stalls', kind: 'seated', price_cents: 100, rows: 2, seats_per_row: 2 }],
    })
    const section = event.sections[0]
    const url = sectionUrl(event.id, section.id)
    const grown = await app.inject({
      method: 'PATCH',
      url,
      headers: organizer.auth,
      payload: { rows: 3, seats_per_row: 3 },
    })
    expect(grown.statusCode).toBe(200)
    expect(grown.json()).toMatchObject({ rows: 3, seats_per_row: 3, capacity: 9 })
    const seats = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/seats?section_id=${section.id}`,
    })
    expect(seats.json()).toHaveLength(9)
    await insertTicket(app, {
      eventId: event.id,
      sectionId: section.id,
      holderId: other.id,
      seat: { row: 'C', number: 1 },
    })
    const shrink = await app.inject({ method: 'PATCH', url, headers: organizer.auth, payload: { rows: 2 } })
    expect(shrink.statusCode).toBe(409)
    expect(shrink.json().code).toBe('CAPACITY_BELOW_SOLD')
    // 6 places would still hold the 1 sold: the answer names the seat in the way, not the capacity.
    expect(shrink.json().detail).toBe('Seat C1 would be removed but is held or sold: keep it in the section')
    const narrower = await app.inject({
      method: 'PATCH',
      url,
      headers: organizer.auth,
      payload: { seats_per_row: 1 },
    })
    expect(narrower.statusCode).toBe(200)
    expect(narrower.json()).toMatchObject({ rows: 3, seats_per_row: 1, capacity: 3, sold: 1 })
    const left = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/seats?section_id=${section.id}`,
    })
    expect(left.json().map((s: { row: string; number: number }) => `${s.row}${s.number}`)).toEqual([
      'A1',
      'B1',
      'C1',
    ])
  })

  it('when shrinking would remove a seat with only cancelled tickets, then 409 CONFLICT (history is kept)', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ name: 'Box', kind: 'seated', price_cents: 100, rows: 1, seats_per_row: 2 }],
    })
    const section = event.sections[0]
    await insertTicket(app, {
      eventId: event.id,
      sectionId: section.id,
      holderId: other.id,
      status: 'cancelled',
      seat: { row: 'A', number: 2 },
    })
    const res = await app.inject({
      method: 'PATCH',
      url: sectionUrl(event.id, section.id),
      headers: organizer.auth,
      payload: { seats_per_row: 1 },
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('CONFLICT')
  })

  it('when a general section is given rows, or a seated one a mismatched capacity, then 400', async () => {
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const [ga, vip] = event.sections
    const patch = (id: number, payload: object) =>
      app.inject({ method: 'PATCH', url: sectionUrl(event.id, id), headers: organizer.auth, payload })
    expect((await patch(ga.id, { rows: 3 })).statusCode).toBe(400)
    expect((await patch(vip.id, { capacity: 100 })).statusCode).toBe(400)
    expect((await patch(ga.id, { capacity: 0 })).statusCode).toBe(400)
  })

  it('when the section belongs to another event, or the caller is someone else, then 404 / 403', async () => {
    const a = await makeEvent(app, organizer)
    const b = await makeEvent(app, organizer)
    const wrong = await app.inject({
      method: 'PATCH',
      url: sectionUrl(a.id, b.sections[0].id),
      headers: organizer.auth,
      payload: { name: 'X' },
    })
    expect(wrong.statusCode).toBe(404)
    const stranger = await app.inject({
      method: 'PATCH',
      url: sectionUrl(a.id, a.sections[0].id),
      headers: other.auth,
      payload: { name: 'X' },
    })
    expect(stranger.statusCode).toBe(403)
  })
})

describe('DELETE /events/{id}/sections/{section_id}', () => {
  it('when the section is empty, then 204 and the event minimum price follows', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [
        { name: 'Cheap', price_cents: 100, capacity: 5 },
        { name: 'Dear', price_cents: 900, rows: 1, seats_per_row: 2 },
      ],
    })
    const res = await app.inject({
      method: 'DELETE',
      url: sectionUrl(event.id, event.sections[0].id),
      headers: organizer.auth,
    })
    expect(res.statusCode).toBe(204)
    const after = (await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })).json()
    expect(after.sections).toHaveLength(1)
    expect(after.min_price_cents).toBe(900)
  })

  it('when the section has or had tickets, then 409 SECTION_NOT_EMPTY', async () => {
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const [ga, vip] = event.sections
    await insertTicket(app, { eventId: event.id, sectionId: ga.id, holderId: other.id, status: 'held' })
    await insertTicket(app, { eventId: event.id, sectionId: vip.id, holderId: other.id, status: 'expired' })
    for (const id of [ga.id, vip.id]) {
      const res = await app.inject({
        method: 'DELETE',
        url: sectionUrl(event.id, id),
        headers: organizer.auth,
      })
      expect(res.statusCode).toBe(409)
      expect(res.json().code).toBe('SECTION_NOT_EMPTY')
    }
  })

  it('when the section does not exist or the caller may not change it, then 404 / 403', async () => {
    const event = await makeEvent(app, organizer)
    const missing = await app.inject({
      method: 'DELETE',
      url: sectionUrl(event.id, 999999),
      headers: organizer.auth,
    })
    expect(missing.statusCode).toBe(404)
    const stranger = await app.inject({
      method: 'DELETE',
      url: sectionUrl(event.id, event.sections[0].id),
      headers: other.auth,
    })
    expect(stranger.statusCode).toBe(403)
  })
})

describe('GET /events/{id}/seats', () => {
  it('when seats are sold, held, or held past expiry, then their statuses say sold, held, available', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ name: 'Stalls', kind: 'seated', price_cents: 100, rows: 2, seats_per_row: 2 }],
    })
    const section = event.sections[0]
    await insertTicket(app, {
      eventId: event.id,
      sectionId: section.id,
      holderId: other.id,
      seat: { row: 'A', number: 1 },
    })
    await insertTicket(app, {
      eventId: event.id,
      sectionId: section.id,
      holderId: other.id,
      status: 'held',
      seat: { row: 'A', number: 2 },
    })
    const lapsed = await insertTicket(app, {
      eventId: event.id,
      sectionId: section.id,
      holderId: other.id,
      status: 'held',
      seat: { row: 'B', number: 1 },
      expiresAt: new Date(Date.now() - 1000),
    })
    await insertTicket(app, {
      eventId: event.id,
      sectionId: section.id,
      holderId: other.id,
      status: 'cancelled',
      seat: { row: 'B', number: 2 },
    })
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/seats?section_id=${section.id}`,
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers.etag).toBeTruthy()
    expect(
      res
        .json()
        .map((s: { row: string; number: number; status: string }) => [`${s.row}${s.number}`, s.status]),
    ).toEqual([
      ['A1', 'sold'],
      ['A2', 'held'],
      ['B1', 'available'],
      ['B2', 'available'],
    ])
    expect(res.json()[0]).toEqual({
      id: expect.any(Number),
      section_id: section.id,
      row: 'A',
      number: 1,
      status: 'sold',
    })
    const [r] = await app.ctx.db.select().from(reservations).where(eq(reservations.id, lapsed.reservationId))
    expect(r!.expiresAt.getTime()).toBeLessThan(Date.now())
  })

  it('when no section is named, then every seat of the event comes; a general section has none', async () => {
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const all = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}/seats` })
    expect(all.json()).toHaveLength(6)
    const general = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/seats?section_id=${event.sections[0].id}`,
    })
    expect(general.json()).toEqual([])
  })

  it('when per_page is smaller than the seats, then pages follow one another with Link and X-Total-Count', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ name: 'Stalls', kind: 'seated', price_cents: 100, rows: 3, seats_per_row: 4 }],
    })
    const url = (query: string) =>
      `/api/v1/events/${event.id}/seats?section_id=${event.sections[0].id}&${query}`
    const pages = await Promise.all(
      [1, 2, 3].map((page) => app.inject({ method: 'GET', url: url(`per_page=5&page=${page}`) })),
    )
    const labels = pages.map((p) =>
      p.json().map((s: { row: string; number: number }) => `${s.row}${s.number}`),
    )
    expect(labels).toEqual([
      ['A1', 'A2', 'A3', 'A4', 'B1'],
      ['B2', 'B3', 'B4', 'C1', 'C2'],
      ['C3', 'C4'],
    ])
    expect(pages[0]!.headers['x-total-count']).toBe('12')
    expect(pages[0]!.headers.link).toContain('rel="next"')
    expect(pages[2]!.headers.link).not.toContain('rel="next"')
    // The default page holds up to 1000 seats: a small section still comes whole.
    expect((await app.inject({ method: 'GET', url: url('') })).json()).toHaveLength(12)
    const tooBig = await app.inject({ method: 'GET', url: url('per_page=1001') })
    expect(tooBig.statusCode).toBe(400)
  })

  it('when the event is a draft of someone else, or the section is of another event, then 404', async () => {
    const draft = await makeEvent(app, organizer, { status: 'draft', sections: GENERAL_AND_VIP })
    const published = await makeEvent(app, organizer)
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/events/${draft.id}/seats`, headers: other.auth }))
        .statusCode,
    ).toBe(404)
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${published.id}/seats?section_id=${draft.sections[1].id}`,
    })
    expect(res.statusCode).toBe(404)
  })
})
