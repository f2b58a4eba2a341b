// WEB_CONCURRENCY > 1: the primary that supervises the server processes, and what each child of it runs.
//
// The primary imports nothing beyond the configuration: it migrates through a child process of its own, forks
// the servers, re-forks one that dies (after a backoff while it keeps dying), and on SIGTERM/SIGINT asks every
// server to finish what it is serving, then exits 0 once they all have.
import cluster, { type Worker } from 'node:cluster'
import type { Config } from './config.js'
import { usableCores } from './lib/cores.js'
import { guardDisabled } from './lib/guards.js'
import { prettyLogs } from './lib/log-format.js'

/** What a child of the primary is for: `migrate` applies the migrations and exits; unset, it serves. */
const ROLE = 'STAGEDOOR_CLUSTER_ROLE'
/** The primary's request to a server process to shut down gracefully. */
const SHUTDOWN = 'stagedoor:shutdown'

/** A server that has been listening this long before dying starts again at once, its failures forgotten. */
export const STABLE_MS = 30_000
const FIRST_DELAY_MS = 1_000
const MAX_DELAY_MS = 30_000

/**
 * How long to wait before re-forking a server process that has died `failures` times in a row without a stable
 * run in between: at once the first time, then 1 s, 2 s, 4 s ... up to 30 s. A process that crashes at start
 * (a bad deploy, a database that refuses it) is retried ever more slowly, never in a loop that burns the CPU.
 */
export function restartDelay(failures: number): number {
  if (failures <= 0) return 0
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - 1))
}

/**
 * The Node options of a server process: the primary's, and
 * - a young generation of at most 4 MiB per semi-space (V8's default lets it grow to 16): under load each server
 *   then settles ~80 MiB smaller, and the fleet within the memory target. The price is server CPU on uncached
 *   lists, an eighth to a third of it on the events page (bench/README.md, "The young generation's cap");
 * - when the server processes are as many as the cores (`fillsCores`), garbage collection on the process's own
 *   thread (`--single-threaded-gc`). V8 otherwise shares a collection's work with helper threads; with every core
 *   busy serving, and PostgreSQL beside them, the helpers wait for a core and the pause waits for them. Measured
 *   on 2 cores at 64 connections: the list pages' p99 fell from 69–207 ms to 28–130 ms in seven pairs of runs, at
 *   the same rate (bench/README.md, "The lists' tail").
 *
 * An option the operator gave wins (`--no-single-threaded-gc` keeps the helpers).
 */
export function serverExecArgv(execArgv: readonly string[], nodeOptions = '', fillsCores = false): string[] {
  const given = (option: string) => [...execArgv, nodeOptions].some((arg) => arg.includes(option))
  return [
    ...execArgv,
    ...(given('--max-semi-space-size') ? [] : ['--max-semi-space-size=4']),
    ...(fillsCores && !given('single-threaded-gc') ? ['--single-threaded-gc'] : []),
  ]
}

let pretty = false

// The primary writes pino-shaped JSON lines (without loading pino) beside the servers' own, or, where the
// servers' are pretty (development on a terminal), a readable line.
function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  if (pretty) {
    const time = new Date().toTimeString().slice(0, 8)
    const extra = Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`)
    process.stdout.write(
      `[${time}] ${level.toUpperCase()} (primary ${process.pid}): ${msg} ${extra.join(' ')}\n`,
    )
    return
  }
  const levels = { info: 30, warn: 40, error: 50 }
  const line = JSON.stringify({ level: levels[level], time: Date.now(), pid: process.pid, ...fields, msg })
  process.stdout.write(`${line}\n`)
}

interface Slot {
  index: number
  worker?: Worker
  /** Consecutive deaths without a stable run in between. */
  failures: number
  listeningAt?: number
  timer?: NodeJS.Timeout
}

async function migrateInChild(): Promise<number> {
  const worker = cluster.fork({ [ROLE]: 'migrate' })
  return new Promise((resolve) => {
    worker.once('exit', (code, signal) => resolve(signal ? 1 : code))
  })
}

export async function runPrimary(config: Config): Promise<void> {
  pretty = prettyLogs(config)
  let stopping = false
  let cleanExit = true
  const slots: Slot[] = Array.from({ length: config.WEB_CONCURRENCY }, (_, index) => ({ index, failures: 0 }))
  const live = () => slots.filter((s) => s.worker && !s.worker.isDead()).map((s) => s.worker!)

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: stop waiting.
      log('warn', 'second signal: killing the server processes', { signal })
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL')
      process.exit(1)
    }
    stopping = true
    log('info', 'shutting down: the server processes finish their requests', { signal })
    for (const slot of slots) clearTimeout(slot.timer)
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (!worker) continue
      // A server that is serving drains on request; one still starting (or the migration) has nothing in
      // flight, and may not listen for the request yet: a signal ends it.
      const serving = slots.some((s) => s.worker === worker && s.listeningAt !== undefined)
      if (serving && worker.isConnected()) worker.send(SHUTDOWN)
      else worker.process.kill('SIGTERM')
    }
    // Each server gives itself SHUTDOWN_TIMEOUT; this is the backstop.
    setTimeout(
      () => {
        log('error', 'server processes still running after the shutdown timeout: killing them')
        for (const worker of live()) worker.process.kill('SIGKILL')
        process.exit(1)
      },
      (config.SHUTDOWN_TIMEOUT + 5) * 1000,
    ).unref()
    if (live().length === 0) process.exit(0)
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)

  if (config.MIGRATE_ON_START) {
    const code = await migrateInChild()
    if (stopping) return
    if (code !== 0) {
      log('error', 'migrations failed; not starting the server processes', { code })
      process.exit(1)
    }
  }

  // The processes share the listening socket and the kernel hands each connection to one of them. Node's
  // default on Linux, round-robin, has this primary accept every connection and pass it to a process over IPC:
  // that took more than half of the server's CPU when 500 buyers connected at once (bench/README.md).
  // NODE_CLUSTER_SCHED_POLICY=rr brings round-robin back.
  if (!process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_NONE
  const fillsCores = config.WEB_CONCURRENCY >= usableCores()
  cluster.setupPrimary({ execArgv: serverExecArgv(process.execArgv, process.env.NODE_OPTIONS, fillsCores) })

  const fork = (slot: Slot) => {
    slot.timer = undefined
    slot.listeningAt = undefined
    const worker = cluster.fork({ MIGRATE_ON_START: 'false' })
    slot.worker = worker
    log('info', 'server process started', {
      slot: slot.index,
      child: worker.process.pid,
      failures: slot.failures,
    })
    worker.once('listening', () => {
      slot.listeningAt = Date.now()
    })
    worker.once('exit', (code, signal) => {
      if (stopping) {
        if (code !== 0 && signal !== 'SIGTERM') cleanExit = false
        if (live().length === 0) process.exit(cleanExit ? 0 : 1)
        return
      }
      if (slot.listeningAt !== undefined && Date.now() - slot.listeningAt >= STABLE_MS) slot.failures = 0
      const delay = guardDisabled(config, 'fork-backoff') ? 0 : restartDelay(slot.failures)
      slot.failures++
      log('warn', 'server process exited; starting another', {
        slot: slot.index,
        child: worker.process.pid,
        code,
        signal,
        restartInMs: delay,
      })
      slot.timer = setTimeout(() => fork(slot), delay)
    })
  }
  for (const slot of slots) fork(slot)
}

async function migrateOnce(config: Config): Promise<void> {
  const [{ openDatabase }, { runMigrations }] = await Promise.all([
    import('./db/client.js'),
    import('./db/migrate.js'),
  ])
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL })
  try {
    await runMigrations(database)
  } finally {
    await database.close()
  }
}

/** A child of the primary: the migration process, or a server that shuts down when the primary asks. */
export async function runClusterChild(config: Config): Promise<void> {
  if (process.env[ROLE] === 'migrate') {
    await migrateOnce(config)
    process.exit(0)
  }
  if (config.NODE_ENV === 'test' && config.TEST_CRASH_AT_START) {
    // Test-only: a server that dies as it starts, as a bad deploy would (the restart backoff above).
    console.error('TEST_CRASH_AT_START: exiting')
    process.exit(3)
  }
  // A terminal's Ctrl-C reaches every process of the group, the primary included, which then asks each server
  // to stop: a second signal here would cut that graceful shutdown short.
  process.on('SIGINT', () => {})
  let stop: (() => void) | undefined
  let asked = false
  process.on('message', (message) => {
    if (message !== SHUTDOWN || asked) return
    asked = true
    // Asked before serving anything: nothing to finish.
    if (stop) stop()
    else process.exit(0)
  })
  const { runServer } = await import('./server-process.js')
  const server = await runServer(config)
  stop = server.close
  if (asked) stop()
}
