import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertTicket, makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let fan: TestUser

beforeAll(async () => {
  // A long TTL, so only invalidation (never expiry) can refresh an answer during these tests.
  app = await buildTestApp({ EVENTS_CACHE_TTL: '60' })
  ;[organizer, fan] = await Promise.all([registerUser(app), registerUser(app)])
})
afterAll(() => app.close())

const get = (url: string, who?: TestUser, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers: { ...(who?.auth ?? {}), ...headers } })

describe('the anonymous catalogue cache', () => {
  it('when nothing was written through the API, then anonymous readers get the cached answer, signed-in ones a fresh one', async () => {
    const event = await makeEvent(app, organizer)
    const url = `/api/v1/events/${event.id}`
    const first = await get(url)
    // Written behind the API's back (as the expiry sweep or another process would): not seen until invalidation.
    await insertTicket(app, { eventId: event.id, sectionId: event.sections[0].id, holderId: fan.id })
    const cached = await get(url)
    expect(cached.json().tickets_sold).toBe(0)
    expect(cached.headers.etag).toBe(first.headers.etag)
    expect((await get(url, fan)).json().tickets_sold).toBe(1)
    expect((await get(url, undefined, { 'if-none-match': String(first.headers.etag) })).statusCode).toBe(304)
  })

  it('when any write goes through this process, then the next anonymous read is fresh', async () => {
    const event = await makeEvent(app, organizer)
    const url = `/api/v1/events/${event.id}`
    await get(url)
    await insertTicket(app, { eventId: event.id, sectionId: event.sections[0].id, holderId: fan.id })
    // Even a write to something else (and one that fails) empties the cache.
    await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: fan.auth, payload: { bio: 'hi' } })
    expect((await get(url)).json().tickets_sold).toBe(1)
  })

  it('when many anonymous requests for one page come together after a write, then they share one database read', async () => {
    const event = await makeEvent(app, organizer)
    const url = `/api/v1/events/${event.id}`
    await get(url)
    await app.inject({ method: 'PATCH', url, headers: organizer.auth, payload: { title: 'Shared read' } })
    const before = app.database.queryCount()
    const together = await Promise.all(Array.from({ length: 5 }, () => get(url)))
    expect(app.database.queryCount() - before).toBe(1)
    expect(together.map((r) => r.json().title)).toEqual(Array(5).fill('Shared read'))
    expect(new Set(together.map((r) => r.headers.etag)).size).toBe(1)
  })

  it('when a list page is served from the cache, then its Link header and body are the same', async () => {
    await makeEvent(app, organizer)
    const url = '/api/v1/events?per_page=1'
    const first = await get(url)
    const second = await get(url)
    expect(second.body).toBe(first.body)
    expect(second.headers.link).toBe(first.headers.link)
    expect(second.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(first.headers.link).toContain('rel="next"')
  })
})

describe('the anonymous catalogue cache, once an answer expires', () => {
  let short: App
  beforeAll(async () => {
    // Long enough that a refresh on a busy machine finishes within one TTL (a slower one lets a second request
    // refresh too, which is the intended retry after a failed refresh, not the stampede this test is about).
    short = await buildTestApp({ EVENTS_CACHE_TTL: '2' })
  })
  afterAll(() => short.close())

  it('when requests come together after it expired, then one reads afresh and the others get the expired answer meanwhile', async () => {
    const owner = await registerUser(short)
    const buyer = await registerUser(short)
    const event = await makeEvent(short, owner)
    const url = `/api/v1/events/${event.id}`
    const read = () => short.inject({ method: 'GET', url })
    expect((await read()).json().tickets_sold).toBe(0)
    await insertTicket(short, { eventId: event.id, sectionId: event.sections[0].id, holderId: buyer.id })
    await new Promise((resolve) => setTimeout(resolve, 2100))

    // The refresh is held at the database (a lock on the sections on PostgreSQL, PGlite's one connection taken
    // by a transaction), so the requests behind it certainly arrive while it is in flight.
    const release = await holdReads(short)
    const before = short.database.queryCount()
    const first = read()
    try {
      while (short.database.queryCount() === before) await new Promise((resolve) => setTimeout(resolve, 5))
      // Served from the expired answer while the refresh waits: without it they would wait for the shared read,
      // and this would time out.
      const behind = await Promise.race([
        Promise.all([read(), read(), read(), read()]),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('waited for the refresh')), 5000),
        ),
      ])
      expect(behind.map((r) => r.json().tickets_sold)).toEqual([0, 0, 0, 0])
    } finally {
      await release()
    }
    expect((await first).json().tickets_sold).toBe(1)
    // One database read for the five requests.
    expect(short.database.queryCount() - before).toBe(1)
    expect((await read()).json().tickets_sold).toBe(1)
  })
})

/** Holds the app's catalogue reads at the database until the returned function is called. */
async function holdReads(app: App): Promise<() => Promise<void>> {
  const { pglite } = app.database
  if (pglite) {
    let done!: () => void
    let taken!: () => void
    const held = new Promise<void>((resolve) => {
      taken = resolve
    })
    const over = pglite.transaction(
      () =>
        new Promise<void>((resolve) => {
          done = resolve
          taken()
        }),
    )
    await held
    return async () => {
      done()
      await over
    }
  }
  const client = new pg.Client({ connectionString: app.config.DATABASE_URL })
  await client.connect()
  await client.query('begin')
  await client.query('lock table sections in access exclusive mode')
  return async () => {
    await client.query('commit')
    await client.end()
  }
}
