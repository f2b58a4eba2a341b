// The benchmark, one command (`npm run bench`): seeds PostgreSQL once, starts the server against it, and runs
// (a) 500 buyers racing for 100 tickets, (b) uncontended reservations, (c) GET /events, (d) GET /events/{id},
// and (h) GET /health/live, the framework's ceiling on this machine.
// (a) and (b) are skipped while POST /events/{id}/reservations answers 404.
// Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/stagedoor_bench), BENCH_PORT
// (3100), BENCH_DURATION (15 s per wrk run), BENCH_CONNECTIONS (64), BENCH_RESEED=1 to seed again,
// BENCH_ONLY=c,d to pick scenarios, BENCH_CACHE_TTL (seconds, default 1 as in production; 0 = no cache),
// BENCH_WEB_CONCURRENCY (server processes, default 2), BENCH_PROFILE=1 (--cpu-prof of the server into
// bench/results/profiles).
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import pg from 'pg'
import { loadConfig } from '../src/config.js'
import { buildFixtures } from './fixtures.js'
import {
  appAndDatabaseCpu,
  benchDatabaseUrl,
  perRequest,
  processTree,
  serverArgs,
  stagedoorEnv,
  stagedoorRace,
  waitReady,
  warmUp,
  wrk,
} from './lib.js'
import { isSeeded, prepareDatabase, SEED, seed } from './seed.js'

const url = benchDatabaseUrl()
const port = Number(process.env.BENCH_PORT ?? 3100)
const duration = Number(process.env.BENCH_DURATION ?? 15)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64)
const only = new Set((process.env.BENCH_ONLY ?? 'a,b,c,d,h').split(','))
// Two processes did best on this 2-core machine for every scenario (bench/README.md), wrk and PostgreSQL included.
const processes = process.env.BENCH_WEB_CONCURRENCY ?? '2'
const profile = process.env.BENCH_PROFILE === '1'
const base = `http://127.0.0.1:${port}`
const resultsDir = 'bench/results'

const serverEnv = stagedoorEnv({
  url,
  port,
  processes,
  // The production default (1 s); BENCH_CACHE_TTL=0 measures every request going to PostgreSQL.
  cacheTtl: process.env.BENCH_CACHE_TTL ?? '1',
  dataDir: `${resultsDir}/data`,
})

interface Row {
  scenario: string
  result: string
  p50?: string
  p99?: string
  errors?: string
  /** CPU per request of the server processes and of PostgreSQL (all its processes), µs. */
  cpu?: string
  target: string
}

let serverPids: () => number[] = () => []

const benchDatabase = new URL(url).pathname.slice(1)

const cpuSample = appAndDatabaseCpu(() => serverPids(), [benchDatabase])

async function measure(name: string, target: string, extra: string[], path: string): Promise<Row> {
  await warmUp(connections, [...extra, `${base}${path}`], serverPids)
  const before = cpuSample()
  const r = wrk([
    '-t2',
    `-c${connections}`,
    `-d${duration}s`,
    '--latency',
    '--timeout',
    '30s',
    ...extra,
    `${base}${path}`,
  ])
  const after = cpuSample()
  const cpu = `${perRequest(after.app - before.app, r.requests)} / ${perRequest(after.pg - before.pg, r.requests)}`
  console.log(
    `${name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50}, p99 ${r.p99}, non-2xx ${r.non2xx}, CPU µs/req server/pg ${cpu}`,
  )
  return {
    scenario: name,
    result: `${r.rps.toFixed(0)} req/s`,
    p50: r.p50,
    p99: r.p99,
    errors: String(r.non2xx),
    cpu,
    target,
  }
}

async function contention(
  client: pg.Client,
  tokens: string[],
  eventId: number,
  sectionId: number,
): Promise<Row> {
  const { seconds, exact, line, cpu } = await stagedoorRace(
    port,
    client,
    tokens,
    eventId,
    sectionId,
    cpuSample,
  )
  console.log(`(a) contention: ${line} ${exact ? 'EXACT' : 'WRONG'}`)
  return {
    scenario: '(a) 500 buyers race for 100',
    result: `${seconds.toFixed(3)} s`,
    errors: exact ? 'exactly 100 sold' : `WRONG: ${line}`,
    cpu,
    target: '< 0.3 s, exactly 100',
  }
}

function printTable(rows: Row[]) {
  const header: (keyof Row)[] = ['scenario', 'result', 'p50', 'p99', 'errors', 'cpu', 'target']
  const cells = [header as string[], ...rows.map((r) => header.map((h) => r[h] ?? ''))]
  const widths = header.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`
  console.log(
    [
      '',
      line(cells[0]!),
      `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
      ...cells.slice(1).map(line),
    ].join('\n'),
  )
}

async function main() {
  mkdirSync(resultsDir, { recursive: true })
  await prepareDatabase(url)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  if (process.env.BENCH_RESEED || !(await isSeeded(client))) {
    const t = performance.now()
    await seed(client)
    console.log(
      `seeded ${SEED.users} users, ${SEED.events} events × 5 sections, ${SEED.tickets} tickets in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    )
  }
  const config = loadConfig({ ...serverEnv })
  const fixtures = await buildFixtures(client, config, resultsDir, 2000)
  const profiles = `${resultsDir}/profiles`
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`] : []
  const entry = serverArgs()
  const server = spawn(process.execPath, [...nodeArgs, ...entry], {
    env: { ...process.env, ...serverEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  // The server process and, with WEB_CONCURRENCY > 1, its cluster workers.
  serverPids = () => processTree(server.pid, 'node')
  const rows: Row[] = []
  try {
    await waitReady(`${base}/health/ready`, server)
    const probe = await fetch(`${base}/api/v1/events/${fixtures.contention.eventId}/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${fixtures.tokens[1999]}` },
      body: JSON.stringify({ section_id: -1 }),
    })
    const reservations = probe.status !== 404
    for (const s of ['a', 'b'] as const) {
      if (only.has(s) && !reservations) {
        const name = s === 'a' ? '(a) 500 buyers race for 100' : '(b) uncontended reservations'
        console.log(`${name}: skipped, POST /events/{id}/reservations answers 404 (not merged yet)`)
        rows.push({
          scenario: name,
          result: 'skipped: endpoint 404',
          target: s === 'a' ? '< 0.3 s' : '≥ 1,500/s',
        })
      }
    }
    if (reservations && only.has('a')) {
      // Warm, as a box office that has been selling for a while is (and as the Flask peer's contention run,
      // which follows its other scenarios): JIT, and the prepared statements on every pooled connection.
      execFileSync('wrk', ['-t1', '-c32', '-d2s', '-s', 'bench/reserve.lua', `${base}/api/v1/events`], {
        stdio: 'ignore',
      })
      rows.push(
        await contention(client, fixtures.tokens, fixtures.contention.eventId, fixtures.contention.sectionId),
      )
    }
    if (reservations && only.has('b')) {
      rows.push(
        await measure(
          '(b) uncontended reservations',
          '≥ 1,500/s',
          ['-s', 'bench/reserve.lua'],
          '/api/v1/events',
        ),
      )
    }
    if (only.has('c'))
      rows.push(
        await measure(
          '(c) GET /events?page=1&per_page=20',
          '≥ 4,000/s',
          [],
          '/api/v1/events?page=1&per_page=20',
        ),
      )
    if (only.has('d'))
      rows.push(await measure('(d) GET /events/500', '≥ 6,000/s, p99 < 25ms', [], '/api/v1/events/500'))
    if (only.has('h')) rows.push(await measure('(h) GET /health/live (ceiling)', '-', [], '/health/live'))
  } finally {
    server.kill('SIGTERM')
    await new Promise((r) => server.once('exit', r))
    await client.end()
  }
  printTable(rows)
  console.log(
    `server: WEB_CONCURRENCY=${processes}, EVENTS_CACHE_TTL=${serverEnv.EVENTS_CACHE_TTL}; cpu = server / PostgreSQL CPU µs per request`,
  )
  if (profile) console.log(`CPU profiles in ${profiles}`)
}

// BENCH_PEER=1: the side-by-side run against the Flask peer (bench/peer.ts).
if (process.env.BENCH_PEER === '1') await import('./peer.js')
else await main()
