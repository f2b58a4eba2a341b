import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp, PASSWORD } from '../helpers.js'

const lines: string[] = []
let app: App
beforeAll(async () => {
  app = await buildTestApp({}, { logLines: lines })
})
afterAll(() => app.close())

describe('logs', () => {
  it('carry the request id on every request line and never a password, token or hash', async () => {
    const reg = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'logme@example.com', username: 'logme', password: PASSWORD },
      headers: { 'x-request-id': 'log-test-1' },
    })
    const { access_token, refresh_token } = reg.json()
    await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token } })
    await app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: `Bearer ${access_token}` },
    })
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'logme', password: 'wrong-Pass-99' },
    })

    const all = lines.join('\n')
    expect(lines.length).toBeGreaterThan(4)
    for (const secret of [PASSWORD, 'wrong-Pass-99', access_token, refresh_token, '$argon2id$']) {
      expect(all).not.toContain(secret)
    }
    const requestLines = lines.map((l) => JSON.parse(l)).filter((l) => l.req || l.res)
    expect(requestLines.every((l) => typeof l.reqId === 'string')).toBe(true)
    expect(requestLines.some((l) => l.reqId === 'log-test-1')).toBe(true)
  })

  it('a failed query logs its SQLSTATE, constraint and request id, never its text or parameters', async () => {
    const reg = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'failq@example.com', username: 'failq', password: PASSWORD },
    })
    // A constraint the application does not know of makes an ordinary insert fail in the database.
    await app.ctx.db.execute(
      sql.raw(`alter table posts add constraint posts_body_log_probe check (body <> 'secret-body-7b1f')`),
    )
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: { authorization: `Bearer ${reg.json().access_token}`, 'x-request-id': 'log-test-query' },
      payload: { body: 'secret-body-7b1f' },
    })
    expect(res.statusCode).toBe(500)
    const failed = lines.map((l) => JSON.parse(l)).find((l) => l.reqId === 'log-test-query' && l.level >= 50)
    expect(failed).toMatchObject({ query: { sqlstate: '23514', constraint: 'posts_body_log_probe' } })
    const all = lines.join('\n')
    expect(all).not.toContain('secret-body-7b1f')
    expect(all).not.toMatch(/insert into "posts"/i)
  })
})
