import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '5' })
})
afterAll(() => app.close())

const login = (email: string, remoteAddress: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: 'whatever-it-is-1' },
    remoteAddress,
  })

describe('rate limits', () => {
  it('login is limited per IP: the 4th attempt in a minute answers 429 with Retry-After and RateLimit-* headers', async () => {
    const statuses = []
    for (let i = 0; i < 3; i++)
      statuses.push((await login(`ip-user-${i}@example.com`, '10.0.0.1')).statusCode)
    expect(statuses).toEqual([401, 401, 401])
    const res = await login('ip-user-9@example.com', '10.0.0.1')
    expect(res.statusCode).toBe(429)
    expect(res.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' })
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(res.headers['ratelimit-limit']).toBe('3')
    expect(res.headers['ratelimit-remaining']).toBe('0')
    expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0)
  })

  it('login is limited per account too, whatever the IP', async () => {
    for (let i = 0; i < 3; i++)
      expect((await login('target@example.com', `10.1.0.${i}`)).statusCode).toBe(401)
    const res = await login('TARGET@example.com', '10.1.0.99')
    expect(res.statusCode).toBe(429)
  })

  it('other routes have the general limit per client', async () => {
    const statuses = []
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await app.inject({ method: 'GET', url: '/api/v1/users', remoteAddress: '10.2.0.1' })).statusCode,
      )
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
  })

  it('can be switched off', async () => {
    const open = await buildTestApp({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_AUTH_PER_MINUTE: '1' })
    for (let i = 0; i < 3; i++) {
      const res = await open.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'x@example.com', password: 'whatever-it-is-1' },
      })
      expect(res.statusCode).toBe(401)
    }
    await open.close()
  })
})
