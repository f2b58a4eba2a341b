// A fleet on this machine for the multi-host tests: groups of server processes ("hosts", each `src/server.ts`
// with WEB_CONCURRENCY processes on its own port) behind a real HAProxy, all on one PostgreSQL database and one
// Redis database. Ports are picked free at run time, so that concurrent test runs never collide.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

const ROOT = new URL('../..', import.meta.url).pathname

export function haproxyPath(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' }).trim() || null
  } catch {
    return null
  }
}

/** A port nothing listens on now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function waitFor(what: string, check: () => Promise<boolean>, output: () => string, ms = 90_000) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await sleep(250)
  }
  throw new Error(`${what} did not come up within ${ms} ms:\n${output().slice(-4000)}`)
}

export interface Host {
  name: string
  port: number
  process: ChildProcess
  output: string[]
}

/** One "host": `WEB_CONCURRENCY` server processes sharing `port`. */
export async function startHost(name: string, env: Record<string, string>): Promise<Host> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()))
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()))
  const host = { name, port, process: child, output }
  await waitFor(
    `host ${name}`,
    async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok,
    () => output.join(''),
  )
  return host
}

/** Stops a process (a host's cluster primary stops its servers) and waits for it. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

export interface Balancer {
  port: number
  process: ChildProcess
  dir: string
  output: string[]
}

/**
 * HAProxy in front of `hosts`: round-robin between them, health-checked on /health/ready. A request with
 * `x-fleet-host: <name>` goes to that host only (to send a repeat to "the other host"); every answer says which
 * host served it in `x-served-by`.
 */
export async function startBalancer(hosts: Host[]): Promise<Balancer> {
  const binary = haproxyPath()
  if (!binary) throw new Error('haproxy is not installed')
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'stagedoor-fleet-lb-'))
  const servers = (indent: string, check: string) =>
    hosts.map((h) => `${indent}server ${h.name} 127.0.0.1:${h.port}${check}`).join('\n')
  const config = `global
  maxconn 4096

defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option forwardfor
  http-reuse safe

frontend api
  bind 127.0.0.1:${port}
${hosts.map((h) => `  use_backend only_${h.name} if { req.hdr(x-fleet-host) -m str ${h.name} }`).join('\n')}
  default_backend all
  http-response set-header x-served-by %[srv_name]

backend all
  balance roundrobin
  option httpchk GET /health/ready
  http-check expect status 200
${servers('  ', ' check inter 1s')}

${hosts.map((h) => `backend only_${h.name}\n  server ${h.name} 127.0.0.1:${h.port}`).join('\n\n')}
`
  const file = join(dir, 'haproxy.cfg')
  writeFileSync(file, config)
  const child = spawn(binary, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] })
  const output: string[] = []
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()))
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()))
  // Ready once every host answers through it (the health checks have marked them up).
  await waitFor(
    'haproxy',
    async () => {
      const served = new Set<string>()
      for (let i = 0; i < hosts.length * 2; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`)
        if (!res.ok) return false
        served.add(res.headers.get('x-served-by') ?? '')
      }
      return served.size === hosts.length
    },
    () => output.join(''),
  )
  return { port, process: child, dir, output }
}

export async function stopBalancer(lb: Balancer | undefined): Promise<void> {
  if (!lb) return
  await stop(lb.process)
  rmSync(lb.dir, { recursive: true, force: true })
}

/**
 * A Redis database number (1-15) of the shared Redis that no other fleet run uses now, claimed with a key in
 * database 0 until `release`. Rate-limit counters are keyed by client IP, which is 127.0.0.1 for every test here.
 */
export async function claimRedisDb(url: string): Promise<{ url: string; release: () => Promise<void> }> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  const numbers = Array.from({ length: 15 }, (_, i) => i + 1).sort(() => Math.random() - 0.5)
  for (const n of numbers) {
    const lock = `stagedoor-fleet-test:db${n}`
    if ((await redis.set(lock, String(process.pid), 'EX', 600, 'NX')) !== 'OK') continue
    const target = new URL(url)
    target.pathname = `/${n}`
    await clearStagedoorKeys(target.toString())
    return {
      url: target.toString(),
      release: async () => {
        await clearStagedoorKeys(target.toString())
        await redis.del(lock)
        await redis.quit()
      },
    }
  }
  await redis.quit()
  throw new Error('no free Redis database number (1-15) for the fleet test')
}

/** Deletes the keys Stagedoor writes (rate-limit counters, catalogue stamps) from one Redis database. */
async function clearStagedoorKeys(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  for (const pattern of ['stagedoor-rl:*', 'stagedoor:*']) {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  }
  await redis.quit()
}
