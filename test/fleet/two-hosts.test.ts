// Two hosts behind a real HAProxy, on one PostgreSQL database and one Redis: the box office's promises hold for
// the fleet as a whole. Each host is `src/server.ts` with two server processes on its own port. The control runs
// the same scenarios on a fleet without Redis and with the guards switched off, and shows each can fail.
// PostgreSQL + Redis + haproxy only: skipped on the embedded database.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { count, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { payments, reservations, tickets } from '../../src/db/schema/index.js'
import { quickUsers, sectionCounts } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { type App, buildTestApp, type TestUser, usingPostgres } from '../helpers.js'
import {
  type Balancer,
  claimRedisDb,
  type Host,
  haproxyPath,
  startBalancer,
  startHost,
  stop,
  stopBalancer,
} from './fleet.js'

const enabled = usingPostgres() && Boolean(process.env.TEST_REDIS_URL) && haproxyPath() !== null
const AUTH_LIMIT = 5

interface Fleet {
  hosts: Host[]
  dataDir: string
  lb: Balancer
  /** A request through the balancer; `host` pins it to one host. */
  send(
    path: string,
    init?: { method?: string; user?: TestUser; body?: unknown; host?: string; key?: string },
  ): Promise<{
    status: number
    body: Record<string, unknown>
    headers: Headers
  }>
}

/** Starts hosts a and b with `env`, and HAProxy in front of them. */
async function startFleet(factory: App, env: Record<string, string>): Promise<Fleet> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stagedoor-fleet-'))
  const common = {
    NODE_ENV: 'test',
    DATABASE_URL: factory.config.DATABASE_URL!,
    // The same secret as the in-process app that makes the test's users, so that their tokens work here.
    JWT_SECRET: factory.config.JWT_SECRET,
    DATA_DIR: dataDir,
    MIGRATE_ON_START: 'false',
    WORKERS_IN_PROCESS: 'false',
    JOBS_SCHEDULES_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    MAX_EVENT_LOOP_DELAY: '0',
    DATABASE_POOL_MAX: '5',
    // A minute: only the shared stamp can make another host's cached page fresh within the test.
    EVENTS_CACHE_TTL: '60',
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_AUTH_PER_MINUTE: String(AUTH_LIMIT),
    ...env,
  }
  const hosts = await Promise.all([startHost('a', common), startHost('b', common)])
  const lb = await startBalancer(hosts).catch(async (err) => {
    await Promise.all(hosts.map((h) => stop(h.process)))
    throw err
  })
  return {
    hosts,
    dataDir,
    lb,
    async send(path, init = {}) {
      const headers: Record<string, string> = {}
      if (init.user) headers.authorization = `Bearer ${init.user.accessToken}`
      if (init.host) headers['x-fleet-host'] = init.host
      if (init.key) headers['idempotency-key'] = init.key
      if (init.body !== undefined) headers['content-type'] = 'application/json'
      const res = await fetch(`http://127.0.0.1:${lb.port}/api/v1${path}`, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers }
    },
  }
}

async function stopFleet(fleet: Fleet | undefined): Promise<void> {
  if (!fleet) return
  await stopBalancer(fleet.lb)
  await Promise.all(fleet.hosts.map((h) => stop(h.process)))
  rmSync(fleet.dataDir, { recursive: true, force: true })
}

/** 500 buyers at once, through the balancer, for a section of 100. */
async function raceFiveHundredForHundred(factory: App, fleet: Fleet) {
  const [organizer] = await quickUsers(factory, 1)
  const event = await makeEvent(factory, organizer!, { sections: [{ capacity: 100 }] })
  const section = event.sections[0]!
  const buyers = await quickUsers(factory, 500)
  const answers = await Promise.all(
    buyers.map((user) =>
      fleet.send(`/events/${event.id}/reservations`, {
        method: 'POST',
        user,
        body: { section_id: section.id, quantity: 1 },
      }),
    ),
  )
  const [rows] = await factory.ctx.db
    .select({ n: count() })
    .from(tickets)
    .where(eq(tickets.sectionId, section.id))
  return {
    created: answers.filter((a) => a.status === 201).length,
    soldOut: answers.filter((a) => a.status === 409 && a.body.code === 'SOLD_OUT').length,
    servedBy: [...new Set(answers.map((a) => a.headers.get('x-served-by')))].sort(),
    ticketRows: rows!.n,
    held: (await sectionCounts(factory, section.id)).held,
  }
}

/** Failed logins for one account, alternating between the hosts; the statuses in order. */
async function loginAttempts(fleet: Fleet, n: number): Promise<number[]> {
  const email = `nobody-${randomUUID()}@example.com`
  const statuses: number[] = []
  for (let i = 0; i < n; i++) {
    const res = await fleet.send('/auth/login', {
      method: 'POST',
      host: i % 2 === 0 ? 'a' : 'b',
      body: { email, password: 'not the password at all' },
    })
    statuses.push(res.status)
  }
  return statuses
}

/** The same reservation with one Idempotency-Key, sent to both hosts at once, four times each. */
async function keyOnBothHostsAtOnce(factory: App, fleet: Fleet) {
  const [organizer, buyer] = (await quickUsers(factory, 2)) as [TestUser, TestUser]
  const event = await makeEvent(factory, organizer, { sections: [{ capacity: 50 }] })
  const key = `both-${randomUUID()}`
  const body = { section_id: event.sections[0]!.id, quantity: 1 }
  const path = `/events/${event.id}/reservations`
  const answers = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      fleet.send(path, { method: 'POST', user: buyer, body, key, host: i % 2 === 0 ? 'a' : 'b' }),
    ),
  )
  const [rows] = await factory.ctx.db
    .select({ n: count() })
    .from(reservations)
    .where(eq(reservations.bookerId, buyer.id))
  return { statuses: answers.map((a) => a.status), reservations: rows!.n }
}

/** An anonymous page read on host b (both its processes), an edit through host a, and b's next reads. */
async function editOnOneHostReadOnTheOther(factory: App, fleet: Fleet) {
  const [organizer] = (await quickUsers(factory, 1)) as [TestUser]
  const event = await makeEvent(factory, organizer, { title: 'Before the edit' })
  const path = `/events/${event.id}`
  const readOnB = async () => {
    const answers = []
    for (let i = 0; i < 6; i++) answers.push(await fleet.send(path, { host: 'b' }))
    return answers
  }
  const before = await readOnB()
  const etag = before[0]!.headers.get('etag')!
  const edit = await fleet.send(path, {
    method: 'PATCH',
    user: organizer,
    host: 'a',
    body: { title: 'After' },
  })
  expect(edit.status).toBe(200)
  const after = await readOnB()
  const revalidated = await fetch(`http://127.0.0.1:${fleet.lb.port}/api/v1${path}`, {
    headers: { 'x-fleet-host': 'b', 'if-none-match': etag },
  })
  return {
    before: [...new Set(before.map((a) => a.body.title))],
    after: [...new Set(after.map((a) => a.body.title))],
    revalidatedStatus: revalidated.status,
  }
}

describe.skipIf(!enabled)('two hosts behind HAProxy, one PostgreSQL database and one Redis', () => {
  let factory: App
  let redis: Awaited<ReturnType<typeof claimRedisDb>>
  let fleet: Fleet
  beforeAll(async () => {
    // The fleet's database (a fresh copy of the migrated template); this app makes users and events in it.
    factory = await buildTestApp()
    redis = await claimRedisDb(process.env.TEST_REDIS_URL!)
    fleet = await startFleet(factory, { REDIS_URL: redis.url, WEB_CONCURRENCY: '2' })
  }, 180_000)
  afterAll(async () => {
    await stopFleet(fleet)
    await redis?.release()
    await factory?.close()
  })

  it('when 500 buyers race for 100 tickets on both hosts, then exactly 100 are sold', async () => {
    const race = await raceFiveHundredForHundred(factory, fleet)
    expect(race).toEqual({ created: 100, soldOut: 400, servedBy: ['a', 'b'], ticketRows: 100, held: 100 })
  }, 60_000)

  it('when failed logins for one account alternate between the hosts, then the auth limit counts them once', async () => {
    const statuses = await loginAttempts(fleet, AUTH_LIMIT * 2 + 2)
    expect(statuses.filter((s) => s !== 429)).toHaveLength(AUTH_LIMIT)
    expect(statuses.slice(AUTH_LIMIT).every((s) => s === 429)).toBe(true)
  })

  it('when an Idempotency-Key is replayed on the other host, then it reserves and charges once', async () => {
    const [organizer, buyer] = (await quickUsers(factory, 2)) as [TestUser, TestUser]
    const event = await makeEvent(factory, organizer, { sections: [{ capacity: 50 }] })
    const path = `/events/${event.id}/reservations`
    const body = { section_id: event.sections[0]!.id, quantity: 2 }
    const key = `replay-${randomUUID()}`
    const first = await fleet.send(path, { method: 'POST', user: buyer, body, key, host: 'a' })
    const again = await fleet.send(path, { method: 'POST', user: buyer, body, key, host: 'b' })
    expect([first.status, again.status]).toEqual([201, 201])
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body).toEqual(first.body)

    const invoiceId = (first.body.invoices as { id: number }[])[0]!.id
    const payKey = `pay-${randomUUID()}`
    const pay = { payment_method: 'test_ok' }
    const paid = await fleet.send(`/invoices/${invoiceId}/pay`, {
      method: 'POST',
      user: buyer,
      body: pay,
      key: payKey,
      host: 'b',
    })
    const repaid = await fleet.send(`/invoices/${invoiceId}/pay`, {
      method: 'POST',
      user: buyer,
      body: pay,
      key: payKey,
      host: 'a',
    })
    expect([paid.status, repaid.status]).toEqual([200, 200])
    expect(repaid.headers.get('idempotent-replayed')).toBe('true')

    const [booked] = await factory.ctx.db
      .select({ n: count() })
      .from(reservations)
      .where(eq(reservations.bookerId, buyer.id))
    const [charged] = await factory.ctx.db
      .select({ n: count() })
      .from(payments)
      .where(eq(payments.invoiceId, invoiceId))
    expect({ reservations: booked!.n, payments: charged!.n }).toEqual({ reservations: 1, payments: 1 })

    const both = await keyOnBothHostsAtOnce(factory, fleet)
    expect(both.reservations).toBe(1)
    expect(both.statuses.every((s) => s === 201 || s === 409)).toBe(true)
  })

  it('when an event is edited through one host, then the other host serves the new page and no 304 for the old ETag', async () => {
    const seen = await editOnOneHostReadOnTheOther(factory, fleet)
    expect(seen).toEqual({ before: ['Before the edit'], after: ['After'], revalidatedStatus: 200 })
  })
})

describe.skipIf(!enabled)('control: the same fleet without Redis and with the guards off', () => {
  let factory: App
  let fleet: Fleet
  beforeAll(async () => {
    factory = await buildTestApp()
    // One process per host, so that which process answers is fixed; no REDIS_URL: every process counts alone.
    fleet = await startFleet(factory, {
      WEB_CONCURRENCY: '1',
      // More transactions at once than the guarded fleet's 2 × 2 × 5, so the unguarded race shows every time.
      DATABASE_POOL_MAX: '15',
      UNSAFE_DISABLE_GUARDS: 'capacity,idempotency,catalogue-version',
    })
  }, 180_000)
  afterAll(async () => {
    await stopFleet(fleet)
    await factory?.close()
  })

  it('when 500 buyers race for 100 tickets without the capacity guard, then more than 100 are sold', async () => {
    const race = await raceFiveHundredForHundred(factory, fleet)
    console.info(`control: ${race.created} of 500 got a ticket in a section of 100`)
    expect(race.created).toBeGreaterThan(100)
    expect(race.ticketRows).toBe(race.created)
  }, 60_000)

  it('when each host counts failed logins alone, then more than the limit get through', async () => {
    const statuses = await loginAttempts(fleet, AUTH_LIMIT * 2 + 2)
    expect(statuses.filter((s) => s !== 429)).toHaveLength(AUTH_LIMIT * 2)
  })

  it('when the Idempotency-Key is not claimed, then one key sent to both hosts at once reserves more than once', async () => {
    const both = await keyOnBothHostsAtOnce(factory, fleet)
    expect(both.reservations).toBeGreaterThan(1)
  })

  it('when there is no shared stamp, then the other host serves the old page and a 304 for its ETag', async () => {
    const seen = await editOnOneHostReadOnTheOther(factory, fleet)
    expect(seen).toEqual({ before: ['Before the edit'], after: ['Before the edit'], revalidatedStatus: 304 })
  })
})
