// What a newcomer meets first: links and the docs' server on the port the server really uses, the reference
// in reading order and without hosted services, readable logs on a terminal in development only.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { prettyLogs } from '../../src/lib/log-format.js'
import { type App, buildTestApp } from '../helpers.js'

const secret = randomBytes(32).toString('hex')
const config = (env: Record<string, string>) => loadConfig({ JWT_SECRET: secret, ...env })

describe('PUBLIC_URL', () => {
  it("defaults to the server's own origin, on its real port, a loopback or wildcard address written localhost", () => {
    expect(config({}).PUBLIC_URL).toBe('http://localhost:3000')
    expect(config({ PORT: '3456' }).PUBLIC_URL).toBe('http://localhost:3456')
    expect(config({ PORT: '3456', HOST: '0.0.0.0' }).PUBLIC_URL).toBe('http://localhost:3456')
    expect(config({ PORT: '8080', HOST: '10.1.2.3' }).PUBLIC_URL).toBe('http://10.1.2.3:8080')
    expect(config({ PORT: '8080', HOST: 'fd00::1' }).PUBLIC_URL).toBe('http://[fd00::1]:8080')
  })

  it('when set, is used as given, without a trailing slash', () => {
    expect(config({ PORT: '3456', PUBLIC_URL: 'https://tickets.example.com/' }).PUBLIC_URL).toBe(
      'https://tickets.example.com',
    )
  })
})

describe('logs', () => {
  it('are pretty in development on a terminal, JSON otherwise', () => {
    expect(prettyLogs({ NODE_ENV: 'development' }, true)).toBe(true)
    expect(prettyLogs({ NODE_ENV: 'development' }, false)).toBe(false)
    expect(prettyLogs({ NODE_ENV: 'production' }, true)).toBe(false)
    expect(prettyLogs({ NODE_ENV: 'test' }, true)).toBe(false)
  })
})

describe('the OpenAPI document and /docs', () => {
  let configured: App
  let unconfigured: App
  beforeAll(async () => {
    configured = await buildTestApp({ PUBLIC_URL: 'https://tickets.example.com' })
    // PUBLIC_URL left to its default.
    unconfigured = await buildTestApp({ PUBLIC_URL: '', PORT: '3777' })
  })
  afterAll(async () => {
    await configured?.close()
    await unconfigured?.close()
  })

  it('advertises PUBLIC_URL when it is set, else the origin the document was requested from', async () => {
    const doc = (
      await configured.inject({ url: '/openapi.json', headers: { host: 'localhost:3777' } })
    ).json()
    expect(doc.servers).toEqual([{ url: 'https://tickets.example.com', 'x-internal': false }])
    for (const host of ['localhost:3777', '127.0.0.1:3777', 'laptop.local:3777']) {
      const own = (await unconfigured.inject({ url: '/openapi.json', headers: { host } })).json()
      expect(own.servers).toEqual([{ url: `http://${host}`, 'x-internal': false }])
    }
  })

  it('lists its tags in reading order: auth, users, events, reservations, then the rest', async () => {
    const doc = (await configured.inject({ url: '/openapi.json' })).json()
    const names: string[] = doc.tags.map((t: { name: string }) => t.name)
    expect(names.slice(0, 3)).toEqual(['auth', 'users', 'events'])
    expect(names.indexOf('reservations')).toBeGreaterThan(names.indexOf('events'))
    expect(names.indexOf('reservations')).toBeLessThan(names.indexOf('friends'))
    // Every tag an operation uses is listed, once.
    const used = new Set<string>()
    for (const item of Object.values(doc.paths) as Record<string, { tags?: string[] }>[]) {
      for (const op of Object.values(item)) for (const tag of op.tags ?? []) used.add(tag)
    }
    expect(new Set(names)).toEqual(used)
    expect(names).toHaveLength(used.size)
  })

  it("serves the reference with Scalar's hosted features off and nothing loaded from elsewhere", async () => {
    const redirect = await configured.inject({ url: '/docs' })
    expect(redirect.statusCode).toBe(301)
    expect(redirect.headers.location).toBe('/docs/')
    const page = await configured.inject({ url: '/docs/' })
    expect(page.statusCode).toBe(200)
    const settings = JSON.parse(/createApiReference\('#app', (\{[\s\S]*?\n\s*\})\)/.exec(page.body)![1]!)
    expect(settings).toMatchObject({
      url: '/openapi.json',
      hideClientButton: true,
      showDeveloperTools: 'never',
      agent: { disabled: true },
      mcp: { disabled: true },
      telemetry: false,
      withDefaultFonts: false,
    })
    // Script and styles come from this server.
    expect(page.body).not.toMatch(/(src|href)="https?:/)
    const script = await configured.inject({ url: '/docs/js/scalar.js' })
    expect(script.statusCode).toBe(200)
    expect(script.headers['content-type']).toMatch(/javascript/)
  })
})
