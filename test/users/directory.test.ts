import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp, registerUser, type TestUser } from '../helpers.js'

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
