// Memory of a fleet after load: starts the server with WEB_CONCURRENCY processes against the bench database
// (seeded as `npm run bench` seeds it), runs a few seconds of each scenario with wrk, and prints each
// process's PSS (bench/pss.ts).
//   npx tsx bench/memory.ts                       compiled (`npm run build` first): node dist/server.js
//   BENCH_MEMORY_RUN=tsx npx tsx bench/memory.ts  the TypeScript source under tsx (as `npm start`)
// Environment: BENCH_DATABASE_URL, BENCH_PORT (3100), BENCH_WEB_CONCURRENCY (2), BENCH_DURATION (5 s per
// scenario), BENCH_CONNECTIONS (64), BENCH_MEMORY_ENTRY (the compiled entry, default dist/server.js).
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import pg from 'pg'
import { loadConfig } from '../src/config.js'
import { buildFixtures } from './fixtures.js'
import { fleetPss, formatFleet } from './pss.js'
import { isSeeded, prepareDatabase, seed } from './seed.js'

const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/stagedoor_bench'
const port = Number(process.env.BENCH_PORT ?? 3100)
const duration = process.env.BENCH_DURATION ?? '5'
const connections = process.env.BENCH_CONNECTIONS ?? '64'
const processes = process.env.BENCH_WEB_CONCURRENCY ?? '2'
const run = process.env.BENCH_MEMORY_RUN === 'tsx' ? 'tsx' : 'compiled'
const entry = process.env.BENCH_MEMORY_ENTRY ?? 'dist/server.js'
const base = `http://127.0.0.1:${port}`
const resultsDir = 'bench/results'

const serverEnv = {
  NODE_ENV: 'production',
  DATABASE_URL: url,
  JWT_SECRET: randomBytes(48).toString('base64url'),
  PORT: String(port),
  HOST: '127.0.0.1',
  RATE_LIMIT_ENABLED: 'false',
  // Scenario (b) reserves again and again for the same buyers: the hold cap would turn it into 409s.
  MAX_HELD_TICKETS_PER_EVENT: '0',
  WEB_CONCURRENCY: processes,
  MIGRATE_ON_START: 'false',
  WORKERS_IN_PROCESS: 'false',
  LOG_LEVEL: 'warn',
  ACCESS_TOKEN_TTL: '7200',
  DATA_DIR: `${resultsDir}/data`,
}

const only = process.env.BENCH_ONLY?.split(',')
const allScenarios: [string, string[]][] = [
  ['reservations', ['-s', 'bench/reserve.lua', `${base}/api/v1/events`]],
  ['events page', [`${base}/api/v1/events?page=1&per_page=20`]],
  ['event detail', [`${base}/api/v1/events/500`]],
  ['search', [`${base}/api/v1/search?q=bench&type=events`]],
  ['login', ['-s', 'bench/login.lua', `${base}/api/v1/auth/login`]],
]
// BENCH_ONLY=reservations,login picks scenarios by the first word of their name.
const scenarios = allScenarios.filter(([name]) => !only || only.includes(name.split(' ')[0]!))

async function main() {
  mkdirSync(resultsDir, { recursive: true })
  await prepareDatabase(url)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  if (!(await isSeeded(client))) await seed(client)
  await buildFixtures(client, loadConfig({ ...serverEnv }), resultsDir, 2000)
  await client.end()
  // tsx as `npm start` runs it (node --import tsx: no wrapper process).
  const args = run === 'tsx' ? ['--import', 'tsx', 'src/server.ts'] : [entry]
  const server = spawn(process.execPath, args, {
    env: { ...process.env, ...serverEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  try {
    for (let i = 0; ; i++) {
      if (i > 300) throw new Error('server not ready in 30 s')
      if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`)
      if (
        await fetch(`${base}/health/ready`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break
      await new Promise((r) => setTimeout(r, 100))
    }
    const fleet = () => formatFleet(fleetPss(server.pid!))
    console.log(`ready (${run}, WEB_CONCURRENCY=${processes}):\n${fleet()}`)
    for (const [name, wrkArgs] of scenarios) {
      const out = execFileSync('wrk', ['-t2', `-c${connections}`, `-d${duration}s`, ...wrkArgs], {
        encoding: 'utf8',
      })
      const children = fleetPss(server.pid!).filter((p) => p.role === 'child')
      const pss = children.map((p) => p.pss.toFixed(0)).join(' + ')
      console.log(`${name}: ${/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? '?'} req/s; servers ${pss} MiB`)
    }
    console.log(`after load:\n${fleet()}`)
    // Logins queued behind argon2 (19 MiB each, 4 at a time per process) finish after wrk stops.
    await new Promise((r) => setTimeout(r, 10_000))
    console.log(`10 s later:\n${fleet()}`)
  } finally {
    server.kill('SIGTERM')
    await new Promise((r) => server.once('exit', r))
  }
}

await main()
