// GET /events and GET /events/{id} are written by PostgreSQL as JSON text (events.json.ts); every other answer
// that carries an event is built in TypeScript (loadEvent → toEvent). Both must give the same Event.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Actor } from '../../src/context.js'
import { events, sections, users } from '../../src/db/schema/index.js'
import { loadEvent } from '../../src/modules/events/events.queries.js'
import { GENERAL_AND_VIP, insertTicket, makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser

beforeAll(async () => {
  app = await buildTestApp()
  organizer = await registerUser(app, { display_name: 'Zoë "Ω" \\ Tab' })
  // Control characters the API now refuses can still be in older rows: written straight to the database.
  await app.ctx.db
    .update(users)
    .set({ avatarPath: 'a1b2.webp', bio: 'Line\nbreak', displayName: 'Zoë "Ω" \\ Tab\there' })
    .where(eq(users.id, organizer.id))
})
afterAll(() => app.close())

describe('the JSON PostgreSQL writes for an event', () => {
  it('when the event has general and seated sections, holds (live and lapsed) and sales, then it equals the object path', async () => {
    const event = await makeEvent(app, organizer, {
      title: 'Unicode ✓ "quotes" and \\ backslash',
      description: 'Multi\nline',
      ends_at: '2031-05-06T07:08:09.123Z',
      max_tickets_per_user: 6,
      sections: [
        ...GENERAL_AND_VIP,
        { name: 'Empty', kind: 'general', price_cents: 100, capacity: 3 },
        { name: 'Sold, none held', kind: 'general', price_cents: 200, capacity: 4 },
      ],
    })
    await app.ctx.db.update(events).set({ description: 'Multi\nline\u0001' }).where(eq(events.id, event.id))
    const [general, vip, , soldOnly] = event.sections
    // Sold twice and holding nothing.
    for (let i = 0; i < 2; i++) {
      await insertTicket(app, { eventId: event.id, sectionId: soldOnly.id, holderId: organizer.id })
    }
    await insertTicket(app, { eventId: event.id, sectionId: general.id, holderId: organizer.id })
    await insertTicket(app, {
      eventId: event.id,
      sectionId: general.id,
      holderId: organizer.id,
      status: 'held',
    })
    // A hold whose reservation lapsed but that no sweep has expired yet: shown as available.
    await insertTicket(app, {
      eventId: event.id,
      sectionId: vip.id,
      holderId: organizer.id,
      status: 'held',
      seat: { row: 'A', number: 1 },
      expiresAt: new Date(Date.now() - 60_000),
    })
    const expected = await loadEvent(app.ctx, app.ctx.db, null, event.id)
    expect(expected.sections[0]).toMatchObject({ held: 1, sold: 1 })
    expect(expected.sections[1]).toMatchObject({ held: 0, rows: 2, seats_per_row: 3 })
    expect(expected.sections[3]).toMatchObject({ sold: 2, held: 0, available: 2 })
    expect(expected.organizer?.avatar_url).toMatch(/\/media\/avatars\/a1b2\.webp$/)

    const one = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })
    expect(one.statusCode).toBe(200)
    expect(one.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(one.json()).toStrictEqual(expected)

    const list = await app.inject({
      method: 'GET',
      url: `/api/v1/events?q=${encodeURIComponent('✓ "quotes"')}`,
    })
    expect(list.json()).toStrictEqual({ data: [expected], page: 1, per_page: 20, total: 1, total_pages: 1 })
  })

  it('when positions are out of id order or tied, then its sections come by position, then id, as in the object path', async () => {
    const names = ['First', 'Second', 'Third', 'Fourth']
    const event = await makeEvent(app, organizer, {
      title: 'Reordered sections',
      sections: names.map((name, i) => ({ name, kind: 'general', price_cents: 100 + i, capacity: 5 })),
    })
    const [first, , third, fourth] = event.sections
    expect(first.id < third.id && third.id < fourth.id).toBe(true)
    // Fourth moves to the front; Third ties with First, whose id is lower.
    await app.ctx.db.update(sections).set({ position: -1 }).where(eq(sections.id, fourth.id))
    const [firstRow] = await app.ctx.db.select().from(sections).where(eq(sections.id, first.id))
    await app.ctx.db.update(sections).set({ position: firstRow!.position }).where(eq(sections.id, third.id))
    await insertTicket(app, {
      eventId: event.id,
      sectionId: third.id,
      holderId: organizer.id,
      status: 'held',
    })

    const expected = await loadEvent(app.ctx, app.ctx.db, null, event.id)
    expect(expected.sections.map((x) => x.name)).toEqual(['Fourth', 'First', 'Third', 'Second'])
    const one = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })
    expect(one.json()).toStrictEqual(expected)
    const list = await app.inject({ method: 'GET', url: '/api/v1/events?q=Reordered%20sections' })
    expect(list.json().data).toStrictEqual([expected])
  })

  it('when the event is a draft and its organizer has no avatar, then its organizer gets the same Event and anyone else 404', async () => {
    const doomed = await registerUser(app)
    const event = await makeEvent(app, doomed, { status: 'draft' })
    await app.ctx.db.update(users).set({ avatarPath: null }).where(eq(users.id, doomed.id))
    const asOwner = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}`,
      headers: doomed.auth,
    })
    expect(asOwner.json()).toStrictEqual(
      await loadEvent(app.ctx, app.ctx.db, { id: doomed.id, role: 'user' } as Actor, event.id),
    )
    expect((await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })).statusCode).toBe(404)
    // An empty path in an older row is no avatar either, on both paths.
    await app.ctx.db.update(users).set({ avatarPath: '' }).where(eq(users.id, doomed.id))
    const empty = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}`, headers: doomed.auth })
    expect(empty.json().organizer.avatar_url).toBeNull()
    expect(empty.json()).toStrictEqual(
      await loadEvent(app.ctx, app.ctx.db, { id: doomed.id, role: 'user' } as Actor, event.id),
    )
  })

  it('when the event, a section and the organizer are edited after it was first read, then the JSON shows every edit', async () => {
    const owner = await registerUser(app, { display_name: 'Before' })
    const event = await makeEvent(app, owner, { sections: GENERAL_AND_VIP, status: 'draft' })
    const url = `/api/v1/events/${event.id}`
    expect((await app.inject({ method: 'GET', url, headers: owner.auth })).statusCode).toBe(200)

    const edits = [
      app.inject({
        method: 'PATCH',
        url,
        headers: owner.auth,
        payload: {
          title: 'After "edit" ✓',
          description: 'Now\twith a tab',
          venue: 'Hall \\ B',
          starts_at: '2032-01-02T03:04:05.678Z',
          ends_at: '2032-01-02T05:00:00.000Z',
          max_tickets_per_user: 3,
          currency: 'EUR',
        },
      }),
      app.inject({
        method: 'PATCH',
        url: `${url}/sections/${event.sections[1].id}`,
        headers: owner.auth,
        payload: { name: 'VIP "front"', price_cents: 12345 },
      }),
      app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: owner.auth,
        payload: { display_name: 'After "Ω"', bio: 'New bio' },
      }),
    ]
    for (const res of await Promise.all(edits)) expect(res.statusCode).toBe(200)
    expect(
      (await app.inject({ method: 'POST', url: `${url}/publish`, headers: owner.auth })).statusCode,
    ).toBe(200)

    const expected = await loadEvent(app.ctx, app.ctx.db, null, event.id)
    expect(expected).toMatchObject({
      title: 'After "edit" ✓',
      description: 'Now\twith a tab',
      venue: 'Hall \\ B',
      starts_at: '2032-01-02T03:04:05.678Z',
      ends_at: '2032-01-02T05:00:00.000Z',
      status: 'published',
      max_tickets_per_user: 3,
      currency: 'EUR',
      organizer: { display_name: 'After "Ω"', bio: 'New bio' },
    })
    expect(expected.sections[1]).toMatchObject({ name: 'VIP "front"', price_cents: 12345 })
    const one = await app.inject({ method: 'GET', url })
    expect(one.json()).toStrictEqual(expected)
    const list = await app.inject({
      method: 'GET',
      url: `/api/v1/events?q=${encodeURIComponent('"edit" ✓')}`,
    })
    expect(list.json().data).toStrictEqual([expected])
  })
})
