import { count } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { events, friendships, posts, tickets, users } from '../../src/db/schema/index.js'
import { DEMO_PASSWORD, seed } from '../../src/seed.js'
import { type App, buildTestApp, login } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp({ MAX_EVENT_LOOP_DELAY: '0' })
  await seed(app.ctx)
})
afterAll(() => app.close())

type EventJson = {
  id: number
  title: string
  status: string
  tickets_sold: number
  sections: { name: string; available: number }[]
}

async function rowCounts() {
  const n = async (
    table: typeof users | typeof events | typeof tickets | typeof posts | typeof friendships,
  ) => (await app.ctx.db.select({ n: count() }).from(table))[0]!.n
  return {
    users: await n(users),
    events: await n(events),
    tickets: await n(tickets),
    posts: await n(posts),
    friendships: await n(friendships),
  }
}

describe('stagedoor seed', () => {
  it('leaves a site worth clicking: people who log in, events on sale, nearly and fully sold out, cancelled, a draft', async () => {
    const bob = await login(app, { email: 'bob', password: DEMO_PASSWORD })
    const listed = (await app.inject({ method: 'GET', url: '/api/v1/events?per_page=100' })).json()
      .data as EventJson[]
    const byTitle = new Map(listed.map((e) => [e.title, e]))
    expect([...byTitle.keys()].sort()).toEqual([
      'Indie Night at the Warehouse',
      'Late Laughs: Stand-up Showcase',
      'Midnight Orchestra: Film Scores Live',
      'String Quartet in the Library',
    ])
    const orchestra = byTitle.get('Midnight Orchestra: Film Scores Live')!
    expect(orchestra.sections.map((s) => s.name)).toEqual(['VIP', 'A', 'B', 'C', 'General Admission'])
    expect(orchestra.tickets_sold).toBe(1)
    // Nearly sold out: a handful left, and the page says so.
    expect(byTitle.get('Late Laughs: Stand-up Showcase')!.sections[0]!.available).toBe(4)
    const comedyPage = await app.inject({
      url: `/events/${byTitle.get('Late Laughs: Stand-up Showcase')!.id}`,
      headers: { accept: 'text/html' },
    })
    expect(comedyPage.body).toContain('Only 4 left')
    expect(byTitle.get('String Quartet in the Library')!.sections[0]!.available).toBe(0)
    // The cancelled event and the draft are not listed; the cancelled one's buyer sees a cancelled ticket.
    const alice = await login(app, { email: 'alice', password: DEMO_PASSWORD })
    const aliceTickets = (
      await app.inject({ method: 'GET', url: '/api/v1/users/me/tickets', headers: alice.auth })
    ).json().data as { status: string; event: { title: string } }[]
    expect(aliceTickets.map((t) => [t.event.title, t.status])).toEqual([
      ['Open-air Jazz Picnic', 'cancelled'],
      ['Open-air Jazz Picnic', 'cancelled'],
    ])
    const stored = await app.ctx.db.select({ title: events.title, status: events.status }).from(events)
    expect(Object.fromEntries(stored.map((e) => [e.title, e.status]))).toMatchObject({
      'Open-air Jazz Picnic': 'cancelled',
      'Secret Rooftop Session (draft)': 'draft',
    })
    expect(stored).toHaveLength(6)

    const bobTickets = await app.inject({ method: 'GET', url: '/api/v1/users/me/tickets', headers: bob.auth })
    expect(
      bobTickets
        .json()
        .data.map((t: { status: string }) => t.status)
        .sort(),
    ).toEqual(['confirmed', 'held'])
    const feed = await app.inject({ method: 'GET', url: '/api/v1/feed', headers: bob.auth })
    expect(feed.json().data.length).toBeGreaterThanOrEqual(2)
    const friends = await app.inject({ method: 'GET', url: '/api/v1/users/me/friends', headers: bob.auth })
    expect(friends.json().total).toBe(2)
  })

  it('adds nothing when run a second time', async () => {
    const before = await rowCounts()
    expect(before.users).toBe(6)
    await seed(app.ctx)
    expect(await rowCounts()).toEqual(before)
  })
})

describe('stagedoor seed in production', () => {
  it('refuses to run with NODE_ENV=production and writes nothing', async () => {
    const before = await rowCounts()
    const production = { ...app.ctx, config: { ...app.ctx.config, NODE_ENV: 'production' as const } }
    await expect(seed(production)).rejects.toThrow(/NODE_ENV=production/)
    expect(await rowCounts()).toEqual(before)
  })
})
