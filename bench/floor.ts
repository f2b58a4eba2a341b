// The floor of an uncached read on this machine (`npx tsx bench/floor.ts`): what a route costs that does
// nothing but one prepared statement returning N bytes and sends them, in a bare Fastify with the same
// process count, pool, wrk load and PostgreSQL socket as `npm run bench` (bench/floor-server.ts). No route of
// ours can beat it; set against the Flask peer's figure of the same hour, it bounds the ratio any uncached
// read can reach here. It then runs the catalogue's own page and event statements the same bare way: what
// our routes add on top of them is the difference with `npm run bench`'s figures.
// Knobs: BENCH_FLOOR_BYTES (sizes; default about the event's, the posts page's and the events page's
// answers), BENCH_DURATION (10), BENCH_CONNECTIONS (64), BENCH_WEB_CONCURRENCY (2), BENCH_DATABASE_URL,
// BENCH_FLOOR_PORT (3200). Run `npm run bench` first: it creates, migrates and seeds the database.
import { spawn } from 'node:child_process'
import {
  appAndDatabaseCpu,
  benchDatabaseUrl,
  perRequest,
  processTree,
  waitReady,
  warmUp,
  wrk,
} from './lib.js'

const url = benchDatabaseUrl()
const database = new URL(url).pathname.slice(1)
const port = Number(process.env.BENCH_FLOOR_PORT ?? 3200)
const duration = Number(process.env.BENCH_DURATION ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64)
const processes = process.env.BENCH_WEB_CONCURRENCY ?? '2'
const sizes = (process.env.BENCH_FLOOR_BYTES ?? '1100,12000,22000').split(',').map(Number)
const base = `http://127.0.0.1:${port}`

async function main() {
  const server = spawn(process.execPath, ['--import', 'tsx', 'bench/floor-server.ts'], {
    env: { ...process.env, DATABASE_URL: url, PORT: String(port), WEB_CONCURRENCY: processes },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const serverPids = () => processTree(server.pid, 'node')
  const cpu = appAndDatabaseCpu(serverPids, [database])
  try {
    await waitReady(`${base}/health/ready`, server)
    console.log(
      `| route | bytes | req/s | p50 | p99 | CPU µs/req server / PostgreSQL |\n|---|---|---|---|---|---|`,
    )
    const runs = [
      ...sizes.flatMap((bytes) => [
        { label: 'no database', path: `/floor/none?bytes=${bytes}`, bytes: String(bytes), db: false },
        { label: 'one trivial statement', path: `/floor/pg?bytes=${bytes}`, bytes: String(bytes), db: true },
      ]),
      { label: 'the events page statement', path: '/floor/events', bytes: 'page', db: true },
      { label: 'the event statement', path: '/floor/detail', bytes: 'event', db: true },
    ]
    for (const run of runs) {
      const target = `${base}${run.path}`
      await warmUp(connections, [target], serverPids)
      const before = cpu()
      const r = wrk(['-t2', `-c${connections}`, `-d${duration}s`, '--latency', target])
      const after = cpu()
      const server = perRequest(after.app - before.app, r.requests)
      const pgCpu = run.db ? perRequest(after.pg - before.pg, r.requests) : '-'
      console.log(
        `| ${run.label} | ${run.bytes} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${server} / ${pgCpu} |`,
      )
    }
  } finally {
    server.kill('SIGTERM')
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
