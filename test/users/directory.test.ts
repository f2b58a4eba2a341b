import { count, inArray } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { users } from '../../src/db/schema/index.js'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../helpers.js'

let app: App
let viewer: TestUser
beforeAll(async () => {
  app = await buildTestApp()
  viewer = await registerUser(app, { username: 'viewer' })
  for (const username of ['Tommy', 'amy', 'Sammy', 'bob', 'carol', 'dave_my'.slice(0, 4)]) {
    await registerUser(app, { username })
  }
  await registerUser(app, { username: 'zed', display_name: 'Jimmy Zed' })
})
afterAll(() => app.close())

const list = (query: string) =>
  app.inject({ method: 'GET', url: `/api/v1/users${query}`, headers: viewer.auth })
const names = (res: { json(): { data: { username: string }[] } }) => res.json().data.map((u) => u.username)

describe('GET /users', () => {
  it('q matches any part of the username or display name, case-insensitively', async () => {
    const res = await list('?q=MY')
    expect(res.statusCode).toBe(200)
    expect(names(res)).toEqual(['amy', 'Sammy', 'Tommy', 'zed'])
    expect(res.json()).toMatchObject({ page: 1, per_page: 20, total: 4, total_pages: 1 })
  })

  it('treats LIKE wildcards in q literally', async () => {
    expect(names(await list('?q=%25'))).toEqual([])
    expect(names(await list('?q=_'))).toEqual([])
  })

  it('sorts by username (default, case-insensitive) and by -created_at', async () => {
    expect(names(await list('?per_page=3'))).toEqual(['amy', 'bob', 'carol'])
    expect(names(await list('?sort=-username&per_page=2'))).toEqual(['zed', 'viewer'])
    expect(names(await list('?sort=-created_at&per_page=2'))).toEqual(['zed', 'dave'])
  })

  it('paginates with a Link header', async () => {
    const res = await list('?page=2&per_page=3')
    expect(res.json()).toMatchObject({ page: 2, per_page: 3, total: 8, total_pages: 3 })
    expect(names(res)).toEqual(['dave', 'Sammy', 'Tommy'])
    const link = res.headers.link as string
    expect(link).toContain('</api/v1/users?page=1&per_page=3>; rel="first"')
    expect(link).toContain('</api/v1/users?page=1&per_page=3>; rel="prev"')
    expect(link).toContain('</api/v1/users?page=3&per_page=3>; rel="next"')
    expect(link).toContain('</api/v1/users?page=3&per_page=3>; rel="last"')
  })

  it('a page past the end is 200 with an empty list', async () => {
    const res = await list('?page=50')
    expect(res.statusCode).toBe(200)
    expect(res.json().data).toEqual([])
  })

  it.each([
    ['an unknown sort field', '?sort=email'],
    ['per_page above 100', '?per_page=101'],
    ['page 0', '?page=0'],
    ['a non-numeric page', '?page=two'],
  ])('with %s answers 400 VALIDATION_FAILED', async (_, query) => {
    const res = await list(query)
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('VALIDATION_FAILED')
  })

  it('needs a token', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(401)
  })
})

describe("the whole directory's total", () => {
  // Read from a counter kept by triggers (user_counts), not counted per request: it must follow every way users
  // come and go, one at a time and many in one statement.
  it('follows each sign-up and deletion, and statements that insert or delete many users at once', async () => {
    const admin = await registerAdmin(app)
    const total = async () => ((await list('?per_page=1')).json() as { total: number }).total
    const counted = async () => (await app.ctx.db.select({ n: count() }).from(users))[0]!.n
    const start = await counted()
    expect(await total()).toBe(start)

    const joined: TestUser[] = []
    for (let i = 0; i < 3; i++) joined.push(await registerUser(app))
    expect(await total()).toBe(start + 3)

    const bulk = ['bulk_a', 'bulk_b', 'bulk_c']
    await app.ctx.db.insert(users).values(
      bulk.map((username) => ({
        email: `${username}@example.com`,
        username,
        passwordHash: 'not-a-hash',
        displayName: username,
      })),
    )
    expect(await total()).toBe(start + 6)

    const gone = await app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/users/${joined[0]!.id}`,
      headers: admin.auth,
    })
    expect(gone.statusCode).toBe(204)
    expect(await total()).toBe(start + 5)

    await app.ctx.db.delete(users).where(inArray(users.username, bulk))
    expect(await total()).toBe(start + 2)
    expect(await counted()).toBe(start + 2)
    // A filtered list is counted over the table: none of the bulk's users is left.
    expect((await list('?q=bulk_')).json()).toMatchObject({ data: [], total: 0 })
  })
})
