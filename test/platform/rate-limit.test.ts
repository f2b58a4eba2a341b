import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventBody } from '../factories/events.js'
import { type App, buildTestApp, registerUser } from '../helpers.js'

// With TEST_REDIS_URL the counters live in Redis and outlive the run: every run uses its own IPs and accounts.
const run = Math.floor(Math.random() * 250)
const ip = (n: number) => `10.${run}.${n}.1`

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
      statuses.push((await login(`ip-user-${run}-${i}@example.com`, ip(0))).statusCode)
    expect(statuses).toEqual([401, 401, 401])
    const res = await login(`ip-user-${run}-9@example.com`, ip(0))
    expect(res.statusCode).toBe(429)
    expect(res.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' })
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(res.headers['ratelimit-limit']).toBe('3')
    expect(res.headers['ratelimit-remaining']).toBe('0')
    expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0)
  })

  it('login is limited per account and client together: failures elsewhere never lock the owner out', async () => {
    // The attacker spreads over several IPs (each under the per-IP limit) against one account.
    for (let i = 0; i < 3; i++)
      expect((await login(`target${run}@example.com`, ip(10 + i))).statusCode).toBe(401)
    // The owner, from their own address, is still answered.
    expect((await login(`TARGET${run}@example.com`, ip(99))).statusCode).toBe(401)
  })

  it('IPv6 clients share one bucket per /64: a fresh address in the same network is no fresh limit', async () => {
    const net = `2001:db8:${run.toString(16)}:7`
    const statuses = []
    for (let i = 1; i <= 4; i++)
      statuses.push((await login(`v6-${run}-${i}@example.com`, `${net}::${i}`)).statusCode)
    expect(statuses).toEqual([401, 401, 401, 429])
    // Another /64 has its own.
    expect((await login(`v6-${run}-9@example.com`, `2001:db8:${run.toString(16)}:8::1`)).statusCode).toBe(401)
  })

  it('other routes have the general limit per client', async () => {
    const statuses = []
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await app.inject({ method: 'GET', url: '/api/v1/users', remoteAddress: ip(200) })).statusCode,
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

describe.skipIf(!process.env.TEST_REDIS_URL)('rate limits with REDIS_URL', () => {
  it('are shared by every instance: a second server sees the count of the first', async () => {
    const other = await buildTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '3' })
    const email = `shared${run}@example.com`
    const attempt = (server: App, n: number) =>
      server.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email, password: 'whatever-it-is-1' },
        remoteAddress: n >= 0 ? ip(150) : ip(151),
      })
    expect((await attempt(app, 0)).statusCode).toBe(401)
    expect((await attempt(other, 1)).statusCode).toBe(401)
    expect((await attempt(app, 2)).statusCode).toBe(401)
    expect((await attempt(other, 3)).statusCode).toBe(429)
    const ready = await other.inject({ method: 'GET', url: '/health/ready' })
    expect(ready.json().checks.redis).toBe('ok')
    await other.close()
  })
})

describe('creating events and sections', () => {
  it('is limited per client: past RATE_LIMIT_CREATE_PER_MINUTE, 429 RATE_LIMITED with RateLimit-* headers', async () => {
    const limited = await buildTestApp({ RATE_LIMIT_CREATE_PER_MINUTE: '2' })
    const organizer = await registerUser(limited)
    const addr = ip(210)
    const create = () =>
      limited.inject({
        method: 'POST',
        url: '/api/v1/events',
        headers: organizer.auth,
        payload: eventBody(),
        remoteAddress: addr,
      })
    expect((await create()).statusCode).toBe(201)
    const second = await create()
    expect(second.statusCode).toBe(201)
    const res = await create()
    expect(res.statusCode).toBe(429)
    expect(res.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' })
    expect(res.headers['ratelimit-limit']).toBe('2')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    const section = await limited.inject({
      method: 'POST',
      url: `/api/v1/events/${second.json().id}/sections`,
      headers: organizer.auth,
      payload: { name: 'Balcony', price_cents: 1000, capacity: 5 },
      remoteAddress: ip(211),
    })
    expect(section.statusCode).toBe(201)
    await limited.close()
  })
})
