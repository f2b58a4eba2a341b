// Size limits: an event has at most MAX_SECTIONS_PER_EVENT sections and MAX_SEATS_PER_EVENT seats, however
// they are added or resized.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventBody, makeEvent } from '../factories/events.js'
import { type App, buildTestApp, problem, registerUser, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
beforeAll(async () => {
  app = await buildTestApp({ MAX_SECTIONS_PER_EVENT: '3', MAX_SEATS_PER_EVENT: '30' })
  organizer = await registerUser(app)
})
afterAll(() => app?.close())

const addSection = (eventId: number, name: string) =>
  app.inject({
    method: 'POST',
    url: `/api/v1/events/${eventId}/sections`,
    headers: organizer.auth,
    payload: { name, price_cents: 1000, capacity: 10 },
  })

describe('MAX_SECTIONS_PER_EVENT', () => {
  it('when an event has as many sections as allowed, then one more is 409 CONFLICT and none is added', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ name: 'A' }, { name: 'B' }] })
    expect((await addSection(event.id, 'C')).statusCode).toBe(201)
    expect(problem(await addSection(event.id, 'D'))).toMatchObject({ status: 409, code: 'CONFLICT' })
    const shown = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })
    expect(shown.json().sections.map((s: { name: string }) => s.name)).toEqual(['A', 'B', 'C'])
  })
})

const post = (url: string, payload: object, method: 'POST' | 'PATCH' = 'POST') =>
  app.inject({ method, url: `/api/v1${url}`, headers: organizer.auth, payload })

describe('MAX_SEATS_PER_EVENT', () => {
  it('when seated sections are added or grown past the cap, then 409 CONFLICT and nothing changes', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [
        { name: 'Stalls', kind: 'seated', rows: 4, seats_per_row: 5 },
        { name: 'Floor', capacity: 500 },
      ],
    })
    const stalls = event.sections[0].id
    const tooMany = await post(`/events/${event.id}/sections`, {
      name: 'Circle',
      price_cents: 100,
      rows: 3,
      seats_per_row: 4,
    })
    expect(problem(tooMany)).toMatchObject({ status: 409, code: 'CONFLICT' })
    expect(tooMany.json().detail).toContain('at most 30 seats')
    const circle = await post(`/events/${event.id}/sections`, {
      name: 'Circle',
      price_cents: 100,
      rows: 2,
      seats_per_row: 5,
    })
    expect(circle.statusCode).toBe(201)
    // Growing Stalls to 5 × 5 would make 35; shrinking it is always allowed.
    const grow = await post(`/events/${event.id}/sections/${stalls}`, { rows: 5 }, 'PATCH')
    expect(problem(grow)).toMatchObject({ status: 409, code: 'CONFLICT' })
    expect((await post(`/events/${event.id}/sections/${stalls}`, { rows: 3 }, 'PATCH')).statusCode).toBe(200)
    const seats = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/seats?section_id=${stalls}`,
    })
    expect(seats.json()).toHaveLength(15)
  })

  it('when a new event asks for more seats or sections than allowed, then 400 naming sections, and no event', async () => {
    const drafts = async () =>
      (await app.inject({ url: '/api/v1/events?status=draft', headers: organizer.auth })).json().total
    const before = await drafts()
    const seated = { kind: 'seated' as const, rows: 4, seats_per_row: 4 }
    const tooManySeats = await post(
      '/events',
      eventBody({
        sections: [
          { name: 'A', ...seated },
          { name: 'B', ...seated },
        ],
      }),
    )
    expect(problem(tooManySeats)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' })
    expect(tooManySeats.json().errors).toEqual([
      { path: 'body.sections', message: 'an event has at most 30 seats; these seated sections have 32' },
    ])
    const names = ['A', 'B', 'C', 'D'].map((name) => ({ name }))
    const tooManySections = await post('/events', eventBody({ sections: names }))
    expect(problem(tooManySections)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' })
    expect(tooManySections.json().errors).toEqual([
      { path: 'body.sections', message: 'an event has at most 3 sections' },
    ])
    expect(await drafts()).toBe(before)
  })
})
