// The server as a process, on PostgreSQL (several processes need it): SIGTERM under load finishes every request
// in flight and exits 0, even the work of a client that hung up; a server process killed is forked again; one
// that crashes as it starts is re-forked ever more slowly. Each with its control (UNSAFE_DISABLE_GUARDS), which
// shows the test can fail.

import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { restartDelay, serverExecArgv } from '../../src/cluster.js'
import { emptyPostgresDatabase, usingPostgres } from '../helpers.js'
import { waitUntil } from '../mail/inbox.js'
import { type Fleet, load, logRecords, startFleet } from './fleet.js'

const fleets: Fleet[] = []
afterEach(() => {
  for (const fleet of fleets.splice(0)) {
    if (fleet.child.exitCode === null) fleet.child.kill('SIGKILL')
    for (const pid of fleet.children()) process.kill(pid, 'SIGKILL')
  }
})

function fleet(env: Record<string, string>): Fleet {
  const started = startFleet(env)
  fleets.push(started)
  return started
}

async function ready(f: Fleet): Promise<string> {
  const base = `http://127.0.0.1:${await f.port()}`
  await waitUntil(async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.ok, 60_000)
  return base
}

let registrations = 0
// Registrations (an argon2 hash each, tens of ms: often in flight when the signal comes) between reads.
const mixed = (n: number) =>
  n % 3 === 0
    ? {
        path: '/api/v1/auth/register',
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            username: `term${process.pid}_${++registrations}`,
            email: `term${process.pid}_${registrations}@example.com`,
            password: 'Stagedoor-test-Pass-1',
          }),
        },
      }
    : { path: n % 3 === 1 ? '/api/v1/events?page=1&per_page=20' : '/health/ready' }

/** Loads the fleet, sends SIGTERM after a second of it, and sorts the requests by when they started. */
async function terminateUnderLoad(env: Record<string, string>) {
  const f = fleet({ DATABASE_URL: await emptyPostgresDatabase(), WEB_CONCURRENCY: '2', ...env })
  const base = await ready(f)
  let exited = false
  void f.exited.then(() => {
    exited = true
  })
  let signalledAt = Number.POSITIVE_INFINITY
  const running = load(base, 12, mixed, () => exited)
  await sleep(1500)
  signalledAt = performance.now()
  f.child.kill('SIGTERM')
  const code = await f.exited
  const outcomes = await running
  const before = outcomes.filter((o) => o.started < signalledAt)
  return {
    code,
    output: f.output(),
    before,
    inFlight: before.filter((o) => o.ended > signalledAt),
    failed: before.filter((o) => o.error !== undefined || (o.status ?? 500) >= 500),
  }
}

// Hashed one at a time (PASSWORD_HASH_CONCURRENCY=1), tens of ms each: most are still queued at the signal.
const HANG_UPS = 24
let hangUps = 0

/**
 * Sends registrations (each hashes a password, then inserts the user), hangs up on all of them once the server has
 * received them, and sends SIGTERM at once: the handlers are still hashing when the shutdown starts, with no
 * response left open. Returns how many registrations the server received and how many users it created.
 */
async function hangUpThenTerminate(env: Record<string, string>) {
  const database = await emptyPostgresDatabase()
  const f = fleet({ DATABASE_URL: database, WEB_CONCURRENCY: '1', PASSWORD_HASH_CONCURRENCY: '1', ...env })
  const base = await ready(f)
  const prefix = `hangup${process.pid}_${++hangUps}_`
  const registrations = (output: string) =>
    logRecords(output, 'incoming request').filter(
      (r) => (r.req as { url?: string }).url === '/api/v1/auth/register',
    )
  const clients = Array.from({ length: HANG_UPS }, (_, i) => {
    const hangUp = new AbortController()
    const sent = fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      signal: hangUp.signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: `${prefix}${i}`,
        email: `${prefix}${i}@example.com`,
        password: 'Stagedoor-test-Pass-1',
      }),
    })
    return { hangUp, sent: sent.catch(() => undefined) }
  })
  const deadline = Date.now() + 30_000
  while (registrations(f.output()).length < HANG_UPS && Date.now() < deadline) await sleep(5)
  for (const { hangUp } of clients) hangUp.abort()
  await Promise.all(clients.map((c) => c.sent))
  f.child.kill('SIGTERM')
  const code = await f.exited
  const db = new pg.Client({ connectionString: database })
  await db.connect()
  const { rows } = await db
    .query<{ n: number }>('select count(*)::int as n from users where username like $1', [`${prefix}%`])
    .finally(() => db.end())
  return {
    code,
    received: registrations(f.output()).length,
    created: rows[0]!.n,
    failures: logRecords(f.output(), 'request failed'),
  }
}

describe.skipIf(!usingPostgres())('a fleet of server processes (WEB_CONCURRENCY=2)', () => {
  it('SIGTERM under load: every request sent before it is answered (no 5xx), then the fleet exits 0', async () => {
    const { code, before, inFlight, failed, output } = await terminateUnderLoad({})
    expect(before.length).toBeGreaterThan(20)
    // The signal found requests in flight: the test exercises the drain, not a quiet moment.
    expect(inFlight.length).toBeGreaterThan(0)
    expect(failed, output.slice(-3000)).toEqual([])
    expect(
      code,
      output
        .split('\n')
        .filter((l) => !l.includes('request'))
        .join('\n')
        .slice(-3000),
    ).toBe(0)
    // The primary migrated through a child process before the servers started, and the servers drained.
    expect(logRecords(output, 'shutting down').length).toBeGreaterThanOrEqual(1)
  }, 120_000)

  it('control: servers that exit at once on SIGTERM drop requests in flight', async () => {
    const { inFlight, failed } = await terminateUnderLoad({ UNSAFE_DISABLE_GUARDS: 'graceful-shutdown' })
    expect(inFlight.length).toBeGreaterThan(0)
    expect(failed.length).toBeGreaterThan(0)
  }, 120_000)

  it('SIGTERM after clients hung up: each handler still running finishes before the database closes', async () => {
    const { code, received, created, failures } = await hangUpThenTerminate({})
    expect(received).toBe(HANG_UPS)
    expect(failures).toEqual([])
    expect(created).toBe(received)
    expect(code).toBe(0)
  }, 120_000)

  it('control: a shutdown that waits only for the responses cuts those handlers short', async () => {
    const { received, created } = await hangUpThenTerminate({ UNSAFE_DISABLE_GUARDS: 'drain-handlers' })
    expect(received).toBe(HANG_UPS)
    // The database closes (or the process exits) while the handlers still hash: their inserts never happen.
    expect(created).toBeLessThan(received)
  }, 120_000)

  it('a server process killed with SIGKILL is forked again at once, and the fleet keeps serving', async () => {
    const f = fleet({ DATABASE_URL: await emptyPostgresDatabase(), WEB_CONCURRENCY: '2' })
    const base = await ready(f)
    // Both serving: the survivor keeps the shared socket (and, with PORT=0, its port) open meanwhile.
    await waitUntil(async () => logRecords(f.output(), 'Stagedoor is ready').length === 2, 60_000)
    const [victim, survivor] = f.children()
    const youngGeneration = (pid: number) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--max-semi-space-size=4')
    expect([victim!, survivor!].map(youngGeneration)).toEqual([true, true])
    process.kill(victim!, 'SIGKILL')
    const replaced = await waitUntil(async () => {
      const now = f.children()
      return now.length === 2 && !now.includes(victim!) && now.includes(survivor!) ? now : undefined
    }, 60_000)
    const [exit] = logRecords(f.output(), 'server process exited; starting another')
    expect(exit).toMatchObject({ child: victim, signal: 'SIGKILL', restartInMs: 0 })
    // The new process serves: wait until it is listening, then requests keep succeeding.
    await waitUntil(async () => logRecords(f.output(), 'Stagedoor is ready').length >= 3, 60_000)
    for (let i = 0; i < 20; i++) expect((await fetch(`${base}/health/ready`)).status).toBe(200)
    expect(replaced).toHaveLength(2)
    // The process forked again has the same Node options.
    expect(replaced.map(youngGeneration)).toEqual([true, true])
    // The start-up log names the docs on the port really listened on (PORT=0 here), not a default.
    const port = await f.port()
    expect(logRecords(f.output(), 'Stagedoor is ready')[0]).toMatchObject({
      port,
      docs: `http://localhost:${port}/docs`,
    })
    f.child.kill('SIGTERM')
    expect(await f.exited).toBe(0)
  }, 120_000)
})

/**
 * Starts servers that exit as they start, and returns, per slot, how long the primary waited between each
 * death and the next fork (from the times of its own log records).
 */
async function crashLoop(env: Record<string, string>, exitsPerSlot: number) {
  // The servers die before they connect: any PostgreSQL address will do.
  const f = fleet({
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
    MIGRATE_ON_START: 'false',
    WEB_CONCURRENCY: '2',
    TEST_CRASH_AT_START: 'true',
    ...env,
  })
  // However slow a start-up is on a busy machine: until each slot has died that many times.
  await waitUntil(async () => {
    const exits = logRecords(f.output(), 'server process exited; starting another')
    return [0, 1].every((slot) => exits.filter((r) => r.slot === slot).length >= exitsPerSlot)
  }, 100_000)
  await sleep(100)
  const output = f.output()
  f.child.kill('SIGTERM')
  const code = await f.exited
  const forksAfterSignal =
    logRecords(f.output(), 'server process started').length -
    logRecords(output, 'server process started').length
  const started = logRecords(output, 'server process started')
  const exits = logRecords(output, 'server process exited; starting another')
  const gaps = [0, 1].map((slot) => {
    const forks = started.filter((r) => r.slot === slot).map((r) => Number(r.time))
    return exits
      .filter((r) => r.slot === slot)
      .map((exit) => {
        const next = forks.find((t) => t >= Number(exit.time))
        return next === undefined ? undefined : next - Number(exit.time)
      })
      .filter((gap): gap is number => gap !== undefined)
  })
  const delays = [0, 1].map((slot) => exits.filter((r) => r.slot === slot).map((r) => r.restartInMs))
  return { gaps, delays, code, forksAfterSignal }
}

describe('a server process that crashes as it starts', () => {
  it('is re-forked after a growing delay (0, 1, 2 s ...), never in a loop; SIGTERM stops it', async () => {
    const { gaps, delays, code, forksAfterSignal } = await crashLoop({}, 3)
    for (const slot of delays) expect(slot.slice(0, 3)).toEqual([0, 1000, 2000])
    for (const slot of gaps) {
      // The forks that followed a death (the last may still be waiting).
      expect(slot.length).toBeGreaterThanOrEqual(2)
      // Each wait at least the backoff's (timers fire late, never early; 20 ms for clock granularity).
      slot.forEach((gap, i) => {
        expect(gap).toBeGreaterThanOrEqual(restartDelay(i) - 20)
      })
    }
    // The primary forks nothing more and exits (1 when a server died of its crash during the shutdown).
    expect(forksAfterSignal).toBe(0)
    expect([0, 1]).toContain(code)
  }, 120_000)

  it('control: without the backoff the same crash is re-forked as soon as it dies', async () => {
    const { gaps, delays } = await crashLoop({ UNSAFE_DISABLE_GUARDS: 'fork-backoff' }, 3)
    expect(new Set(delays.flat())).toEqual(new Set([0]))
    for (const slot of gaps) {
      expect(slot.length).toBeGreaterThanOrEqual(3)
      // The second and third deaths would have waited 1 s and 2 s with the backoff.
      for (const gap of slot.slice(1)) expect(gap).toBeLessThan(500)
    }
  }, 120_000)

  it('the delay doubles from 1 s and stays at 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map(restartDelay)).toEqual([
      0, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ])
  })

  it('server processes get a young generation of 4 MiB per semi-space, unless the operator set one', () => {
    expect(serverExecArgv(['--enable-source-maps'])).toEqual([
      '--enable-source-maps',
      '--max-semi-space-size=4',
    ])
    expect(serverExecArgv([], '--max-semi-space-size=8')).toEqual([])
    expect(serverExecArgv(['--max-semi-space-size=1'])).toEqual(['--max-semi-space-size=1'])
  })

  it('server processes that fill the cores collect garbage on their own thread, unless told otherwise', () => {
    expect(serverExecArgv([], '', true)).toEqual(['--max-semi-space-size=4', '--single-threaded-gc'])
    expect(serverExecArgv([], '', false)).toEqual(['--max-semi-space-size=4'])
    expect(serverExecArgv(['--no-single-threaded-gc'], '', true)).toEqual([
      '--no-single-threaded-gc',
      '--max-semi-space-size=4',
    ])
  })
})
