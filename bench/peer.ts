// Side by side with the Flask peer (`BENCH_PEER=1 npm run bench`): seeds both with the same data (10k users,
// 1k events × 5 sections, 50k tickets, 20k posts, 100k likes), runs the same wrk scenarios against each in one
// run, and prints every figure with its ratio, plus each side's PSS after its run.
// The peer is a copy of ../shared/peers/flask in a temporary directory (the original is read-only), served by
// gunicorn (5 sync workers, as its RESULTS.md) on 127.0.0.1:8000 against its own database peer_flask; its
// Python packages come from Debian (installed with apt-get when missing, as its run.sh does).
// Stagedoor runs twice: EVENTS_CACHE_TTL=0 (every read from PostgreSQL) for every scenario, then the production
// default (1 s) for the cached reads. Extra knobs: BENCH_PEER_DIR (the peer's source), BENCH_PEER_PORT (8000),
// BENCH_PEER_SKIP=1 (Stagedoor alone, ratios left out). Scenario names: events, search, detail, posts, login,
// reserve, race, busy (GET /events/{id} at 4 connections while login is saturated); BENCH_ONLY picks some.
// BENCH_PSS_SETTLE (seconds, default 75): how long after the last scenario each side's PSS is read a second time.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { loadConfig } from '../src/config.js'
import { usableCores } from '../src/lib/cores.js'
import { buildFixtures } from './fixtures.js'
import {
  appAndDatabaseCpu,
  benchDatabaseUrl,
  idle,
  ms,
  perRequest,
  processTree,
  pssMiB,
  serverArgs,
  stagedoorEnv,
  stagedoorRace,
  type WrkResult,
  waitReady,
  warmUp,
  wrk,
} from './lib.js'
import { isSeeded, prepareDatabase, SEED, seed } from './seed.js'

const url = benchDatabaseUrl()
const benchDatabase = new URL(url).pathname.slice(1)
const port = Number(process.env.BENCH_PORT ?? 3100)
const peerPort = Number(process.env.BENCH_PEER_PORT ?? 8000)
const duration = Number(process.env.BENCH_DURATION ?? 15)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64)
const processes = process.env.BENCH_WEB_CONCURRENCY ?? '2'
const skipPeer = process.env.BENCH_PEER_SKIP === '1'
const pssSettle = Number(process.env.BENCH_PSS_SETTLE ?? 75)

/** A side's PSS in MiB right after its last scenario, and again once it has been idle `pssSettle` seconds. */
interface Pss {
  now: number
  settled: number
}

/**
 * Both readings, for both sides alike. A Node process keeps a burst's garbage in its old generation until V8's
 * memory reducer collects it, some tens of seconds into idleness (40-56 s on 2026-12-03), so the first reading
 * is a transient whose size depends on where the last collection fell (224-412 MiB in one evening's runs).
 */
async function pssAfter(pids: () => number[]): Promise<Pss> {
  const now = pssMiB(pids())
  await sleep(pssSettle * 1000)
  return { now, settled: pssMiB(pids()) }
}

const pssText = (p: Pss | undefined) =>
  p ? `${p.now.toFixed(0)} MiB right after, ${p.settled.toFixed(0)} MiB ${pssSettle} s later` : '—'
const ALL = ['events', 'search', 'detail', 'posts', 'login', 'reserve', 'race', 'busy']
const only = new Set(process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : ALL)
const resultsDir = 'bench/results'
const PEER_PG = 'postgres://peer:peer@127.0.0.1:5432/peer_flask'

interface Figure {
  rps?: number
  seconds?: number
  p50?: string
  p99?: string
  cpu?: string
  note?: string
}
interface Line {
  scenario: string
  stagedoor: Figure
  peer?: Figure
  target: string
  /** Higher is better (rates) or lower (the race's seconds). */
  better: 'higher' | 'lower'
  /** Login: percent of the argon2id rate alone. */
  share?: number
}

async function run(
  name: string,
  base: string,
  path: string,
  extra: string[],
  cpu: () => { app: number; pg: number },
  pids: () => number[],
  cwd?: string,
): Promise<Figure & { result: WrkResult }> {
  await warmUp(connections, [...extra, `${base}${path}`], pids, cwd)
  const before = cpu()
  const result = wrk(
    [
      '-t2',
      `-c${connections}`,
      `-d${duration}s`,
      '--latency',
      '--timeout',
      '30s',
      ...extra,
      `${base}${path}`,
    ],
    cwd,
  )
  const after = cpu()
  const figure = {
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    cpu: `${perRequest(after.app - before.app, result.requests)} / ${perRequest(after.pg - before.pg, result.requests)}`,
    note: result.non2xx ? `${result.non2xx} non-2xx` : undefined,
    result,
  }
  console.log(
    `${name}: ${result.rps.toFixed(0)}/s p50 ${result.p50} p99 ${result.p99} cpu µs/req app/pg ${figure.cpu}${figure.note ? ` ${figure.note}` : ''}`,
  )
  return figure
}

// ---------------------------------------------------------------------------------------------- the peer

function psqlAdmin(sql: string): string {
  return execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-qAt', '-c', sql], {
    encoding: 'utf8',
  }).trim()
}

function preparePeer(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagedoor-peer-'))
  cpSync(resolve(process.env.BENCH_PEER_DIR ?? '../shared/peers/flask'), dir, { recursive: true })
  execFileSync('chmod', ['-R', 'u+w', dir])
  try {
    execFileSync('/usr/bin/python3', [
      '-c',
      'import flask_sqlalchemy, flask_marshmallow, gunicorn, bcrypt, psycopg2, jwt',
    ])
  } catch {
    console.log('installing the peer’s Debian packages (apt-get)')
    execFileSync(
      'apt-get',
      [
        'install',
        '-y',
        '-qq',
        'python3-flask',
        'python3-flask-sqlalchemy',
        'python3-marshmallow',
        'python3-flask-marshmallow',
        'python3-marshmallow-sqlalchemy',
        'gunicorn',
        'python3-psycopg2',
        'python3-jwt',
        'python3-bcrypt',
      ],
      { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
    )
  }
  if (psqlAdmin("select 1 from pg_roles where rolname = 'peer'") !== '1') {
    psqlAdmin("create role peer login password 'peer'")
  }
  if (psqlAdmin("select 1 from pg_database where datname = 'peer_flask'") !== '1') {
    psqlAdmin('create database peer_flask owner peer')
  }
  execFileSync('psql', [
    '-h',
    '127.0.0.1',
    '-U',
    'postgres',
    '-d',
    'peer_flask',
    '-qc',
    'create extension if not exists pg_trgm',
  ])
  const seeded = (() => {
    try {
      // A new database has no posts table yet: psql's error is that answer, not a message for the reader.
      return execFileSync('psql', [PEER_PG, '-qAtc', 'select count(*) from posts'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim()
    } catch {
      return '0'
    }
  })()
  if (process.env.BENCH_RESEED || Number(seeded) < SEED.posts) {
    console.log('seeding the peer (its seed.py)')
    execFileSync('/usr/bin/python3', ['seed.py'], { cwd: dir, stdio: 'inherit' })
  }
  return dir
}

async function benchPeer(dir: string): Promise<Record<string, Figure> & { pss?: Pss }> {
  execFileSync('/usr/bin/python3', ['bench/fixtures.py', '2000'], { cwd: dir, stdio: 'ignore' })
  const gunicorn = spawn(
    '/usr/bin/python3',
    [
      '-m',
      'gunicorn',
      '-w',
      String(2 * usableCores() + 1),
      '-b',
      `127.0.0.1:${peerPort}`,
      '--log-level',
      'warning',
      'wsgi:app',
    ],
    { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] },
  )
  const app = () => processTree(gunicorn.pid, 'python3')
  const cpu = appAndDatabaseCpu(app, ['peer_flask'])
  const base = `http://127.0.0.1:${peerPort}`
  const out: Record<string, Figure> & { pss?: Pss } = {}
  try {
    await waitReady(`${base}/health`, gunicorn)
    const step = async (key: string, path: string, extra: string[] = []) => {
      if (!only.has(key)) return
      await idle(app)
      out[key] = await run(`peer ${key}`, base, path, extra, cpu, app, dir)
    }
    await step('events', '/events?page=1&per_page=20')
    await step('search', '/events?search=ab&page=1&per_page=20')
    await step('detail', '/events/500')
    await step('posts', '/posts?page=1&per_page=20')
    await step('login', '/auth/login', ['-s', 'bench/login.lua'])
    if (only.has('race')) {
      await idle(app)
      const text = execFileSync('/usr/bin/python3', ['bench/contention.py', '500'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, PORT: String(peerPort) },
      })
      const seconds = Number(/elapsed_s=([\d.]+)/.exec(text)?.[1])
      out.race = { seconds, note: text.includes('CONTENTION PASS') ? 'exactly 100' : `WRONG: ${text.trim()}` }
      console.log(`peer race: ${text.trim()}`)
    }
    await step('reserve', '/events', ['-s', 'bench/buy.lua'])
    await idle(app)
    out.pss = await pssAfter(app)
  } finally {
    gunicorn.kill('SIGTERM')
    await new Promise((r) => gunicorn.once('exit', r))
    execFileSync('/usr/bin/python3', ['bench/fixtures.py', '--cleanup'], { cwd: dir, stdio: 'ignore' })
  }
  return out
}

// ------------------------------------------------------------------------------------------- Stagedoor

// One environment (one JWT secret) for the fixtures' tokens and both server runs.
const serverEnv = stagedoorEnv({ url, port, processes, cacheTtl: '0', dataDir: `${resultsDir}/data` })

/** The server's entry, built once for both runs. */
const entry = serverArgs()

async function startStagedoor(cacheTtl: string): Promise<{ server: ChildProcess; pids: () => number[] }> {
  const env = { ...serverEnv, EVENTS_CACHE_TTL: cacheTtl }
  const profile = process.env.BENCH_PROFILE === '1' && cacheTtl === '0'
  // BENCH_NODE_ARGS: Node options for the server (its primary passes them on to its server processes), for
  // V8 flags that NODE_OPTIONS does not take, such as --single-threaded-gc.
  const given = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const nodeArgs = [...given, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${resultsDir}/profiles`] : [])]
  const server = spawn(process.execPath, [...nodeArgs, ...entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  await waitReady(`http://127.0.0.1:${port}/health/ready`, server)
  return { server, pids: () => processTree(server.pid, 'node') }
}

async function stop(server: ChildProcess) {
  server.kill('SIGTERM')
  await new Promise((r) => server.once('exit', r))
}

async function benchStagedoor(client: pg.Client) {
  const config = loadConfig({ ...serverEnv })
  const fixtures = await buildFixtures(client, config, resultsDir, 2000)
  const base = `http://127.0.0.1:${port}`
  const auth = ['-H', `Authorization: Bearer ${fixtures.tokens[1999]}`]
  const uncached: Record<string, Figure> & { pss?: Pss } = {}
  let hashRates: [number, number] | undefined
  const cached: Record<string, Figure> = {}
  const reads: [string, string, string[]][] = [
    ['events', '/api/v1/events?page=1&per_page=20', []],
    ['search', '/api/v1/events?q=ab&page=1&per_page=20', []],
    ['detail', '/api/v1/events/500', []],
    ['posts', '/api/v1/posts?page=1&per_page=20', auth],
  ]
  for (const ttl of ['0', '1']) {
    const { server, pids } = await startStagedoor(ttl)
    const cpu = appAndDatabaseCpu(pids, [benchDatabase])
    const into = ttl === '0' ? uncached : cached
    try {
      // The minted tokens must pass the server's auth check, or every authenticated figure is of 401s.
      const probe = await fetch(`${base}/api/v1/posts?per_page=1`, {
        headers: { authorization: `Bearer ${fixtures.tokens[1999]}` },
      })
      if (probe.status !== 200) throw new Error(`token refused: ${probe.status} ${await probe.text()}`)
      for (const [key, path, extra] of reads) {
        if (!only.has(key)) continue
        await idle(pids)
        into[key] = await run(`stagedoor ${key} (cache ${ttl})`, base, path, extra, cpu, pids)
      }
      if (ttl === '1') continue
      if (only.has('login')) {
        await idle(pids)
        // argon2id alone right before and right after the route, on the same idle machine: its speed drifts by
        // a third within minutes here, so a rate taken at another moment is no ceiling for this one.
        const before = argon2Rate()
        uncached.login = await run(
          'stagedoor login',
          base,
          '/api/v1/auth/login',
          ['-s', 'bench/login.lua'],
          cpu,
          pids,
        )
        await idle(pids)
        hashRates = [before, argon2Rate()]
      }
      if (only.has('busy')) {
        // Login saturated at 64 connections, and GET /events/{id} beside it at 4.
        await idle(pids)
        const login = spawn(
          'wrk',
          [
            '-t1',
            `-c${connections}`,
            `-d${duration + 4}s`,
            '-s',
            'bench/login.lua',
            `${base}/api/v1/auth/login`,
          ],
          { stdio: 'ignore' },
        )
        await sleep(2000)
        const r = wrk(['-t1', '-c4', `-d${duration}s`, '--latency', `${base}/api/v1/events/500`])
        await new Promise((done) => login.once('exit', done))
        uncached.busy = { rps: r.rps, p50: r.p50, p99: r.p99 }
        console.log(
          `stagedoor detail while login is saturated: ${r.rps.toFixed(0)}/s p50 ${r.p50} p99 ${r.p99}`,
        )
      }
      if (only.has('race')) {
        await idle(pids)
        execFileSync('wrk', ['-t1', '-c32', '-d2s', '-s', 'bench/reserve.lua', `${base}/api/v1/events`], {
          stdio: 'ignore',
        })
        await idle(pids)
        const race = await stagedoorRace(
          port,
          client,
          fixtures.tokens,
          fixtures.contention.eventId,
          fixtures.contention.sectionId,
          cpu,
        )
        uncached.race = { seconds: race.seconds, note: race.exact ? 'exactly 100' : `WRONG: ${race.line}` }
        console.log(`stagedoor race: ${race.line}`)
      }
      if (only.has('reserve')) {
        await idle(pids)
        uncached.reserve = await run(
          'stagedoor reserve',
          base,
          '/api/v1/events',
          ['-s', 'bench/reserve.lua'],
          cpu,
          pids,
        )
      }
      await idle(pids)
      uncached.pss = await pssAfter(pids)
    } finally {
      await stop(server)
    }
  }
  return { uncached, cached, hashRates }
}

/** argon2id verifications per second with the server's parameters, all cores busy, nothing else. */
function argon2Rate(): number {
  const text = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'bench/argon2-rate.ts', String(Math.min(duration, 10))],
    {
      encoding: 'utf8',
    },
  )
  console.log(text.trim())
  return Number(/([\d.]+) verifications\/s/.exec(text)?.[1])
}

// ------------------------------------------------------------------------------------------------ table

function fmt(f: Figure | undefined): string {
  if (!f) return '—'
  const main =
    f.seconds !== undefined
      ? `${f.seconds.toFixed(3)} s`
      : `${(f.rps ?? 0).toFixed(f.rps && f.rps < 100 ? 1 : 0)}/s`
  const lat = f.p50 ? ` (p50 ${f.p50}, p99 ${f.p99})` : ''
  return `${main}${lat}${f.note ? `, ${f.note}` : ''}`
}

function ratio(l: Line): string {
  const a = l.stagedoor
  const b = l.peer
  if (!b) return '—'
  if (l.better === 'lower') return a.seconds && b.seconds ? `${(b.seconds / a.seconds).toFixed(1)}×` : '—'
  return a.rps && b.rps ? `${(a.rps / b.rps).toFixed(1)}×` : '—'
}

/**
 * Little's law for the reads with a p99 target: a closed loop of `connections` at a rate waits connections / rate
 * on average, so a p99 under the target needs more than connections / target requests a second before any spread.
 */
function littlesLaw(lines: Line[]): string {
  const reads = lines.flatMap((l) => {
    const p = /^≥ \d+×, p99 < (\d+) ms/.exec(l.target)
    return p && l.stagedoor.rps ? [{ l, target: Number(p[1]), rps: l.stagedoor.rps }] : []
  })
  const first = reads[0]
  if (!first) return ''
  const waits = reads.map(
    (r) => `${r.l.scenario.split(',')[0]} ${((1000 * connections) / r.rps).toFixed(1)} ms`,
  )
  const floor = Math.round((1000 * connections) / first.target)
  return [
    `Mean wait at ${connections} connections by Little's law (connections / rate): ${waits.join('; ')}.`,
    `A p99 under ${first.target} ms needs more than ${floor}/s before any spread.`,
  ].join(' ')
}

function verdict(l: Line): string {
  const r = Number.parseFloat(ratio(l))
  const p99 = l.stagedoor.p99 ? ms(l.stagedoor.p99) : Number.NaN
  const m = /≥ (\d+)×/.exec(l.target)
  const byRatio = m ? r >= Number(m[1]) : true
  const p = /p99 < (\d+) ms/.exec(l.target)
  const byP99 = p ? p99 < Number(p[1]) : true
  const s = /≤ ([\d.]+) s/.exec(l.target)
  const bySeconds = s ? (l.stagedoor.seconds ?? Number.POSITIVE_INFINITY) <= Number(s[1]) : true
  const q = /≥ (\d+)% of/.exec(l.target)
  const byShare = q ? (l.share ?? 0) >= Number(q[1]) : true
  // Figures of refusals (a 404 for every request, as when the seed's events could not be seen) measure nothing.
  if (l.stagedoor.note?.startsWith('WRONG') || l.stagedoor.note?.includes('non-2xx'))
    return 'INVALID (not all 2xx)'
  if (!l.target || l.target === '—') return ''
  return byRatio && byP99 && bySeconds && byShare ? 'met' : 'NOT met'
}

async function main() {
  mkdirSync(resultsDir, { recursive: true })
  const started = new Date()
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  const peerDir = skipPeer ? undefined : preparePeer()
  await prepareDatabase(url)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    if (process.env.BENCH_RESEED || !(await isSeeded(client))) {
      console.log('seeding Stagedoor (bench/seed.ts)')
      await seed(client)
    }
    const peer = peerDir ? await benchPeer(peerDir) : undefined
    const sd = await benchStagedoor(client)
    const lines: Line[] = []
    const reads: [string, string, string, string][] = [
      ['events', '`GET /events?page=1&per_page=20`', '≥ 6×, p99 < 25 ms', '—'],
      ['search', 'events search (`q=ab` / `search=ab`)', '≥ 6×, p99 < 25 ms', '—'],
      ['detail', '`GET /events/500`', '≥ 10×, p99 < 25 ms', '—'],
      ['posts', '`GET /posts?page=1&per_page=20`', '≥ 6×, p99 < 25 ms', '—'],
    ]
    for (const [key, label, target] of reads) {
      if (sd.uncached[key])
        lines.push({
          scenario: `${label}, uncached`,
          stagedoor: sd.uncached[key],
          peer: peer?.[key],
          target,
          better: 'higher',
        })
      if (sd.cached[key])
        lines.push({
          scenario: `${label}, cached 1 s`,
          stagedoor: sd.cached[key],
          peer: peer?.[key],
          target: '—',
          better: 'higher',
        })
    }
    if (sd.uncached.login && sd.hashRates) {
      const [before, after] = sd.hashRates
      const share = (100 * (sd.uncached.login.rps ?? 0)) / ((before + after) / 2)
      lines.push({
        scenario: '`POST /auth/login`',
        stagedoor: {
          ...sd.uncached.login,
          note: `${share.toFixed(0)}% of argon2id alone (the mean of ${before.toFixed(1)}/s before and ${after.toFixed(1)}/s after)`,
        },
        peer: peer?.login,
        target: '≥ 90% of argon2id alone',
        better: 'higher',
        share,
      })
    }
    if (sd.uncached.busy)
      lines.push({
        scenario: '`GET /events/500` at 4 conns while login is saturated',
        stagedoor: sd.uncached.busy,
        target: 'p99 < 50 ms',
        better: 'higher',
      })
    if (sd.uncached.reserve)
      lines.push({
        scenario: 'uncontended reservations',
        stagedoor: sd.uncached.reserve,
        peer: peer?.reserve,
        target: '≥ 7×',
        better: 'higher',
      })
    if (sd.uncached.race)
      lines.push({
        scenario: '500 buyers race for 100',
        stagedoor: sd.uncached.race,
        peer: peer?.race,
        target: '≤ 0.2 s, exactly 100',
        better: 'lower',
      })
    const law = littlesLaw(lines)
    const table = [
      `Run ${started.toISOString().slice(0, 16)} UTC, load ${load} at the start, ${new Date().toISOString().slice(11, 16)} at the end (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}); wrk -t2 -c${connections} -d${duration}s; Stagedoor WEB_CONCURRENCY=${processes} over ${url.includes('host=') ? 'the Unix socket' : 'TCP'}, the peer gunicorn ${2 * usableCores() + 1} sync workers`,
      '',
      '| scenario | Stagedoor | Flask peer | ratio | target | verdict | CPU µs/req app / PostgreSQL (Stagedoor; peer) |',
      '|---|---|---|---|---|---|---|',
      ...lines.map(
        (l) =>
          `| ${l.scenario} | ${fmt(l.stagedoor)} | ${fmt(l.peer)} | ${ratio(l)} | ${l.target} | ${l.target === '—' ? '' : verdict(l)} | ${l.stagedoor.cpu ?? ''}${l.peer?.cpu ? `; ${l.peer.cpu}` : ''} |`,
      ),
      '',
      ...(law ? [law, ''] : []),
      `PSS after the run: Stagedoor (primary + ${processes} servers) ${pssText(sd.uncached.pss)}; Flask peer (master + workers) ${pssText(peer?.pss)}`,
    ].join('\n')
    console.log(`\n${table}`)
    const file = `${resultsDir}/peer-${started.toISOString().slice(0, 16).replace(':', '')}.md`
    writeFileSync(file, `${table}\n`)
    console.log(`\n(also in ${file})`)
  } finally {
    await client.end()
  }
}

await main()
