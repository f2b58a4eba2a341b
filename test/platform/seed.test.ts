import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD, seed } from '../../src/seed.js'
import { type App, buildTestApp, login } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
  await seed(app.ctx)
})
afterAll(() => app.close())

describe('stagedoor seed', () => {
  it('leaves a living system: people who can log in, published events, a paid booking, posts and friends', async () => {
    const bob = await login(app, { email: 'bob', password: DEMO_PASSWORD })
    const eventsRes = await app.inject({ method: 'GET', url: '/api/v1/events' })
    expect(eventsRes.json().data.map((e: { title: string }) => e.title)).toEqual([
      'Indie Night at the Warehouse',
      'Midnight Orchestra: Film Scores Live',
    ])
    const orchestra = eventsRes.json().data[1]
    expect(orchestra.sections.map((s: { name: string }) => s.name)).toEqual([
      'VIP',
      'A',
      'B',
      'C',
      'General Admission',
    ])
    expect(orchestra.tickets_sold).toBe(1)

    const tickets = await app.inject({ method: 'GET', url: '/api/v1/users/me/tickets', headers: bob.auth })
    expect(
      tickets
        .json()
        .data.map((t: { status: string }) => t.status)
        .sort(),
    ).toEqual(['confirmed', 'held'])
    const feed = await app.inject({ method: 'GET', url: '/api/v1/feed', headers: bob.auth })
    expect(feed.json().data.length).toBeGreaterThanOrEqual(2)
    const friends = await app.inject({ method: 'GET', url: '/api/v1/users/me/friends', headers: bob.auth })
    expect(friends.json().total).toBe(2)
  })

  it('is safe to run twice', async () => {
    await seed(app.ctx)
    const users = await app.inject({
      method: 'GET',
      url: '/api/v1/users',
      headers: (await login(app, { email: 'alice', password: DEMO_PASSWORD })).auth,
    })
    expect(users.json().total).toBe(6)
  })
})
