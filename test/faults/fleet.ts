// A real server process (`src/server.ts`, WEB_CONCURRENCY processes under a cluster primary) for the process
// fault tests: its output, its port, its children, and a bounded load of HTTP requests.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitUntil } from '../mail/inbox.js'

export interface Fleet {
  child: ChildProcess
  output(): string
  /** Exit code (or the signal's name). */
  exited: Promise<number | string>
  /** The port the servers listen on, once one has. */
  port(): Promise<number>
  /** The server processes: the primary's children. */
  children(): number[]
}

const MAX_OUTPUT = 1 << 20

export function startFleet(env: Record<string, string>): Fleet {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'stagedoor-fleet-')),
      JWT_SECRET: randomBytes(32).toString('hex'),
      RATE_LIMIT_ENABLED: 'false',
      WORKERS_IN_PROCESS: 'false',
      JOBS_SCHEDULES_ENABLED: 'false',
      MAX_EVENT_LOOP_DELAY: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let port: number | undefined
  const collect = (d: Buffer) => {
    out = (out + d.toString()).slice(-MAX_OUTPUT)
    port ??= Number(/"port":(\d+)/.exec(out)?.[1]) || undefined
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  )
  return {
    child,
    output: () => out,
    exited,
    port: () =>
      waitUntil(async () => port, 60_000).catch((err: Error) => {
        throw new Error(`${err.message}: no server listening\n${out.slice(-4000)}`)
      }),
    children: () => childrenOf(child.pid!),
  }
}

export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid
      } catch {
        return false
      }
    })
}

/** Lines of the fleet's output that are JSON log records with this message. */
export function logRecords(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.includes(`"msg":"${msg}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

export interface Outcome {
  started: number
  ended: number
  status?: number
  error?: string
}

/**
 * `clients` loops, each sending requests one after another (from `request`, given a sequence number) until
 * `stop()` is true or a connection is refused; every request's start, end and status or error is recorded.
 */
export async function load(
  base: string,
  clients: number,
  request: (n: number) => { path: string; init?: RequestInit },
  stop: () => boolean,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  let n = 0
  const loop = async () => {
    while (!stop()) {
      const { path, init } = request(n++)
      const outcome: Outcome = { started: performance.now(), ended: 0 }
      outcomes.push(outcome)
      try {
        const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(30_000) })
        await res.arrayBuffer()
        outcome.status = res.status
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause
        outcome.error = cause?.code ?? cause?.message ?? String(err)
      }
      outcome.ended = performance.now()
      if (outcome.error === 'ECONNREFUSED') return
    }
  }
  await Promise.all(Array.from({ length: clients }, loop))
  return outcomes
}
