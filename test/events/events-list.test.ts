import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryFailure } from '../../src/db/errors.js'
import { makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let other: TestUser
let admin: TestUser
const ids: Record<string, number> = {}

beforeAll(async () => {
  app = await buildTestApp()
  ;[organizer, other, admin] = await Promise.all([registerUser(app), registerUser(app), registerAdmin(app)])
  const specs = [
    {
      key: 'jazz',
      title: 'Midnight Jazz',
      venue: 'Blue Note',
      starts_at: '2027-03-01T20:00:00Z',
      price: 3000,
      by: organizer,
    },
    {
      key: 'rock',
      title: 'rock Parade',
      venue: 'City Arena',
      starts_at: '2027-01-01T20:00:00Z',
      price: 5000,
      by: organizer,
    },
    {
      key: 'opera',
      title: 'Grand Opera Gala',
      venue: 'Opera House',
      starts_at: '2027-02-01T20:00:00Z',
      price: 1000,
      by: other,
    },
    {
      key: 'under',
      title: '100%_Underscore',
      venue: 'The Warehouse',
      starts_at: '2027-04-01T20:00:00Z',
      price: 2000,
      by: other,
    },
  ]
  for (const s of specs) {
    const event = await makeEvent(app, s.by, {
      title: s.title,
      venue: s.venue,
      starts_at: s.starts_at,
      sections: [
        { name: 'GA', price_cents: s.price, capacity: 10 },
        { name: 'VIP', price_cents: s.price * 3, capacity: 2 },
      ],
    })
    ids[s.key] = event.id
  }
  ids.draft = (await makeEvent(app, organizer, { title: 'Secret Draft', status: 'draft' })).id
  ids.otherDraft = (await makeEvent(app, other, { title: 'Other Draft', status: 'draft' })).id
  ids.cancelled = (
    await makeEvent(app, other, {
      title: 'Called Off',
      starts_at: '2027-05-01T20:00:00Z',
      status: 'cancelled',
    })
  ).id
})
afterAll(() => app.close())

const list = async (query: string, who?: TestUser) => {
  const res = await app.inject({ method: 'GET', url: `/api/v1/events${query}`, headers: who?.auth ?? {} })
  return res
}
const titles = async (query: string, who?: TestUser) =>
  (await list(query, who))
    .json()
    .data.map((e: { id: number }) => Object.keys(ids).find((k) => ids[k] === e.id))

describe('GET /events', () => {
  it('when nothing is asked, then published events come by starts_at, with the page envelope and Link', async () => {
    const res = await list('')
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({ page: 1, per_page: 20, total: 4, total_pages: 1 })
    expect(body.data.map((e: { id: number }) => e.id)).toEqual([ids.rock, ids.opera, ids.jazz, ids.under])
    expect(body.data[0]).toMatchObject({ status: 'published', min_price_cents: 5000, capacity: 12 })
    expect(body.data[0].sections).toHaveLength(2)
    expect(res.headers.link).toBe(
      '</api/v1/events?page=1&per_page=20>; rel="first", </api/v1/events?page=1&per_page=20>; rel="last"',
    )
  })

  it('when paging, then Link has prev and next and the total stays', async () => {
    const res = await list('?page=2&per_page=1&sort=title')
    const body = res.json()
    expect(body).toMatchObject({ page: 2, per_page: 1, total: 4, total_pages: 4 })
    expect(res.headers.link).toContain('rel="prev"')
    expect(res.headers.link).toContain('</api/v1/events?page=3&per_page=1&sort=title>; rel="next"')
    expect(res.headers.link).toContain('</api/v1/events?page=4&per_page=1&sort=title>; rel="last"')
  })

  it('when the query has other parameters, then each link keeps them in their places, encoded, with its own page', async () => {
    const res = await list('?per_page=1&venue=e%20&sort=title&page=1')
    expect(res.json()).toMatchObject({ page: 1, per_page: 1, total: 2, total_pages: 2 })
    expect(res.headers.link).toBe(
      [
        '</api/v1/events?per_page=1&venue=e+&sort=title&page=1>; rel="first"',
        '</api/v1/events?per_page=1&venue=e+&sort=title&page=2>; rel="next"',
        '</api/v1/events?per_page=1&venue=e+&sort=title&page=2>; rel="last"',
      ].join(', '),
    )
    const appended = await list('?sort=title&per_page=3')
    expect(appended.headers.link).toBe(
      '</api/v1/events?sort=title&per_page=3&page=1>; rel="first", </api/v1/events?sort=title&per_page=3&page=2>; rel="next", </api/v1/events?sort=title&per_page=3&page=2>; rel="last"',
    )
  })

  it('when the page is past the end, then data is empty and the total is still right', async () => {
    const body = (await list('?page=9')).json()
    expect(body).toMatchObject({ data: [], page: 9, total: 4, total_pages: 1 })
  })

  it('when sorting by each field either way, then the order follows', async () => {
    expect(await titles('?sort=-starts_at')).toEqual(['under', 'jazz', 'opera', 'rock'])
    expect(await titles('?sort=title')).toEqual(['under', 'opera', 'jazz', 'rock'])
    expect(await titles('?sort=-title')).toEqual(['rock', 'jazz', 'opera', 'under'])
    expect(await titles('?sort=min_price_cents')).toEqual(['opera', 'under', 'jazz', 'rock'])
    expect(await titles('?sort=-min_price_cents')).toEqual(['rock', 'jazz', 'under', 'opera'])
    expect(await titles('?sort=created_at')).toEqual(['jazz', 'rock', 'opera', 'under'])
    expect(await titles('?sort=-created_at')).toEqual(['under', 'opera', 'rock', 'jazz'])
  })

  it('when sorting by an undocumented field, then 400', async () => {
    const res = await list('?sort=venue')
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('VALIDATION_FAILED')
  })

  // Texts shorter than a trigram take statements of their own: one character a strpos scan, two the index of
  // pairs of characters (every pair: events-search-pairs.test.ts).
  it('when q is part of a title in any case, then it matches; LIKE wildcards are literal', async () => {
    expect(await titles('?q=JAZ')).toEqual(['jazz'])
    expect(await titles('?q=a')).toEqual(['rock', 'opera', 'jazz'])
    expect(await titles('?q=%25_')).toEqual(['under'])
    expect(await titles('?q=_')).toEqual(['under'])
    expect(await titles('?q=secret')).toEqual([])
    expect(await titles('?q=Z')).toEqual(['jazz'])
    expect(await titles('?q=0%25')).toEqual(['under'])
    expect(await titles('?q=%25')).toEqual(['under'])
  })

  it('when filtering by venue, organizer and time, then only matching events come', async () => {
    expect(await titles('?venue=arena')).toEqual(['rock'])
    expect(await titles('?venue=HO')).toEqual(['opera', 'under'])
    expect(await titles('?venue=cI')).toEqual(['rock'])
    expect(await titles(`?organizer_id=${other.id}`)).toEqual(['opera', 'under'])
    expect(await titles('?from=2027-02-01T20:00:00Z')).toEqual(['opera', 'jazz', 'under'])
    expect(await titles('?to=2027-02-01T20:00:00Z')).toEqual(['rock', 'opera'])
    expect(await titles('?from=2027-01-15T00:00:00Z&to=2027-03-15T00:00:00Z&q=gala')).toEqual(['opera'])
  })

  it('when a filter value is malformed, then 400', async () => {
    expect((await list('?from=yesterday')).statusCode).toBe(400)
    expect((await list('?organizer_id=abc')).statusCode).toBe(400)
    expect((await list('?status=archived')).statusCode).toBe(400)
    expect((await list('?per_page=101')).statusCode).toBe(400)
    expect((await list('?page=0')).statusCode).toBe(400)
  })

  it('when asking for drafts, then a user sees their own, an admin all, an anonymous caller none', async () => {
    expect(await titles('?status=draft', organizer)).toEqual(['draft'])
    expect(await titles('?status=draft', other)).toEqual(['otherDraft'])
    expect((await titles('?status=draft', admin)).sort()).toEqual(['draft', 'otherDraft'])
    expect(await titles('?status=draft')).toEqual([])
    expect(await titles('', organizer)).not.toContain('draft')
  })

  it('when asking for cancelled events, then anyone gets them; by default they are left out', async () => {
    expect(await titles('?status=cancelled')).toEqual(['cancelled'])
    expect(await titles('?status=published')).not.toContain('cancelled')
    const one = await list(`/${ids.cancelled}`)
    expect(one.statusCode).toBe(200)
    expect(one.json().status).toBe('cancelled')
  })

  it('when a draft is cancelled before it was ever published, then it stays as private as a draft', async () => {
    const withdrawn = await makeEvent(app, organizer, { title: 'Never Announced', status: 'draft' })
    ids.withdrawn = withdrawn.id
    const cancelled = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${withdrawn.id}/cancel`,
      headers: organizer.auth,
    })
    expect(cancelled.statusCode).toBe(200)
    expect(cancelled.json().status).toBe('cancelled')
    for (const who of [undefined, other]) {
      const one = await list(`/${withdrawn.id}`, who)
      expect(one.statusCode).toBe(404)
      expect(JSON.stringify(one.json())).not.toContain('Never Announced')
      expect(await titles('?status=cancelled', who)).toEqual(['cancelled'])
      expect((await list('?status=cancelled', who)).json().total).toBe(1)
    }
    // Whoever manages it still sees and lists it.
    expect((await list(`/${withdrawn.id}`, organizer)).json().status).toBe('cancelled')
    expect((await list(`/${withdrawn.id}`, admin)).statusCode).toBe(200)
    expect((await titles('?status=cancelled', organizer)).sort()).toEqual(['cancelled', 'withdrawn'])
    expect((await titles('?status=cancelled', admin)).sort()).toEqual(['cancelled', 'withdrawn'])
    // Nobody else can reserve in it or cancel it: it does not exist for them.
    const reserve = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${withdrawn.id}/reservations`,
      headers: other.auth,
      payload: { section_id: withdrawn.sections[0]!.id, quantity: 1 },
    })
    expect(reserve.statusCode).toBe(404)
    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${withdrawn.id}/cancel`,
      headers: other.auth,
    })
    expect(again.statusCode).toBe(404)
    const own = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${withdrawn.id}/reservations`,
      headers: organizer.auth,
      payload: { section_id: withdrawn.sections[0]!.id, quantity: 1 },
    })
    expect(own.json().code).toBe('EVENT_NOT_ON_SALE')
    await app.inject({ method: 'DELETE', url: `/api/v1/events/${withdrawn.id}`, headers: organizer.auth })
    delete ids.withdrawn
  })

  it('when a published event is written without published_at, then the database refuses it', async () => {
    // Every visibility rule reads published_at: a seed or a script that set the status alone would put on sale an
    // event nobody could see (as the bench's seed did).
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const refused = await app.ctx.db
      .execute(sql`update events set status = 'published' where id = ${draft.id}`)
      .then(() => undefined, queryFailure)
    expect(refused).toEqual({ sqlstate: '23514', constraint: 'events_published_at_check' })
    await app.ctx.db.execute(
      sql`update events set status = 'published', published_at = now() where id = ${draft.id}`,
    )
    expect((await list(`/${draft.id}`)).statusCode).toBe(200)
    await app.inject({ method: 'DELETE', url: `/api/v1/events/${draft.id}`, headers: organizer.auth })
  })

  it('when the list is fetched again with its ETag, then 304', async () => {
    const first = await list('?sort=title')
    const again = await app.inject({
      method: 'GET',
      url: '/api/v1/events?sort=title',
      headers: { 'if-none-match': String(first.headers.etag) },
    })
    expect(again.statusCode).toBe(304)
  })

  it('when a sent token is invalid, then 401 even though the list is public', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/events',
      headers: { authorization: 'Bearer nope' },
    })
    expect(res.statusCode).toBe(401)
  })

  it('when listing a page, then it costs one statement', async () => {
    const before = app.database.queryCount()
    await list('?per_page=100')
    expect(app.database.queryCount() - before).toBe(1)
  })

  it('when events are created, published, cancelled and deleted, then the unfiltered totals stay exact', async () => {
    // Unfiltered, the total is read from event_counts (kept by triggers); with a filter that matches every
    // event it is a count(*) over the table. Both must agree after each change.
    const totals = async () => {
      const plain = await Promise.all(['published', 'cancelled'].map((s) => list(`?status=${s}`)))
      const counted = await Promise.all(
        ['published', 'cancelled'].map((s) => list(`?status=${s}&from=1970-01-01T00:00:00Z`)),
      )
      expect(plain.map((r) => r.json().total)).toEqual(counted.map((r) => r.json().total))
      return plain.map((r) => r.json().total as number)
    }
    const [published, cancelled] = await totals()
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    expect(await totals()).toEqual([published, cancelled])
    const kept = await makeEvent(app, organizer)
    const dropped = await makeEvent(app, organizer)
    expect(await totals()).toEqual([published! + 2, cancelled])
    expect(
      (await app.inject({ method: 'POST', url: `/api/v1/events/${kept.id}/cancel`, headers: organizer.auth }))
        .statusCode,
    ).toBe(200)
    expect(await totals()).toEqual([published! + 1, cancelled! + 1])
    // A draft cancelled before it was published is counted with no public list.
    expect(
      (
        await app.inject({
          method: 'POST',
          url: `/api/v1/events/${draft.id}/cancel`,
          headers: organizer.auth,
        })
      ).statusCode,
    ).toBe(200)
    expect(await totals()).toEqual([published! + 1, cancelled! + 1])
    for (const id of [dropped.id, draft.id]) {
      expect(
        (await app.inject({ method: 'DELETE', url: `/api/v1/events/${id}`, headers: organizer.auth }))
          .statusCode,
      ).toBe(204)
    }
    expect(await totals()).toEqual([published, cancelled! + 1])
    // Past the last page no row carries the total: it is still the counter's.
    expect((await list('?page=999')).json().total).toBe(published)
  })
})
