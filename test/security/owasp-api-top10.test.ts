// Security regressions, one per OWASP API Security Top 10 (2023) item that applies to Stagedoor. API7 (SSRF)
// has no surface here (the server fetches no client-given URL) and API10 (unsafe consumption of APIs) none
// either (no third-party API is consumed).
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { quickUsers, reserveAs } from '../factories/boxoffice.js'
import { eventBody, makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../helpers.js'

let app: App
let alice: TestUser
let mallory: TestUser
beforeAll(async () => {
  app = await buildTestApp()
  alice = await registerUser(app)
  mallory = await registerUser(app)
})
afterAll(() => app.close())

const as = (who: TestUser | null, method: string, url: string, payload?: object) =>
  app.inject({
    method: method as 'GET',
    url: `/api/v1${url}`,
    headers: who ? who.auth : {},
    ...(payload ? { payload } : {}),
  })

describe('OWASP API Security Top 10 (2023)', () => {
  it("API1:2023 Broken Object Level Authorization: another user's reservation, invoice and ticket are 404", async () => {
    const event = await makeEvent(app, alice)
    const [buyer] = await quickUsers(app, 1)
    const res = await reserveAs(app, buyer!, event.id, { section_id: event.sections[0].id, quantity: 1 })
    expect(res.statusCode).toBe(201)
    const { invoices, tickets } = res.json()
    expect((await as(mallory, 'GET', `/invoices/${invoices[0].id}`)).statusCode).toBe(404)
    expect((await as(mallory, 'GET', `/tickets/${tickets[0].id}`)).statusCode).toBe(404)
    expect(
      (await as(mallory, 'POST', `/invoices/${invoices[0].id}/pay`, { payment_method: 'test_ok' }))
        .statusCode,
    ).toBe(404)
    expect((await as(mallory, 'DELETE', `/tickets/${tickets[0].id}`)).statusCode).toBe(404)
  })

  it('API2:2023 Broken Authentication: unsigned (alg none) and forged tokens are refused; logins are rate-limited per client', async () => {
    const [header, payload] = alice.accessToken.split('.')
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`
    const forged = `${header}.${payload}.${randomBytes(32).toString('base64url')}`
    for (const token of [none, forged]) {
      const res = await app.inject({
        method: 'GET',
        url: '/api/v1/users/me',
        headers: { authorization: `Bearer ${token}` },
      })
      expect(res.statusCode).toBe(401)
    }
    const limited = await buildTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '2' })
    const statuses = []
    for (let i = 0; i < 3; i++) {
      const r = await limited.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'guess@example.com', password: `guess-${i}-Pass` },
        remoteAddress: '2001:db8:5:5::1',
      })
      statuses.push(r.statusCode)
    }
    await limited.close()
    expect(statuses).toEqual([401, 401, 429])
  })

  it('API3:2023 Broken Object Property Level Authorization: a role in a body is ignored; public profiles carry no e-mail', async () => {
    const reg = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: {
        email: 'climber@example.com',
        username: 'climber',
        password: 'a long passphrase 7',
        role: 'admin',
      },
    })
    expect(reg.statusCode).toBe(201)
    const climber = { auth: { authorization: `Bearer ${reg.json().access_token}` } } as TestUser
    expect((await as(climber, 'GET', '/users/me')).json().role).toBe('user')
    await as(climber, 'PATCH', '/users/me', { role: 'admin', email_verified: true })
    expect((await as(climber, 'GET', '/users/me')).json()).toMatchObject({
      role: 'user',
      email_verified: false,
    })
    const publicView = (await as(mallory, 'GET', `/users/${alice.id}`)).json()
    expect(publicView).not.toHaveProperty('email')
    expect(publicView).not.toHaveProperty('role')
  })

  it('API4:2023 Unrestricted Resource Consumption: page sizes are capped and a huge bad body gets a small answer', async () => {
    expect((await as(alice, 'GET', '/users?per_page=100000')).statusCode).toBe(400)
    const sections = Array.from({ length: 50_000 }, () => ({ name: 1 }))
    const res = await as(alice, 'POST', '/events', { ...eventBody(), sections })
    expect(res.statusCode).toBe(400)
    expect(res.body.length).toBeLessThan(10_000)
  })

  it('API5:2023 Broken Function Level Authorization: a user cannot call admin operations', async () => {
    expect((await as(mallory, 'PATCH', `/admin/users/${mallory.id}`, { role: 'admin' })).statusCode).toBe(403)
    expect((await as(mallory, 'DELETE', `/admin/users/${alice.id}`)).statusCode).toBe(403)
    expect((await as(mallory, 'GET', '/users/me')).json().role).toBe('user')
  })

  it('API6:2023 Unrestricted Access to Sensitive Business Flows: creating events is rate-limited per client', async () => {
    const limited = await buildTestApp({ RATE_LIMIT_CREATE_PER_MINUTE: '1' })
    const organizer = await registerUser(limited)
    const create = () =>
      limited.inject({
        method: 'POST',
        url: '/api/v1/events',
        headers: organizer.auth,
        payload: eventBody(),
        remoteAddress: '10.66.0.1',
      })
    expect((await create()).statusCode).toBe(201)
    expect((await create()).statusCode).toBe(429)
    await limited.close()
  })

  it('API8:2023 Security Misconfiguration: security headers, no internals in errors, no blanket proxy trust', async () => {
    const res = await as(null, 'GET', '/events/0x10')
    expect(res.statusCode).toBe(400)
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.body).not.toMatch(/stack|node_modules|at /)
    expect(() => loadConfig({ TRUST_PROXY: 'true', JWT_SECRET: randomBytes(32).toString('hex') })).toThrow(
      /TRUST_PROXY/,
    )
  })

  it('API9:2023 Improper Inventory Management: every API route is in the OpenAPI document, and nothing else is', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const documented = new Set(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    )
    const routes = app.routeInventory
      .filter((r) => r.url.startsWith('/api/'))
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
    expect(routes.filter((r) => !documented.has(r))).toEqual([])
    expect([...documented].filter((d) => d.includes(' /api/') && !routes.includes(d))).toEqual([])
  })
})
