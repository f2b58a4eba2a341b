// What both benchmarks share: wrk runs, CPU and memory of processes from /proc, waiting for a server, and the
// raw-socket race of (a).
import { type ChildProcess, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import type pg from 'pg'

// CPU time from /proc (Linux), in clock ticks of 10 ms: how the machine's two cores were shared.
export function ticks(pid: number | string, fields: number[]): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields after "pid (comm)" start at field 3.
    return fields.reduce((sum, f) => sum + Number(rest[f - 3]), 0)
  } catch {
    return 0
  }
}

/**
 * The CPU ticks of a changing set of processes (`pids()` at each call), counted up from call to call: a process
 * that exits keeps what it had used at the last call (its ticks leave /proc with it). So the difference of two
 * calls never goes below zero when, say, a pool closes idle database connections in between.
 */
export function cpuCounter(pids: () => number[]): () => number {
  const last = new Map<number, number>()
  let exited = 0
  return () => {
    const now = new Map(pids().map((pid) => [pid, ticks(pid, [14, 15])] as const))
    for (const [pid, used] of last) if (!now.has(pid)) exited += used
    last.clear()
    let total = exited
    for (const [pid, used] of now) {
      last.set(pid, used)
      total += used
    }
    return total
  }
}

/** CPU ticks so far of a server's processes (`app`) and of PostgreSQL's serving `databases` (see `cpuCounter`). */
export function appAndDatabaseCpu(
  app: () => number[],
  databases: string[],
): () => { app: number; pg: number } {
  const appCpu = cpuCounter(app)
  const pgCpu = cpuCounter(() => pgProcesses(databases))
  return () => ({ app: appCpu(), pg: pgCpu() })
}

/** The whole machine's busy time, every core, in ticks: /proc/stat's user, nice, system, irq and softirq. */
export function machineBusyTicks(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)
  const [user, nice, system, , , irq, softirq] = fields.map(Number)
  return user! + nice! + system! + irq! + softirq!
}

export function processesNamed(name: string): number[] {
  if (!existsSync('/proc')) return []
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === name
      } catch {
        return false
      }
    })
    .map(Number)
}

/** `pid` and its direct children (a cluster primary and its server processes; gunicorn and its workers). */
export function processTree(pid: number | undefined, childName: string): number[] {
  if (pid === undefined) return []
  return [pid, ...processesNamed(childName).filter((p) => ticks(p, [4]) === pid)]
}

/**
 * PostgreSQL's processes that work for a benchmark: its background processes (WAL writer, checkpointer ...)
 * and the backends connected to one of `databases`; not backends of other databases (another engineer's test
 * run on the same server).
 */
export function pgProcesses(databases: string[]): number[] {
  return processesNamed('postgres').filter((pid) => {
    try {
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      const backend = /\(\d+\)|\[local\]/.test(title)
      return !backend || databases.some((d) => title.includes(` ${d} `))
    } catch {
      return false
    }
  })
}

/** Proportional set size of `pids` together, MiB (shared pages split between the processes sharing them). */
export function pssMiB(pids: number[]): number {
  let kb = 0
  for (const pid of pids) {
    try {
      const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
      kb += Number(m?.[1] ?? 0)
    } catch {}
  }
  return kb / 1024
}

/**
 * The bench database: over PostgreSQL's Unix socket when it runs on this host (as a server beside its database
 * would be configured: less CPU per round trip than loopback TCP), else TCP.
 * BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/stagedoor_bench measures over TCP.
 */
export function benchDatabaseUrl(): string {
  if (process.env.BENCH_DATABASE_URL) return process.env.BENCH_DATABASE_URL
  return existsSync('/var/run/postgresql/.s.PGSQL.5432')
    ? 'postgres://postgres@localhost/stagedoor_bench?host=/var/run/postgresql'
    : 'postgres://postgres@127.0.0.1:5432/stagedoor_bench'
}

/** CPU ticks (10 ms) spent over `requests`, in µs per request. */
export const perRequest = (ticks: number, requests: number) =>
  requests > 0 ? ((ticks * 10_000) / requests).toFixed(0) : '?'

export interface WrkResult {
  rps: number
  requests: number
  p50: string
  p99: string
  non2xx: number
  raw: string
}

export function wrk(args: string[], cwd?: string): WrkResult {
  const raw = execFileSync('wrk', args, { encoding: 'utf8', maxBuffer: 1 << 24, cwd })
  const pick = (re: RegExp) => re.exec(raw)?.[1] ?? '?'
  return {
    rps: Number(pick(/Requests\/sec:\s+([\d.]+)/)),
    requests: Number(pick(/(\d+) requests in/)),
    p50: pick(/\s50%\s+(\S+)/),
    p99: pick(/\s99%\s+(\S+)/),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(raw)?.[1] ?? 0),
    raw,
  }
}

/**
 * The warm-up before a measured wrk run: 3 s at the run's own concurrency, so that each side's pool has opened
 * all its connections and every PostgreSQL backend has planned its statements before the clock starts. A new
 * backend's first bind of the events page took 35–80 ms under load (2026-12-05), and after a warm-up at 4
 * connections the first seconds at 64 ran ~25% slower than the rest (bench/README.md, "The tail at 64
 * connections").
 */
export async function warmUp(connections: number, args: string[], pids: () => number[], cwd?: string) {
  execFileSync('wrk', ['-t2', `-c${connections}`, '-d3s', '--timeout', '30s', ...args], {
    stdio: 'ignore',
    cwd,
  })
  // A slow route (the peer's login: 3/s measured, against 8/s without this wait) is still working through the
  // warm-up's queue when wrk stops; that work must not fall into the measured run.
  await idle(pids)
}

/** Waits until `pids` use under 5% of a core over half a second: no request of the last run still queued. */
export async function idle(pids: () => number[]) {
  const used = cpuCounter(pids)
  for (let i = 0; i < 240; i++) {
    const before = used()
    await new Promise((r) => setTimeout(r, 500))
    if (used() - before <= 2) return
  }
}

/** wrk's latency text (`9.41ms`, `1.20s`, `850.00us`) in ms. */
export function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text)
  if (!m) return Number.NaN
  const v = Number(m[1])
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : m[2] === 'm' ? v * 60_000 : v
}

export async function waitReady(url: string, server: ChildProcess, seconds = 120) {
  for (let i = 0; i < seconds * 10; i++) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} did not answer in ${seconds} s`)
}

/**
 * Sends each raw HTTP request on its own connection, all opened before the first is sent (as the Flask
 * peer's contention.py does behind a barrier), and times until the last status line arrives: the figure is
 * the server's, not connection setup or a client library's.
 */
export async function raceRequests(
  port: number,
  requests: string[],
): Promise<{ statuses: number[]; seconds: number }> {
  const sockets = await Promise.all(
    requests.map(
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve(socket))
          socket.once('error', reject)
        }),
    ),
  )
  const started = performance.now()
  let last = started
  const statuses = await Promise.all(
    sockets.map(
      (socket, i) =>
        new Promise<number>((resolve) => {
          let head = ''
          socket.setEncoding('latin1')
          socket.on('data', (chunk: string) => {
            head += chunk
            if (!head.includes('\r\n')) return
            last = performance.now()
            resolve(Number(head.slice(9, 12)))
            socket.destroy()
          })
          socket.once('error', () => resolve(0))
          socket.once('close', () => resolve(0))
          socket.write(requests[i]!)
        }),
    ),
  )
  return { statuses, seconds: (last - started) / 1000 }
}

/**
 * Stagedoor's (a): 500 distinct buyers each send one `POST /events/{id}/reservations` for the contention
 * section of 100 at once; then the database is checked: exactly 100 live tickets and `held + sold = 100`.
 */
export async function stagedoorRace(
  port: number,
  client: { query: pg.Client['query'] },
  tokens: string[],
  eventId: number,
  sectionId: number,
  cpu: () => { app: number; pg: number },
) {
  const body = JSON.stringify({ section_id: sectionId, quantity: 1 })
  const requests = tokens
    .slice(0, 500)
    .map(
      (t) =>
        `POST /api/v1/events/${eventId}/reservations HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Content-Type: application/json\r\nAuthorization: Bearer ${t}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  const before = cpu()
  const busyBefore = machineBusyTicks()
  const { statuses, seconds } = await raceRequests(port, requests)
  const busy = machineBusyTicks() - busyBefore
  const after = cpu()
  const count = (s: number) => statuses.filter((x) => x === s).length
  const { rows } = await client.query<{ live: string; counters: number; capacity: number }>(
    `select (select count(*) from tickets where section_id = $1 and status in ('held', 'confirmed')) live,
            held + sold counters, capacity from sections where id = $1`,
    [sectionId],
  )
  const db = rows[0]!
  const exact = count(201) === 100 && Number(db.live) === 100 && db.counters === 100
  // CPU per attempt (ticks of 10 ms, so ±20 µs here): the servers' and PostgreSQL's, and the whole machine's (the
  // racing client's sockets included); a race no faster than the machine's cores shows it here.
  const n = requests.length
  const cpuPerAttempt = `${perRequest(after.app - before.app, n)} / ${perRequest(after.pg - before.pg, n)}`
  const line = `${seconds.toFixed(3)} s; 201×${count(201)}, 409×${count(409)}, other×${n - count(201) - count(409)}; live tickets ${db.live}, held+sold ${db.counters}/${db.capacity}; cpu µs/attempt app/pg/machine ${cpuPerAttempt} / ${perRequest(busy, n)}`
  return { seconds, exact, line, cpu: cpuPerAttempt }
}

/** The server's environment in a benchmark. */
export function stagedoorEnv(o: {
  url: string
  port: number
  processes: string
  cacheTtl: string
  dataDir: string
}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: o.url,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    PORT: String(o.port),
    HOST: '127.0.0.1',
    RATE_LIMIT_ENABLED: 'false',
    // Scenario (b) reserves again and again for the same buyers: the hold cap would turn it into 409s.
    MAX_HELD_TICKETS_PER_EVENT: '0',
    // node:cluster workers sharing the port (server.ts).
    WEB_CONCURRENCY: o.processes,
    MIGRATE_ON_START: 'false',
    // The HTTP path alone: the reservations' e-mails are enqueued in their statement, as always, and left for
    // a worker (a fleet runs `stagedoor worker` beside the servers); in the server processes its sending
    // (file transport here) would take CPU from the requests measured.
    WORKERS_IN_PROCESS: 'false',
    LOG_LEVEL: 'warn',
    ACCESS_TOKEN_TTL: '7200',
    DATA_DIR: o.dataDir,
    EVENTS_CACHE_TTL: o.cacheTtl,
  }
}

/**
 * How the benchmarks start the server: compiled, as production runs it (`npm run build`, then
 * `node dist/server.js`), or with `BENCH_RUN=tsx` the TypeScript source under tsx, as `npm start` runs it.
 * Builds once per benchmark run.
 */
export function serverArgs(): string[] {
  if (process.env.BENCH_RUN === 'tsx') return ['--import', 'tsx', 'src/server.ts']
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' })
  return ['dist/server.js']
}
