// The database connection fails under load: a TCP proxy between the server and its own database cuts every
// connection mid-load and refuses new ones for a while. Requests caught by it answer 503 with Retry-After,
// never 500; the same server recovers when the database is back; nothing acknowledged is lost.
// PostgreSQL only (PGlite runs in the process: there is no connection to cut).
import { setTimeout as sleep } from 'node:timers/promises'
import { inArray } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { invoices, reservations, tickets } from '../../src/db/schema/index.js'
import { payAs, quickUsers, reserveAs, sectionCounts } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerUser, type TestUser, usingPostgres } from '../helpers.js'
import { browserFor } from '../web/browser.js'
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js'

describe.skipIf(!usingPostgres())('PostgreSQL connection lost under load', () => {
  let app: App
  let proxy: TcpProxy
  let directUrl = ''

  beforeAll(async () => {
    const target = new URL(process.env.TEST_DATABASE_URL!)
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    app = await buildTestApp(
      { DATABASE_POOL_MAX: '10', MAX_EVENT_LOOP_DELAY: '0' },
      {
        databaseUrl: (url) => {
          directUrl = url
          const proxied = new URL(url)
          proxied.hostname = '127.0.0.1'
          proxied.port = String(proxy.port)
          return proxied.toString()
        },
      },
    )
  })
  afterAll(async () => {
    await app?.close()
    await proxy?.close()
  })

  it('a cut mid-load answers 503 with Retry-After and no 500, recovers without a restart, loses no acknowledged reservation or payment', async () => {
    const [organizer] = await quickUsers(app, 1)
    const buyers = await quickUsers(app, 400)
    const event = await makeEvent(app, organizer!, { sections: [{ capacity: 2000 }] })
    const sectionId: number = event.sections[0].id

    const statuses: number[] = []
    const missingRetryAfter: string[] = []
    const reserved: number[] = []
    const paid: number[] = []
    const record = (res: { statusCode: number; headers: Record<string, unknown> }, what: string) => {
      statuses.push(res.statusCode)
      if (res.statusCode === 503 && res.headers['retry-after'] === undefined) missingRetryAfter.push(what)
    }

    let next = 0
    let stop = false
    const worker = async () => {
      while (!stop && next < buyers.length) {
        const buyer: TestUser = buyers[next++]!
        const got = await app.inject({
          method: 'GET',
          url: `/api/v1/events/${event.id}`,
          headers: buyer.auth,
        })
        record(got, 'GET event')
        const res = await reserveAs(app, buyer, event.id, { section_id: sectionId, quantity: 1 })
        record(res, 'reserve')
        if (res.statusCode !== 201) continue
        const body = res.json()
        reserved.push(body.id)
        const payment = await payAs(app, buyer, body.invoices[0].id)
        record(payment, 'pay')
        if (payment.statusCode === 200) paid.push(body.invoices[0].id)
      }
    }
    const load = Promise.all(Array.from({ length: 12 }, worker))
    await sleep(700)
    proxy.cut()
    proxy.refuse(true)
    await sleep(1500)
    proxy.refuse(false)
    await sleep(1500)
    stop = true
    await load

    // Recovery without a restart: the same app answers reads and writes again.
    const late = buyers[buyers.length - 1]!
    const read = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}`, headers: late.auth })
    expect(read.statusCode).toBe(200)

    const count = (s: number) => statuses.filter((x) => x === s).length
    const figures = {
      requests: statuses.length,
      ok: statuses.filter((s) => s < 400).length,
      s503: count(503),
      s500: statuses.filter((s) => s >= 500 && s !== 503).length,
      reserved: reserved.length,
      paid: paid.length,
    }

    // Nothing acknowledged is lost, read on a connection of the test's own.
    const direct = new pg.Pool({ connectionString: directUrl, max: 2 })
    const db = drizzle(direct)
    const stored = reserved.length
      ? await db.select({ id: reservations.id }).from(reservations).where(inArray(reservations.id, reserved))
      : []
    const paidRows = paid.length
      ? await db
          .select({ id: invoices.id, status: invoices.status })
          .from(invoices)
          .where(inArray(invoices.id, paid))
      : []
    const live = reserved.length
      ? await db.select({ id: tickets.id }).from(tickets).where(inArray(tickets.reservationId, reserved))
      : []
    await direct.end()
    const lost =
      reserved.length -
      stored.length +
      paid.filter((id) => !paidRows.some((r) => r.id === id && r.status === 'paid')).length
    console.log(`database fault figures: ${JSON.stringify({ ...figures, lost })}`)

    expect(figures.s500).toBe(0)
    expect(figures.s503).toBeGreaterThan(0)
    expect(missingRetryAfter).toEqual([])
    expect(lost).toBe(0)
    expect(live.length).toBeGreaterThanOrEqual(reserved.length)
    expect(figures.ok).toBeGreaterThan(0)
    // The section's counters still match its tickets.
    const counts = await sectionCounts(app, sectionId)
    expect(counts.held + counts.sold).toBe(counts.heldTickets + counts.confirmedTickets)
  })

  it('a read whose connection is lost is tried once more on a fresh connection: 200, not 503, and counted once by the rate limit', async () => {
    const [reader] = await quickUsers(app, 1)
    const url = `/api/v1/users/${reader!.id}`
    const first = await app.inject({ method: 'GET', url, headers: reader!.auth })
    expect(first.statusCode).toBe(200)
    expect(proxy.severOnNextStatement()).toBeGreaterThan(0)
    const res = await app.inject({ method: 'GET', url, headers: reader!.auth })
    expect(proxy.severed()).toBeGreaterThan(0)
    expect(res.statusCode).toBe(200)
    expect(res.json().id).toBe(reader!.id)
    // The client sent one request: its rate limit counts one, not the server's second try as well.
    const remaining = (r: typeof res) => Number(r.headers['ratelimit-remaining'])
    expect(remaining(first) - remaining(res)).toBe(1)
  })

  it('a page whose connection is lost is read once more on a fresh connection; a form, or a database still out of reach, answers a 503 page with Retry-After, not a 500', async () => {
    const browser = await browserFor(app, await registerUser(app))
    const idle = () => (app.database as { pool?: { idleCount: number } }).pool?.idleCount ?? -1
    // Connections left idle beside the one about to be cut.
    const leaveIdle = async () => {
      await Promise.all(Array.from({ length: 4 }, () => browser.get('/feed')))
      expect(idle()).toBeGreaterThan(0)
    }
    const expectUnavailablePage = (res: {
      statusCode: number
      headers: Record<string, unknown>
      body: string
    }) => {
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBeDefined()
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(res.body).toContain('cannot be reached')
    }
    expect((await browser.get('/settings')).statusCode).toBe(200)

    // A page changes nothing: it is read again, as the API's reads are, and the visitor never sees the cut.
    await leaveIdle()
    let before = proxy.severed()
    expect(proxy.severOnNextStatement()).toBeGreaterThan(0)
    const page = await browser.get('/feed')
    expect(proxy.severed()).toBeGreaterThan(before)
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    expect(page.body).toContain('<h1')

    // A form is never sent twice; the connections opened beside the lost one are closed.
    await leaveIdle()
    before = proxy.severed()
    expect(proxy.severOnNextStatement()).toBeGreaterThan(0)
    const form = await browser.post('/settings/profile', { display_name: 'Written once' })
    expect(proxy.severed()).toBeGreaterThan(before)
    expectUnavailablePage(form)
    expect(idle()).toBe(0)

    // A page that set a cookie before its connection was lost (a new CSRF secret, for a browser that had lost
    // its own): the browser gets the second try's answer alone, so the forms on it are accepted.
    await leaveIdle()
    browser.cookies.delete('sd_csrf')
    before = proxy.severed()
    // The session's read passes; the door list's, after the page made its CSRF secret, is cut.
    expect(proxy.severOnNextStatement(1)).toBeGreaterThan(0)
    const door = await browser.get('/check-in')
    expect(proxy.severed()).toBeGreaterThan(before)
    expect(door.statusCode).toBe(200)
    expect(door.cookies.filter((c) => c.name === 'sd_csrf')).toHaveLength(1)
    const sent = await browser.post('/settings/profile', { display_name: 'After the second try' })
    expect(sent.statusCode).toBe(303)

    // A page whose second try finds the database still out of reach.
    proxy.cut()
    proxy.refuse(true)
    try {
      expectUnavailablePage(await browser.get('/feed'))
    } finally {
      proxy.refuse(false)
    }
    // The same browser is served again once the database answers.
    expect((await browser.get('/feed')).statusCode).toBe(200)
  })

  it('a write whose connection is lost is not replayed: 503 with Retry-After', async () => {
    const [writer] = await quickUsers(app, 1)
    await app.inject({ method: 'GET', url: `/api/v1/users/${writer!.id}`, headers: writer!.auth })
    const before = proxy.severed()
    proxy.severOnNextStatement()
    const res = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: writer!.auth,
      payload: { bio: 'written once' },
    })
    expect(proxy.severed()).toBeGreaterThan(before)
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBeDefined()
    expect(res.json().code).toBe('SERVICE_UNAVAILABLE')
  })
})

describe.skipIf(!usingPostgres())('shutdown with a connection that never comes back', () => {
  it('app.close() ends within its budget and says which connections it left behind', async () => {
    const lines: string[] = []
    const app = await buildTestApp({ SHUTDOWN_TIMEOUT: '2' }, { logLines: lines })
    // A statement stuck on a silent link holds its connection: here, one checked out and never released.
    const stuck = await app.database.pool!.connect()
    const started = Date.now()
    await app.close()
    const took = Date.now() - started
    stuck.release(true)
    expect(took).toBeLessThan(10_000)
    const report = lines.map((l) => JSON.parse(l)).find((l) => /still in use at shutdown/.test(l.msg))
    expect(report?.pool).toMatchObject({ total: 1, idle: 0 })
  })

  it('control: the pool alone waits for that connection forever', async () => {
    const pool = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL!, max: 1 })
    const held = await pool.connect()
    let ended = false
    const ending = pool.end().then(() => {
      ended = true
    })
    await sleep(1500)
    expect(ended).toBe(false)
    held.release()
    await ending
    expect(ended).toBe(true)
  })
})

describe.skipIf(!usingPostgres())('a connection that goes silent (DATABASE_QUERY_TIMEOUT)', () => {
  let proxy: TcpProxy
  const apps: App[] = []
  // The server's database connections go through the proxy; DATABASE_QUERY_TIMEOUT as given.
  const appWith = async (queryTimeout: string) => {
    const app = await buildTestApp(
      { DATABASE_POOL_MAX: '4', DATABASE_QUERY_TIMEOUT: queryTimeout },
      {
        databaseUrl: (url) => {
          const proxied = new URL(url)
          proxied.hostname = '127.0.0.1'
          proxied.port = String(proxy.port)
          return proxied.toString()
        },
      },
    )
    apps.push(app)
    return app
  }

  beforeAll(async () => {
    const target = new URL(process.env.TEST_DATABASE_URL!)
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  })
  afterAll(async () => {
    proxy.cut()
    for (const app of apps) await app.close()
    await proxy.close()
  })

  it('a write left unanswered fails after the timeout: 503 with Retry-After; a read is tried again: 200', async () => {
    const app = await appWith('1000')
    const [user] = await quickUsers(app, 1)
    const url = `/api/v1/users/${user!.id}`
    expect((await app.inject({ method: 'GET', url, headers: user!.auth })).statusCode).toBe(200)

    // Connections idle past the timeout, and a query slower than the watchdog's period but within the
    // timeout, are left alone: no connection is replaced.
    let connects = 0
    app.database.pool!.on('connect', () => connects++)
    await sleep(1500)
    await app.database.pool!.query('select pg_sleep(0.6)')
    expect((await app.inject({ method: 'GET', url, headers: user!.auth })).statusCode).toBe(200)
    expect(connects).toBe(0)

    const stalledBefore = proxy.stalled()
    expect(proxy.stallOnNextStatement()).toBeGreaterThan(0)
    let started = Date.now()
    const write = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: user!.auth,
      payload: { bio: 'not written' },
    })
    let took = Date.now() - started
    expect(proxy.stalled()).toBeGreaterThan(stalledBefore)
    expect(write.statusCode).toBe(503)
    expect(write.headers['retry-after']).toBeDefined()
    expect(write.json().code).toBe('SERVICE_UNAVAILABLE')
    // Not before the timeout, and within a quarter of it after (plus the machine's slack).
    expect(took).toBeGreaterThanOrEqual(1000)
    expect(took).toBeLessThan(5000)

    // The pool replaced the silent connection: the same server answers, and the bio was not written.
    const after = await app.inject({ method: 'GET', url, headers: user!.auth })
    expect(after.statusCode).toBe(200)
    expect(after.json().bio).not.toBe('not written')

    // A read caught by the same failure is tried once more on a fresh connection.
    const stalledMid = proxy.stalled()
    proxy.stallOnNextStatement()
    started = Date.now()
    const read = await app.inject({ method: 'GET', url, headers: user!.auth })
    took = Date.now() - started
    expect(proxy.stalled()).toBeGreaterThan(stalledMid)
    expect(read.statusCode).toBe(200)
    expect(took).toBeGreaterThanOrEqual(1000)
  })

  it('control: with DATABASE_QUERY_TIMEOUT=0 the same write is still waiting seconds later', async () => {
    const app = await appWith('0')
    const [user] = await quickUsers(app, 1)
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/users/${user!.id}`, headers: user!.auth })).statusCode,
    ).toBe(200)
    const stalledBefore = proxy.stalled()
    proxy.stallOnNextStatement()
    const write = app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: user!.auth,
      payload: { bio: 'waiting' },
    })
    const first = await Promise.race([write.then(() => 'answered'), sleep(3000).then(() => 'waiting')])
    expect(proxy.stalled()).toBeGreaterThan(stalledBefore)
    expect(first).toBe('waiting')
    // Ends it: the connection is cut, and the write answers 503.
    proxy.cut()
    expect((await write).statusCode).toBe(503)
  })
})
