// Two server processes on one PostgreSQL database (with and without Redis): a change acknowledged through one is
// what the other serves next, body and ETag, although both cache the anonymous catalogue for a minute.
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerUser, type TestUser, usingPostgres } from '../helpers.js'

const stores: { store: string; env: Record<string, string> }[] = [
  ...(process.env.TEST_REDIS_URL ? [{ store: 'Redis', env: {} }] : []),
  // No Redis: the stamp is a PostgreSQL sequence.
  { store: 'PostgreSQL', env: { REDIS_URL: '' } },
]

/** Two apps on one database, as two processes (or hosts) would be. */
async function pair(env: Record<string, string>): Promise<[App, App]> {
  // A long TTL, so that only the stamp (never expiry) can make an answer fresh.
  const a = await buildTestApp({ EVENTS_CACHE_TTL: '60', ...env })
  const b = await buildTestApp({ EVENTS_CACHE_TTL: '60', ...env, DATABASE_URL: a.config.DATABASE_URL! })
  return [a, b]
}

const get = (app: App, url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers })

describe.skipIf(!usingPostgres()).each(stores)(
  'the catalogue cache of two processes, stamp in $store',
  ({ env }) => {
    let a: App
    let b: App
    let organizer: TestUser
    beforeAll(async () => {
      ;[a, b] = await pair(env)
      organizer = await registerUser(a)
    })
    afterAll(() => Promise.all([a?.close(), b?.close()]))

    it('when an event is edited through one process, then the next anonymous read on the other is the new one, with a new ETag', async () => {
      const event = await makeEvent(a, organizer, { title: 'Before' })
      const url = `/api/v1/events/${event.id}`
      const list = `/api/v1/events?q=${encodeURIComponent('Before')}`
      const old = await get(b, url)
      expect(old.json().title).toBe('Before')
      expect((await get(b, list)).json().total).toBe(1)
      // Cached on b: the same answer again, and 304 for its ETag.
      expect((await get(b, url, { 'if-none-match': String(old.headers.etag) })).statusCode).toBe(304)

      const edit = await a.inject({
        method: 'PATCH',
        url,
        headers: organizer.auth,
        payload: { title: 'After' },
      })
      expect(edit.statusCode).toBe(200)

      const fresh = await get(b, url)
      expect(fresh.json().title).toBe('After')
      expect(fresh.headers.etag).not.toBe(old.headers.etag)
      const revalidated = await get(b, url, { 'if-none-match': String(old.headers.etag) })
      expect(revalidated.statusCode).toBe(200)
      expect(revalidated.json().title).toBe('After')
      expect((await get(b, list)).json().total).toBe(0)
    })

    it('when nothing is written through the API, then the other process keeps serving its cached answer (it does cache)', async () => {
      const event = await makeEvent(a, organizer, { title: 'Cached' })
      const url = `/api/v1/events/${event.id}`
      expect((await get(b, url)).json().title).toBe('Cached')
      // Behind the API's back: no stamp replaced, so b's copy stays until its TTL.
      await a.ctx.db.execute(sql`update events set title = 'Sneaked' where id = ${event.id}`)
      expect((await get(b, url)).json().title).toBe('Cached')
      // A write that cannot change the catalogue (a post) leaves the stamp alone too.
      const post = await a.inject({
        method: 'POST',
        url: '/api/v1/posts',
        headers: organizer.auth,
        payload: { body: 'hi' },
      })
      expect(post.statusCode).toBe(201)
      expect((await get(b, url)).json().title).toBe('Cached')
    })

    it('when 20 edits are acknowledged at once, then the stamp is replaced far fewer times, and the other process serves every one', async () => {
      const events = await Promise.all(
        Array.from({ length: 20 }, (_, i) => makeEvent(a, organizer, { title: `Burst ${i}` })),
      )
      await Promise.all(events.map((e) => get(b, `/api/v1/events/${e.id}`)))
      const before = a.eventsCache.version.bumps
      const edits = await Promise.all(
        events.map((e, i) =>
          a.inject({
            method: 'PATCH',
            url: `/api/v1/events/${e.id}`,
            headers: organizer.auth,
            payload: { title: `Edited ${i}` },
          }),
        ),
      )
      expect(edits.map((r) => r.statusCode)).toEqual(events.map(() => 200))
      const bumps = a.eventsCache.version.bumps - before
      expect(bumps).toBeGreaterThanOrEqual(1)
      expect(bumps).toBeLessThan(20)
      const seen = await Promise.all(events.map((e) => get(b, `/api/v1/events/${e.id}`)))
      expect(seen.map((r) => r.json().title)).toEqual(events.map((_, i) => `Edited ${i}`))
    })

    it('when a write is refused (400), then the stamp is left alone', async () => {
      const event = await makeEvent(a, organizer)
      const before = a.eventsCache.version.bumps
      const refused = await a.inject({
        method: 'PATCH',
        url: `/api/v1/events/${event.id}`,
        headers: organizer.auth,
        payload: { title: '' },
      })
      expect(refused.statusCode).toBe(400)
      expect(a.eventsCache.version.bumps - before).toBe(0)
      const edit = await a.inject({
        method: 'PATCH',
        url: `/api/v1/events/${event.id}`,
        headers: organizer.auth,
        payload: { title: 'Accepted' },
      })
      expect(edit.statusCode).toBe(200)
      expect(a.eventsCache.version.bumps - before).toBe(1)
    })

    it('when many anonymous reads come at once, then the stamp is read far fewer times than there are requests', async () => {
      const event = await makeEvent(a, organizer)
      const url = `/api/v1/events/${event.id}`
      await get(b, url)
      const before = b.eventsCache.version.reads
      const answers = await Promise.all(Array.from({ length: 50 }, () => get(b, url)))
      expect(answers.every((r) => r.statusCode === 200)).toBe(true)
      expect(b.eventsCache.version.reads - before).toBeLessThanOrEqual(3)
    })
  },
)

describe.skipIf(!usingPostgres())(
  'control: without the shared stamp (UNSAFE_DISABLE_GUARDS=catalogue-version)',
  () => {
    let a: App
    let b: App
    beforeAll(async () => {
      ;[a, b] = await pair({ UNSAFE_DISABLE_GUARDS: 'catalogue-version' })
    })
    afterAll(() => Promise.all([a?.close(), b?.close()]))

    it('when an event is edited through one process, then the other serves the old page and a 304 for the old ETag', async () => {
      const organizer = await registerUser(a)
      const event = await makeEvent(a, organizer, { title: 'Before' })
      const url = `/api/v1/events/${event.id}`
      const old = await get(b, url)
      await a.inject({ method: 'PATCH', url, headers: organizer.auth, payload: { title: 'After' } })
      expect((await get(b, url)).json().title).toBe('Before')
      expect((await get(b, url, { 'if-none-match': String(old.headers.etag) })).statusCode).toBe(304)
    })
  },
)
